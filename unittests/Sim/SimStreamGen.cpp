//===- SimStreamGen.cpp - Writes streams for the simulator's tests --------===//
//
// sim-stream-gen gemm CONFIG STREAM INPUTS
//   A GEMM C[40 x 24] = A[40 x 70] . B[70 x 24] with A an input (written to
//   INPUTS as safetensors, tensor "a") and B a constant, both with entries
//   (i * 7 + j * 3) % 11 - 5.
// sim-stream-gen synthetic CONFIG STREAM LAYERS SEQUENCE HIDDEN
//   A stream of the instruction mix of a decoder-only model (projections,
//   prediction, attention, FFN) for timing-only runs. It is not a compiled
//   model: operands overlap freely, so it runs only with --timing-only.
//
//===----------------------------------------------------------------------===//

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Support/Safetensors.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <string>

using namespace lapa;
using isa::Opcode;

namespace {

uint32_t ref(uint8_t buffer, uint32_t offset) {
  return isa::BufRef{buffer, offset}.pack();
}

uint8_t bit(isa::Unit unit) { return uint8_t(1u << unsigned(unit)); }

isa::Instruction &add(isa::StreamFile &stream, Opcode op,
                      std::vector<uint32_t> operands, uint8_t flags = 0,
                      uint8_t wait = 0, uint8_t signal = 0) {
  isa::Instruction inst;
  inst.setHeader(op, wait, signal, flags);
  for (size_t i = 0; i < operands.size(); ++i)
    inst.words[i + 1] = operands[i];
  stream.instructions.push_back(inst);
  return stream.instructions.back();
}

void dma(isa::StreamFile &stream, Opcode op, uint64_t address, uint32_t buf,
         uint32_t rows, uint32_t rowBytes, uint8_t wait, uint8_t signal) {
  add(stream, op,
      {uint32_t(address), uint32_t(address >> 32), buf, rows, rowBytes,
       rowBytes, rowBytes},
      0, wait, signal);
}

int writeStream(const isa::StreamFile &stream, const char *path) {
  std::vector<uint8_t> bytes = isa::writeBinary(stream);
  std::error_code code;
  llvm::raw_fd_ostream os(path, code, llvm::sys::fs::OF_None);
  if (code) {
    llvm::errs() << "sim-stream-gen: cannot write " << path << ": "
                 << code.message() << "\n";
    return 1;
  }
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return 0;
}

int8_t entry(unsigned i, unsigned j) { return int8_t((i * 7 + j * 3) % 11) - 5; }

int generateGemm(const hardware::HardwareConfig &config, const char *path,
                 const char *inputPath) {
  const unsigned m = 40, n = 24, k = 70;
  isa::StreamFile stream;
  stream.configFingerprint = config.fingerprint();
  stream.configName = config.name;
  std::vector<uint8_t> a(m * k), b(k * n);
  for (unsigned i = 0; i < m; ++i)
    for (unsigned t = 0; t < k; ++t)
      a[i * k + t] = uint8_t(entry(i, t));
  for (unsigned t = 0; t < k; ++t)
    for (unsigned j = 0; j < n; ++j)
      b[t * n + j] = uint8_t(entry(t, j));
  auto tensor = [&](const char *name, isa::TensorRole role,
                    isa::ElementType type, std::vector<uint64_t> shape,
                    uint64_t address, const std::vector<uint8_t> &bytes) {
    isa::TensorInfo info;
    info.name = name;
    info.role = role;
    info.type = type;
    info.shape = std::move(shape);
    info.dramAddress = address;
    if (!bytes.empty()) {
      info.constantOffset = stream.constants.size();
      stream.constants.insert(stream.constants.end(), bytes.begin(),
                              bytes.end());
    }
    stream.tensors.push_back(info);
  };
  tensor("a", isa::TensorRole::Input, isa::ElementType::I8, {m, k}, 0, {});
  tensor("b", isa::TensorRole::Weight, isa::ElementType::I8, {k, n}, 4096, b);
  tensor("c", isa::TensorRole::Output, isa::ElementType::I32, {m, n}, 8192,
         {});
  const uint8_t token = 3, weight = 4, temp = 2;
  dma(stream, Opcode::Load, 0, ref(token, 0), m, k, 0, 0);
  dma(stream, Opcode::Load, 4096, ref(weight, 0), k, n, 0,
      bit(isa::Unit::Mac));
  add(stream, Opcode::Gemm,
      {ref(token, 0), ref(weight, 0), ref(temp, 0), m, n, k, k, n, n}, 0,
      bit(isa::Unit::Dma), bit(isa::Unit::Dma));
  dma(stream, Opcode::Store, 8192, ref(temp, 0), m, n * 4,
      bit(isa::Unit::Mac), 0);
  stream.stages.push_back({"ffn", 0, 0, 4});
  if (int status = writeStream(stream, path))
    return status;

  support::TensorData input;
  input.name = "a";
  input.dtype = support::DType::I8;
  input.shape = {m, k};
  input.bytes = a;
  if (llvm::Error error = support::writeSafetensorsFile(inputPath, {input})) {
    llvm::errs() << "sim-stream-gen: " << llvm::toString(std::move(error))
                 << "\n";
    return 1;
  }
  return 0;
}

int generateSynthetic(const hardware::HardwareConfig &config, const char *path,
                      unsigned layers, unsigned sequence, unsigned hidden) {
  isa::StreamFile stream;
  stream.configFingerprint = config.fingerprint();
  stream.configName = config.name;
  stream.predictors.push_back(predict::printPredictorConfig(
      predict::PredictorConfig::defaults(predict::Scheme::Lapa)));
  isa::TensorInfo weights;
  weights.name = "weights";
  weights.role = isa::TensorRole::Weight;
  weights.type = isa::ElementType::I8;
  weights.shape = {uint64_t(1) << 30};
  stream.tensors.push_back(weights);

  const uint8_t kv = 0, speculation = 1, temp = 2, token = 3, weight = 4;
  const uint8_t dmaBit = bit(isa::Unit::Dma), macBit = bit(isa::Unit::Mac),
                shiftBit = bit(isa::Unit::Shift),
                filterBit = bit(isa::Unit::Filter),
                vectorBit = bit(isa::Unit::Vector);
  const unsigned headDim = 128, heads = hidden / headDim, tile = 64;
  const unsigned ffn = hidden * 8 / 3;
  uint64_t address = 0;
  auto nextAddress = [&]() {
    address = (address + 32768) % ((uint64_t(1) << 30) - 65536);
    return address;
  };
  for (unsigned layer = 0; layer < layers; ++layer) {
    uint32_t first = stream.instructions.size();
    // Projections: for every 64-row tile of the sequence, 128 output
    // columns of Q, K, V and O at a time, load a 256 x 128 weight tile per
    // 256 rows of the hidden size and accumulate a GEMM.
    for (unsigned rows = 0; rows < sequence; rows += tile)
      for (unsigned column = 0; column < 4 * hidden; column += 128)
        for (unsigned inner = 0; inner < hidden; inner += 1024) {
          dma(stream, Opcode::Load, nextAddress(), ref(weight, 0), 256, 128,
              0, macBit);
          add(stream, Opcode::Gemm,
              {ref(token, 0), ref(weight, 0), ref(temp, 0), tile, 128, 256,
               256, 128, 128},
              isa::Accumulate, dmaBit, 0);
        }
    stream.stages.push_back({"kv_projection", int32_t(layer), first,
                             uint32_t(stream.instructions.size())});

    // Prediction and sparse attention per head and query tile.
    first = stream.instructions.size();
    // One prediction per 64 queries and 128 keys the causal mask leaves
    // visible.
    const unsigned keys = 128;
    for (unsigned head = 0; head < heads; ++head)
      for (unsigned rows = 0; rows < sequence; rows += tile)
        for (unsigned keyBase = 0; keyBase < rows + tile; keyBase += keys) {
        unsigned queryBase = rows - std::min(rows, keyBase);
        add(stream, Opcode::ShiftAccumulate,
            {ref(speculation, 0), ref(token, 0), ref(speculation, 8192), tile,
             keys, headDim, queryBase, 0, ref(speculation, 49152), 0},
            isa::Causal, 0, filterBit);
        add(stream, Opcode::Filter,
            {ref(speculation, 0), isa::kNoBuffer, ref(speculation, 8192), tile,
             keys, headDim, queryBase, 0, ref(speculation, 49152), 0},
            isa::Causal, shiftBit, shiftBit);
        add(stream, Opcode::ShiftAccumulate,
            {ref(speculation, 0), ref(token, 0), ref(speculation, 8192), tile,
             keys, headDim, queryBase, 1, ref(speculation, 49152), 0},
            isa::Causal, filterBit, filterBit);
        add(stream, Opcode::TopK,
            {ref(speculation, 8192), ref(speculation, 49152),
             ref(speculation, 57344), tile, keys, 64, queryBase, 0,
             ref(speculation, 65408), 0, 0, 0x3e000000},
            isa::Causal, shiftBit, macBit);
        add(stream, Opcode::Sddmm,
            {ref(temp, 0), ref(kv, 0), ref(temp, 16384), tile, 64, headDim,
             headDim, headDim, 64, ref(speculation, 57344), 0},
            0, filterBit, 0);
        add(stream, Opcode::Spmm,
            {ref(temp, 0), ref(kv, 0), ref(kv, 32768), tile, headDim, 64, 64,
             headDim, headDim, ref(speculation, 57344), 0},
            0, 0, 0);
      }
    stream.stages.push_back({"attention", int32_t(layer), first,
                             uint32_t(stream.instructions.size())});

    // FFN: gate, up and down projections in 256 x 256 tiles, and SiLU.
    first = stream.instructions.size();
    for (unsigned rows = 0; rows < sequence; rows += tile) {
      for (unsigned column = 0; column < 3 * ffn; column += 128) {
        dma(stream, Opcode::Load, nextAddress(), ref(weight, 0), 256, 128, 0,
            macBit);
        add(stream, Opcode::Gemm,
            {ref(token, 0), ref(weight, 0), ref(temp, 0), tile, 128, 256, 256,
             128, 128},
            isa::Accumulate, dmaBit, vectorBit);
        add(stream, Opcode::Silu,
            {ref(temp, 0), ref(temp, 0), tile, 64, 64, 64}, 0, macBit, 0);
      }
    }
    stream.stages.push_back({"ffn", int32_t(layer), first,
                             uint32_t(stream.instructions.size())});
  }
  return writeStream(stream, path);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 4) {
    llvm::errs() << "usage: sim-stream-gen gemm CONFIG STREAM INPUTS\n"
                    "       sim-stream-gen synthetic CONFIG STREAM LAYERS "
                    "SEQUENCE HIDDEN\n";
    return 2;
  }
  llvm::Expected<hardware::HardwareConfig> config =
      hardware::loadHardwareConfig(argv[2]);
  if (!config) {
    llvm::errs() << "sim-stream-gen: " << llvm::toString(config.takeError())
                 << "\n";
    return 1;
  }
  std::string mode = argv[1];
  if (mode == "gemm" && argc == 5)
    return generateGemm(*config, argv[3], argv[4]);
  if (mode == "synthetic" && argc == 7)
    return generateSynthetic(*config, argv[3], unsigned(std::atoi(argv[4])),
                             unsigned(std::atoi(argv[5])),
                             unsigned(std::atoi(argv[6])));
  llvm::errs() << "sim-stream-gen: invalid arguments\n";
  return 2;
}
