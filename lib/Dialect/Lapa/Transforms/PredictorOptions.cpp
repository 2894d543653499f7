//===- PredictorOptions.cpp - The predictor options of the passes -------===//

#include "PredictorOptions.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"

using namespace mlir::lapa;

namespace {
llvm::Error optionError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

llvm::Expected<PredictorChoice>
mlir::lapa::parsePredictorOptions(llvm::StringRef predictor,
                                  llvm::StringRef layerPredictors) {
  PredictorChoice choice;
  llvm::Expected<::lapa::predict::PredictorConfig> fallback =
      ::lapa::predict::parsePredictorConfig(predictor);
  if (!fallback)
    return optionError("invalid option predictor='" + predictor +
                       "': " + llvm::toString(fallback.takeError()));
  choice.fallback = *fallback;

  llvm::SmallVector<llvm::StringRef> entries;
  layerPredictors.split(entries, ';', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef entry : entries) {
    auto [indexText, text] = entry.split('=');
    int64_t index;
    if (text.empty() || indexText.trim().getAsInteger(10, index) || index < 0)
      return optionError("invalid entry '" + entry +
                         "' in option layer-predictors; expected "
                         "`index=scheme name=value ...`, e.g. `0=dense`");
    llvm::Expected<::lapa::predict::PredictorConfig> config =
        ::lapa::predict::parsePredictorConfig(text.trim());
    if (!config)
      return optionError("invalid predictor for layer " + llvm::Twine(index) +
                         " in option layer-predictors: " +
                         llvm::toString(config.takeError()));
    if (!choice.perLayer.try_emplace(index, *config).second)
      return optionError("layer " + llvm::Twine(index) +
                         " appears twice in option layer-predictors");
  }
  return choice;
}
