//===- Passes.h - Passes of the lapa_isa dialect ----------------*- C++ -*-===//
//
// Declarations and registration of the lapa_isa passes, generated from
// Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPAISA_TRANSFORMS_PASSES_H
#define LAPA_DIALECT_LAPAISA_TRANSFORMS_PASSES_H

#include "lapa/Dialect/LapaIsa/IR/LapaIsa.h"

#include "mlir/Pass/Pass.h"

namespace mlir::lapa_isa {

#define GEN_PASS_DECL
#include "lapa/Dialect/LapaIsa/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lapa/Dialect/LapaIsa/Transforms/Passes.h.inc"

} // namespace mlir::lapa_isa

#endif // LAPA_DIALECT_LAPAISA_TRANSFORMS_PASSES_H
