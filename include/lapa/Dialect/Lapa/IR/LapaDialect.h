//===- LapaDialect.h - The lapa dialect -------------------------*- C++ -*-===//
//
// Declarations of the lapa dialect, its types, attributes and operations.
// Include this one header to use any of them.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPA_IR_LAPADIALECT_H
#define LAPA_DIALECT_LAPA_IR_LAPADIALECT_H

#include "lapa/Predict/PredictorConfig.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "lapa/Dialect/Lapa/IR/LapaDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "lapa/Dialect/Lapa/IR/LapaTypes.h.inc"

#define GET_ATTRDEF_CLASSES
#include "lapa/Dialect/Lapa/IR/LapaAttrs.h.inc"

#define GET_OP_CLASSES
#include "lapa/Dialect/Lapa/IR/LapaOps.h.inc"

#endif // LAPA_DIALECT_LAPA_IR_LAPADIALECT_H
