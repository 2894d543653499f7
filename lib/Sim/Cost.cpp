//===- Cost.cpp - Latency and action counts of each instruction -----------===//
//
// The latency formulas of docs/simulator.md (section Timing model). Every
// instruction takes at least one cycle. DMA latency comes from the DRAM
// model in the timing pass, so computeCost leaves it at zero.
//
//===----------------------------------------------------------------------===//

#include "SimInternal.h"

#include "lapa/Predict/Select.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace lapa;
using namespace lapa::sim;
using namespace lapa::sim::detail;
using isa::Instruction;
using isa::Opcode;

namespace {

uint64_t ceilDiv(uint64_t numerator, uint64_t denominator) {
  if (denominator == 0)
    return numerator;
  return (numerator + denominator - 1) / denominator;
}

uint64_t ceilLog2(uint64_t value) {
  uint64_t bits = 0;
  while ((uint64_t(1) << bits) < value)
    ++bits;
  return bits;
}

} // namespace

bool lapa::sim::detail::isDmaOpcode(Opcode op) {
  return op == Opcode::Load || op == Opcode::Store || op == Opcode::LoadRows;
}

DramRequest lapa::sim::detail::dramRequest(const Instruction &inst) {
  DramRequest request;
  request.address = inst.dramAddress();
  request.rows = inst.words[4];
  request.bytesPerRow = inst.words[5];
  request.strideBytes = inst.words[6];
  request.write = inst.opcode() == Opcode::Store;
  request.indexed = inst.opcode() == Opcode::LoadRows;
  return request;
}

llvm::Error lapa::sim::detail::instructionError(uint64_t index,
                                                const Instruction &inst,
                                                const llvm::Twine &message) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("instruction {0} ({1}): {2}", index,
                    isa::opcodeName(inst.opcode()), message.str())
          .str());
}

void lapa::sim::detail::computeCost(const Instruction &inst,
                                    const DataSizes &sizes,
                                    const hardware::HardwareConfig &config,
                                    InstructionCost &cost) {
  const auto &w = inst.words;
  const auto &mac = config.executionUnit.macArray;
  const uint64_t macRows = std::max<int64_t>(mac.rows, 1);
  const uint64_t macCols = std::max<int64_t>(mac.cols, 1);
  const uint64_t macFill = macRows + macCols - 2;
  const uint64_t vectorLanes =
      std::max<int64_t>(config.executionUnit.vector.lanes, 1);
  uint64_t shiftRows = 1, shiftCols = 1, encoders = 1, filterRate = 1;
  if (config.speculationUnit) {
    if (config.speculationUnit->shiftArray) {
      shiftRows = std::max<int64_t>(config.speculationUnit->shiftArray->rows, 1);
      shiftCols = std::max<int64_t>(config.speculationUnit->shiftArray->cols, 1);
    }
    if (config.speculationUnit->leadingOneEncoders)
      encoders = std::max<int64_t>(
          config.speculationUnit->leadingOneEncoders->count, 1);
    if (config.speculationUnit->filter)
      filterRate =
          std::max<int64_t>(config.speculationUnit->filter->lanes *
                                config.speculationUnit->filter
                                    ->comparisonsPerCycle,
                            1);
  }
  const uint64_t shiftPes = shiftRows * shiftCols;
  const uint64_t shiftTree = ceilLog2(shiftCols);

  ActionCounts &a = cost.actions;
  uint64_t cycles = 0;
  switch (inst.opcode()) {
  case Opcode::Load:
  case Opcode::Store:
  case Opcode::LoadRows:
    cycles = 0;
    break;

  case Opcode::Gemm: {
    // Output-stationary tiles of R x C outputs, K cycles each, with one
    // pipeline fill and drain per instruction.
    uint64_t m = sizes.activeRows, n = w[5], k = w[6];
    cycles = ceilDiv(m, macRows) * ceilDiv(n, macCols) * k + macFill;
    a.macs += m * n * k;
    cost.denseOps += 2 * uint64_t(w[4]) * n * k;
    break;
  }
  case Opcode::Sddmm: {
    // Each valid (row, key) dot product takes one PE for K cycles.
    uint64_t k = w[6];
    cycles = ceilDiv(sizes.validEntries, macRows * macCols) * k + macFill;
    a.macs += sizes.validEntries * k;
    cost.denseOps += 2 * (sizes.densePairs ? sizes.densePairs
                                           : sizes.validEntries) * k;
    break;
  }
  case Opcode::Spmm: {
    // Each valid index adds one row of N products.
    uint64_t n = w[5];
    cycles = ceilDiv(sizes.validEntries * n, macRows * macCols) + macFill;
    a.macs += sizes.validEntries * n;
    cost.denseOps += 2 * (sizes.densePairs ? sizes.densePairs
                                           : sizes.validEntries) * n;
    break;
  }

  case Opcode::Softmax: {
    const auto &softmax = config.executionUnit.softmax;
    uint64_t lanes = std::max<int64_t>(
        std::min(softmax.expLanes, softmax.divideLanes), 1);
    cycles = uint64_t(std::max<int64_t>(softmax.latencyCycles, 0)) +
             ceilDiv(sizes.validEntries, lanes);
    a.exps += sizes.validEntries;
    a.divides += sizes.validEntries;
    break;
  }

  case Opcode::Dequant:
  case Opcode::Add:
  case Opcode::Mul:
  case Opcode::Silu:
  case Opcode::Gelu:
  case Opcode::Relu:
  case Opcode::Rope:
  case Opcode::Quant:
  case Opcode::RmsNorm:
  case Opcode::LayerNorm: {
    uint64_t m = 0, n = 0, passes = 1;
    switch (inst.opcode()) {
    case Opcode::Add:
    case Opcode::Mul:
    case Opcode::RmsNorm:
    case Opcode::LayerNorm:
      m = w[4];
      n = w[5];
      break;
    default:
      m = w[3];
      n = w[4];
      break;
    }
    // Passes over the data: the norms and quantization first reduce each
    // row (mean, variance, absmax) and then write it.
    if (inst.opcode() == Opcode::RmsNorm || inst.opcode() == Opcode::Quant)
      passes = 2;
    if (inst.opcode() == Opcode::LayerNorm)
      passes = 3;
    uint64_t ops = m * n * passes;
    cycles = ceilDiv(ops, vectorLanes);
    a.vectorOps += ops;
    break;
  }

  case Opcode::Importance: {
    // One addition per valid probability.
    cycles = ceilDiv(sizes.validEntries, vectorLanes);
    a.vectorOps += sizes.validEntries;
    break;
  }

  case Opcode::LogEncode: {
    uint64_t elements = uint64_t(w[3]) * w[4];
    cycles = ceilDiv(elements, encoders);
    a.encodes += elements;
    break;
  }
  case Opcode::KeyPredict: {
    uint64_t work = uint64_t(w[4]) * w[5] * w[6];
    cycles = ceilDiv(work, shiftPes) + shiftTree;
    a.shiftAdds += work;
    break;
  }
  case Opcode::ShiftAccumulate: {
    uint64_t work = sizes.candidates * w[6];
    cycles = ceilDiv(work, shiftPes) + shiftTree;
    a.shiftAdds += work;
    break;
  }
  case Opcode::Filter:
  case Opcode::TopK:
    cycles = ceilDiv(sizes.candidates, filterRate);
    a.compares += sizes.candidates;
    break;
  case Opcode::Predict: {
    // The peer scheme's score products run on the prediction array (the
    // multiplier array, else the shift array) and its comparisons on the
    // filter lanes.
    uint64_t peak = uint64_t(std::max<int64_t>(
        config.peakPredictionMacsPerCycle(), config.peakShiftAddsPerCycle()));
    cycles = ceilDiv(sizes.predictProducts, std::max<uint64_t>(peak, 1)) +
             ceilDiv(sizes.predictCompares, filterRate);
    a.shiftAdds += sizes.predictProducts;
    a.compares += sizes.predictCompares;
    break;
  }
  }
  cost.cycles = std::max<uint64_t>(cycles, 1);
  if (isDmaOpcode(inst.opcode()))
    cost.cycles = 0;
}

//===----------------------------------------------------------------------===//
// Timing-only sizes
//===----------------------------------------------------------------------===//

SizeEstimator::SizeEstimator(const isa::StreamFile &stream,
                             std::vector<predict::PredictorConfig> records,
                             const SimOptions &options)
    : records(std::move(records)), options(options) {}

void SizeEstimator::estimate(const Instruction &inst, DataSizes &sizes) {
  const auto &w = inst.words;
  auto visiblePairs = [&](uint64_t m, uint64_t n, uint64_t base) {
    predict::TileShape shape;
    shape.queryRows = unsigned(m);
    shape.keyRows = unsigned(n);
    shape.queryOffset = unsigned(base);
    shape.causal = inst.hasFlag(isa::Causal);
    return shape.visiblePairs();
  };
  auto keptPairs = [&](uint64_t m, uint64_t n, uint64_t base,
                       const predict::PredictorConfig *record) {
    uint64_t kept = 0;
    for (uint64_t i = 0; i < m; ++i) {
      uint64_t visible = inst.hasFlag(isa::Causal)
                             ? std::min<uint64_t>(n, base + i + 1)
                             : n;
      kept += record ? record->keptKeys(unsigned(visible)) : visible;
    }
    return kept;
  };
  auto recordAt = [&](uint32_t index) -> const predict::PredictorConfig * {
    return index < records.size() ? &records[index] : nullptr;
  };
  double survivor = std::clamp(options.survivorFraction, 0.0, 1.0);

  switch (inst.opcode()) {
  case Opcode::Store: {
    auto found = selections.find(w[3]);
    if (found != selections.end())
      spilledSelections[inst.dramAddress()] = found->second;
    break;
  }
  case Opcode::Load: {
    auto found = spilledSelections.find(inst.dramAddress());
    if (found != spilledSelections.end())
      selections[w[3]] = found->second;
    else
      selections.erase(w[3]);
    break;
  }
  case Opcode::Gemm:
    sizes.activeRows = inst.hasFlag(isa::Gather)
                           ? uint64_t(std::ceil(
                                 double(w[4]) *
                                 std::clamp(options.neededFraction, 0.0, 1.0)))
                           : w[4];
    break;
  case Opcode::Sddmm:
  case Opcode::Spmm: {
    uint64_t m = w[4];
    uint64_t t = inst.opcode() == Opcode::Sddmm ? w[5] : w[6];
    auto found = selections.find(w[10]);
    if (found != selections.end()) {
      sizes.validEntries = std::min(found->second.kept, m * t);
      sizes.densePairs = found->second.visible;
    } else {
      sizes.validEntries = m * t;
    }
    if (inst.opcode() == Opcode::Sddmm)
      selections[w[3]] = {sizes.validEntries, sizes.densePairs};
    break;
  }
  case Opcode::Importance:
    sizes.validEntries = uint64_t(w[4]) * w[5];
    break;
  case Opcode::Softmax: {
    auto found = selections.find(w[1]);
    sizes.validEntries = found != selections.end()
                             ? found->second.kept
                             : uint64_t(w[3]) * w[4];
    break;
  }
  case Opcode::ShiftAccumulate: {
    uint64_t pairs = visiblePairs(w[4], w[5], w[7]);
    sizes.candidates =
        w[8] == 0 ? pairs : uint64_t(std::ceil(double(pairs) * survivor));
    break;
  }
  case Opcode::Filter: {
    uint64_t pairs = visiblePairs(w[4], w[5], w[7]);
    sizes.candidates =
        w[8] == 0 ? pairs : uint64_t(std::ceil(double(pairs) * survivor));
    break;
  }
  case Opcode::TopK: {
    uint64_t m = w[4], n = w[5], base = w[7];
    uint64_t pairs = visiblePairs(m, n, base);
    const predict::PredictorConfig *record = recordAt(w[10]);
    bool filtered = record && record->rounds > 1 &&
                    record->filter != predict::FilterRule::None;
    sizes.candidates =
        filtered ? uint64_t(std::ceil(double(pairs) * survivor)) : pairs;
    sizes.selectedKeys = keptPairs(m, n, base, record);
    sizes.visibleKeys = pairs;
    selections[w[3]] = {sizes.selectedKeys, pairs};
    break;
  }
  case Opcode::Predict: {
    uint64_t m = w[4], n = w[5], base = w[7], d = w[8];
    uint64_t pairs = visiblePairs(m, n, base);
    const predict::PredictorConfig *record = recordAt(w[10]);
    uint64_t kept = keptPairs(m, n, base, record);
    sizes.candidates = pairs;
    // A scheme that reads neither Q nor K (SpAtten ranks keys by the
    // importance it is given) computes no score products, only the top-k.
    bool products = w[1] != isa::kNoBuffer || w[2] != isa::kNoBuffer;
    sizes.predictProducts = products ? pairs * d : 0;
    sizes.predictCompares = pairs;
    sizes.selectedKeys = kept;
    sizes.visibleKeys = pairs;
    selections[w[3]] = {kept, pairs};
    break;
  }
  default:
    break;
  }
}
