//===- ArithmeticTest.cpp - The f32 functions against binary64 ------------===//
//
// Sweeps each function of lapa/Sim/Arithmetic.h over a dense grid and
// compares it with the binary64 C library result. The bounds here are the
// ones docs/simulator.md states.
//
//===----------------------------------------------------------------------===//

#include "lapa/Sim/Arithmetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace lapa::sim;

namespace {

/// Returns |value - reference| in units of the last place of `reference`
/// rounded to f32 (the spacing of f32 numbers near it).
double ulpError(float value, double reference) {
  double magnitude = std::fabs(reference);
  if (magnitude < std::numeric_limits<float>::min())
    magnitude = std::numeric_limits<float>::min();
  int exponent = 0;
  std::frexp(magnitude, &exponent);
  double ulp = std::ldexp(1.0, exponent - 24);
  return std::fabs(double(value) - reference) / ulp;
}

TEST(SimArithmetic, ExpWithinTwoUlp) {
  double worst = 0;
  for (double x = -87.0; x <= 88.0; x += 0.00113) {
    float input = float(x);
    worst = std::max(worst, ulpError(expF32(input), std::exp(double(input))));
  }
  EXPECT_LE(worst, 2.0);
}

TEST(SimArithmetic, ExpSpecialValues) {
  EXPECT_EQ(expF32(0.0f), 1.0f);
  EXPECT_TRUE(std::isinf(expF32(89.0f)));
  EXPECT_EQ(expF32(-104.0f), 0.0f);
  EXPECT_TRUE(std::isnan(expF32(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(expF32(-std::numeric_limits<float>::infinity()), 0.0f);
  // A subnormal result: e^-100 = 3.7e-44, rounded once.
  EXPECT_NEAR(double(expF32(-100.0f)), std::exp(-100.0), 1.5e-45);
}

TEST(SimArithmetic, Expm1WithinTwoUlp) {
  double worst = 0;
  for (double x = -3.0; x <= 3.0; x += 0.000371) {
    float input = float(x);
    if (input == 0.0f)
      continue;
    worst =
        std::max(worst, ulpError(expm1F32(input), std::expm1(double(input))));
  }
  EXPECT_LE(worst, 2.0);
}

TEST(SimArithmetic, TanhWithinFourUlp) {
  double worst = 0;
  for (double x = -12.0; x <= 12.0; x += 0.000917) {
    float input = float(x);
    if (input == 0.0f)
      continue;
    worst = std::max(worst, ulpError(tanhF32(input), std::tanh(double(input))));
  }
  EXPECT_LE(worst, 4.0);
}

TEST(SimArithmetic, SigmoidAndSiluWithinFourUlp) {
  double worstSigmoid = 0, worstSilu = 0;
  for (double x = -80.0; x <= 80.0; x += 0.00731) {
    float input = float(x);
    if (input == 0.0f)
      continue;
    double sigmoid = 1.0 / (1.0 + std::exp(-double(input)));
    worstSigmoid = std::max(worstSigmoid, ulpError(sigmoidF32(input), sigmoid));
    worstSilu = std::max(worstSilu,
                         ulpError(siluF32(input), double(input) * sigmoid));
  }
  EXPECT_LE(worstSigmoid, 4.0);
  EXPECT_LE(worstSilu, 4.0);
}

TEST(SimArithmetic, GeluWithinBound) {
  // Where 1 + tanh(u) is small (negative x) its absolute error of about
  // one ulp of 1 dominates, so the bound has a relative part (1e-6) and an
  // absolute part of 2e-7 (1 + |x|).
  for (double x = -10.0; x <= 10.0; x += 0.00337) {
    float input = float(x);
    double u = 0.7978845608028654 *
               (double(input) + 0.044715 * std::pow(double(input), 3));
    double reference = 0.5 * double(input) * (1.0 + std::tanh(u));
    double error = std::fabs(double(geluF32(input)) - reference);
    EXPECT_LE(error, 1e-6 * std::fabs(reference) +
                         2e-7 * (1.0 + std::fabs(double(input))))
        << "x = " << input;
  }
}

TEST(SimArithmetic, SoftmaxRowMatchesDouble) {
  std::vector<float> row = {2.5f, -1.0f, 0.0f, 7.25f, 3.0f, -30.0f, 1.0f};
  std::vector<uint8_t> valid = {1, 1, 0, 1, 1, 1, 1};
  std::vector<double> logits(row.begin(), row.end());
  double maxLogit = 7.25, sum = 0;
  for (size_t t = 0; t < row.size(); ++t)
    if (valid[t])
      sum += std::exp(logits[t] - maxLogit);
  softmaxRow(row.data(), valid.data(), unsigned(row.size()));
  for (size_t t = 0; t < row.size(); ++t) {
    double expected = valid[t] ? std::exp(logits[t] - maxLogit) / sum : 0.0;
    EXPECT_LE(std::fabs(double(row[t]) - expected), 4e-7 * expected + 1e-30)
        << "entry " << t;
  }
  EXPECT_EQ(row[2], 0.0f);
}

TEST(SimArithmetic, SoftmaxRowWithoutValidEntries) {
  std::vector<float> row = {1.0f, 2.0f};
  std::vector<uint8_t> valid = {0, 0};
  softmaxRow(row.data(), valid.data(), 2);
  EXPECT_EQ(row[0], 0.0f);
  EXPECT_EQ(row[1], 0.0f);
}

TEST(SimArithmetic, NormsMatchDouble) {
  const unsigned n = 257;
  std::vector<float> x(n), gain(n), bias(n), y(n);
  for (unsigned j = 0; j < n; ++j) {
    x[j] = float(std::sin(0.37 * j) * 3.0 + 0.25);
    gain[j] = float(1.0 + 0.01 * j);
    bias[j] = float(0.5 - 0.002 * j);
  }
  const float epsilon = 1e-5f;

  double sumSquares = 0;
  for (float value : x)
    sumSquares += double(value) * value;
  double inverse = 1.0 / std::sqrt(sumSquares / n + double(epsilon));
  rmsNormRow(x.data(), gain.data(), y.data(), n, epsilon);
  for (unsigned j = 0; j < n; ++j) {
    double expected = double(x[j]) * inverse * gain[j];
    EXPECT_LE(std::fabs(double(y[j]) - expected), 1e-5 * std::fabs(expected) +
                                                      1e-6)
        << "RMSNorm column " << j;
  }

  double mean = 0;
  for (float value : x)
    mean += value;
  mean /= n;
  double variance = 0;
  for (float value : x)
    variance += (value - mean) * (value - mean);
  variance /= n;
  double layerInverse = 1.0 / std::sqrt(variance + double(epsilon));
  layerNormRow(x.data(), gain.data(), bias.data(), y.data(), n, epsilon);
  for (unsigned j = 0; j < n; ++j) {
    double expected = (double(x[j]) - mean) * layerInverse * gain[j] + bias[j];
    EXPECT_LE(std::fabs(double(y[j]) - expected), 1e-5)
        << "LayerNorm column " << j;
  }
}

} // namespace
