//===- SelectionCountsTest.cpp - Sparsity counters of SimResult -----------===//
//
// Checks SimResult::selection, the keys that topk kept against the keys the
// rows could see and the rows of gathered GEMMs that were computed, against
// counts worked out by hand for small streams on examples/hw/lapa-28nm.yaml.
//
//===----------------------------------------------------------------------===//

#include "SimTestSupport.h"

#include "lapa/Predict/PredictorConfig.h"

#include <random>

using namespace lapa;
using namespace lapa::sim;
using namespace lapa::sim::test;
using isa::Opcode;
using isa::TensorRole;
using isa::Unit;

namespace {

constexpr uint8_t kDma = 1u << unsigned(Unit::Dma);
constexpr uint8_t kMac = 1u << unsigned(Unit::Mac);
constexpr uint8_t kShift = 1u << unsigned(Unit::Shift);
constexpr uint8_t kFilter = 1u << unsigned(Unit::Filter);

/// Builds one MRSA round and a top-k at keep_ratio 0.25 over 8 causal query
/// rows 20..27 against 48 keys.
isa::StreamFile topKStream(const hardware::HardwareConfig &config) {
  const unsigned m = 8, n = 48, d = 32, queryBase = 20;
  predict::PredictorConfig record =
      predict::PredictorConfig::defaults(predict::Scheme::Lapa);
  record.keepRatio = 0.25;
  record.rounds = 1;
  record.sliceWidths = {8};
  record.accumulatorBits = {30};
  record.filter = predict::FilterRule::None;

  std::mt19937 random(5);
  // Packed 16-bit query codes are sign << 4 | exponent, so every byte
  // below 32 is a valid code.
  std::uniform_int_distribution<int> codeValues(0, 31);
  std::uniform_int_distribution<int> keyValues(-128, 127);
  std::vector<uint8_t> codes(m * d), keys(n * d);
  for (uint8_t &value : codes)
    value = uint8_t(codeValues(random));
  for (uint8_t &value : keys)
    value = uint8_t(keyValues(random));

  StreamBuilder builder(config);
  builder.stream.predictors.push_back(predict::printPredictorConfig(record));
  builder.tensor("codes", TensorRole::Weight, isa::ElementType::U8, {m, d}, 0,
                 codes);
  builder.tensor("khat", TensorRole::Weight, isa::ElementType::I8, {n, d},
                 4096, keys);
  const uint32_t partial = ref(kSpeculationBuffer, 1024);
  const uint32_t survivors = ref(kSpeculationBuffer, 4096);
  const uint32_t indices = ref(kSpeculationBuffer, 4608);
  const uint32_t needed = ref(kSpeculationBuffer, 6144);
  builder.load(0, ref(kSpeculationBuffer, 0), m, d);
  builder.load(4096, ref(kTokenBuffer, 0), n, d, 0, kShift);
  builder.add(Opcode::ShiftAccumulate,
              {ref(kSpeculationBuffer, 0), ref(kTokenBuffer, 0), partial, m,
               n, d, queryBase, 0, survivors, 0},
              isa::Causal, kDma, kFilter);
  builder.add(Opcode::TopK,
              {partial, survivors, indices, m, n, n, queryBase, 0, needed, 0,
               0, floatBits(0.001f)},
              isa::Causal, kShift, 0);
  return builder.stream;
}

TEST(SimSelection, TopKCountsKeptAndVisibleKeys) {
  hardware::HardwareConfig config = loadReferenceConfig();
  isa::StreamFile stream = topKStream(config);
  llvm::Expected<SimResult> result = runStream(stream, config);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  // Rows 20..27 see 21..28 keys: 21 + 22 + ... + 28 = 196. Top-k keeps
  // ceil(0.25 * visible): 6, 6, 6, 6, 7, 7, 7, 7 = 52.
  EXPECT_EQ(result->selection.visibleKeys, 196u);
  EXPECT_EQ(result->selection.selectedKeys, 52u);
  EXPECT_EQ(result->selection.gatheredRows, 0u);
  // Every instruction is outside the stage ranges, so the "other" group
  // contains the same counts.
  ASSERT_EQ(result->stages.size(), 1u);
  EXPECT_EQ(result->stages[0].selection.selectedKeys, 52u);
  EXPECT_EQ(result->stages[0].selection.visibleKeys, 196u);
}

TEST(SimSelection, TimingOnlyEstimatesSameTopK) {
  hardware::HardwareConfig config = loadReferenceConfig();
  isa::StreamFile stream = topKStream(config);
  SimOptions options;
  options.timingOnly = true;
  llvm::Expected<SimResult> result =
      runStream(stream, config, {}, nullptr, options);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.visibleKeys, 196u);
  EXPECT_EQ(result->selection.selectedKeys, 52u);
}

/// Builds a gathered GEMM of 8 rows whose row bitmap starts at bit 3.
isa::StreamFile gatherStream(const hardware::HardwareConfig &config) {
  const unsigned m = 8, n = 4, k = 4;
  std::vector<uint8_t> a(m * k, 1), b(k * n, 2);
  // Bits 3..10 of the mask are 0, 1, 1, 0, 1, 1, 0, 1: rows 1, 2, 4, 5 and
  // 7 are computed.
  std::vector<uint8_t> mask = {0xb0, 0x05};
  StreamBuilder builder(config);
  builder.tensor("a", TensorRole::Weight, isa::ElementType::I8, {m, k}, 0, a);
  builder.tensor("b", TensorRole::Weight, isa::ElementType::I8, {k, n}, 4096,
                 b);
  builder.tensor("mask", TensorRole::Weight, isa::ElementType::U8, {2}, 8192,
                 mask);
  builder.load(0, ref(kTokenBuffer, 0), m, k);
  builder.load(8192, ref(kSpeculationBuffer, 0), 1, 2);
  builder.load(4096, ref(kWeightBuffer, 0), k, n, 0, kMac);
  builder.add(Opcode::Gemm,
              {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
               ref(kTempBuffer, 0), m, n, k, k, n, n,
               ref(kSpeculationBuffer, 0), 3},
              isa::Gather, kDma, 0);
  return builder.stream;
}

TEST(SimSelection, GatherCountsComputedRows) {
  hardware::HardwareConfig config = loadReferenceConfig();
  isa::StreamFile stream = gatherStream(config);
  llvm::Expected<SimResult> result = runStream(stream, config);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.gatheredRows, 8u);
  EXPECT_EQ(result->selection.gatheredRowsComputed, 5u);
  EXPECT_EQ(result->selection.selectedKeys, 0u);
  // 5 rows x 4 columns x 4 inner products.
  EXPECT_EQ(result->actions.macs, 80u);
}

TEST(SimSelection, TimingOnlyGatherUsesNeededFraction) {
  hardware::HardwareConfig config = loadReferenceConfig();
  isa::StreamFile stream = gatherStream(config);
  SimOptions options;
  options.timingOnly = true;
  options.neededFraction = 0.3;
  llvm::Expected<SimResult> result =
      runStream(stream, config, {}, nullptr, options);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  // ceil(8 x 0.3) = ceil(2.4) = 3.
  EXPECT_EQ(result->selection.gatheredRows, 8u);
  EXPECT_EQ(result->selection.gatheredRowsComputed, 3u);
}

} // namespace
