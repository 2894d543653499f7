//===- Quantize.h - Symmetric integer quantization ------------*- C++ -*-===//
//
// Symmetric quantization of float tensors to signed B-bit integers, as the
// accelerator stores activations, weights, the query and the predicted keys:
//
//   step = max|x| / (2^(B-1) - 1)          (max-abs calibration)
//   q    = clamp(RNE(x / step), -(2^(B-1) - 1), 2^(B-1) - 1)
//
// RNE is round-to-nearest with ties to even, computed in double precision.
// The range is symmetric, so -2^(B-1) never occurs: the log code of the
// smallest value then still fits the exponent field (see LogCode.h). Values
// beyond the range saturate, and the count of saturated elements is reported.
// Scales are per tensor (one step) or per channel (one step per row of a
// row-major matrix). An all-zero tensor or channel gets step 1.
//
// The evaluation uses: per-tensor steps for the layer input X, for Q and for
// K of one head; per-output-channel steps for W_K and W_Q.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_QUANTIZE_H
#define LAPA_PREDICT_QUANTIZE_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace lapa::predict {

/// Rounds to the nearest integer, ties to even (IEEE roundTiesToEven).
double roundHalfToEven(double value);

/// Largest magnitude of a symmetric signed B-bit integer: 2^(B-1) - 1.
/// Valid for 2 <= bits <= 32.
int64_t symmetricMax(unsigned bits);

/// Clamps `value` to [-(2^(B-1) - 1), 2^(B-1) - 1]; sets `saturated` when it
/// had to clamp.
int64_t saturateSymmetric(int64_t value, unsigned bits, bool &saturated);

/// Quantizes one value with a given step: clamp(RNE(value / step)).
int32_t quantizeValue(float value, double step, unsigned bits,
                      bool &saturated);

/// Returns the max-abs step max|x| / (2^(B-1) - 1), or 1 for all zeros.
double maxAbsStep(llvm::ArrayRef<float> values, unsigned bits);

/// A quantized tensor: integers plus the step of each channel.
struct QuantizedTensor {
  std::vector<int32_t> values;
  /// One step for a per-tensor scale, or one per row for per-channel scales.
  /// The real value of values[i] in row r is values[i] * steps[r or 0].
  std::vector<double> steps;
  unsigned bits = 8;
  /// Number of elements clamped to the symmetric range.
  uint64_t saturated = 0;
};

/// Quantizes with one max-abs step for the whole tensor.
QuantizedTensor quantizePerTensor(llvm::ArrayRef<float> values,
                                  unsigned bits);
/// Quantizes with a given step for the whole tensor (saturating).
QuantizedTensor quantizeWithStep(llvm::ArrayRef<float> values, double step,
                                 unsigned bits);
/// Quantizes a row-major [rows x cols] matrix with one max-abs step per row.
QuantizedTensor quantizePerRow(llvm::ArrayRef<float> values, unsigned rows,
                               unsigned cols, unsigned bits);

} // namespace lapa::predict

#endif // LAPA_PREDICT_QUANTIZE_H
