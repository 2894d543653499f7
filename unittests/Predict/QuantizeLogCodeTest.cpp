//===- QuantizeLogCodeTest.cpp - Quantization and log codes ---------------===//
//
// Round-to-nearest-even, saturation, max-abs steps, per-row scales, and the
// sign / leading-one / zero codes with their packed widths, including the
// values at the edges of each width.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/LogCode.h"
#include "lapa/Predict/Quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace lapa::predict;

namespace {

TEST(Quantize, RoundHalfToEven) {
  EXPECT_EQ(roundHalfToEven(0.5), 0.0);
  EXPECT_EQ(roundHalfToEven(1.5), 2.0);
  EXPECT_EQ(roundHalfToEven(2.5), 2.0);
  EXPECT_EQ(roundHalfToEven(3.5), 4.0);
  EXPECT_EQ(roundHalfToEven(-0.5), 0.0);
  EXPECT_EQ(roundHalfToEven(-1.5), -2.0);
  EXPECT_EQ(roundHalfToEven(-2.5), -2.0);
  EXPECT_EQ(roundHalfToEven(2.4999), 2.0);
  EXPECT_EQ(roundHalfToEven(-2.5001), -3.0);
}

TEST(Quantize, SymmetricLimits) {
  EXPECT_EQ(symmetricMax(8), 127);
  EXPECT_EQ(symmetricMax(4), 7);
  EXPECT_EQ(symmetricMax(16), 32767);
  bool saturated = false;
  EXPECT_EQ(saturateSymmetric(-128, 8, saturated), -127);
  EXPECT_TRUE(saturated);
  saturated = false;
  EXPECT_EQ(saturateSymmetric(127, 8, saturated), 127);
  EXPECT_FALSE(saturated);
}

TEST(Quantize, SaturationWithGivenStep) {
  // Step 1: 200 -> 127 and -300 -> -127 saturate; 126.5 ties to 126.
  QuantizedTensor q = quantizeWithStep({200.0f, -300.0f, 126.5f, -0.5f},
                                       1.0, 8);
  EXPECT_EQ(q.values, (std::vector<int32_t>{127, -127, 126, 0}));
  EXPECT_EQ(q.saturated, 2u);
  // Infinity saturates and NaN maps to 0, both counted.
  QuantizedTensor odd = quantizeWithStep(
      {std::numeric_limits<float>::infinity(),
       std::numeric_limits<float>::quiet_NaN()},
      1.0, 8);
  EXPECT_EQ(odd.values, (std::vector<int32_t>{127, 0}));
  EXPECT_EQ(odd.saturated, 2u);
}

TEST(Quantize, MaxAbsPerTensor) {
  // max |x| = 31.75, so step = 31.75 / 127 = 0.25 exactly. Then
  // 16 / 0.25 = 64, 0.125 / 0.25 = 0.5 ties to 0, 0.375 / 0.25 = 1.5 ties
  // to 2.
  QuantizedTensor q = quantizePerTensor({-31.75f, 16.0f, 0.125f, 0.375f}, 8);
  EXPECT_EQ(q.steps[0], 0.25);
  EXPECT_EQ(q.values, (std::vector<int32_t>{-127, 64, 0, 2}));
  EXPECT_EQ(q.saturated, 0u);
  // All zeros: step 1, no division by zero.
  QuantizedTensor zeros = quantizePerTensor({0.0f, 0.0f}, 8);
  EXPECT_EQ(zeros.steps[0], 1.0);
  EXPECT_EQ(zeros.values, (std::vector<int32_t>{0, 0}));
}

TEST(Quantize, PerRowSteps) {
  // At 4 bits (max 7): row 0 has max 7, step 1; row 1 has max 0.875, step
  // 0.125, and -0.3125 / 0.125 = -2.5 ties to -2.
  QuantizedTensor q =
      quantizePerRow({7.0f, -3.0f, 0.875f, -0.3125f}, 2, 2, 4);
  ASSERT_EQ(q.steps.size(), 2u);
  EXPECT_EQ(q.steps[0], 1.0);
  EXPECT_EQ(q.steps[1], 0.125);
  EXPECT_EQ(q.values, (std::vector<int32_t>{7, -3, 7, -2}));
}

TEST(LogCode, LeadingOnePositions) {
  EXPECT_EQ(leadingOnePosition(1), 0u);
  EXPECT_EQ(leadingOnePosition(2), 1u);
  EXPECT_EQ(leadingOnePosition(3), 1u);
  EXPECT_EQ(leadingOnePosition(127), 6u);
  EXPECT_EQ(leadingOnePosition(128), 7u);
  EXPECT_EQ(leadingOnePosition(32767), 14u);
}

TEST(LogCode, SignAndZero) {
  LogCode zero = makeLogCode(0);
  EXPECT_TRUE(zero.zero);
  EXPECT_FALSE(zero.negative);
  EXPECT_EQ(decodeLogCode(zero), 0);

  LogCode minusOne = makeLogCode(-1);
  EXPECT_FALSE(minusOne.zero);
  EXPECT_TRUE(minusOne.negative);
  EXPECT_EQ(minusOne.leadingOne, 0);
  EXPECT_EQ(decodeLogCode(minusOne), -1);

  // -127 -> -(2^6) = -64: the magnitude is under-estimated by at most 2x.
  EXPECT_EQ(decodeLogCode(makeLogCode(-127)), -64);
  EXPECT_EQ(decodeLogCode(makeLogCode(64)), 64);
  EXPECT_EQ(decodeLogCode(makeLogCode(32767)), 16384);
}

TEST(LogCode, WidthsOfTheReference) {
  // INT8: 1 sign + 3 exponent bits (LO 0..6, zero = 7) = 4 bits.
  EXPECT_EQ(logCodeBits(8), 4u);
  // INT16: 1 sign + 4 exponent bits (LO 0..14, zero = 15) = 5 bits.
  EXPECT_EQ(logCodeBits(16), 5u);
  EXPECT_EQ(logCodeBits(4), 3u);
}

TEST(LogCode, RangeLimits) {
  llvm::Expected<LogCode> top = encodeLogCode(127, 8);
  ASSERT_TRUE(bool(top));
  EXPECT_EQ(top->leadingOne, 6);
  llvm::Expected<LogCode> bottom = encodeLogCode(-127, 8);
  ASSERT_TRUE(bool(bottom));
  EXPECT_EQ(bottom->leadingOne, 6);

  // -128 is outside the symmetric range: its LO of 7 would collide with the
  // zero flag of the 3-bit exponent field.
  llvm::Expected<LogCode> outside = encodeLogCode(-128, 8);
  ASSERT_FALSE(bool(outside));
  std::string message = llvm::toString(outside.takeError());
  EXPECT_NE(message.find("value -128 is outside the symmetric 8-bit range "
                         "[-127, 127]"),
            std::string::npos)
      << message;

  llvm::Expected<std::vector<LogCode>> many =
      encodeLogCodes({1, 2, 40000}, 16);
  ASSERT_FALSE(bool(many));
  EXPECT_NE(llvm::toString(many.takeError()).find("element 2"),
            std::string::npos);
}

TEST(LogCode, PackRoundTripsEveryValue) {
  for (unsigned bits : {4u, 8u, 16u}) {
    int64_t limit = symmetricMax(bits);
    for (int64_t v = -limit; v <= limit; ++v) {
      LogCode code = makeLogCode(v);
      uint32_t packed = packLogCode(code, bits);
      EXPECT_LT(packed, 1u << logCodeBits(bits)) << v;
      EXPECT_EQ(unpackLogCode(packed, bits), code) << v;
    }
  }
  // Zero packs to the reserved exponent: 7 for INT8, 15 for INT16.
  EXPECT_EQ(packLogCode(makeLogCode(0), 8), 7u);
  EXPECT_EQ(packLogCode(makeLogCode(0), 16), 15u);
  // -5 = (-, LO 2) packs to sign bit 8 | 2 for INT8.
  EXPECT_EQ(packLogCode(makeLogCode(-5), 8), 10u);
}

} // namespace
