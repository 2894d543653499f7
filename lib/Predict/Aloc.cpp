//===- Aloc.cpp - Asymmetric leading-one computing ------------------------===//
//
// The three log-domain matrix products (log-coded weight, log-coded
// activation, both log-coded) with per-addition accumulator checks and their
// operation counts. Each operand of a product is counted as read once, as a
// stationary shift array reads it.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Aloc.h"

#include "llvm/Support/FormatVariadic.h"

using namespace lapa::predict;

namespace {

// Width of the smallest signed integer that can represent `value`.
unsigned signedWidth(int64_t value) {
  uint64_t magnitude = value < 0 ? ~uint64_t(value) : uint64_t(value);
  unsigned width = 1;
  while (magnitude) {
    ++width;
    magnitude >>= 1;
  }
  return width;
}

llvm::Error checkShape(size_t xSize, size_t wSize,
                       const AlocMatmulShape &shape) {
  size_t expectedX = size_t(shape.rows) * shape.inner;
  size_t expectedW = size_t(shape.inner) * shape.cols;
  if (xSize != expectedX || wSize != expectedW)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("{0}: operands have {1} and {2} elements but the shape "
                      "[{3} x {4}] x [{4} x {5}] needs {6} and {7}",
                      shape.stage, xSize, wSize, shape.rows, shape.inner,
                      shape.cols, expectedX, expectedW));
  if (shape.accumulatorBits < 2 || shape.accumulatorBits > 64)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("{0}: accumulator width {1} is outside [2, 64]",
                      shape.stage, shape.accumulatorBits));
  return llvm::Error::success();
}

// Runs Y[m, n] = sum_t term(m, t, n) with a range check after every
// addition, in the order t = 0, 1, ..., inner - 1.
template <typename TermFn>
llvm::Expected<AlocMatmulResult> runMatmul(const AlocMatmulShape &shape,
                                           TermFn term) {
  AlocMatmulResult result;
  result.values.assign(size_t(shape.rows) * shape.cols, 0);
  for (unsigned m = 0; m < shape.rows; ++m)
    for (unsigned n = 0; n < shape.cols; ++n) {
      int64_t sum = 0;
      for (unsigned t = 0; t < shape.inner; ++t) {
        sum += term(m, t, n);
        if (!fitsSigned(sum, shape.accumulatorBits))
          return accumulatorOverflowError(
              sum, shape.accumulatorBits,
              llvm::formatv("{0} row {1}, column {2}, after term {3}",
                            shape.stage, m, n, t),
              "key_accumulator_bits");
      }
      result.values[size_t(m) * shape.cols + n] = sum;
    }
  return result;
}

OpCounts baseCounts(const AlocMatmulShape &shape, uint64_t xBitsPerElement,
                    uint64_t wBitsPerElement) {
  OpCounts counts;
  counts.stage = shape.stage;
  uint64_t xElements = uint64_t(shape.rows) * shape.inner;
  uint64_t wElements = uint64_t(shape.inner) * shape.cols;
  counts.bitsRead = xElements * xBitsPerElement + wElements * wBitsPerElement;
  counts.bitsWritten =
      uint64_t(shape.rows) * shape.cols * shape.accumulatorBits;
  return counts;
}

} // namespace

llvm::Error lapa::predict::accumulatorOverflowError(
    int64_t value, unsigned bits, const std::string &what,
    const std::string &parameter) {
  int64_t high = (int64_t{1} << (bits - 1)) - 1;
  int64_t low = -high - 1;
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("accumulator overflow in {0}: the partial sum {1} needs "
                    "{2} signed bits but {3} allows {4} (range [{5}, {6}]); "
                    "raise {3}",
                    what, value, signedWidth(value), parameter, bits, low,
                    high));
}

llvm::Expected<AlocMatmulResult>
lapa::predict::alocMatmulLogWeight(llvm::ArrayRef<int32_t> x,
                                   llvm::ArrayRef<LogCode> w,
                                   const AlocMatmulShape &shape) {
  if (llvm::Error error = checkShape(x.size(), w.size(), shape))
    return std::move(error);
  llvm::Expected<AlocMatmulResult> result =
      runMatmul(shape, [&](unsigned m, unsigned t, unsigned n) {
        return alocProduct(x[size_t(m) * shape.inner + t],
                           w[size_t(t) * shape.cols + n]);
      });
  if (!result)
    return result.takeError();
  result->counts = baseCounts(shape, shape.shiftedBits,
                              logCodeBits(shape.codedBits));
  result->counts.shiftAdds[shape.shiftedBits] +=
      uint64_t(shape.rows) * shape.inner * shape.cols;
  return result;
}

llvm::Expected<AlocMatmulResult>
lapa::predict::alocMatmulLogActivation(llvm::ArrayRef<LogCode> x,
                                       llvm::ArrayRef<int32_t> w,
                                       const AlocMatmulShape &shape) {
  if (llvm::Error error = checkShape(x.size(), w.size(), shape))
    return std::move(error);
  llvm::Expected<AlocMatmulResult> result =
      runMatmul(shape, [&](unsigned m, unsigned t, unsigned n) {
        return alocProduct(w[size_t(t) * shape.cols + n],
                           x[size_t(m) * shape.inner + t]);
      });
  if (!result)
    return result.takeError();
  result->counts = baseCounts(shape, logCodeBits(shape.codedBits),
                              shape.shiftedBits);
  result->counts.shiftAdds[shape.shiftedBits] +=
      uint64_t(shape.rows) * shape.inner * shape.cols;
  // The activations are log-coded at run time, one detection per element.
  result->counts.leadingOneDetections[shape.codedBits] +=
      uint64_t(shape.rows) * shape.inner;
  return result;
}

llvm::Expected<AlocMatmulResult>
lapa::predict::symmetricLogMatmul(llvm::ArrayRef<LogCode> x,
                                  llvm::ArrayRef<LogCode> w,
                                  const AlocMatmulShape &shape) {
  if (llvm::Error error = checkShape(x.size(), w.size(), shape))
    return std::move(error);
  llvm::Expected<AlocMatmulResult> result =
      runMatmul(shape, [&](unsigned m, unsigned t, unsigned n) {
        return symmetricLogProduct(x[size_t(m) * shape.inner + t],
                                   w[size_t(t) * shape.cols + n]);
      });
  if (!result)
    return result.takeError();
  result->counts = baseCounts(shape, logCodeBits(shape.shiftedBits),
                              logCodeBits(shape.codedBits));
  uint64_t terms = uint64_t(shape.rows) * shape.inner * shape.cols;
  // Each term adds the two exponents, then shifts a single 1 bit into place
  // and adds it: an exponent addition plus a 1-bit shift-add.
  unsigned exponentBits = std::max(logExponentBits(shape.shiftedBits),
                                   logExponentBits(shape.codedBits)) +
                          1;
  result->counts.additions[exponentBits] += terms;
  result->counts.shiftAdds[1] += terms;
  // X is log-coded at run time; W was coded offline.
  result->counts.leadingOneDetections[shape.shiftedBits] +=
      uint64_t(shape.rows) * shape.inner;
  return result;
}
