//===- LapaPlugin.cpp - lapa as a plugin for upstream mlir-opt ------------===//
//
// Entry points that let `mlir-opt --load-dialect-plugin` register the lapa
// dialect and `mlir-opt --load-pass-plugin` register the lapa passes.
//
//===----------------------------------------------------------------------===//

#include "lapa/Conversion/Passes.h"
#include "lapa/Dialect/Lapa/IR/LapaDialect.h"
#include "lapa/Dialect/Lapa/Transforms/Passes.h"
#include "lapa/Dialect/LapaIsa/IR/LapaIsa.h"
#include "lapa/Dialect/LapaIsa/Transforms/Passes.h"
#include "lapa/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "LapaDialect", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            registry->insert<mlir::lapa::LapaDialect,
                             mlir::lapa_isa::LapaIsaDialect>();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "LapaPasses", LLVM_VERSION_STRING,
          []() {
            mlir::lapa::registerLapaPasses();
            mlir::lapa::registerLapaConversionPasses();
            mlir::lapa_isa::registerLapaIsaPasses();
            mlir::lapa::registerLapaPipelines();
          }};
}
