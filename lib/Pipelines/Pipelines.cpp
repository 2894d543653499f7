//===- Pipelines.cpp - Registered lapa pass pipelines -------------------===//

#include "lapa/Pipelines/Pipelines.h"

#include "lapa/Conversion/Passes.h"
#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::lapa;

void mlir::lapa::buildCompilePipeline(OpPassManager &pm,
                                      const CompilePipelineOptions &options) {
  if (!options.dynamicSizes.empty()) {
    LapaBoundDynamicDimsOptions bound;
    bound.sizes.assign(options.dynamicSizes.begin(), options.dynamicSizes.end());
    pm.addPass(createLapaBoundDynamicDims(bound));
  }
  if (!options.bindInputs.empty()) {
    LapaBindInputsOptions bind;
    bind.values.assign(options.bindInputs.begin(), options.bindInputs.end());
    pm.addPass(createLapaBindInputs(bind));
  }
  pm.addPass(createLapaRaiseAttention());
  pm.addPass(createLapaAnnotateLayers());
  LapaInsertPredictionOptions predict;
  predict.predictor = options.predictor;
  predict.layerPredictors = options.layerPredictors;
  predict.hwPath = options.hw;
  pm.addPass(createLapaInsertPrediction(predict));
  LapaLowerToIsaOptions lower;
  lower.hwPath = options.hw;
  lower.defaultPredictor = options.predictor;
  lower.rowTile = options.rowTile;
  lower.colTile = options.colTile;
  lower.innerTile = options.innerTile;
  lower.embedWeights = options.embedWeights;
  lower.foldRepeats = options.foldRepeats;
  pm.addPass(createLapaLowerToIsa(lower));
}

void mlir::lapa::registerLapaPipelines() {
  PassPipelineRegistration<CompilePipelineOptions>(
      "lapa-compile",
      "Compile a linalg or TOSA Transformer graph to a lapa_isa instruction "
      "stream for a hardware configuration",
      buildCompilePipeline);
}
