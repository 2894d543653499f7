//===- LogCode.h - Sign and leading-one codes of integers ------*- C++ -*-===//
//
// The log domain of ALOC: a non-zero integer v is approximated by
// s(v) * 2^LO(v), where LO(v) = floor(log2 |v|) is the position of the
// leading one of |v| and s(v) is the sign. Zero gets a zero flag.
//
// Packed code of a symmetric B-bit value (|v| <= 2^(B-1) - 1, so
// LO(v) <= B - 2):
//
//   [ sign : 1 bit ][ exponent : E bits ],  E = ceil(log2 B)
//
// The exponent field contains LO(v) in 0..B-2, and the one unused value
// B - 1 is the zero flag. That gives 1 + 3 = 4 bits for INT8 (LO 0..6,
// zero = 7) and 1 + 4 = 5 bits for INT16 (LO 0..14, zero = 15), the widths
// SOFA uses: 4-bit weight codes and 5-bit codes of a 16-bit query. A value
// of -2^(B-1), which symmetric quantization never produces, has no code and
// is rejected.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_LOGCODE_H
#define LAPA_PREDICT_LOGCODE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace lapa::predict {

/// The log code of one integer.
struct LogCode {
  /// Zero flag: the value is 0 and contributes nothing.
  bool zero = true;
  /// Sign: the value is negative.
  bool negative = false;
  /// Leading-one position LO = floor(log2 |v|); 0 when `zero`.
  uint8_t leadingOne = 0;

  friend bool operator==(const LogCode &a, const LogCode &b) {
    return a.zero == b.zero && a.negative == b.negative &&
           a.leadingOne == b.leadingOne;
  }
};

/// Returns floor(log2 magnitude) for magnitude > 0.
unsigned leadingOnePosition(uint64_t magnitude);

/// Returns the code of `value` without range checks (for values already known
/// to be symmetric `bits`-bit integers).
inline LogCode makeLogCode(int64_t value) {
  LogCode code;
  if (value == 0)
    return code;
  code.zero = false;
  code.negative = value < 0;
  uint64_t magnitude =
      code.negative ? uint64_t(0) - uint64_t(value) : uint64_t(value);
  code.leadingOne = static_cast<uint8_t>(63 - __builtin_clzll(magnitude));
  return code;
}

/// Returns the code of `value`, or an error when it is outside the symmetric
/// range [-(2^(B-1) - 1), 2^(B-1) - 1] of `bits` (2..32).
llvm::Expected<LogCode> encodeLogCode(int64_t value, unsigned bits);

/// Encodes every element; the error names the first element out of range.
llvm::Expected<std::vector<LogCode>> encodeLogCodes(llvm::ArrayRef<int32_t>
                                                        values,
                                                    unsigned bits);

/// Width E of the exponent field for symmetric `bits`-bit values.
unsigned logExponentBits(unsigned bits);
/// Width of the packed code: 1 + E.
unsigned logCodeBits(unsigned bits);

/// Packs a code as sign << E | exponent, with exponent B - 1 for zero.
uint32_t packLogCode(const LogCode &code, unsigned bits);
/// Unpacks a packed code; the inverse of packLogCode for valid codes.
LogCode unpackLogCode(uint32_t packed, unsigned bits);

/// Returns the value the code stands for: s * 2^LO, or 0.
inline int64_t decodeLogCode(const LogCode &code) {
  if (code.zero)
    return 0;
  int64_t magnitude = int64_t{1} << code.leadingOne;
  return code.negative ? -magnitude : magnitude;
}

} // namespace lapa::predict

#endif // LAPA_PREDICT_LOGCODE_H
