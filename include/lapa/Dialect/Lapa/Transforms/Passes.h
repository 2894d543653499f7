//===- Passes.h - Passes of the lapa dialect --------------------*- C++ -*-===//
//
// Declarations and registration of the lapa passes, generated from
// Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPA_TRANSFORMS_PASSES_H
#define LAPA_DIALECT_LAPA_TRANSFORMS_PASSES_H

#include "lapa/Dialect/Lapa/IR/LapaDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lapa {

#define GEN_PASS_DECL
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"

} // namespace mlir::lapa

#endif // LAPA_DIALECT_LAPA_TRANSFORMS_PASSES_H
