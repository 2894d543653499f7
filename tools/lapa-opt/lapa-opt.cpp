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

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "lapa optimizer driver\n", registry));
}
