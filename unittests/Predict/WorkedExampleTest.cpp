//===- WorkedExampleTest.cpp - Hand-worked examples of LAPA's prediction -===//
//
// Reproduces, number for number, three hand-worked examples of LAPA's
// prediction arithmetic: (a) one K-hat element by ALOC (-500) and by the
// symmetric log product (-416) against the exact -594; (b) two-round MRSA
// with the safe DDF filter on one query and six keys, which drops keys 1, 3
// and 5 after round 1 and selects keys 2 and 4; (c) the needed-token set of
// a four-query tile. The hand arithmetic behind every expected value is in
// the comments.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Aloc.h"
#include "lapa/Predict/Filter.h"
#include "lapa/Predict/LogCode.h"
#include "lapa/Predict/Mrsa.h"
#include "lapa/Predict/Select.h"

#include <gtest/gtest.h>

using namespace lapa::predict;

namespace {

std::vector<LogCode> codesOf(const std::vector<int32_t> &values) {
  std::vector<LogCode> codes;
  for (int32_t value : values)
    codes.push_back(makeLogCode(value));
  return codes;
}

// Example (a): x = [37, -12, 5, 90], w = [-20, 7, 100, -3].
TEST(WorkedExampleA, LogCodesOfWeights) {
  // -20 -> (-, LO 4), 7 -> (+, LO 2), 100 -> (+, LO 6), -3 -> (-, LO 1).
  std::vector<LogCode> codes = codesOf({-20, 7, 100, -3});
  EXPECT_TRUE(codes[0].negative);
  EXPECT_EQ(codes[0].leadingOne, 4);
  EXPECT_FALSE(codes[1].negative);
  EXPECT_EQ(codes[1].leadingOne, 2);
  EXPECT_FALSE(codes[2].negative);
  EXPECT_EQ(codes[2].leadingOne, 6);
  EXPECT_TRUE(codes[3].negative);
  EXPECT_EQ(codes[3].leadingOne, 1);
}

TEST(WorkedExampleA, AlocTermsAndSum) {
  std::vector<int32_t> x = {37, -12, 5, 90};
  std::vector<LogCode> w = codesOf({-20, 7, 100, -3});
  // -(37 << 4) = -592, -12 << 2 = -48, 5 << 6 = 320, -(90 << 1) = -180.
  EXPECT_EQ(alocProduct(x[0], w[0]), -592);
  EXPECT_EQ(alocProduct(x[1], w[1]), -48);
  EXPECT_EQ(alocProduct(x[2], w[2]), 320);
  EXPECT_EQ(alocProduct(x[3], w[3]), -180);

  // As a [1 x 4] . [4 x 1] product: the sum is -500 (84% of -594).
  AlocMatmulShape shape;
  shape.rows = 1;
  shape.inner = 4;
  shape.cols = 1;
  llvm::Expected<AlocMatmulResult> result = alocMatmulLogWeight(x, w, shape);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->values[0], -500);

  int64_t exact = 37 * -20 + -12 * 7 + 5 * 100 + 90 * -3;
  EXPECT_EQ(exact, -594);
}

TEST(WorkedExampleA, SymmetricTermsAndSum) {
  std::vector<LogCode> x = codesOf({37, -12, 5, 90});
  std::vector<LogCode> w = codesOf({-20, 7, 100, -3});
  // -2^(5+4) = -512, -2^(3+2) = -32, 2^(2+6) = 256, -2^(6+1) = -128.
  EXPECT_EQ(symmetricLogProduct(x[0], w[0]), -512);
  EXPECT_EQ(symmetricLogProduct(x[1], w[1]), -32);
  EXPECT_EQ(symmetricLogProduct(x[2], w[2]), 256);
  EXPECT_EQ(symmetricLogProduct(x[3], w[3]), -128);

  AlocMatmulShape shape;
  shape.rows = 1;
  shape.inner = 4;
  shape.cols = 1;
  llvm::Expected<AlocMatmulResult> result = symmetricLogMatmul(x, w, shape);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->values[0], -416);
}

// Example (b): q = [23, -6, 41, 3] and six INT8 keys, top-2.
class WorkedExampleB : public ::testing::Test {
protected:
  const std::vector<int32_t> query = {23, -6, 41, 3};
  const std::vector<int32_t> keys = {
      12,  -30, 25,  7,   // k0
      -40, 8,   -15, 2,   // k1
      33,  5,   60,  -9,  // k2
      2,   1,   -3,  4,   // k3
      18,  -44, 30,  -6,  // k4
      -7,  22,  -50, 11}; // k5

  TileShape shape() const {
    TileShape tile;
    tile.queryRows = 1;
    tile.keyRows = 6;
    tile.headDim = 4;
    tile.causal = false;
    return tile;
  }
  SelectParams topTwo() const {
    SelectParams select;
    select.mode = SelectMode::TopK;
    // ceil(6 / 3) = 2 keys of the six.
    select.keepRatio = 1.0 / 3.0;
    return select;
  }
};

TEST_F(WorkedExampleB, QueryCodes) {
  // LO(q) = [4, 2, 5, 1], signs [+, -, +, +].
  std::vector<LogCode> codes = codesOf(query);
  EXPECT_EQ(codes[0].leadingOne, 4);
  EXPECT_EQ(codes[1].leadingOne, 2);
  EXPECT_EQ(codes[2].leadingOne, 5);
  EXPECT_EQ(codes[3].leadingOne, 1);
  EXPECT_FALSE(codes[0].negative);
  EXPECT_TRUE(codes[1].negative);
  EXPECT_FALSE(codes[2].negative);
  EXPECT_FALSE(codes[3].negative);
}

TEST_F(WorkedExampleB, NibbleSplit) {
  // k = 16 * hi + lo with hi = k >> 4 (signed) and lo = k & 15.
  EXPECT_EQ(sliceKey(12, {4, 4}), (std::vector<int32_t>{0, 12}));
  EXPECT_EQ(sliceKey(-30, {4, 4}), (std::vector<int32_t>{-2, 2}));
  EXPECT_EQ(sliceKey(-40, {4, 4}), (std::vector<int32_t>{-3, 8}));
  EXPECT_EQ(sliceKey(60, {4, 4}), (std::vector<int32_t>{3, 12}));
  EXPECT_EQ(sliceKey(-1, {4, 4}), (std::vector<int32_t>{-1, 15}));
  for (int32_t k : keys) {
    std::vector<int32_t> parts = sliceKey(k, {4, 4});
    EXPECT_EQ(16 * parts[0] + parts[1], k) << k;
  }
}

TEST_F(WorkedExampleB, RoundTwoBound) {
  // upper = 15 * (2^4 + 2^5 + 2^1) = 750; lower = -15 * 2^2 = -60.
  RemainingBound bound = remainingBound(codesOf(query), MrsaParams(), 0);
  EXPECT_EQ(bound.upper, 750);
  EXPECT_EQ(bound.lower, -60);
  // Nothing remains after the last round.
  RemainingBound last = remainingBound(codesOf(query), MrsaParams(), 1);
  EXPECT_EQ(last.upper, 0);
  EXPECT_EQ(last.lower, 0);
}

TEST_F(WorkedExampleB, RoundOnePartialsWithoutFilter) {
  // With no filter every key runs both rounds. The scores after round 2 are
  // the hand-worked final scores for keys 0, 2 and 4; for keys 1, 3 and 5
  // they are the round-1 value plus the round-2 term, worked out as
  //   k1: lo = [8, 8, 1, 2]  -> 8*16 - 8*4 + 1*32 + 2*2 = 132; -1280 + 132
  //   k3: lo = [2, 1, 13, 4] -> 32 - 4 + 416 + 8 = 452;       -512 + 452
  //   k5: lo = [9, 6, 14, 11] -> 144 - 24 + 448 + 22 = 590;  -2368 + 590
  FilterParams none;
  none.rule = FilterRule::None;
  llvm::Expected<ScorePrediction> result = predictScoresMrsa(
      codesOf(query), keys, shape(), MrsaParams(), none, topTwo());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->scores,
            (std::vector<int64_t>{1126, -1148, 2410, -60, 1412, -1778}));
  EXPECT_EQ(result->rounds[0].candidates, 6u);
  EXPECT_EQ(result->rounds[1].candidates, 6u);
}

TEST_F(WorkedExampleB, SafeFilterDropsOneThreeFive) {
  // Round 1 (hi nibbles): [640, -1280, 2016, -512, 928, -2368].
  // Lower bounds P - 60: [580, -1340, 1956, -572, 868, -2428]; the 2nd
  // largest is 868. Upper bounds P + 750: [1390, -530, 2766, 238, 1678,
  // -1618]; keys 1, 3, 5 fall below 868 and are dropped.
  FilterParams safe;
  safe.rule = FilterRule::SafeBound;
  llvm::Expected<ScorePrediction> result = predictScoresMrsa(
      codesOf(query), keys, shape(), MrsaParams(), safe, topTwo());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());

  // Dropped keys keep their round-1 partial sum.
  EXPECT_EQ(result->scores,
            (std::vector<int64_t>{1126, -1280, 2410, -512, 1412, -2368}));
  EXPECT_EQ(result->roundsRun, (std::vector<uint8_t>{2, 1, 2, 1, 2, 1}));
  EXPECT_EQ(result->rounds[0].candidates, 6u);
  EXPECT_EQ(result->rounds[0].survivors, 3u);
  EXPECT_EQ(result->rounds[1].candidates, 3u);

  // The final top-2 is {2, 4}, the exact top-2 of q.k.
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{2, 4}));
  std::vector<int64_t> exact;
  for (unsigned j = 0; j < 6; ++j) {
    int64_t dot = 0;
    for (unsigned c = 0; c < 4; ++c)
      dot += int64_t(query[c]) * keys[j * 4 + c];
    exact.push_back(dot);
  }
  EXPECT_EQ(exact,
            (std::vector<int64_t>{1502, -1577, 3162, -71, 1890, -2310}));
}

TEST_F(WorkedExampleB, RoundCostsFollowSurvivors) {
  FilterParams safe;
  safe.rule = FilterRule::SafeBound;
  llvm::Expected<ScorePrediction> result = predictScoresMrsa(
      codesOf(query), keys, shape(), MrsaParams(), safe, topTwo());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  // Round 1: 6 keys x 4 lanes of 4-bit slices; round 2: 3 keys x 4 lanes.
  const OpCounts &round1 = result->cost.stage("score round 1");
  const OpCounts &round2 = result->cost.stage("score round 2");
  EXPECT_EQ(round1.shiftAdds.at(4), 24u);
  EXPECT_EQ(round2.shiftAdds.at(4), 12u);
  // Bits read: key slices (keys x 4 lanes x 4 bits) plus the 4 query codes
  // of 5 bits (16-bit query).
  EXPECT_EQ(round1.bitsRead, 6u * 4 * 4 + 4 * 5);
  EXPECT_EQ(round2.bitsRead, 3u * 4 * 4 + 4 * 5);
  // Accumulator writes: 6 x 26 bits, then 3 x 30 bits.
  EXPECT_EQ(round1.bitsWritten, 6u * 26);
  EXPECT_EQ(round2.bitsWritten, 3u * 30);
}

TEST_F(WorkedExampleB, MaxMeanNeedsTheBound) {
  // theta = 0.5 * 2016 + 0.5 * (-96) = 960, where -96 is the mean of the
  // round-1 partials (-576 / 6). On the optimistic bound the rule keeps
  // {0, 2, 4}; on the raw partial score key 4 (928 < 960) would be lost.
  std::vector<int64_t> partial = {640, -1280, 2016, -512, 928, -2368};
  std::vector<uint32_t> candidates = {0, 1, 2, 3, 4, 5};
  FilterParams maxMean;
  maxMean.rule = FilterRule::MaxMean;
  maxMean.alpha = 0.5;
  OpCounts counts;
  std::vector<uint32_t> kept = filterRow(maxMean, topTwo(), partial,
                                         candidates, 6, -60, 750, 30, counts);
  EXPECT_EQ(kept, (std::vector<uint32_t>{0, 2, 4}));
  std::vector<uint32_t> rawKept =
      filterRow(maxMean, topTwo(), partial, candidates, 6, 0, 0, 30, counts);
  EXPECT_EQ(rawKept, (std::vector<uint32_t>{2}));

  // Through the whole round loop the max-mean rule also selects {2, 4}.
  llvm::Expected<ScorePrediction> result = predictScoresMrsa(
      codesOf(query), keys, shape(), MrsaParams(), maxMean, topTwo());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{2, 4}));
}

// Example (c): the needed tokens of a four-query tile.
TEST(WorkedExampleC, NeededTokens) {
  Selection selection =
      makeSelection(4, 6, {{2, 4}, {0, 2}, {2, 4}, {0, 4}});
  EXPECT_TRUE(selection.neededTokens.test(0, 0));
  EXPECT_FALSE(selection.neededTokens.test(0, 1));
  EXPECT_TRUE(selection.neededTokens.test(0, 2));
  EXPECT_FALSE(selection.neededTokens.test(0, 3));
  EXPECT_TRUE(selection.neededTokens.test(0, 4));
  EXPECT_FALSE(selection.neededTokens.test(0, 5));
  // Three of six tokens: half of the K/V projection is skipped.
  EXPECT_EQ(selection.neededTokens.count(), 3u);
  EXPECT_EQ(selection.mask.count(), 8u);
  EXPECT_EQ(selection.rowOffsets, (std::vector<uint32_t>{0, 2, 4, 6, 8}));
}

} // namespace
