//===- Arithmetic.h - Bit-exact f32 functions of the simulator --*- C++ -*-===//
//
// The floating-point functions that the vector and softmax units evaluate.
// Each is built from IEEE binary32 additions, multiplications, divisions
// and square roots in a fixed order,
// with no library call whose result may differ between C libraries, so the
// simulator's outputs are bit-identical on every IEEE machine. The sources
// are compiled with -ffp-contract=off so that no multiply-add is fused.
// docs/simulator.md (section Arithmetic) gives the algorithms and the error
// bounds that unittests/Sim/ArithmeticTest.cpp checks.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SIM_ARITHMETIC_H
#define LAPA_SIM_ARITHMETIC_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace lapa::sim {

/// Returns e^x: x = n ln 2 + r with |r| <= ln(2) / 2, a degree-7 Taylor
/// polynomial for e^r and an exact scaling by 2^n. Overflows to +inf above
/// 88.72284 and returns 0 below -103.9721; NaN stays NaN.
float expF32(float x);
/// Returns e^x - 1, accurate near 0 (Taylor series for |x| < 0.5, else
/// expF32(x) - 1).
float expm1F32(float x);
/// Returns 1 / (1 + e^-x).
float sigmoidF32(float x);
/// Returns tanh(x) from expm1F32 (|x| < 0.55) or expF32.
float tanhF32(float x);
/// Returns x * sigmoid(x).
float siluF32(float x);
/// Returns the tanh form of GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715
/// x^3))).
float geluF32(float x);
/// Returns max(x, 0) exactly. A NaN is returned with its bits unchanged
/// (sign and payload), and -0.0 gives +0.0.
float reluF32(float x);

/// Computes a softmax row in place over the entries whose `valid` flag is
/// set (the others become 0): m = max, e = exp(x - m), s = sum of e in index
/// order, p = e / s. A row with no valid entry becomes all zeros.
void softmaxRow(float *row, const uint8_t *valid, unsigned count);

/// Normalizes one row: y = (x * (1 / sqrt(mean(x^2) + eps))) * g, with the
/// sum of squares accumulated in index order in f32.
void rmsNormRow(const float *x, const float *gain, float *y, unsigned count,
                float epsilon);
/// Normalizes one row: mean and variance in two passes in f32, then
/// y = ((x - mean) * (1 / sqrt(var + eps))) * g + b.
void layerNormRow(const float *x, const float *gain, const float *bias,
                  float *y, unsigned count, float epsilon);

} // namespace lapa::sim

#endif // LAPA_SIM_ARITHMETIC_H
