//===- PredictorOptions.h - The predictor options of the passes -*- C++ -*-===//
//
// `predictor` and `layer-predictors`, shared by lapa-insert-prediction and
// lapa-expand-prediction.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_DIALECT_LAPA_TRANSFORMS_PREDICTOROPTIONS_H
#define LAPA_LIB_DIALECT_LAPA_TRANSFORMS_PREDICTOROPTIONS_H

#include "lapa/Predict/PredictorConfig.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir::lapa {

/// The predictor of every attention: a default, and overrides by
/// `lapa.attention_index`.
struct PredictorChoice {
  ::lapa::predict::PredictorConfig fallback;
  llvm::DenseMap<int64_t, ::lapa::predict::PredictorConfig> perLayer;

  /// Returns the predictor of attention `index` (-1 for none).
  const ::lapa::predict::PredictorConfig &forIndex(int64_t index) const {
    auto found = perLayer.find(index);
    return found == perLayer.end() ? fallback : found->second;
  }
};

/// Parses the option `predictor` (the text form `scheme name=value ...`)
/// and `layerPredictors` (`index=predictor` entries separated by `;`).
/// The error names the option, the entry and the expected form.
llvm::Expected<PredictorChoice>
parsePredictorOptions(llvm::StringRef predictor,
                      llvm::StringRef layerPredictors);

} // namespace mlir::lapa

#endif // LAPA_LIB_DIALECT_LAPA_TRANSFORMS_PREDICTOROPTIONS_H
