//===- TimingTest.cpp - Golden cycle counts worked out by hand ------------===//
//
// Each test states the latency formula of docs/simulator.md with the
// numbers of examples/hw/lapa-28nm.yaml and works the count out in the
// comments. The simulator must give exactly that count. The machine: 1 GHz
// clock, DRAM 100 ns latency, 512 GB/s over 16 channels (512 bytes/cycle,
// 32 per channel) interleaved every 256 bytes, 16 DMA engines of 32
// bytes/cycle, a 32 x 16 MAC array, a 64 x 64 shift array, 64 filter lanes
// taking 12 scores per cycle each.
//
//===----------------------------------------------------------------------===//

#include "SimTestSupport.h"

#include "lapa/Predict/PredictorConfig.h"

using namespace lapa;
using namespace lapa::sim;
using namespace lapa::sim::test;
using isa::Opcode;
using isa::TensorRole;
using isa::Unit;

namespace {

SimOptions timingOnly() {
  SimOptions options;
  options.timingOnly = true;
  return options;
}

TEST(SimTiming, OneDmaTransfer) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  builder.tensor("x", TensorRole::Input, isa::ElementType::I8, {1024}, 0);
  builder.load(0, ref(kTokenBuffer, 0), 1, 1024);
  // latency = ceil(100 ns x 1000 MHz / 1000) = 100 cycles. 1024 bytes from
  // address 0 span the 256-byte blocks 0..3, so 4 of 16 channels: 4/16 x 512
  // = 128 bytes/cycle, below the 512 of the DMA engines. 1024 / 128 = 8.
  // Total 100 + 8 = 108.
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->totalCycles, 108u);
  EXPECT_EQ(result->units[unsigned(Unit::Dma)].busyCycles, 108u);
  EXPECT_EQ(result->actions.dramReadBytes, 1024u);
}

TEST(SimTiming, OneGemmTile) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  // C[64 x 32] = A[64 x 100] . B[100 x 32]: ceil(64 / 32) = 2 row tiles x
  // ceil(32 / 16) = 2 column tiles x K = 100 cycles = 400, plus the fill
  // and drain of 32 + 16 - 2 = 46: 446 cycles.
  builder.add(Opcode::Gemm, {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
                             ref(kTempBuffer, 0), 64, 32, 100, 100, 32, 32});
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->totalCycles, 446u);
  EXPECT_EQ(result->actions.macs, 64u * 32 * 100);
  EXPECT_EQ(result->denseOps, 2u * 64 * 32 * 100);
}

TEST(SimTiming, ReluCostsAsSilu) {
  hardware::HardwareConfig config = loadReferenceConfig();
  // 16 x 100 = 1,600 elements, one pass, over the 32 vector lanes:
  // 1600 / 32 = 50 cycles for relu, and the same for silu.
  for (Opcode op : {Opcode::Relu, Opcode::Silu}) {
    StreamBuilder builder(config);
    builder.add(op, {ref(kTempBuffer, 0), ref(kTempBuffer, 8192), 16, 100,
                     100, 100});
    llvm::Expected<SimResult> result =
        runStream(builder.stream, config, {}, nullptr, timingOnly());
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    EXPECT_EQ(result->totalCycles, 50u) << isa::opcodeName(op);
    EXPECT_EQ(result->units[unsigned(Unit::Vector)].busyCycles, 50u)
        << isa::opcodeName(op);
    EXPECT_EQ(result->actions.vectorOps, 1600u) << isa::opcodeName(op);
  }
}

TEST(SimTiming, ShiftAccumulateRound) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  builder.stream.predictors.push_back(predict::printPredictorConfig(
      predict::PredictorConfig::defaults(predict::Scheme::Lapa)));
  // Round 0 for query rows 60..63 against 64 keys, causal: the rows see 61,
  // 62, 63 and 64 keys, 250 pairs. 250 pairs x D = 64 lanes = 16,000
  // shift-adds over 64 x 64 = 4,096 PEs: ceil(16000 / 4096) = 4 cycles,
  // plus the adder tree over the 64 columns, log2(64) = 6: 10 cycles.
  builder.add(Opcode::ShiftAccumulate,
              {ref(kSpeculationBuffer, 0), ref(kTokenBuffer, 0),
               ref(kSpeculationBuffer, 4096), 4, 64, 64, 60, 0,
               ref(kSpeculationBuffer, 8192), 0},
              isa::Causal);
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->totalCycles, 10u);
  EXPECT_EQ(result->actions.shiftAdds, 16000u);
}

TEST(SimTiming, TopKPass) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  builder.stream.predictors.push_back(predict::printPredictorConfig(
      predict::PredictorConfig::defaults(predict::Scheme::Lapa)));
  // 32 rows x 64 keys, not causal, every key a candidate: 2,048 scores over
  // 64 lanes x 12 scores per cycle = 768 per cycle: ceil(2048 / 768) = 3.
  builder.add(Opcode::TopK,
              {ref(kSpeculationBuffer, 0), ref(kSpeculationBuffer, 8192),
               ref(kSpeculationBuffer, 8448), 32, 64, 16, 0, 0,
               ref(kSpeculationBuffer, 9472), 0, 0, floatBits(0.125f)});
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->totalCycles, 3u);
  EXPECT_EQ(result->actions.compares, 2048u);
}

TEST(SimTiming, PredictChargesProductsOnlyForOperands) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  builder.stream.predictors.push_back(predict::printPredictorConfig(
      predict::PredictorConfig::defaults(predict::Scheme::Spatten)));
  // SpAtten ranks 32 rows x 64 keys (not causal) by the importance in
  // `extra` and reads no Q or K: no products, and the 2,048 comparisons
  // take ceil(2048 / 768) = 3 cycles on the filter lanes.
  builder.add(Opcode::Predict,
              {isa::kNoBuffer, isa::kNoBuffer, ref(kSpeculationBuffer, 0), 32,
               64, 16, 0, 64, ref(kSpeculationBuffer, 1024), 0, isa::kNoBuffer,
               isa::kNoBuffer, ref(kTempBuffer, 0)});
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->totalCycles, 3u);
  EXPECT_EQ(result->actions.shiftAdds, 0u);
  EXPECT_EQ(result->actions.compares, 2048u);
}

TEST(SimTiming, TwoUnitOverlapWithTokens) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  builder.tensor("x", TensorRole::Input, isa::ElementType::I8, {4096}, 0);
  // I0: load 1024 bytes, 108 cycles as in OneDmaTransfer: [0, 108); it
  //     signals the MAC array.
  builder.load(0, ref(kTokenBuffer, 0), 1, 1024, 0, unitBit(Unit::Mac));
  // I1: GEMM 32 x 16 x 64 waits for that token: 1 x 1 x 64 + 46 = 110
  //     cycles, [108, 218).
  builder.add(Opcode::Gemm,
              {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
               ref(kTempBuffer, 0), 32, 16, 64, 64, 16, 16},
              0, unitBit(Unit::Dma), 0);
  // I2: another 1024-byte load (blocks 4..7, again 4 channels, 108 cycles)
  //     needs no token, so it runs beside the GEMM: [108, 216).
  builder.load(1024, ref(kTokenBuffer, 2048), 1, 1024);
  // Total: the GEMM ends last, at 218. The DMA unit is busy 216 cycles and
  // the MAC array 110, with 108 stall cycles waiting for the token.
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->totalCycles, 218u);
  ASSERT_EQ(result->timeline.size(), 3u);
  EXPECT_EQ(result->timeline[1].start, 108u);
  EXPECT_EQ(result->timeline[2].start, 108u);
  EXPECT_EQ(result->timeline[2].end, 216u);
  EXPECT_EQ(result->units[unsigned(Unit::Dma)].busyCycles, 216u);
  EXPECT_EQ(result->units[unsigned(Unit::Mac)].busyCycles, 110u);
  EXPECT_EQ(result->units[unsigned(Unit::Mac)].stallCycles, 108u);
}

TEST(SimTiming, PredictionOverlapsMac) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  builder.stream.predictors.push_back(predict::printPredictorConfig(
      predict::PredictorConfig::defaults(predict::Scheme::Lapa)));
  // GEMM [0, 446) as in OneGemmTile, and a top-k [0, 3) on the filter lanes
  // beside it: 3 cycles of overlap.
  builder.add(Opcode::Gemm, {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
                             ref(kTempBuffer, 0), 64, 32, 100, 100, 32, 32});
  builder.add(Opcode::TopK,
              {ref(kSpeculationBuffer, 0), ref(kSpeculationBuffer, 8192),
               ref(kSpeculationBuffer, 8448), 32, 64, 16, 0, 0,
               ref(kSpeculationBuffer, 9472), 0, 0, floatBits(0.125f)});
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->totalCycles, 446u);
  EXPECT_EQ(result->predictionBusyCycles, 3u);
  EXPECT_EQ(result->predictionMacOverlapCycles, 3u);
}

TEST(SimTiming, FullQueueStallsSignaller) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  // 65 vector adds on 1 x 32 elements (1 cycle each on 32 lanes) all signal
  // the MAC array. The MAC array first runs a 446-cycle GEMM and only then
  // the 65 small GEMMs that take the tokens. A queue has room for 64 tokens,
  // so the 65th add ends at cycle 65 but cannot push its token until the
  // first small GEMM takes one at cycle 446.
  builder.add(Opcode::Gemm, {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
                             ref(kTempBuffer, 0), 64, 32, 100, 100, 32, 32});
  for (int i = 0; i < 65; ++i)
    builder.add(Opcode::Add,
                {ref(kTempBuffer, 16384), ref(kTempBuffer, 16384),
                 ref(kTempBuffer, 16384 + 128), 1, 32, 32, 32, 32},
                0, 0, unitBit(Unit::Mac));
  for (int i = 0; i < 65; ++i)
    builder.add(Opcode::Gemm,
                {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
                 ref(kTempBuffer, 0), 32, 16, 1, 1, 16, 16},
                0, unitBit(Unit::Vector), 0);
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  // Adds i = 0..63 run [i, i + 1). Add 64 runs [64, 65) and waits for the
  // first small GEMM to take a token: it starts at 446 (after the big GEMM),
  // so add 64 releases the vector unit at 446 and stalls 381 cycles.
  const size_t lastAdd = 1 + 64;
  EXPECT_EQ(result->timeline[lastAdd].start, 64u);
  EXPECT_EQ(result->units[unsigned(Unit::Vector)].stallCycles, 446u - 65u);
  // Each small GEMM: 1 x 1 x 1 + 46 = 47 cycles, back to back from 446.
  EXPECT_EQ(result->totalCycles, 446u + 65u * 47u);
}

TEST(SimTiming, DeadlockNamesBlockedUnits) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  // The GEMM waits for the DMA unit and the load waits for the MAC array:
  // neither can start.
  builder.tensor("x", TensorRole::Input, isa::ElementType::I8, {1024}, 0);
  builder.add(Opcode::Gemm,
              {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
               ref(kTempBuffer, 0), 32, 16, 64, 64, 16, 16},
              0, unitBit(Unit::Dma), unitBit(Unit::Dma));
  builder.load(0, ref(kTokenBuffer, 0), 1, 1024, unitBit(Unit::Mac),
               unitBit(Unit::Mac));
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, timingOnly());
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  EXPECT_NE(message.find("deadlock"), std::string::npos) << message;
  EXPECT_NE(message.find("unit mac: instruction 0 (gemm) waits for a token "
                         "from dma"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("unit dma: instruction 1 (load) waits for a token "
                         "from mac"),
            std::string::npos)
      << message;
}

} // namespace
