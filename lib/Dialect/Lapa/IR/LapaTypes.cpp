//===- LapaTypes.cpp - Types of the lapa dialect --------------------------===//
//
// The log-code element type: its verifier and code widths.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/IR/LapaDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::lapa;

#define GET_TYPEDEF_CLASSES
#include "lapa/Dialect/Lapa/IR/LapaTypes.cpp.inc"

void LapaDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "lapa/Dialect/Lapa/IR/LapaTypes.cpp.inc"
      >();
}

LogicalResult LogCodeType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  unsigned sourceWidth) {
  if (sourceWidth < 2 || sourceWidth > 16)
    return emitError() << "log code source width " << sourceWidth
                       << " is outside [2, 16]; the accelerator log-codes "
                          "8-bit weights and 16-bit queries";
  return success();
}

unsigned LogCodeType::getExponentWidth() const {
  // The exponent field holds LO in [0, N - 2] plus one zero code, so N
  // values in all.
  return llvm::Log2_32_Ceil(getSourceWidth());
}

unsigned LogCodeType::getCodeWidth() const { return 1 + getExponentWidth(); }
