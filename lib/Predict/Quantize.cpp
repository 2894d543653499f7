//===- Quantize.cpp - Symmetric integer quantization ----------------------===//
//
// Max-abs calibration, round-to-nearest-even and saturation for the integer
// operands of the predictors. The formulas are in Quantize.h.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Quantize.h"

#include <cassert>
#include <cmath>

using namespace lapa::predict;

double lapa::predict::roundHalfToEven(double value) {
  // Explicit instead of std::nearbyint, whose result depends on the
  // floating-point rounding mode that a caller may have changed.
  double floorValue = std::floor(value);
  double fraction = value - floorValue;
  if (fraction > 0.5)
    return floorValue + 1.0;
  if (fraction < 0.5)
    return floorValue;
  // An exact tie: pick the even neighbour.
  return std::fmod(floorValue, 2.0) == 0.0 ? floorValue : floorValue + 1.0;
}

int64_t lapa::predict::symmetricMax(unsigned bits) {
  assert(bits >= 2 && "symmetric width below 2 bits");
  assert(bits <= 32 && "symmetric width above 32 bits");
  return (int64_t{1} << (bits - 1)) - 1;
}

int64_t lapa::predict::saturateSymmetric(int64_t value, unsigned bits,
                                         bool &saturated) {
  int64_t limit = symmetricMax(bits);
  if (value > limit) {
    saturated = true;
    return limit;
  }
  if (value < -limit) {
    saturated = true;
    return -limit;
  }
  return value;
}

int32_t lapa::predict::quantizeValue(float value, double step, unsigned bits,
                                     bool &saturated) {
  double scaled = roundHalfToEven(static_cast<double>(value) / step);
  double limit = static_cast<double>(symmetricMax(bits));
  // Clamp in double first so that a huge or infinite quotient never reaches
  // the integer conversion; NaN maps to 0 and counts as saturated.
  if (std::isnan(scaled)) {
    saturated = true;
    return 0;
  }
  if (scaled > limit) {
    saturated = true;
    return static_cast<int32_t>(limit);
  }
  if (scaled < -limit) {
    saturated = true;
    return static_cast<int32_t>(-limit);
  }
  return static_cast<int32_t>(scaled);
}

double lapa::predict::maxAbsStep(llvm::ArrayRef<float> values,
                                 unsigned bits) {
  double maxAbs = 0.0;
  for (float value : values)
    maxAbs = std::max(maxAbs, std::fabs(static_cast<double>(value)));
  if (maxAbs == 0.0 || !std::isfinite(maxAbs))
    return 1.0;
  return maxAbs / static_cast<double>(symmetricMax(bits));
}

QuantizedTensor lapa::predict::quantizeWithStep(llvm::ArrayRef<float> values,
                                                double step, unsigned bits) {
  QuantizedTensor result;
  result.bits = bits;
  result.steps = {step};
  result.values.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    bool saturated = false;
    result.values[i] = quantizeValue(values[i], step, bits, saturated);
    result.saturated += saturated;
  }
  return result;
}

QuantizedTensor lapa::predict::quantizePerTensor(llvm::ArrayRef<float> values,
                                                 unsigned bits) {
  return quantizeWithStep(values, maxAbsStep(values, bits), bits);
}

QuantizedTensor lapa::predict::quantizePerRow(llvm::ArrayRef<float> values,
                                              unsigned rows, unsigned cols,
                                              unsigned bits) {
  assert(values.size() == size_t(rows) * cols && "shape mismatch");
  QuantizedTensor result;
  result.bits = bits;
  result.values.resize(values.size());
  result.steps.resize(rows);
  for (unsigned r = 0; r < rows; ++r) {
    llvm::ArrayRef<float> row = values.slice(size_t(r) * cols, cols);
    double step = maxAbsStep(row, bits);
    result.steps[r] = step;
    for (unsigned c = 0; c < cols; ++c) {
      bool saturated = false;
      result.values[size_t(r) * cols + c] =
          quantizeValue(row[c], step, bits, saturated);
      result.saturated += saturated;
    }
  }
  return result;
}
