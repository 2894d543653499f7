//===- Pipelines.h - Registered lapa pass pipelines -------------*- C++ -*-===//
//
// `lapa-compile`: from a front-end graph (linalg or TOSA on tensors) to a
// lapa_isa instruction stream, as one registered pipeline with options.
// Each stage is also a pass of its own.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PIPELINES_PIPELINES_H
#define LAPA_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir::lapa {

struct CompilePipelineOptions
    : public PassPipelineOptions<CompilePipelineOptions> {
  Option<std::string> hw{*this, "hw",
                         llvm::cl::desc("Hardware configuration file (YAML)")};
  Option<std::string> predictor{
      *this, "predictor",
      llvm::cl::desc("Predictor of every attention, `scheme name=value ...`"),
      llvm::cl::init("lapa")};
  Option<std::string> layerPredictors{
      *this, "layer-predictors",
      llvm::cl::desc("Per-layer overrides `index=predictor;...`"),
      llvm::cl::init("")};
  Option<int64_t> rowTile{*this, "row-tile",
                          llvm::cl::desc("Rows per tile (0 chooses)"),
                          llvm::cl::init(0)};
  Option<int64_t> colTile{*this, "col-tile",
                          llvm::cl::desc("Output columns per tile (0 chooses)"),
                          llvm::cl::init(0)};
  Option<int64_t> innerTile{
      *this, "inner-tile",
      llvm::cl::desc("Inner columns per tile and quantization group (0 chooses)"),
      llvm::cl::init(0)};
  ListOption<int64_t> dynamicSizes{
      *this, "dynamic-sizes",
      llvm::cl::desc("Sizes of the dynamic argument dimensions, in order (one "
                     "size applies to all); runs lapa-bound-dynamic-dims "
                     "first")};
  ListOption<std::string> bindInputs{
      *this, "bind-inputs",
      llvm::cl::desc("NAME=VALUE entries that fix function arguments to "
                     "splat constants (an attention mask, token types); "
                     "runs lapa-bind-inputs first")};
  Option<bool> embedWeights{
      *this, "embed-weights",
      llvm::cl::desc("Store constant weights in the stream"),
      llvm::cl::init(true)};
  Option<bool> foldRepeats{
      *this, "fold-repeats",
      llvm::cl::desc("Fold repeated instruction patterns into lapa_isa.repeat "
                     "ops (the emitted stream is the same either way)"),
      llvm::cl::init(true)};
};

/// Adds raising, layer annotation, prediction insertion and the ISA
/// lowering to `pm`.
void buildCompilePipeline(OpPassManager &pm,
                          const CompilePipelineOptions &options);

/// Registers `lapa-compile`.
void registerLapaPipelines();

} // namespace mlir::lapa

#endif // LAPA_PIPELINES_PIPELINES_H
