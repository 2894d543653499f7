//===- Internal.h - Helpers shared by the Hardware library's files -*- C++ -*-===//
//
// Number formatting, canonical ordering and the list of valid names, used by
// the parser, the validator and the printer but not part of the public API.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_HARDWARE_INTERNAL_H
#define LAPA_LIB_HARDWARE_INTERNAL_H

#include "lapa/Hardware/HardwareConfig.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace lapa::hardware::detail {

/// Formats a number in the shortest decimal form that reads back to the
/// same double, without an exponent for magnitudes from 1e-6 to 1e15
/// (0.0071, 1000, 5.1).
std::string formatNumber(double value);

/// Joins names with ", " for a message listing the valid choices.
std::string joinNames(llvm::ArrayRef<llvm::StringRef> names);
std::string joinNames(llvm::ArrayRef<std::string> names);

/// Sorts the unordered parts of a configuration into canonical order:
/// buffers by name, reader and writer lists by name, dataflows in
/// enumeration order, and the energy table by component, then action.
void canonicalize(HardwareConfig &config);

} // namespace lapa::hardware::detail

#endif // LAPA_LIB_HARDWARE_INTERNAL_H
