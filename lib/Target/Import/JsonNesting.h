//===- JsonNesting.h - Bound the nesting depth of JSON text -----*- C++ -*-===//
//
// llvm::json::parse recurses once per nested array or object, so a file of
// a few hundred kilobytes of '[' overflows the stack. The importer measures
// the nesting of config.json and of the safetensors header with this
// iterative scan before it hands either text to the parser.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_TARGET_IMPORT_JSONNESTING_H
#define LAPA_LIB_TARGET_IMPORT_JSONNESTING_H

#include "llvm/ADT/StringRef.h"

namespace mlir::lapa::import {

/// Deepest nesting of arrays and objects the importer accepts. A model
/// config needs 1 level and a safetensors header 3.
constexpr unsigned kMaxJsonNesting = 64;

/// Returns whether the arrays and objects of `text` nest more than
/// `maxDepth` levels deep. Brackets inside strings do not count. The scan
/// does not validate the JSON; the parser does that afterwards.
inline bool exceedsJsonNesting(llvm::StringRef text, unsigned maxDepth) {
  unsigned depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxDepth)
        return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

} // namespace mlir::lapa::import

#endif // LAPA_LIB_TARGET_IMPORT_JSONNESTING_H
