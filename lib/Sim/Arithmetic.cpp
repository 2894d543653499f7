//===- Arithmetic.cpp - Bit-exact f32 functions of the simulator ----------===//
//
// Every function here uses only IEEE-754 operations that round correctly
// (add, subtract, multiply, divide, square root, floor and exact
// scaling by powers of two), in a fixed order. Polynomials are Taylor series
// with coefficients 1/k! rounded to the working precision, evaluated by
// Horner's rule. The file must be compiled with -ffp-contract=off.
//
//===----------------------------------------------------------------------===//

#include "lapa/Sim/Arithmetic.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace lapa::sim;

namespace {

// Returns 2^k for k in [-126, 127] by building the exponent field.
float powerOfTwoF32(int k) {
  uint32_t bits = uint32_t(k + 127) << 23;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Returns value * 2^k for k in [-150, 128], rounding once. A first exact
// scaling keeps the intermediate normal, so only the last product can round
// (into the subnormal range).
float scaleByPowerOfTwo(float value, int k) {
  if (k > 127)
    return value * powerOfTwoF32(127) * powerOfTwoF32(k - 127);
  if (k < -126)
    return value * powerOfTwoF32(k + 100) * powerOfTwoF32(-100);
  return value * powerOfTwoF32(k);
}

// 1/k! for k = 0 .. 10, rounded to binary64 (and to f32 where used).
constexpr double kInverseFactorial[] = {
    1.0,
    1.0,
    1.0 / 2,
    1.0 / 6,
    1.0 / 24,
    1.0 / 120,
    1.0 / 720,
    1.0 / 5040,
    1.0 / 40320,
    1.0 / 362880,
    1.0 / 3628800,
};

// ln 2 split so that n * kLn2HighF32 is exact for |n| < 2^15: the high part
// has 9 significant bits (0x3F318000) and the low part is ln 2 minus it.
constexpr float kLn2HighF32 = 0.693359375f;
constexpr float kLn2LowF32 = -2.12194440e-4f;
constexpr float kLog2eF32 = 1.44269504f;

} // namespace

float lapa::sim::expF32(float x) {
  if (std::isnan(x))
    return x;
  if (x > 88.7228394f)
    return std::numeric_limits<float>::infinity();
  if (x < -103.972084f)
    return 0.0f;

  // x = n ln 2 + r with |r| <= ln(2) / 2 (plus rounding).
  float n = std::floor(x * kLog2eF32 + 0.5f);
  float r = (x - n * kLn2HighF32) - n * kLn2LowF32;

  // e^r = sum_{k <= 7} r^k / k!.
  float p = float(kInverseFactorial[7]);
  for (int k = 6; k >= 0; --k)
    p = p * r + float(kInverseFactorial[k]);
  return scaleByPowerOfTwo(p, int(n));
}

float lapa::sim::expm1F32(float x) {
  if (!(std::fabs(x) < 0.5f))
    return expF32(x) - 1.0f;
  // e^x - 1 = x * sum_{k = 1 .. 10} x^(k-1) / k!, which keeps the relative
  // accuracy near 0 that expF32(x) - 1 loses to cancellation.
  float q = float(1.0 / 3628800);
  for (int k = 9; k >= 1; --k)
    q = q * x + float(kInverseFactorial[k]);
  return q * x;
}

float lapa::sim::sigmoidF32(float x) { return 1.0f / (1.0f + expF32(-x)); }

float lapa::sim::tanhF32(float x) {
  if (std::isnan(x))
    return x;
  float a = std::fabs(x);
  float t;
  if (a < 0.25f) {
    // tanh a = -m / (2 + m) with m = e^(-2a) - 1.
    float m = expm1F32(-2.0f * a);
    t = -m / (2.0f + m);
  } else if (a > 9.0f) {
    // 1 - tanh(9) < 2^-24, so the result rounds to 1.
    t = 1.0f;
  } else {
    float e = expF32(-2.0f * a);
    t = (1.0f - e) / (1.0f + e);
  }
  return x < 0 ? -t : t;
}

float lapa::sim::siluF32(float x) { return x * sigmoidF32(x); }

float lapa::sim::geluF32(float x) {
  const float sqrtTwoOverPi = 0.797884561f;
  float cube = x * x * x;
  float inner = x + 0.044715f * cube;
  float u = sqrtTwoOverPi * inner;
  return (0.5f * x) * (1.0f + tanhF32(u));
}

float lapa::sim::reluF32(float x) {
  if (std::isnan(x))
    return x;
  // -0.0 > 0 is false, so negative zero becomes +0.0 like any negative x.
  return x > 0.0f ? x : 0.0f;
}

void lapa::sim::softmaxRow(float *row, const uint8_t *valid, unsigned count) {
  bool any = false;
  float maxValue = 0.0f;
  for (unsigned t = 0; t < count; ++t) {
    if (!valid[t])
      continue;
    if (!any || row[t] > maxValue)
      maxValue = row[t];
    any = true;
  }
  if (!any) {
    for (unsigned t = 0; t < count; ++t)
      row[t] = 0.0f;
    return;
  }
  float sum = 0.0f;
  for (unsigned t = 0; t < count; ++t) {
    row[t] = valid[t] ? expF32(row[t] - maxValue) : 0.0f;
    sum += row[t];
  }
  for (unsigned t = 0; t < count; ++t)
    if (valid[t])
      row[t] = row[t] / sum;
}

void lapa::sim::rmsNormRow(const float *x, const float *gain, float *y,
                           unsigned count, float epsilon) {
  float sumSquares = 0.0f;
  for (unsigned j = 0; j < count; ++j)
    sumSquares += x[j] * x[j];
  float mean = sumSquares / float(count);
  float inverse = 1.0f / std::sqrt(mean + epsilon);
  for (unsigned j = 0; j < count; ++j)
    y[j] = (x[j] * inverse) * gain[j];
}

void lapa::sim::layerNormRow(const float *x, const float *gain,
                             const float *bias, float *y, unsigned count,
                             float epsilon) {
  float sum = 0.0f;
  for (unsigned j = 0; j < count; ++j)
    sum += x[j];
  float mean = sum / float(count);
  float sumSquares = 0.0f;
  for (unsigned j = 0; j < count; ++j) {
    float centered = x[j] - mean;
    sumSquares += centered * centered;
  }
  float variance = sumSquares / float(count);
  float inverse = 1.0f / std::sqrt(variance + epsilon);
  for (unsigned j = 0; j < count; ++j) {
    float value = ((x[j] - mean) * inverse) * gain[j];
    y[j] = bias ? value + bias[j] : value;
  }
}
