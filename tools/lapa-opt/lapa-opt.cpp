//===- lapa-opt.cpp - The lapa optimizer driver ---------------------------===//
//
// mlir-opt with the lapa dialect and passes, and the upstream dialects that
// Transformer graphs from torch-mlir, IREE and similar front ends use.
//
//===----------------------------------------------------------------------===//

#include "lapa/Conversion/Passes.h"
#include "lapa/Dialect/Lapa/IR/LapaDialect.h"
#include "lapa/Dialect/Lapa/Transforms/Passes.h"
#include "lapa/Dialect/LapaIsa/IR/LapaIsa.h"
#include "lapa/Dialect/LapaIsa/Transforms/Passes.h"
#include "lapa/Pipelines/Pipelines.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"

#include <vector>

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::lapa::LapaDialect, mlir::lapa_isa::LapaIsaDialect,
                  mlir::affine::AffineDialect,
                  mlir::arith::ArithDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect,
                  mlir::tosa::TosaDialect>();

  mlir::registerTransformsPasses();
  mlir::lapa::registerLapaPasses();
  mlir::lapa::registerLapaConversionPasses();
  mlir::lapa_isa::registerLapaIsaPasses();
  mlir::lapa::registerLapaPipelines();

  // An error on an op would also print the whole op by default, which for
  // a lapa_isa.program or a model's function is megabytes of text after a
  // one-line message. lapa-opt turns that off unless the command line sets
  // --mlir-print-op-on-diagnostic itself.
  std::vector<char *> arguments(argv, argv + argc);
  static char quiet[] = "--mlir-print-op-on-diagnostic=false";
  bool setByUser = llvm::any_of(arguments, [](const char *argument) {
    return llvm::StringRef(argument).ltrim('-').starts_with(
        "mlir-print-op-on-diagnostic");
  });
  if (!setByUser)
    arguments.insert(arguments.begin() + 1, quiet);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      static_cast<int>(arguments.size()), arguments.data(),
      "lapa optimizer driver\n", registry));
}
