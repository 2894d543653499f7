//===- LogCode.cpp - Sign and leading-one codes of integers ---------------===//
//
// Encoding, range checks and the packed form of the log codes described in
// LogCode.h.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/LogCode.h"

#include "llvm/Support/FormatVariadic.h"

#include <cassert>

using namespace lapa::predict;

unsigned lapa::predict::leadingOnePosition(uint64_t magnitude) {
  assert(magnitude != 0 && "zero has no leading one");
  return 63 - __builtin_clzll(magnitude);
}

llvm::Expected<LogCode> lapa::predict::encodeLogCode(int64_t value,
                                                     unsigned bits) {
  if (bits < 2 || bits > 32)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("log code width {0} is outside [2, 32]", bits));
  int64_t limit = (int64_t{1} << (bits - 1)) - 1;
  if (value > limit || value < -limit)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("value {0} is outside the symmetric {1}-bit range "
                      "[{2}, {3}] that log codes cover; quantize with "
                      "saturation first",
                      value, bits, -limit, limit));
  return makeLogCode(value);
}

llvm::Expected<std::vector<LogCode>>
lapa::predict::encodeLogCodes(llvm::ArrayRef<int32_t> values, unsigned bits) {
  std::vector<LogCode> codes(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    llvm::Expected<LogCode> code = encodeLogCode(values[i], bits);
    if (!code)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("element {0}: {1}", i,
                        llvm::toString(code.takeError())));
    codes[i] = *code;
  }
  return codes;
}

unsigned lapa::predict::logExponentBits(unsigned bits) {
  // ceil(log2 bits): the exponent field encodes the values 0..bits-1.
  unsigned width = 0;
  while ((1u << width) < bits)
    ++width;
  return width;
}

unsigned lapa::predict::logCodeBits(unsigned bits) {
  return 1 + logExponentBits(bits);
}

uint32_t lapa::predict::packLogCode(const LogCode &code, unsigned bits) {
  unsigned exponentBits = logExponentBits(bits);
  uint32_t exponent = code.zero ? bits - 1 : code.leadingOne;
  return (uint32_t(code.negative) << exponentBits) | exponent;
}

LogCode lapa::predict::unpackLogCode(uint32_t packed, unsigned bits) {
  unsigned exponentBits = logExponentBits(bits);
  uint32_t exponent = packed & ((1u << exponentBits) - 1);
  LogCode code;
  code.negative = (packed >> exponentBits) & 1;
  code.zero = exponent == bits - 1;
  code.leadingOne = code.zero ? 0 : static_cast<uint8_t>(exponent);
  if (code.zero)
    code.negative = false;
  return code;
}
