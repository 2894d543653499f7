//===- Aloc.h - Asymmetric leading-one computing ---------------*- C++ -*-===//
//
// ALOC replaces each multiply x * w by a shift of one operand by the leading
// one of the other:
//
//   x * w ~ s(w) * (x << LO(w))                 (ALOC, ratio in (0.5, 1])
//   x * w ~ s(x) * s(w) * 2^(LO(x) + LO(w))     (symmetric, FACT, (0.25, 1])
//
// The key prediction of LAPA, with W_K log-coded offline, is
//
//   K-hat[j, c] = sum_{t < H} s(W_K[t, c]) * (X[j, t] << LO(W_K[t, c]))
//
// and the same function predicts Q-hat from W_Q when the query source is
// ALOC. With INT8 X and INT8 W, a term is at most 127 << 6 (14 bits
// including the sign), and a sum over H terms needs 14 + ceil(log2 H) bits;
// the accumulator width (`key_accumulator_bits`, 32 by default) is checked
// after every addition. All arithmetic is in int64, so a configured width up
// to 64 bits is exact, and an overflow is returned as an error that names
// the element, the partial sum and the width.
//
// Matrices are row-major: X is [rows x inner], W is [inner x cols] (the
// head's slice W_K^h of shape H x d), and the result is [rows x cols].
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_ALOC_H
#define LAPA_PREDICT_ALOC_H

#include "lapa/Predict/LogCode.h"
#include "lapa/Predict/OpCounts.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lapa::predict {

/// Returns the ALOC product s(w) * (x << LO(w)), or 0 when w is zero.
inline int64_t alocProduct(int64_t x, const LogCode &w) {
  if (w.zero)
    return 0;
  int64_t shifted = x * (int64_t{1} << w.leadingOne);
  return w.negative ? -shifted : shifted;
}

/// Returns the symmetric log product s(x) s(w) 2^(LO(x) + LO(w)), or 0.
inline int64_t symmetricLogProduct(const LogCode &x, const LogCode &w) {
  if (x.zero || w.zero)
    return 0;
  int64_t magnitude = int64_t{1} << (x.leadingOne + w.leadingOne);
  return x.negative != w.negative ? -magnitude : magnitude;
}

/// Widths and names for one ALOC matrix product.
struct AlocMatmulShape {
  unsigned rows = 0;
  unsigned inner = 0;
  unsigned cols = 0;
  /// Width of the integer (shifted) operand; for the symmetric product, the
  /// width of X before its run-time log coding.
  unsigned shiftedBits = 8;
  /// Width of the integers behind the log codes (sets the code width).
  unsigned codedBits = 8;
  /// Signed accumulator width of each output element.
  unsigned accumulatorBits = 32;
  /// Stage name used in op counts and error messages ("key prediction").
  std::string stage = "key prediction";
};

/// The product and what it cost.
struct AlocMatmulResult {
  std::vector<int64_t> values;
  OpCounts counts;
};

/// Y = X (x) W with W log-coded: Y[m, n] = sum_t s(W[t,n]) (X[m,t] << LO).
llvm::Expected<AlocMatmulResult>
alocMatmulLogWeight(llvm::ArrayRef<int32_t> x, llvm::ArrayRef<LogCode> w,
                    const AlocMatmulShape &shape);

/// Y = X (x) W with X log-coded: Y[m, n] = sum_t s(X[m,t]) (W[t,n] << LO).
llvm::Expected<AlocMatmulResult>
alocMatmulLogActivation(llvm::ArrayRef<LogCode> x, llvm::ArrayRef<int32_t> w,
                        const AlocMatmulShape &shape);

/// Y[m, n] = sum_t s(X) s(W) 2^(LO(X[m,t]) + LO(W[t,n])), FACT's product.
llvm::Expected<AlocMatmulResult>
symmetricLogMatmul(llvm::ArrayRef<LogCode> x, llvm::ArrayRef<LogCode> w,
                   const AlocMatmulShape &shape);

/// Returns whether `value` fits a signed `bits`-bit accumulator (2..64).
inline bool fitsSigned(int64_t value, unsigned bits) {
  if (bits >= 64)
    return true;
  int64_t high = (int64_t{1} << (bits - 1)) - 1;
  return value >= -high - 1 && value <= high;
}

/// Returns the error for a partial sum `value` that does not fit `bits`.
/// `what` names the place ("key prediction row 3, column 7, after term 9")
/// and `parameter` the option that sets the width.
llvm::Error accumulatorOverflowError(int64_t value, unsigned bits,
                                     const std::string &what,
                                     const std::string &parameter);

} // namespace lapa::predict

#endif // LAPA_PREDICT_ALOC_H
