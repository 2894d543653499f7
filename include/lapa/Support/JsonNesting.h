//===- JsonNesting.h - Bound the nesting depth of JSON text -----*- C++ -*-===//
//
// llvm::json::parse recurses once per nested array or object, so a file of
// a few hundred kilobytes of '[' overflows the stack. The safetensors reader
// and the model importer measure the nesting of the JSON they read with
// this iterative scan before they hand it to the parser.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SUPPORT_JSONNESTING_H
#define LAPA_SUPPORT_JSONNESTING_H

#include "llvm/ADT/StringRef.h"

namespace lapa::support {

/// Deepest nesting of arrays and objects the readers accept. A model
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

} // namespace lapa::support

#endif // LAPA_SUPPORT_JSONNESTING_H
