//===- LapaDialect.cpp - Registration of the lapa dialect -----------------===//
//
// Registers the types, attributes and operations of the lapa dialect.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/IR/LapaDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lapa;

#include "lapa/Dialect/Lapa/IR/LapaDialect.cpp.inc"

void LapaDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "lapa/Dialect/Lapa/IR/LapaOps.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
}

Operation *LapaDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  auto codes = dyn_cast<ElementsAttr>(value);
  if (!tensorType || !codes || !isa<LogCodeType>(tensorType.getElementType()))
    return nullptr;
  return LogConstantOp::create(builder, loc, tensorType, codes);
}
