//===- Passes.h - Conversions into and out of lapa --------------*- C++ -*-===//
//
// Declarations and registration of the lapa conversion passes, generated
// from Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_CONVERSION_PASSES_H
#define LAPA_CONVERSION_PASSES_H

#include "lapa/Dialect/Lapa/IR/LapaDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lapa {

#define GEN_PASS_DECL
#include "lapa/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lapa/Conversion/Passes.h.inc"

} // namespace mlir::lapa

#endif // LAPA_CONVERSION_PASSES_H
