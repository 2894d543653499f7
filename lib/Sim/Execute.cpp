//===- Execute.cpp - The functional model of the instruction set ----------===//
//
// Executes one instruction at a time on the DRAM image and the buffers,
// with the semantics of Isa.h. Every access goes through Memory::read and
// Memory::write, which check the range, require initialized bytes for a
// read, mark written bytes, count bytes for the energy model and record
// which instruction last wrote each buffer byte for the race check. The
// prediction opcodes call LapaPredict, so the simulator selects exactly the
// keys the prediction library selects.
//
//===----------------------------------------------------------------------===//

#include "SimInternal.h"

#include "lapa/Predict/Aloc.h"
#include "lapa/Predict/LogCode.h"
#include "lapa/Predict/Mrsa.h"
#include "lapa/Predict/Predictor.h"
#include "lapa/Sim/Arithmetic.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SwapByteOrder.h"

#include <cmath>
#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#endif
#include <cstring>
#include <numeric>

using namespace lapa;
using namespace lapa::sim;
using namespace lapa::sim::detail;
using isa::BufRef;
using isa::Instruction;
using isa::Opcode;

namespace {

/// Largest DRAM image the functional model allocates.
constexpr uint64_t kMaxFunctionalDramBytes = uint64_t(16) << 30;
constexpr uint32_t kNoWriter = UINT32_MAX;

template <typename T> T load(const uint8_t *p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}
template <typename T> void store(uint8_t *p, T value) {
  std::memcpy(p, &value, sizeof(T));
}

float floatOf(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

/// One byte-addressed memory: DRAM or a buffer.
struct Memory {
  std::string name;
  std::vector<uint8_t> bytes;
  /// One bit per byte: set once the byte has been written.
  std::vector<uint64_t> initialized;
  /// Index of the instruction that last wrote each byte (buffers only, when
  /// the race check is on).
  std::vector<uint32_t> lastWriter;

  void allocate(uint64_t size, bool trackWriters) {
    bytes.assign(size, 0);
    initialized.assign((size + 63) / 64, 0);
    if (trackWriters)
      lastWriter.assign(size, kNoWriter);
  }

  bool isInitialized(uint64_t begin, uint64_t end, uint64_t &firstBad) const {
    for (uint64_t b = begin; b < end;) {
      uint64_t word = initialized[b / 64];
      if ((b % 64) == 0 && end - b >= 64) {
        if (word != ~uint64_t(0)) {
          firstBad = b + __builtin_ctzll(~word);
          return false;
        }
        b += 64;
        continue;
      }
      if (!((word >> (b % 64)) & 1)) {
        firstBad = b;
        return false;
      }
      ++b;
    }
    return true;
  }

  void markInitialized(uint64_t begin, uint64_t end) {
    for (uint64_t b = begin; b < end;) {
      if ((b % 64) == 0 && end - b >= 64) {
        initialized[b / 64] = ~uint64_t(0);
        b += 64;
        continue;
      }
      initialized[b / 64] |= uint64_t(1) << (b % 64);
      ++b;
    }
  }
};

} // namespace

struct Executor::Impl {
  const isa::StreamFile &stream;
  const hardware::HardwareConfig &config;
  std::vector<predict::PredictorConfig> records;
  bool checkRaces;

  Memory dram;
  std::vector<Memory> buffers;
  std::vector<Dependency> dependencies;
  /// Logit scale of the topk that follows each filter (by instruction
  /// index), for the threshold form of the safe-bound filter.
  llvm::DenseMap<uint32_t, float> filterLogitScales;

  // State of the instruction being executed.
  uint64_t index = 0;
  const Instruction *inst = nullptr;
  isa::Unit unit = isa::Unit::Dma;
  ActionCounts *actions = nullptr;

  Impl(const isa::StreamFile &stream, const hardware::HardwareConfig &config,
       std::vector<predict::PredictorConfig> records, bool checkRaces)
      : stream(stream), config(config), records(std::move(records)),
        checkRaces(checkRaces) {}

  llvm::Error fail(const llvm::Twine &message) {
    return instructionError(index, *inst, message);
  }

  //===--------------------------------------------------------------------===//
  // Memory access
  //===--------------------------------------------------------------------===//

  llvm::Expected<Memory *> bufferOf(uint32_t word, llvm::StringRef operand) {
    if (word == isa::kNoBuffer)
      return fail(llvm::formatv("operand '{0}' is absent but required",
                                operand));
    BufRef ref = BufRef::unpack(word);
    if (ref.buffer >= buffers.size())
      return fail(llvm::formatv(
          "operand '{0}' names buffer {1}, but the configuration has {2} "
          "buffers",
          operand, unsigned(ref.buffer), buffers.size()));
    return &buffers[ref.buffer];
  }

  /// Checks rows x rowBytes at `offset` with `stride` inside `memory` and
  /// returns the span end, or an error naming the operand.
  llvm::Error checkRange(const Memory &memory, uint64_t offset, uint64_t rows,
                         uint64_t rowBytes, uint64_t stride,
                         llvm::StringRef operand) {
    if (rows == 0 || rowBytes == 0)
      return llvm::Error::success();
    // end = offset + (rows - 1) * stride + rowBytes, without overflow.
    uint64_t size = memory.bytes.size();
    bool overflow = false;
    uint64_t end = offset;
    if (rows > 1) {
      if (stride != 0 && rows - 1 > (UINT64_MAX - end) / stride)
        overflow = true;
      else
        end += (rows - 1) * stride;
    }
    if (!overflow && rowBytes > UINT64_MAX - end)
      overflow = true;
    else
      end += rowBytes;
    if (overflow || end > size)
      return fail(llvm::formatv(
          "operand '{0}' accesses {1} rows of {2} bytes with stride {3} at "
          "offset {4} of {5}, past its size of {6} bytes",
          operand, rows, rowBytes, stride, offset, memory.name, size));
    return llvm::Error::success();
  }

  /// Checks and returns the bytes of a strided read.
  llvm::Expected<const uint8_t *> read(Memory &memory, bool isDram,
                                       uint64_t offset, uint64_t rows,
                                       uint64_t rowBytes, uint64_t stride,
                                       llvm::StringRef operand) {
    if (llvm::Error error =
            checkRange(memory, offset, rows, rowBytes, stride, operand))
      return std::move(error);
    for (uint64_t r = 0; r < rows; ++r) {
      uint64_t begin = offset + r * stride;
      uint64_t bad = 0;
      if (!memory.isInitialized(begin, begin + rowBytes, bad))
        return fail(llvm::formatv(
            "operand '{0}' reads byte {1} of {2}, which nothing has written; "
            "load or compute it before this instruction",
            operand, bad, memory.name));
      if (!memory.lastWriter.empty())
        recordDependencies(memory, begin, begin + rowBytes);
    }
    countBytes(memory, isDram, rows * rowBytes, /*write=*/false);
    return memory.bytes.data() + offset;
  }

  llvm::Expected<uint8_t *> write(Memory &memory, bool isDram, uint64_t offset,
                                  uint64_t rows, uint64_t rowBytes,
                                  uint64_t stride, llvm::StringRef operand) {
    if (llvm::Error error =
            checkRange(memory, offset, rows, rowBytes, stride, operand))
      return std::move(error);
    for (uint64_t r = 0; r < rows; ++r) {
      uint64_t begin = offset + r * stride;
      memory.markInitialized(begin, begin + rowBytes);
      if (!memory.lastWriter.empty())
        std::fill(memory.lastWriter.begin() + begin,
                  memory.lastWriter.begin() + begin + rowBytes,
                  uint32_t(index));
    }
    countBytes(memory, isDram, rows * rowBytes, /*write=*/true);
    return memory.bytes.data() + offset;
  }

  void countBytes(const Memory &memory, bool isDram, uint64_t bytes,
                  bool isWrite) {
    if (isDram) {
      (isWrite ? actions->dramWriteBytes : actions->dramReadBytes) += bytes;
      return;
    }
    size_t buffer = &memory - buffers.data();
    (isWrite ? actions->bufferWriteBytes : actions->bufferReadBytes)[buffer] +=
        bytes;
  }

  void recordDependencies(const Memory &memory, uint64_t begin, uint64_t end) {
    uint8_t buffer = uint8_t(&memory - buffers.data());
    const uint32_t *writers = memory.lastWriter.data();
    uint32_t previous = kNoWriter;
    for (uint64_t b = begin; b < end; ++b) {
      // Skip runs of the same writer eight bytes at a time; a tile written
      // by one instruction is one long run.
      while (b + 8 <= end) {
        uint32_t differ = 0;
        for (unsigned i = 0; i < 8; ++i)
          differ |= writers[b + i] ^ previous;
        if (differ)
          break;
        b += 8;
      }
      if (b >= end)
        break;
      uint32_t writer = writers[b];
      if (writer == previous)
        continue;
      previous = writer;
      if (writer == kNoWriter)
        continue;
      if (isa::opcodeUnit(stream.instructions[writer].opcode()) == unit)
        continue;
      if (!dependencies.empty() && dependencies.back().reader == index &&
          dependencies.back().writer == writer)
        continue;
      dependencies.push_back({uint32_t(index), writer, buffer, b});
    }
  }

  /// Reads a buffer operand of rows x cols elements of `elementBytes` with a
  /// row stride of `ld` elements.
  llvm::Expected<const uint8_t *> readMatrix(unsigned word, uint64_t rows,
                                             uint64_t cols,
                                             unsigned elementBytes,
                                             uint64_t ld,
                                             llvm::StringRef operand) {
    llvm::Expected<Memory *> memory = bufferOf(inst->words[word], operand);
    if (!memory)
      return memory.takeError();
    return read(**memory, false, BufRef::unpack(inst->words[word]).offset,
                rows, cols * elementBytes, ld * elementBytes, operand);
  }

  llvm::Expected<uint8_t *> writeMatrix(unsigned word, uint64_t rows,
                                        uint64_t cols, unsigned elementBytes,
                                        uint64_t ld, llvm::StringRef operand) {
    llvm::Expected<Memory *> memory = bufferOf(inst->words[word], operand);
    if (!memory)
      return memory.takeError();
    return write(**memory, false, BufRef::unpack(inst->words[word]).offset,
                 rows, cols * elementBytes, ld * elementBytes, operand);
  }

  /// Reads an optional f32 vector; returns null when the word is kNoBuffer.
  llvm::Expected<const float *> readOptionalVector(unsigned word,
                                                   uint64_t count,
                                                   llvm::StringRef operand,
                                                   std::vector<float> &copy) {
    if (inst->words[word] == isa::kNoBuffer)
      return nullptr;
    llvm::Expected<const uint8_t *> bytes =
        readMatrix(word, 1, count, 4, count, operand);
    if (!bytes)
      return bytes.takeError();
    copy.resize(count);
    std::memcpy(copy.data(), *bytes, count * 4);
    return copy.data();
  }

  /// Returns the predictor record named by word `word`.
  llvm::Expected<const predict::PredictorConfig *> record(unsigned word) {
    uint32_t recordIndex = inst->words[word];
    if (recordIndex >= records.size())
      return fail(llvm::formatv(
          "predictor record {0} does not exist; the stream has {1}",
          recordIndex, records.size()));
    return &records[recordIndex];
  }

  //===--------------------------------------------------------------------===//
  // Opcodes
  //===--------------------------------------------------------------------===//

  llvm::Error executeDma(DataSizes &sizes);
  llvm::Error executeGemm(DataSizes &sizes);
  llvm::Error executeSddmm(DataSizes &sizes);
  llvm::Error executeSpmm(DataSizes &sizes);
  llvm::Error executeSoftmax(DataSizes &sizes);
  llvm::Error executeDequant();
  llvm::Error executeQuant();
  llvm::Error executeElementwise();
  llvm::Error executeNorm();
  llvm::Error executeActivation();
  llvm::Error executeRope();
  llvm::Error executeLogEncode();
  llvm::Error executeKeyPredict();
  llvm::Error executeShiftAccumulate(DataSizes &sizes);
  llvm::Error executeFilter(DataSizes &sizes, bool final);
  llvm::Error executePredict(DataSizes &sizes);
  llvm::Error executeImportance(DataSizes &sizes);

  /// Reads the needed-token bitmap that topk and predict OR into. Bytes
  /// that were never written read as zero.
  ///
  /// NOTE: this is the one exception to the uninitialized-read check. No
  /// unit that writes the speculation buffer can clear a bitmap, so the
  /// first selection of a layer starts from an empty set instead.
  llvm::Expected<std::vector<uint8_t>> readNeededSet(Memory &memory,
                                                     uint64_t offset,
                                                     uint64_t bytes) {
    if (llvm::Error error =
            checkRange(memory, offset, 1, bytes, bytes, "needed"))
      return std::move(error);
    std::vector<uint8_t> values(bytes, 0);
    for (uint64_t b = 0; b < bytes; ++b) {
      uint64_t bad = 0;
      if (memory.isInitialized(offset + b, offset + b + 1, bad))
        values[b] = memory.bytes[offset + b];
    }
    if (!memory.lastWriter.empty())
      recordDependencies(memory, offset, offset + bytes);
    countBytes(memory, false, bytes, /*write=*/false);
    return values;
  }

  // Shared by the MRSA opcodes.
  llvm::Error readQueryCodes(const predict::PredictorConfig &record,
                             uint64_t m, uint64_t d,
                             std::vector<predict::LogCode> &codes);
  llvm::Error checkAccumulator(int64_t value, llvm::StringRef what);
};

Executor::Executor(const isa::StreamFile &stream,
                   const hardware::HardwareConfig &config,
                   std::vector<predict::PredictorConfig> records,
                   bool checkRaces)
    : impl(std::make_unique<Impl>(stream, config, std::move(records),
                                  checkRaces)) {}
Executor::~Executor() = default;

std::vector<std::vector<uint8_t>> Executor::bufferContents() const {
  std::vector<std::vector<uint8_t>> contents;
  for (const Memory &buffer : impl->buffers)
    contents.push_back(buffer.bytes);
  return contents;
}

const std::vector<Dependency> &Executor::dependencies() const {
  return impl->dependencies;
}

//===----------------------------------------------------------------------===//
// Initialization and outputs
//===----------------------------------------------------------------------===//

llvm::Error Executor::initialize(const TensorBindings &bindings) {
  Impl &s = *impl;
  uint64_t dramBytes = s.stream.dramBytes();
  if (dramBytes > kMaxFunctionalDramBytes)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("the memory map spans {0} bytes of DRAM, above the "
                      "functional model's limit of {1} bytes; run with "
                      "--timing-only",
                      dramBytes, kMaxFunctionalDramBytes)
            .str());
  s.dram.name = "DRAM";
  s.dram.allocate(dramBytes, false);
  s.buffers.resize(s.config.buffers.size());
  for (size_t b = 0; b < s.buffers.size(); ++b) {
    s.buffers[b].name = "buffer " + s.config.buffers[b].name;
    s.buffers[b].allocate(s.config.buffers[b].bytes, s.checkRaces);
  }

  for (const isa::TensorInfo &tensor : s.stream.tensors) {
    uint64_t size = tensor.byteSize();
    uint8_t *target = s.dram.bytes.data() + tensor.dramAddress;
    if (tensor.constantOffset != UINT64_MAX) {
      std::memcpy(target, s.stream.constants.data() + tensor.constantOffset,
                  size);
      s.dram.markInitialized(tensor.dramAddress, tensor.dramAddress + size);
      continue;
    }
    bool bindable = tensor.role == isa::TensorRole::Input ||
                    tensor.role == isa::TensorRole::Weight;
    if (!bindable)
      continue;
    auto found = bindings.find(tensor.name);
    if (found == bindings.end())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("missing binding for {0} tensor '{1}' ({2} {3}); "
                        "pass a safetensors file that contains it with "
                        "--input",
                        isa::tensorRoleName(tensor.role), tensor.name,
                        isa::elementTypeName(tensor.type),
                        support::TensorInfo{"", {}, tensor.shape, 0, 0}
                            .shapeString())
              .str());
    const support::TensorData &data = *found->second;
    support::DType expected = dtypeOf(tensor.type);
    if (data.dtype != expected || data.shape != tensor.shape) {
      support::TensorInfo want{"", expected, tensor.shape, 0, 0};
      support::TensorInfo got{"", data.dtype, data.shape, 0, 0};
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("tensor '{0}' is bound as {1} {2}, but the stream "
                        "expects {3} {4}; convert the tensor to that dtype "
                        "and shape",
                        tensor.name, support::dtypeName(data.dtype),
                        got.shapeString(), support::dtypeName(expected),
                        want.shapeString())
              .str());
    }
    std::memcpy(target, data.bytes.data(), size);
    s.dram.markInitialized(tensor.dramAddress, tensor.dramAddress + size);
  }

  // The safe-bound filter in threshold mode needs the logit scale, which
  // only the topk that ends the same prediction carries.
  llvm::DenseMap<uint64_t, float> nextScale;
  for (size_t i = s.stream.instructions.size(); i-- > 0;) {
    const Instruction &inst = s.stream.instructions[i];
    if (inst.opcode() == Opcode::TopK)
      nextScale[uint64_t(inst.words[10]) << 32 | inst.words[2]] =
          floatOf(inst.words[12]);
    else if (inst.opcode() == Opcode::Filter) {
      auto found = nextScale.find(uint64_t(inst.words[10]) << 32 |
                                  inst.words[9]);
      if (found != nextScale.end())
        s.filterLogitScales[uint32_t(i)] = found->second;
    }
  }
  return llvm::Error::success();
}

llvm::Error
Executor::collectOutputs(std::vector<support::TensorData> &outputs) {
  Impl &s = *impl;
  for (const isa::TensorInfo &tensor : s.stream.tensors) {
    if (tensor.role != isa::TensorRole::Output)
      continue;
    uint64_t size = tensor.byteSize();
    uint64_t bad = 0;
    if (!s.dram.isInitialized(tensor.dramAddress, tensor.dramAddress + size,
                              bad))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("output tensor '{0}' was not completely written: "
                        "DRAM byte {1} (offset {2} in the tensor) was never "
                        "stored",
                        tensor.name, bad, bad - tensor.dramAddress)
              .str());
    support::TensorData data;
    data.name = tensor.name;
    data.dtype = dtypeOf(tensor.type);
    data.shape = tensor.shape;
    data.bytes.assign(s.dram.bytes.begin() + tensor.dramAddress,
                      s.dram.bytes.begin() + tensor.dramAddress + size);
    outputs.push_back(std::move(data));
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

llvm::Error Executor::execute(uint64_t index, DataSizes &sizes,
                              ActionCounts &actions) {
  Impl &s = *impl;
  s.index = index;
  s.inst = &s.stream.instructions[index];
  s.unit = isa::opcodeUnit(s.inst->opcode());
  s.actions = &actions;

  switch (s.inst->opcode()) {
  case Opcode::Load:
  case Opcode::Store:
  case Opcode::LoadRows:
    return s.executeDma(sizes);
  case Opcode::Gemm:
    return s.executeGemm(sizes);
  case Opcode::Sddmm:
    return s.executeSddmm(sizes);
  case Opcode::Spmm:
    return s.executeSpmm(sizes);
  case Opcode::Softmax:
    return s.executeSoftmax(sizes);
  case Opcode::Dequant:
    return s.executeDequant();
  case Opcode::Quant:
    return s.executeQuant();
  case Opcode::Add:
  case Opcode::Mul:
    return s.executeElementwise();
  case Opcode::RmsNorm:
  case Opcode::LayerNorm:
    return s.executeNorm();
  case Opcode::Silu:
  case Opcode::Gelu:
  case Opcode::Relu:
    return s.executeActivation();
  case Opcode::Rope:
    return s.executeRope();
  case Opcode::LogEncode:
    return s.executeLogEncode();
  case Opcode::KeyPredict:
    return s.executeKeyPredict();
  case Opcode::ShiftAccumulate:
    return s.executeShiftAccumulate(sizes);
  case Opcode::Filter:
    return s.executeFilter(sizes, /*final=*/false);
  case Opcode::TopK:
    return s.executeFilter(sizes, /*final=*/true);
  case Opcode::Predict:
    return s.executePredict(sizes);
  case Opcode::Importance:
    return s.executeImportance(sizes);
  }
  return s.fail("invalid opcode");
}

//===----------------------------------------------------------------------===//
// DMA
//===----------------------------------------------------------------------===//

llvm::Error Executor::Impl::executeDma(DataSizes &) {
  const auto &w = inst->words;
  uint64_t address = inst->dramAddress();
  uint64_t rows = w[4], rowBytes = w[5], dramStride = w[6], bufStride = w[7];
  llvm::Expected<Memory *> buffer = bufferOf(w[3], "buffer");
  if (!buffer)
    return buffer.takeError();
  uint64_t offset = BufRef::unpack(w[3]).offset;

  if (inst->opcode() == Opcode::Load) {
    llvm::Expected<const uint8_t *> source =
        read(dram, true, address, rows, rowBytes, dramStride, "dram");
    if (!source)
      return source.takeError();
    llvm::Expected<uint8_t *> target =
        write(**buffer, false, offset, rows, rowBytes, bufStride, "dst");
    if (!target)
      return target.takeError();
    for (uint64_t r = 0; r < rows; ++r)
      std::memcpy(*target + r * bufStride, *source + r * dramStride, rowBytes);
    return llvm::Error::success();
  }

  if (inst->opcode() == Opcode::Store) {
    llvm::Expected<const uint8_t *> source =
        read(**buffer, false, offset, rows, rowBytes, bufStride, "src");
    if (!source)
      return source.takeError();
    llvm::Expected<uint8_t *> target =
        write(dram, true, address, rows, rowBytes, dramStride, "dram");
    if (!target)
      return target.takeError();
    for (uint64_t r = 0; r < rows; ++r)
      std::memcpy(*target + r * dramStride, *source + r * bufStride, rowBytes);
    return llvm::Error::success();
  }

  // LoadRows: the i32 index vector selects each row's DRAM address.
  llvm::Expected<const uint8_t *> indexBytes =
      readMatrix(8, 1, rows, 4, rows, "indices");
  if (!indexBytes)
    return indexBytes.takeError();
  std::vector<int32_t> indices(rows);
  std::memcpy(indices.data(), *indexBytes, rows * 4);
  uint64_t limit = w[9];
  llvm::Expected<uint8_t *> target =
      write(**buffer, false, offset, rows, rowBytes, bufStride, "dst");
  if (!target)
    return target.takeError();
  for (uint64_t r = 0; r < rows; ++r) {
    int32_t row = indices[r];
    if (row < 0 || uint64_t(row) >= limit)
      return fail(llvm::formatv(
          "index {0} (row {1} of the index vector) is outside [0, {2}); the "
          "token id must be below the table's row count",
          row, r, limit));
    llvm::Expected<const uint8_t *> source = read(
        dram, true, address + uint64_t(row) * dramStride, 1, rowBytes,
        rowBytes, "dram");
    if (!source)
      return source.takeError();
    std::memcpy(*target + r * bufStride, *source, rowBytes);
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// MAC array
//===----------------------------------------------------------------------===//

llvm::Error Executor::Impl::checkAccumulator(int64_t value,
                                             llvm::StringRef what) {
  unsigned bits = unsigned(config.executionUnit.macArray.accumulatorBits);
  if (predict::fitsSigned(value, bits))
    return llvm::Error::success();
  return fail(llvm::formatv(
      "{0} is {1}, outside the {2}-bit accumulator of the MAC array "
      "(execution_unit.mac_array.accumulator_bits); split K or widen the "
      "accumulator",
      what, value, bits));
}

// The exact int16 dot product of the GEMM kernel. The AVX2 version is the
// same loop compiled for wider vectors; integer sums make both give the same
// result, so choosing at run time keeps the simulation bit-exact.
static int32_t dotInt16Generic(const int16_t *a, const int16_t *b,
                               uint64_t k) {
  int32_t sum = 0;
  for (uint64_t t = 0; t < k; ++t)
    sum += int32_t(a[t]) * int32_t(b[t]);
  return sum;
}

#if defined(__x86_64__) && defined(__clang__)
// vpmaddwd multiplies 16 int16 pairs and adds neighbours into 8 int32
// lanes; with |a|, |b| <= 128 no lane can overflow before the final sum,
// whose bound the caller checked.
__attribute__((target("avx2"))) static int32_t
dotInt16Avx2(const int16_t *a, const int16_t *b, uint64_t k) {
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  uint64_t t = 0;
  for (; t + 32 <= k; t += 32) {
    __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a + t));
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + t));
    __m256i a1 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a + t + 16));
    __m256i b1 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + t + 16));
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a0, b0));
    acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(a1, b1));
  }
  __m256i acc = _mm256_add_epi32(acc0, acc1);
  __m128i half = _mm_add_epi32(_mm256_castsi256_si128(acc),
                               _mm256_extracti128_si256(acc, 1));
  half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0x4e));
  half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0xb1));
  int32_t sum = _mm_cvtsi128_si32(half);
  for (; t < k; ++t)
    sum += int32_t(a[t]) * int32_t(b[t]);
  return sum;
}
#endif

#if defined(__x86_64__) && defined(__clang__)
// Four dot products of one A row against four B columns, which shares
// each A load among four multiplies.
__attribute__((target("avx2"))) static void
dotInt16x4Avx2(const int16_t *a, const int16_t *b, uint64_t k, int32_t *out) {
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_setzero_si256(), _mm256_setzero_si256()};
  uint64_t t = 0;
  for (; t + 16 <= k; t += 16) {
    __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a + t));
    for (int c = 0; c < 4; ++c) {
      __m256i bv = _mm256_loadu_si256(
          reinterpret_cast<const __m256i *>(b + c * k + t));
      acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(av, bv));
    }
  }
  for (int c = 0; c < 4; ++c) {
    __m128i half = _mm_add_epi32(_mm256_castsi256_si128(acc[c]),
                                 _mm256_extracti128_si256(acc[c], 1));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0x4e));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0xb1));
    int32_t sum = _mm_cvtsi128_si32(half);
    for (uint64_t r = t; r < k; ++r)
      sum += int32_t(a[r]) * int32_t(b[c * k + r]);
    out[c] = sum;
  }
}
#endif

/// Four consecutive columns starting at `b` (column stride k).
static void dotInt16x4(const int16_t *a, const int16_t *b, uint64_t k,
                       int32_t *out) {
#if defined(__x86_64__) && defined(__clang__)
  static const bool hasAvx2 = __builtin_cpu_supports("avx2");
  if (hasAvx2)
    return dotInt16x4Avx2(a, b, k, out);
#endif
  for (int c = 0; c < 4; ++c)
    out[c] = dotInt16Generic(a, b + c * k, k);
}

static int32_t dotInt16(const int16_t *a, const int16_t *b, uint64_t k) {
#if defined(__x86_64__) && defined(__clang__)
  static const bool hasAvx2 = __builtin_cpu_supports("avx2");
  if (hasAvx2)
    return dotInt16Avx2(a, b, k);
#endif
  return dotInt16Generic(a, b, k);
}

llvm::Error Executor::Impl::executeGemm(DataSizes &sizes) {
  const auto &w = inst->words;
  uint64_t m = w[4], n = w[5], k = w[6], lda = w[7], ldb = w[8], ldc = w[9];
  bool transB = inst->hasFlag(isa::TransB);
  bool accumulate = inst->hasFlag(isa::Accumulate);

  // Rows the gather bitmap keeps.
  std::vector<uint8_t> active(m, 1);
  if (inst->hasFlag(isa::Gather)) {
    uint64_t firstBit = w[11];
    uint64_t lastBit = firstBit + m;
    llvm::Expected<Memory *> maskMemory = bufferOf(w[10], "row_mask");
    if (!maskMemory)
      return maskMemory.takeError();
    uint64_t maskOffset = BufRef::unpack(w[10]).offset + firstBit / 8;
    uint64_t maskBytes = (lastBit + 7) / 8 - firstBit / 8;
    llvm::Expected<const uint8_t *> mask = read(
        **maskMemory, false, maskOffset, 1, maskBytes, maskBytes, "row_mask");
    if (!mask)
      return mask.takeError();
    for (uint64_t i = 0; i < m; ++i) {
      uint64_t bit = firstBit + i - (firstBit / 8) * 8;
      active[i] = ((*mask)[bit / 8] >> (bit % 8)) & 1;
    }
  }
  sizes.activeRows = std::accumulate(active.begin(), active.end(), uint64_t(0));

  llvm::Expected<Memory *> aMemory = bufferOf(w[1], "a");
  if (!aMemory)
    return aMemory.takeError();
  llvm::Expected<const uint8_t *> b =
      transB ? readMatrix(2, n, k, 1, ldb, "b") : readMatrix(2, k, n, 1, ldb, "b");
  if (!b)
    return b.takeError();
  std::vector<int32_t> initial;
  if (accumulate) {
    llvm::Expected<const uint8_t *> c = readMatrix(3, m, n, 4, ldc, "c");
    if (!c)
      return c.takeError();
  }
  llvm::Expected<Memory *> cMemory = bufferOf(w[3], "c");
  if (!cMemory)
    return cMemory.takeError();
  uint64_t aOffset = BufRef::unpack(w[1]).offset;
  uint64_t cOffset = BufRef::unpack(w[3]).offset;
  if (llvm::Error error = checkRange(**aMemory, aOffset, m, k, lda, "a"))
    return error;
  if (llvm::Error error = checkRange(**cMemory, cOffset, m, n * 4, ldc * 4, "c"))
    return error;

  // With |a|, |b| <= 128 every partial sum is bounded by 128 * 128 * K plus
  // the initial value. When that bound fits the accumulator, int32 sums need
  // no per-step check.
  unsigned bits = unsigned(config.executionUnit.macArray.accumulatorBits);
  bool boundFits = k <= (uint64_t(1) << 40) &&
                   predict::fitsSigned(int64_t(16384) * int64_t(k) +
                                           (accumulate ? INT32_MAX : 0),
                                       std::min(bits, 32u));
  std::vector<int64_t> row(n);
  std::vector<int32_t> row32(n);
  std::vector<int16_t> bColumns, aRow16;
  for (uint64_t i = 0; i < m; ++i) {
    uint8_t *cRow = (*cMemory)->bytes.data() + cOffset + i * ldc * 4;
    if (!active[i]) {
      if (!accumulate) {
        llvm::Expected<uint8_t *> zero =
            write(**cMemory, false, cOffset + i * ldc * 4, 1, n * 4, n * 4, "c");
        if (!zero)
          return zero.takeError();
        std::memset(cRow, 0, n * 4);
      }
      continue;
    }
    llvm::Expected<const uint8_t *> aRow =
        read(**aMemory, false, aOffset + i * lda, 1, k, k, "a");
    if (!aRow)
      return aRow.takeError();
    const int8_t *a = reinterpret_cast<const int8_t *>(*aRow);
    const int8_t *bBase = reinterpret_cast<const int8_t *>(*b);

    if (boundFits) {
      // B's columns, widened to int16 once per instruction, and A's row
      // turn every output into one contiguous int16 dot product.
      if (bColumns.empty()) {
        bColumns.resize(n * k);
        for (uint64_t j = 0; j < n; ++j)
          for (uint64_t t = 0; t < k; ++t)
            bColumns[j * k + t] =
                transB ? bBase[j * ldb + t] : bBase[t * ldb + j];
      }
      aRow16.resize(k);
      for (uint64_t t = 0; t < k; ++t)
        aRow16[t] = a[t];
      uint64_t j = 0;
      for (; j + 4 <= n; j += 4) {
        int32_t sums[4];
        dotInt16x4(aRow16.data(), bColumns.data() + j * k, k, sums);
        for (int c = 0; c < 4; ++c)
          row32[j + c] =
              (accumulate ? load<int32_t>(cRow + (j + c) * 4) : 0) + sums[c];
      }
      for (; j < n; ++j) {
        int32_t sum = dotInt16(aRow16.data(), bColumns.data() + j * k, k);
        row32[j] = (accumulate ? load<int32_t>(cRow + j * 4) : 0) + sum;
      }
      if (bits < 32)
        for (uint64_t j = 0; j < n; ++j)
          if (llvm::Error error = checkAccumulator(
                  row32[j], llvm::formatv("C[{0}, {1}]", i, j).str()))
            return error;
      for (uint64_t j = 0; j < n; ++j)
        store<int32_t>(cRow + j * 4, row32[j]);
    } else {
      // Checked path: every partial sum against the accumulator width.
      for (uint64_t j = 0; j < n; ++j) {
        int64_t sum = accumulate ? load<int32_t>(cRow + j * 4) : 0;
        for (uint64_t t = 0; t < k; ++t) {
          int8_t bv = transB ? bBase[j * ldb + t] : bBase[t * ldb + j];
          sum += int64_t(a[t]) * bv;
          if (!predict::fitsSigned(sum, bits))
            return checkAccumulator(
                sum, llvm::formatv("C[{0}, {1}] after term {2}", i, j, t).str());
        }
        if (sum < INT32_MIN || sum > INT32_MAX)
          return fail(llvm::formatv("C[{0}, {1}] = {2} does not fit i32", i, j,
                                    sum));
        store<int32_t>(cRow + j * 4, int32_t(sum));
      }
    }
    llvm::Expected<uint8_t *> written =
        write(**cMemory, false, cOffset + i * ldc * 4, 1, n * 4, n * 4, "c");
    if (!written)
      return written.takeError();
  }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeSddmm(DataSizes &sizes) {
  const auto &w = inst->words;
  uint64_t m = w[4], t = w[5], k = w[6], lda = w[7], ldb = w[8], ldc = w[9];
  uint64_t keyBase = w[11];
  llvm::Expected<const uint8_t *> a = readMatrix(1, m, k, 1, lda, "a");
  if (!a)
    return a.takeError();
  llvm::Expected<const uint8_t *> indexBytes =
      readMatrix(10, m, t, 2, t, "indices");
  if (!indexBytes)
    return indexBytes.takeError();
  llvm::Expected<Memory *> bMemory = bufferOf(w[2], "b");
  if (!bMemory)
    return bMemory.takeError();
  uint64_t bOffset = BufRef::unpack(w[2]).offset;
  llvm::Expected<uint8_t *> s = writeMatrix(3, m, t, 4, ldc, "s");
  if (!s)
    return s.takeError();

  for (uint64_t i = 0; i < m; ++i) {
    const int8_t *aRow = reinterpret_cast<const int8_t *>(*a + i * lda);
    for (uint64_t slot = 0; slot < t; ++slot) {
      uint16_t key = load<uint16_t>(*indexBytes + (i * t + slot) * 2);
      uint8_t *out = *s + (i * ldc + slot) * 4;
      if (key == isa::kNoIndex) {
        store<int32_t>(out, INT32_MIN);
        continue;
      }
      if (key < keyBase)
        return fail(llvm::formatv(
            "index {0} at row {1}, slot {2} is below the key base {3}", key, i,
            slot, keyBase));
      ++sizes.validEntries;
      llvm::Expected<const uint8_t *> bRow =
          read(**bMemory, false, bOffset + (key - keyBase) * ldb, 1, k, k, "b");
      if (!bRow)
        return bRow.takeError();
      const int8_t *b = reinterpret_cast<const int8_t *>(*bRow);
      int64_t sum = 0;
      for (uint64_t c = 0; c < k; ++c)
        sum += int64_t(aRow[c]) * b[c];
      if (llvm::Error error = checkAccumulator(
              sum, llvm::formatv("S[{0}, {1}]", i, slot).str()))
        return error;
      store<int32_t>(out, int32_t(sum));
    }
  }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeSpmm(DataSizes &sizes) {
  const auto &w = inst->words;
  uint64_t m = w[4], n = w[5], t = w[6], lda = w[7], ldb = w[8], ldc = w[9];
  uint64_t keyBase = w[11];
  bool accumulate = inst->hasFlag(isa::Accumulate);
  llvm::Expected<const uint8_t *> p = readMatrix(1, m, t, 1, lda, "p");
  if (!p)
    return p.takeError();
  llvm::Expected<const uint8_t *> indexBytes =
      readMatrix(10, m, t, 2, t, "indices");
  if (!indexBytes)
    return indexBytes.takeError();
  if (accumulate) {
    llvm::Expected<const uint8_t *> old = readMatrix(3, m, n, 4, ldc, "o");
    if (!old)
      return old.takeError();
  }
  llvm::Expected<Memory *> bMemory = bufferOf(w[2], "b");
  if (!bMemory)
    return bMemory.takeError();
  uint64_t bOffset = BufRef::unpack(w[2]).offset;
  llvm::Expected<uint8_t *> o = writeMatrix(3, m, n, 4, ldc, "o");
  if (!o)
    return o.takeError();

  std::vector<int64_t> sums(n);
  for (uint64_t i = 0; i < m; ++i) {
    uint8_t *oRow = *o + i * ldc * 4;
    for (uint64_t j = 0; j < n; ++j)
      sums[j] = accumulate ? load<int32_t>(oRow + j * 4) : 0;
    for (uint64_t slot = 0; slot < t; ++slot) {
      uint16_t key = load<uint16_t>(*indexBytes + (i * t + slot) * 2);
      if (key == isa::kNoIndex)
        continue;
      if (key < keyBase)
        return fail(llvm::formatv(
            "index {0} at row {1}, slot {2} is below the key base {3}", key, i,
            slot, keyBase));
      ++sizes.validEntries;
      llvm::Expected<const uint8_t *> bRow =
          read(**bMemory, false, bOffset + (key - keyBase) * ldb, 1, n, n, "b");
      if (!bRow)
        return bRow.takeError();
      int64_t weight = int8_t((*p)[i * lda + slot]);
      const int8_t *b = reinterpret_cast<const int8_t *>(*bRow);
      for (uint64_t j = 0; j < n; ++j)
        sums[j] += weight * b[j];
    }
    for (uint64_t j = 0; j < n; ++j) {
      if (llvm::Error error = checkAccumulator(
              sums[j], llvm::formatv("O[{0}, {1}]", i, j).str()))
        return error;
      store<int32_t>(oRow + j * 4, int32_t(sums[j]));
    }
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Softmax and vector units
//===----------------------------------------------------------------------===//

llvm::Error Executor::Impl::executeSoftmax(DataSizes &sizes) {
  const auto &w = inst->words;
  uint64_t m = w[3], t = w[4];
  float scale = floatOf(w[5]);
  llvm::Expected<const uint8_t *> s = readMatrix(1, m, t, 4, t, "s");
  if (!s)
    return s.takeError();
  std::vector<float> rowScaleCopy;
  llvm::Expected<const float *> rowScale =
      readOptionalVector(6, m, "row_scale", rowScaleCopy);
  if (!rowScale)
    return rowScale.takeError();
  llvm::Expected<uint8_t *> p = writeMatrix(2, m, t, 4, t, "p");
  if (!p)
    return p.takeError();

  std::vector<float> row(t);
  std::vector<uint8_t> valid(t);
  for (uint64_t i = 0; i < m; ++i) {
    for (uint64_t c = 0; c < t; ++c) {
      int32_t score = load<int32_t>(*s + (i * t + c) * 4);
      valid[c] = score != INT32_MIN;
      sizes.validEntries += valid[c];
      float logit = float(score);
      if (*rowScale)
        logit = logit * (*rowScale)[i];
      row[c] = logit * scale;
    }
    softmaxRow(row.data(), valid.data(), unsigned(t));
    std::memcpy(*p + i * t * 4, row.data(), t * 4);
  }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeImportance(DataSizes &sizes) {
  const auto &w = inst->words;
  uint64_t m = w[4], t = w[5], n = w[6], keyBase = w[7];
  llvm::Expected<const uint8_t *> p = readMatrix(1, m, t, 4, t, "p");
  if (!p)
    return p.takeError();
  llvm::Expected<const uint8_t *> indexBytes =
      readMatrix(2, m, t, 2, t, "indices");
  if (!indexBytes)
    return indexBytes.takeError();
  llvm::Expected<const uint8_t *> old = readMatrix(3, 1, n, 4, n, "sums");
  if (!old)
    return old.takeError();
  std::vector<float> sums(n);
  std::memcpy(sums.data(), *old, n * 4);
  for (uint64_t i = 0; i < m; ++i) {
    for (uint64_t slot = 0; slot < t; ++slot) {
      uint16_t key = load<uint16_t>(*indexBytes + (i * t + slot) * 2);
      if (key == isa::kNoIndex)
        continue;
      if (key < keyBase || key - keyBase >= n)
        return fail(llvm::formatv(
            "index {0} at row {1}, slot {2} is outside the {3} sums from key "
            "{4}",
            key, i, slot, n, keyBase));
      ++sizes.validEntries;
      sums[key - keyBase] += load<float>(*p + (i * t + slot) * 4);
    }
  }
  llvm::Expected<uint8_t *> out = writeMatrix(3, 1, n, 4, n, "sums");
  if (!out)
    return out.takeError();
  std::memcpy(*out, sums.data(), n * 4);
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeDequant() {
  const auto &w = inst->words;
  uint64_t m = w[3], n = w[4], ldx = w[8], ldy = w[9];
  float scale = floatOf(w[7]);
  bool accumulate = inst->hasFlag(isa::Accumulate);
  llvm::Expected<const uint8_t *> x = readMatrix(1, m, n, 4, ldx, "x");
  if (!x)
    return x.takeError();
  std::vector<float> rowCopy, colCopy;
  llvm::Expected<const float *> rowScale =
      readOptionalVector(5, m, "row_scale", rowCopy);
  if (!rowScale)
    return rowScale.takeError();
  llvm::Expected<const float *> colScale =
      readOptionalVector(6, n, "col_scale", colCopy);
  if (!colScale)
    return colScale.takeError();
  if (accumulate) {
    llvm::Expected<const uint8_t *> old = readMatrix(2, m, n, 4, ldy, "y");
    if (!old)
      return old.takeError();
  }
  llvm::Expected<uint8_t *> y = writeMatrix(2, m, n, 4, ldy, "y");
  if (!y)
    return y.takeError();
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) {
      float value = float(load<int32_t>(*x + (i * ldx + j) * 4));
      if (*rowScale)
        value = value * (*rowScale)[i];
      if (*colScale)
        value = value * (*colScale)[j];
      value = value * scale;
      uint8_t *out = *y + (i * ldy + j) * 4;
      if (accumulate)
        value = load<float>(out) + value;
      store<float>(out, value);
    }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeQuant() {
  const auto &w = inst->words;
  uint64_t m = w[3], n = w[4], bits = w[5], ldx = w[7], ldy = w[8];
  bool perTensor = inst->hasFlag(isa::PerTensor);
  if (bits < 2 || bits > 16)
    return fail(llvm::formatv("quantization width {0} is outside [2, 16]",
                              bits));
  unsigned elementBytes = bits <= 8 ? 1 : 4;
  llvm::Expected<const uint8_t *> x = readMatrix(1, m, n, 4, ldx, "x");
  if (!x)
    return x.takeError();
  llvm::Expected<uint8_t *> y = writeMatrix(2, m, n, elementBytes, ldy, "y");
  if (!y)
    return y.takeError();
  uint64_t scaleCount = perTensor ? 1 : m;
  uint8_t *scalesOut = nullptr;
  if (w[6] != isa::kNoBuffer) {
    llvm::Expected<uint8_t *> scales =
        writeMatrix(6, 1, scaleCount, 4, scaleCount, "scales");
    if (!scales)
      return scales.takeError();
    scalesOut = *scales;
  }

  const float maxLevel = float((1 << (bits - 1)) - 1);
  auto absMax = [&](uint64_t firstRow, uint64_t rowCount,
                    float &result) -> llvm::Error {
    result = 0.0f;
    for (uint64_t i = firstRow; i < firstRow + rowCount; ++i)
      for (uint64_t j = 0; j < n; ++j) {
        float value = load<float>(*x + (i * ldx + j) * 4);
        if (!std::isfinite(value))
          return fail(llvm::formatv("X[{0}, {1}] is {2}, not a finite number",
                                    i, j, value));
        result = std::max(result, std::fabs(value));
      }
    return llvm::Error::success();
  };
  float scale = 1.0f;
  for (uint64_t i = 0; i < m; ++i) {
    if (!perTensor || i == 0) {
      float maxValue = 0;
      if (llvm::Error error =
              absMax(perTensor ? 0 : i, perTensor ? m : 1, maxValue))
        return error;
      scale = maxValue == 0.0f ? 1.0f : maxValue / maxLevel;
      if (scalesOut)
        store<float>(scalesOut + (perTensor ? 0 : i) * 4, scale);
    }
    for (uint64_t j = 0; j < n; ++j) {
      float value = load<float>(*x + (i * ldx + j) * 4);
      // nearbyint rounds half to even in the default rounding mode.
      float q = std::nearbyint(value / scale);
      q = std::min(std::max(q, -maxLevel), maxLevel);
      uint8_t *out = *y + (i * ldy + j) * elementBytes;
      if (elementBytes == 1)
        store<int8_t>(out, int8_t(q));
      else
        store<int32_t>(out, int32_t(q));
    }
  }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeElementwise() {
  const auto &w = inst->words;
  uint64_t m = w[4], n = w[5], lda = w[6], ldb = w[7], ldy = w[8];
  bool broadcast = inst->hasFlag(isa::RowBroadcast);
  llvm::Expected<const uint8_t *> a = readMatrix(1, m, n, 4, lda, "a");
  if (!a)
    return a.takeError();
  llvm::Expected<const uint8_t *> b =
      readMatrix(2, broadcast ? 1 : m, n, 4, ldb, "b");
  if (!b)
    return b.takeError();
  // Copy the inputs first: Y may alias A or B.
  std::vector<float> av(m * n), bv((broadcast ? 1 : m) * n);
  for (uint64_t i = 0; i < m; ++i)
    std::memcpy(&av[i * n], *a + i * lda * 4, n * 4);
  for (uint64_t i = 0; i < (broadcast ? 1 : m); ++i)
    std::memcpy(&bv[i * n], *b + i * ldb * 4, n * 4);
  llvm::Expected<uint8_t *> y = writeMatrix(3, m, n, 4, ldy, "y");
  if (!y)
    return y.takeError();
  bool multiply = inst->opcode() == Opcode::Mul;
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) {
      float lhs = av[i * n + j];
      float rhs = bv[(broadcast ? 0 : i) * n + j];
      store<float>(*y + (i * ldy + j) * 4, multiply ? lhs * rhs : lhs + rhs);
    }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeNorm() {
  const auto &w = inst->words;
  uint64_t m = w[4], n = w[5], ldx = w[7], ldy = w[8];
  float epsilon = floatOf(w[6]);
  bool layerNorm = inst->opcode() == Opcode::LayerNorm;
  llvm::Expected<const uint8_t *> x = readMatrix(1, m, n, 4, ldx, "x");
  if (!x)
    return x.takeError();
  std::vector<float> gain(n), bias;
  llvm::Expected<const uint8_t *> g = readMatrix(2, 1, n, 4, n, "gain");
  if (!g)
    return g.takeError();
  std::memcpy(gain.data(), *g, n * 4);
  if (layerNorm) {
    llvm::Expected<const uint8_t *> b = readMatrix(9, 1, n, 4, n, "bias");
    if (!b)
      return b.takeError();
    bias.resize(n);
    std::memcpy(bias.data(), *b, n * 4);
  }
  std::vector<float> rows(m * n);
  for (uint64_t i = 0; i < m; ++i)
    std::memcpy(&rows[i * n], *x + i * ldx * 4, n * 4);
  llvm::Expected<uint8_t *> y = writeMatrix(3, m, n, 4, ldy, "y");
  if (!y)
    return y.takeError();
  std::vector<float> out(n);
  for (uint64_t i = 0; i < m; ++i) {
    if (layerNorm)
      layerNormRow(&rows[i * n], gain.data(), bias.data(), out.data(),
                   unsigned(n), epsilon);
    else
      rmsNormRow(&rows[i * n], gain.data(), out.data(), unsigned(n), epsilon);
    std::memcpy(*y + i * ldy * 4, out.data(), n * 4);
  }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeActivation() {
  const auto &w = inst->words;
  uint64_t m = w[3], n = w[4], ldx = w[5], ldy = w[6];
  llvm::Expected<const uint8_t *> x = readMatrix(1, m, n, 4, ldx, "x");
  if (!x)
    return x.takeError();
  std::vector<float> values(m * n);
  for (uint64_t i = 0; i < m; ++i)
    std::memcpy(&values[i * n], *x + i * ldx * 4, n * 4);
  llvm::Expected<uint8_t *> y = writeMatrix(2, m, n, 4, ldy, "y");
  if (!y)
    return y.takeError();
  float (*activation)(float) = siluF32;
  if (inst->opcode() == Opcode::Gelu)
    activation = geluF32;
  else if (inst->opcode() == Opcode::Relu)
    activation = reluF32;
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j)
      store<float>(*y + (i * ldy + j) * 4, activation(values[i * n + j]));
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeRope() {
  const auto &w = inst->words;
  uint64_t m = w[3], n = w[4], ldx = w[5], ldy = w[6], headDim = w[8];
  bool halfSplit = inst->hasFlag(isa::HalfSplit);
  if (headDim == 0 || headDim % 2 != 0 || n % headDim != 0)
    return fail(llvm::formatv(
        "head dimension {0} must be even and divide the row length {1}",
        headDim, n));
  uint64_t half = headDim / 2;
  llvm::Expected<const uint8_t *> x = readMatrix(1, m, n, 4, ldx, "x");
  if (!x)
    return x.takeError();
  llvm::Expected<const uint8_t *> cosBytes =
      readMatrix(7, m, half, 4, half, "cos");
  if (!cosBytes)
    return cosBytes.takeError();
  llvm::Expected<const uint8_t *> sinBytes =
      readMatrix(9, m, half, 4, half, "sin");
  if (!sinBytes)
    return sinBytes.takeError();
  std::vector<float> values(m * n), cosines(m * half), sines(m * half);
  for (uint64_t i = 0; i < m; ++i)
    std::memcpy(&values[i * n], *x + i * ldx * 4, n * 4);
  std::memcpy(cosines.data(), *cosBytes, m * half * 4);
  std::memcpy(sines.data(), *sinBytes, m * half * 4);
  llvm::Expected<uint8_t *> y = writeMatrix(2, m, n, 4, ldy, "y");
  if (!y)
    return y.takeError();
  std::vector<float> out(n);
  for (uint64_t i = 0; i < m; ++i) {
    for (uint64_t h = 0; h < n; h += headDim)
      for (uint64_t c = 0; c < half; ++c) {
        uint64_t first = h + (halfSplit ? c : 2 * c);
        uint64_t second = h + (halfSplit ? c + half : 2 * c + 1);
        float cosine = cosines[i * half + c];
        float sine = sines[i * half + c];
        float xa = values[i * n + first];
        float xb = values[i * n + second];
        out[first] = xa * cosine - xb * sine;
        out[second] = xb * cosine + xa * sine;
      }
    std::memcpy(*y + i * ldy * 4, out.data(), n * 4);
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Prediction
//===----------------------------------------------------------------------===//

llvm::Error Executor::Impl::executeLogEncode() {
  const auto &w = inst->words;
  uint64_t m = w[3], n = w[4], bits = w[5], ldx = w[6], ldc = w[7];
  if (bits < 2 || bits > 16)
    return fail(llvm::formatv("log-code input width {0} is outside [2, 16]",
                              bits));
  llvm::Expected<const uint8_t *> x = readMatrix(1, m, n, 4, ldx, "x");
  if (!x)
    return x.takeError();
  std::vector<int32_t> values(m * n);
  for (uint64_t i = 0; i < m; ++i)
    std::memcpy(&values[i * n], *x + i * ldx * 4, n * 4);
  llvm::Expected<uint8_t *> c = writeMatrix(2, m, n, 1, ldc, "c");
  if (!c)
    return c.takeError();
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) {
      llvm::Expected<predict::LogCode> code =
          predict::encodeLogCode(values[i * n + j], unsigned(bits));
      if (!code)
        return fail(llvm::formatv("X[{0}, {1}]: {2}", i, j,
                                  llvm::toString(code.takeError())));
      (*c)[i * ldc + j] = uint8_t(predict::packLogCode(*code, unsigned(bits)));
    }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeKeyPredict() {
  const auto &w = inst->words;
  uint64_t m = w[4], n = w[5], k = w[6], ldx = w[7], ldw = w[8], ldy = w[9];
  const auto &speculation = config.speculationUnit;
  if (!speculation || !speculation->shiftArray)
    return fail("the configuration has no speculation_unit.shift_array");
  const hardware::ShiftArrayConfig &shift = *speculation->shiftArray;
  // NOTE: key_predict names no predictor record, so the width of the
  // integers behind the weight codes is taken as 2^(log_code_bits - 1), the
  // widest width whose codes fit log_code_bits (8 for 4-bit codes).
  unsigned codedBits = 1u << (shift.logCodeBits - 1);
  predict::AlocMatmulShape shape;
  shape.rows = unsigned(m);
  shape.inner = unsigned(k);
  shape.cols = unsigned(n);
  shape.shiftedBits = unsigned(shift.shiftedOperandBits.value_or(8));
  shape.codedBits = codedBits;
  shape.accumulatorBits = unsigned(shift.keyAccumulatorBits);

  llvm::Expected<const uint8_t *> x = readMatrix(1, m, k, 1, ldx, "x");
  if (!x)
    return x.takeError();
  llvm::Expected<const uint8_t *> codes = readMatrix(2, k, n, 1, ldw, "w");
  if (!codes)
    return codes.takeError();
  std::vector<int32_t> xs(m * k);
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t t = 0; t < k; ++t)
      xs[i * k + t] = int8_t((*x)[i * ldx + t]);
  std::vector<predict::LogCode> weights(k * n);
  for (uint64_t t = 0; t < k; ++t)
    for (uint64_t j = 0; j < n; ++j)
      weights[t * n + j] =
          predict::unpackLogCode((*codes)[t * ldw + j], codedBits);
  llvm::Expected<predict::AlocMatmulResult> product =
      predict::alocMatmulLogWeight(xs, weights, shape);
  if (!product)
    return fail(llvm::toString(product.takeError()));

  bool accumulate = inst->hasFlag(isa::Accumulate);
  if (accumulate) {
    llvm::Expected<const uint8_t *> old = readMatrix(3, m, n, 4, ldy, "y");
    if (!old)
      return old.takeError();
  }
  llvm::Expected<uint8_t *> y = writeMatrix(3, m, n, 4, ldy, "y");
  if (!y)
    return y.takeError();
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) {
      uint8_t *out = *y + (i * ldy + j) * 4;
      int64_t value = product->values[i * n + j];
      if (accumulate)
        value += load<int32_t>(out);
      if (!predict::fitsSigned(value, shape.accumulatorBits) ||
          value < INT32_MIN || value > INT32_MAX)
        return fail(llvm::formatv(
            "K-hat[{0}, {1}] = {2} does not fit the {3}-bit key accumulator "
            "(speculation_unit.shift_array.key_accumulator_bits)",
            i, j, value, shape.accumulatorBits));
      store<int32_t>(out, int32_t(value));
    }
  return llvm::Error::success();
}

llvm::Error
Executor::Impl::readQueryCodes(const predict::PredictorConfig &record,
                               uint64_t m, uint64_t d,
                               std::vector<predict::LogCode> &codes) {
  llvm::Expected<const uint8_t *> q = readMatrix(1, m, d, 1, d, "q");
  if (!q)
    return q.takeError();
  codes.resize(m * d);
  unsigned maxLeadingOne = record.queryBits - 2;
  for (uint64_t e = 0; e < m * d; ++e) {
    uint8_t packed = (*q)[e];
    if (packed >> predict::logCodeBits(record.queryBits))
      return fail(llvm::formatv("query code {0} (row {1}, lane {2}) is 0x{3:x}, "
                                "wider than the {4}-bit codes of a {5}-bit "
                                "query",
                                e, e / d, e % d, packed,
                                predict::logCodeBits(record.queryBits),
                                record.queryBits));
    codes[e] = predict::unpackLogCode(packed, record.queryBits);
    if (!codes[e].zero && codes[e].leadingOne > maxLeadingOne)
      return fail(llvm::formatv(
          "query code {0} (row {1}, lane {2}) has leading one {3}, above {4} "
          "for a symmetric {5}-bit query",
          e, e / d, e % d, unsigned(codes[e].leadingOne), maxLeadingOne,
          record.queryBits));
  }
  return llvm::Error::success();
}

namespace {

bool testBit(const uint8_t *bits, uint64_t index) {
  return (bits[index / 8] >> (index % 8)) & 1;
}
void assignBit(uint8_t *bits, uint64_t index, bool value) {
  if (value)
    bits[index / 8] |= uint8_t(1u << (index % 8));
  else
    bits[index / 8] &= uint8_t(~(1u << (index % 8)));
}

} // namespace

llvm::Error Executor::Impl::executeShiftAccumulate(DataSizes &sizes) {
  const auto &w = inst->words;
  uint64_t m = w[4], n = w[5], d = w[6], queryBase = w[7], round = w[8];
  bool causal = inst->hasFlag(isa::Causal);
  llvm::Expected<const predict::PredictorConfig *> rec = record(10);
  if (!rec)
    return rec.takeError();
  const predict::PredictorConfig &config = **rec;
  predict::MrsaParams params = predict::MrsaParams::fromConfig(config);
  if (llvm::Error error = predict::checkMrsaParams(params))
    return fail(llvm::toString(std::move(error)));
  if (round >= params.sliceWidths.size())
    return fail(llvm::formatv("round {0} does not exist: the record has {1} "
                              "rounds",
                              round, params.sliceWidths.size()));

  std::vector<predict::LogCode> codes;
  if (llvm::Error error = readQueryCodes(config, m, d, codes))
    return error;
  unsigned keyBytes = config.keyBits <= 8 ? 1 : 4;
  llvm::Expected<const uint8_t *> khat =
      readMatrix(2, n, d, keyBytes, d, "khat");
  if (!khat)
    return khat.takeError();
  std::vector<int32_t> keys(n * d);
  int64_t keyHigh = (int64_t(1) << (config.keyBits - 1)) - 1;
  for (uint64_t e = 0; e < n * d; ++e) {
    keys[e] = keyBytes == 1 ? int8_t((*khat)[e]) : load<int32_t>(*khat + e * 4);
    if (keys[e] < -keyHigh - 1 || keys[e] > keyHigh)
      return fail(llvm::formatv(
          "K-hat element {0} (key {1}, lane {2}) is {3}, outside the {4}-bit "
          "range; requantize K-hat to key_bits",
          e, e / d, e % d, keys[e], config.keyBits));
  }

  uint64_t bitmapBytes = (m * n + 7) / 8;
  llvm::Expected<Memory *> vMemory = bufferOf(w[9], "survivors");
  if (!vMemory)
    return vMemory.takeError();
  uint64_t vOffset = BufRef::unpack(w[9]).offset;
  std::vector<uint8_t> survivors(bitmapBytes, 0);
  std::vector<int32_t> partialIn;
  if (round > 0) {
    llvm::Expected<const uint8_t *> v = read(**vMemory, false, vOffset, 1,
                                             bitmapBytes, bitmapBytes,
                                             "survivors");
    if (!v)
      return v.takeError();
    std::memcpy(survivors.data(), *v, bitmapBytes);
    llvm::Expected<const uint8_t *> p = readMatrix(3, m, n, 4, n, "p");
    if (!p)
      return p.takeError();
    partialIn.resize(m * n);
    std::memcpy(partialIn.data(), *p, m * n * 4);
  } else if ((m * n) % 8 != 0) {
    // Round 0 writes whole bytes; keep the bits past M x N of the last one
    // when they were written before.
    uint64_t bad = 0;
    Memory &memory = **vMemory;
    if (vOffset + bitmapBytes <= memory.bytes.size() &&
        memory.isInitialized(vOffset + bitmapBytes - 1,
                             vOffset + bitmapBytes, bad))
      survivors.back() = memory.bytes[vOffset + bitmapBytes - 1];
  }

  predict::OpCounts counts;
  std::vector<int64_t> partial(n);
  std::vector<int32_t> partialOut(m * n);
  for (uint64_t i = 0; i < m; ++i) {
    uint64_t visible = n;
    if (causal)
      visible = std::min<uint64_t>(n, queryBase + i + 1);
    std::vector<uint32_t> candidates;
    for (uint64_t j = 0; j < n; ++j) {
      bool keep = round == 0 ? j < visible : testBit(survivors.data(), i * n + j);
      if (round == 0)
        assignBit(survivors.data(), i * n + j, keep);
      partial[j] = round == 0 ? 0 : partialIn[i * n + j];
      if (keep)
        candidates.push_back(uint32_t(j));
    }
    sizes.candidates += candidates.size();
    llvm::ArrayRef<predict::LogCode> queryRow(&codes[i * d], d);
    if (llvm::Error error = predict::accumulateMrsaRound(
            queryRow, keys, params, unsigned(round), candidates, partial,
            unsigned(queryBase + i), counts))
      return fail(llvm::toString(std::move(error)));
    for (uint64_t j = 0; j < n; ++j) {
      if (partial[j] < INT32_MIN || partial[j] > INT32_MAX)
        return fail(llvm::formatv("partial score of row {0}, key {1} is {2}, "
                                  "which does not fit the i32 P matrix",
                                  i, j, partial[j]));
      partialOut[i * n + j] = int32_t(partial[j]);
    }
  }

  llvm::Expected<uint8_t *> p = writeMatrix(3, m, n, 4, n, "p");
  if (!p)
    return p.takeError();
  std::memcpy(*p, partialOut.data(), m * n * 4);
  if (round == 0) {
    llvm::Expected<uint8_t *> v = write(**vMemory, false, vOffset, 1,
                                        bitmapBytes, bitmapBytes, "survivors");
    if (!v)
      return v.takeError();
    std::memcpy(*v, survivors.data(), bitmapBytes);
  }
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executeFilter(DataSizes &sizes, bool final) {
  const auto &w = inst->words;
  uint64_t m = w[4], n = w[5];
  uint64_t queryBase = w[7];
  bool causal = inst->hasFlag(isa::Causal);
  llvm::Expected<const predict::PredictorConfig *> rec = record(10);
  if (!rec)
    return rec.takeError();
  const predict::PredictorConfig &config = **rec;
  predict::MrsaParams params = predict::MrsaParams::fromConfig(config);
  if (llvm::Error error = predict::checkMrsaParams(params))
    return fail(llvm::toString(std::move(error)));
  if (n >= isa::kNoIndex)
    return fail(llvm::formatv("{0} keys do not fit u16 key indices below {1}",
                              n, isa::kNoIndex));

  // Filter: w1 Q, w3 P, w9 V. TopK: w1 P, w2 V, w3 I, w9 C.
  unsigned pWord = final ? 1 : 3;
  unsigned vWord = final ? 2 : 9;
  uint64_t round = final ? 0 : w[8];
  uint64_t d = final ? 0 : w[6];
  if (!final && round + 1 >= params.sliceWidths.size())
    return fail(llvm::formatv("a filter after round {0} needs a later round, "
                              "but the record has {1} rounds",
                              round, params.sliceWidths.size()));
  std::vector<predict::LogCode> codes;
  if (!final)
    if (llvm::Error error = readQueryCodes(config, m, d, codes))
      return error;

  float logitScale = 1.0f;
  if (final) {
    logitScale = floatOf(w[12]);
  } else {
    auto found = filterLogitScales.find(uint32_t(index));
    if (found != filterLogitScales.end())
      logitScale = found->second;
    else if (config.select == predict::SelectMode::Threshold)
      return fail("a threshold-mode filter needs the logit scale of a later "
                  "topk on the same survivors and record, and there is none");
  }
  predict::FilterParams filter = predict::FilterParams::fromConfig(config);
  predict::SelectParams select =
      predict::SelectParams::fromConfig(config, double(logitScale));

  llvm::Expected<const uint8_t *> p = readMatrix(pWord, m, n, 4, n, "p");
  if (!p)
    return p.takeError();
  uint64_t bitmapBytes = (m * n + 7) / 8;
  llvm::Expected<Memory *> vMemory = bufferOf(w[vWord], "survivors");
  if (!vMemory)
    return vMemory.takeError();
  uint64_t vOffset = BufRef::unpack(w[vWord]).offset;
  llvm::Expected<const uint8_t *> v = read(**vMemory, false, vOffset, 1,
                                           bitmapBytes, bitmapBytes,
                                           "survivors");
  if (!v)
    return v.takeError();
  std::vector<uint8_t> survivors(*v, *v + bitmapBytes);

  uint64_t t = final ? w[6] : 0;
  std::vector<uint16_t> indices(m * t, isa::kNoIndex);
  std::vector<uint8_t> needed;
  Memory *cMemory = nullptr;
  uint64_t cOffset = 0, cBytes = (n + 7) / 8;
  if (final) {
    llvm::Expected<Memory *> memory = bufferOf(w[9], "needed");
    if (!memory)
      return memory.takeError();
    cMemory = *memory;
    cOffset = BufRef::unpack(w[9]).offset;
    llvm::Expected<std::vector<uint8_t>> c =
        readNeededSet(*cMemory, cOffset, cBytes);
    if (!c)
      return c.takeError();
    needed = std::move(*c);
  }

  predict::OpCounts counts;
  std::vector<int64_t> partial(n);
  for (uint64_t i = 0; i < m; ++i) {
    uint64_t visible = n;
    if (causal)
      visible = std::min<uint64_t>(n, queryBase + i + 1);
    std::vector<uint32_t> candidates;
    for (uint64_t j = 0; j < n; ++j) {
      partial[j] = load<int32_t>(*p + (i * n + j) * 4);
      if (testBit(survivors.data(), i * n + j))
        candidates.push_back(uint32_t(j));
    }
    sizes.candidates += candidates.size();
    if (!final) {
      llvm::ArrayRef<predict::LogCode> queryRow(&codes[i * d], d);
      std::vector<uint32_t> kept = predict::filterMrsaRound(
          queryRow, params, unsigned(round), filter, select, partial,
          candidates, unsigned(visible), counts);
      for (uint32_t j : candidates)
        assignBit(survivors.data(), i * n + j, false);
      for (uint32_t j : kept)
        assignBit(survivors.data(), i * n + j, true);
      continue;
    }
    std::vector<uint32_t> kept = predict::selectMrsaKeys(
        select, partial, candidates, unsigned(visible), counts);
    sizes.selectedKeys += kept.size();
    sizes.visibleKeys += visible;
    if (kept.size() > t)
      return fail(llvm::formatv("row {0} keeps {1} keys but the index list "
                                "has {2} slots; size T for the largest row",
                                i, kept.size(), t));
    for (size_t slot = 0; slot < kept.size(); ++slot) {
      indices[i * t + slot] = uint16_t(kept[slot]);
      assignBit(needed.data(), kept[slot], true);
    }
  }

  if (!final) {
    llvm::Expected<uint8_t *> out = write(**vMemory, false, vOffset, 1,
                                          bitmapBytes, bitmapBytes, "survivors");
    if (!out)
      return out.takeError();
    std::memcpy(*out, survivors.data(), bitmapBytes);
    return llvm::Error::success();
  }
  llvm::Expected<uint8_t *> out = writeMatrix(3, m, t, 2, t, "indices");
  if (!out)
    return out.takeError();
  std::memcpy(*out, indices.data(), m * t * 2);
  llvm::Expected<uint8_t *> c =
      write(*cMemory, false, cOffset, 1, cBytes, cBytes, "needed");
  if (!c)
    return c.takeError();
  std::memcpy(*c, needed.data(), cBytes);
  return llvm::Error::success();
}

llvm::Error Executor::Impl::executePredict(DataSizes &sizes) {
  const auto &w = inst->words;
  uint64_t m = w[4], n = w[5], t = w[6], queryBase = w[7], d = w[8];
  llvm::Expected<const predict::PredictorConfig *> rec = record(10);
  if (!rec)
    return rec.takeError();
  const predict::PredictorConfig &config = **rec;
  if (n >= isa::kNoIndex)
    return fail(llvm::formatv("{0} keys do not fit u16 key indices below {1}",
                              n, isa::kNoIndex));

  predict::PredictorInput input;
  input.shape.queryRows = unsigned(m);
  input.shape.keyRows = unsigned(n);
  input.shape.headDim = unsigned(d);
  input.shape.queryOffset = unsigned(queryBase);
  input.shape.causal = inst->hasFlag(isa::Causal);

  auto readIntegers = [&](unsigned word, uint64_t rows, unsigned bits,
                          llvm::StringRef operand,
                          std::vector<int32_t> &values) -> llvm::Error {
    values.clear();
    if (bits == 0)
      return llvm::Error::success();
    unsigned elementBytes = bits <= 8 ? 1 : 4;
    llvm::Expected<const uint8_t *> bytes =
        readMatrix(word, rows, d, elementBytes, d, operand);
    if (!bytes)
      return bytes.takeError();
    values.resize(rows * d);
    for (uint64_t e = 0; e < rows * d; ++e)
      values[e] = elementBytes == 1 ? int8_t((*bytes)[e])
                                    : load<int32_t>(*bytes + e * 4);
    return llvm::Error::success();
  };
  std::vector<int32_t> query, keys;
  if (llvm::Error error = readIntegers(1, m, predict::queryOperandBits(config),
                                       "q", query))
    return error;
  if (llvm::Error error =
          readIntegers(2, n, predict::keyOperandBits(config), "k", keys))
    return error;
  input.query = query;
  input.keys = keys;
  std::vector<float> stepCopy;
  llvm::Expected<const float *> queryStep =
      readOptionalVector(11, 1, "query_step", stepCopy);
  if (!queryStep)
    return queryStep.takeError();
  input.queryStep = *queryStep ? double(**queryStep) : 1.0;
  llvm::Expected<const float *> keyStep =
      readOptionalVector(12, 1, "key_step", stepCopy);
  if (!keyStep)
    return keyStep.takeError();
  input.keyStep = *keyStep ? double(**keyStep) : 1.0;
  std::vector<float> extra;
  if (w[13] != isa::kNoBuffer) {
    llvm::Expected<const uint8_t *> bytes = readMatrix(13, m, n, 4, n, "extra");
    if (!bytes)
      return bytes.takeError();
    extra.resize(m * n);
    std::memcpy(extra.data(), *bytes, m * n * 4);
    if (config.scheme == predict::Scheme::Oracle)
      input.scores = extra;
    else
      input.importance = extra;
  }

  llvm::Expected<predict::PredictionResult> result =
      predict::predict(config, input);
  if (!result)
    return fail(llvm::toString(result.takeError()));
  predict::OpCounts total = result->cost.total();
  sizes.predictProducts = predict::OpCounts::total(total.shiftAdds) +
                          predict::OpCounts::total(total.multiplies);
  sizes.predictCompares = total.comparisons;
  sizes.candidates = input.shape.visiblePairs();
  sizes.visibleKeys = sizes.candidates;

  uint64_t cBytes = (n + 7) / 8;
  llvm::Expected<Memory *> cMemory = bufferOf(w[9], "needed");
  if (!cMemory)
    return cMemory.takeError();
  uint64_t cOffset = BufRef::unpack(w[9]).offset;
  llvm::Expected<std::vector<uint8_t>> c =
      readNeededSet(**cMemory, cOffset, cBytes);
  if (!c)
    return c.takeError();
  std::vector<uint8_t> needed = std::move(*c);
  std::vector<uint16_t> indices(m * t, isa::kNoIndex);
  for (uint64_t i = 0; i < m; ++i) {
    llvm::ArrayRef<uint32_t> kept = result->selection.row(unsigned(i));
    sizes.selectedKeys += kept.size();
    if (kept.size() > t)
      return fail(llvm::formatv("row {0} keeps {1} keys but the index list "
                                "has {2} slots; size T for the largest row",
                                i, kept.size(), t));
    for (size_t slot = 0; slot < kept.size(); ++slot) {
      indices[i * t + slot] = uint16_t(kept[slot]);
      assignBit(needed.data(), kept[slot], true);
    }
  }
  llvm::Expected<uint8_t *> out = writeMatrix(3, m, t, 2, t, "indices");
  if (!out)
    return out.takeError();
  std::memcpy(*out, indices.data(), m * t * 2);
  llvm::Expected<uint8_t *> cOut =
      write(**cMemory, false, cOffset, 1, cBytes, cBytes, "needed");
  if (!cOut)
    return cOut.takeError();
  std::memcpy(*cOut, needed.data(), cBytes);
  return llvm::Error::success();
}
