//===- WidthLimitTest.cpp - Largest terms, accumulators and overflow ------===//
//
// Drives ALOC and MRSA to the largest shifted term and the largest
// accumulator value their widths allow, checks that the value is exact at
// the limit, and that one bit less is detected and reported as an overflow.
// Also covers zero and sign handling in the rounds and the bounds.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Aloc.h"
#include "lapa/Predict/Mrsa.h"

#include <gtest/gtest.h>

using namespace lapa::predict;

namespace {

TEST(AlocWidth, LargestTermAndOverflow) {
  // The largest INT8 ALOC term: -127 << 6 = -8128 (LO(127) = 6), which
  // needs 14 signed bits ([-8192, 8191]).
  std::vector<int32_t> x = {-127, -127};
  std::vector<LogCode> w = {makeLogCode(127), makeLogCode(127)};
  AlocMatmulShape shape;
  shape.rows = 1;
  shape.inner = 1;
  shape.cols = 1;
  shape.accumulatorBits = 14;
  llvm::Expected<AlocMatmulResult> one =
      alocMatmulLogWeight(llvm::ArrayRef<int32_t>(x).take_front(1),
                          llvm::ArrayRef<LogCode>(w).take_front(1), shape);
  ASSERT_TRUE(bool(one)) << llvm::toString(one.takeError());
  EXPECT_EQ(one->values[0], -8128);

  // Two such terms sum to -16256, which needs 15 bits: reported, not
  // wrapped.
  shape.inner = 2;
  llvm::Expected<AlocMatmulResult> two = alocMatmulLogWeight(x, w, shape);
  ASSERT_FALSE(bool(two));
  std::string message = llvm::toString(two.takeError());
  EXPECT_NE(message.find("the partial sum -16256 needs 15 signed bits but "
                         "key_accumulator_bits allows 14"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("row 0, column 0, after term 1"), std::string::npos)
      << message;

  shape.accumulatorBits = 15;
  llvm::Expected<AlocMatmulResult> fits = alocMatmulLogWeight(x, w, shape);
  ASSERT_TRUE(bool(fits)) << llvm::toString(fits.takeError());
  EXPECT_EQ(fits->values[0], -16256);
}

TEST(AlocWidth, ShapeMismatchIsAnError) {
  AlocMatmulShape shape;
  shape.rows = 2;
  shape.inner = 2;
  shape.cols = 1;
  std::vector<int32_t> x = {1, 2, 3};
  std::vector<LogCode> w = {makeLogCode(1), makeLogCode(1)};
  llvm::Expected<AlocMatmulResult> result = alocMatmulLogWeight(x, w, shape);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("needs 4 and 2"),
            std::string::npos);
}

TEST(AlocActivation, CodedActivationsShiftWeights) {
  // key_log_coded = activation: s(x) * (w << LO(x)).
  //   x = 37 (+, LO 5), w = -20: -20 << 5 = -640
  //   x = -12 (-, LO 3), w = 7:  -(7 << 3) = -56
  //   x = 0 (zero flag), w = 99: 0
  // Sum -696; the exact product is -740 - 84 + 0 = -824.
  std::vector<LogCode> x = {makeLogCode(37), makeLogCode(-12), makeLogCode(0)};
  std::vector<int32_t> w = {-20, 7, 99};
  AlocMatmulShape shape;
  shape.rows = 1;
  shape.inner = 3;
  shape.cols = 1;
  llvm::Expected<AlocMatmulResult> result =
      alocMatmulLogActivation(x, w, shape);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->values[0], -696);
  // Three shift-adds of 8-bit weights and three run-time detections.
  EXPECT_EQ(result->counts.shiftAdds.at(8), 3u);
  EXPECT_EQ(result->counts.leadingOneDetections.at(8), 3u);
}

// The extreme tile of the default widths: d = 128, every key element -128
// (hi nibble -8, lo nibble 0) and every query element 32767 (LO 14).
class MrsaWidth : public ::testing::Test {
protected:
  static constexpr unsigned kDim = 128;
  std::vector<LogCode> query = std::vector<LogCode>(kDim, makeLogCode(32767));
  std::vector<int32_t> keys = std::vector<int32_t>(kDim, -128);

  TileShape shape() const {
    TileShape tile;
    tile.queryRows = 1;
    tile.keyRows = 1;
    tile.headDim = kDim;
    return tile;
  }
  llvm::Expected<ScorePrediction> run(std::vector<unsigned> widths) {
    MrsaParams params;
    params.accumulatorBits = std::move(widths);
    FilterParams none;
    none.rule = FilterRule::None;
    return predictScoresMrsa(query, keys, shape(), params, none,
                             SelectParams());
  }
};

TEST_F(MrsaWidth, DefaultWidthsHoldTheExtreme) {
  // Round 1 in units of 2^4: 128 lanes x (-8 << 14) = -2^24.
  // Round 2: 128 x (-128 << 14) = -2^28 in units of 1.
  llvm::Expected<ScorePrediction> result = run({26, 30});
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->scores[0], -(int64_t{1} << 28));
}

TEST_F(MrsaWidth, ExactLimitFits) {
  // -2^24 is the smallest 25-bit value and -2^28 the smallest 29-bit one.
  llvm::Expected<ScorePrediction> result = run({25, 29});
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->scores[0], -(int64_t{1} << 28));
}

TEST_F(MrsaWidth, RoundOneOverflowReported) {
  llvm::Expected<ScorePrediction> result = run({24, 29});
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  // Each lane adds -8 << 14 = -2^17 in units of 2^4. The 24-bit minimum is
  // -2^23 = -64 * 2^17, so lane 64 (the 65th) overflows with -65 * 2^17.
  EXPECT_NE(message.find("score round 1 (query row 0, key 0, after lane "
                         "64; value in units of 2^4)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("-8519680 needs 25 signed bits but "
                         "accumulator_bits[0] allows 24"),
            std::string::npos)
      << message;
}

TEST_F(MrsaWidth, RoundTwoOverflowReported) {
  llvm::Expected<ScorePrediction> result = run({25, 28});
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  EXPECT_NE(message.find("accumulator_bits[1] allows 28"), std::string::npos)
      << message;
}

TEST(MrsaInputs, KeyOutsideKeyBitsRejected) {
  std::vector<LogCode> query = {makeLogCode(1)};
  std::vector<int32_t> keys = {200};
  TileShape tile;
  tile.queryRows = 1;
  tile.keyRows = 1;
  tile.headDim = 1;
  llvm::Expected<ScorePrediction> result = predictScoresMrsa(
      query, keys, tile, MrsaParams(), FilterParams(), SelectParams());
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError())
                .find("is 200, outside the 8-bit range [-128, 127]"),
            std::string::npos);
}

TEST(MrsaSigns, ZeroAndNegativeLanes) {
  // q = [0, -1, 4]: lane 0 is zero and contributes nothing, lane 1 negates
  // (LO 0), lane 2 shifts by 2. Key [100, -7, -1]:
  //   hi = [6, -1, -1], lo = [4, 9, 15]
  //   round 1: -(-1 << 4) + (-1 << (4 + 2)) = 16 - 64 = -48
  //   round 2: -(9) + (15 << 2) = -9 + 60 = 51
  //   total -48 + 51 = 3, the exact 0 * 100 + (-1)(-7) + 4 * (-1), since
  //   every query value here is a power of two.
  std::vector<LogCode> query = {makeLogCode(0), makeLogCode(-1),
                                makeLogCode(4)};
  std::vector<int32_t> keys = {100, -7, -1};
  TileShape tile;
  tile.queryRows = 1;
  tile.keyRows = 1;
  tile.headDim = 3;
  FilterParams none;
  none.rule = FilterRule::None;
  llvm::Expected<ScorePrediction> result = predictScoresMrsa(
      query, keys, tile, MrsaParams(), none, SelectParams());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->scores[0], 3);

  // The bound ignores the zero lane: upper 15 << 2 = 60, lower -15.
  RemainingBound bound = remainingBound(query, MrsaParams(), 0);
  EXPECT_EQ(bound.upper, 60);
  EXPECT_EQ(bound.lower, -15);
}

TEST(MrsaSlices, ThreeUnevenSlices) {
  // Slices [2, 3, 3] of an 8-bit key: offsets 6, 3, 0.
  // -100 = 0b10011100: top = floor(-100 / 64) = -2, middle = (156 >> 3) & 7
  // = 3, bottom = 156 & 7 = 4; -2 * 64 + 3 * 8 + 4 = -100.
  EXPECT_EQ(sliceKey(-100, {2, 3, 3}), (std::vector<int32_t>{-2, 3, 4}));
  MrsaParams params;
  params.sliceWidths = {2, 3, 3};
  EXPECT_EQ(params.sliceOffsets(), (std::vector<unsigned>{6, 3, 0}));
  // After round 1 with a single positive lane of LO 0, the two remaining
  // slices can add at most 7 * 8 + 7 = 63.
  RemainingBound bound = remainingBound({makeLogCode(1)}, params, 0);
  EXPECT_EQ(bound.upper, 63);
  EXPECT_EQ(bound.lower, 0);
}

} // namespace
