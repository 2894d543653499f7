//===- ExtractModel.h - Read the layer structure of a raised graph -*- C++ -*-===//
//
// Recognizes a Transformer in a function after lapa-raise-attention,
// lapa-annotate-layers and lapa-insert-prediction: token embedding, layers
// of (norm, Q/K/V projections, rotary embedding, attention, output
// projection, residual add, norm, feed-forward block, residual add), final
// norm and head. Every op between the recognized parts is checked: one
// that no part explains is an error at that op, so nothing is dropped
// silently.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_CONVERSION_LOWERTOISA_EXTRACTMODEL_H
#define LAPA_LIB_CONVERSION_LOWERTOISA_EXTRACTMODEL_H

#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Schedule/ModelDesc.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

namespace mlir::lapa {

/// Reads the model computed by `func`. Attentions without a
/// `lapa.predictor` attribute use `defaultPredictor`. Errors are emitted
/// at the op they concern.
FailureOr<::lapa::schedule::ModelDesc>
extractModel(func::FuncOp func,
             const ::lapa::predict::PredictorConfig &defaultPredictor);

} // namespace mlir::lapa

#endif // LAPA_LIB_CONVERSION_LOWERTOISA_EXTRACTMODEL_H
