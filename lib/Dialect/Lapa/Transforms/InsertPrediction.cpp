//===- InsertPrediction.cpp - Choose the predictor of every attention ---===//
//
// Attaches `lapa.predictor` to each lapa.attention from the pass options,
// so that the ISA lowering schedules each attention with its scheme.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "PredictorOptions.h"

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Schedule/Schedule.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPAINSERTPREDICTION
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;
using namespace mlir::lapa;

namespace {

struct InsertPrediction
    : public ::mlir::lapa::impl::LapaInsertPredictionBase<InsertPrediction> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(module.getLoc()) << message;
      signalPassFailure();
    };

    llvm::Expected<PredictorChoice> choice =
        parsePredictorOptions(predictor, layerPredictors);
    if (!choice)
      return fail(llvm::toString(choice.takeError()));

    std::optional<::lapa::hardware::HardwareConfig> hardware;
    if (!hwPath.empty()) {
      auto loaded = ::lapa::hardware::loadHardwareConfig(hwPath);
      if (!loaded)
        return fail("cannot use hardware configuration '" + hwPath +
                    "': " + llvm::toString(loaded.takeError()));
      hardware = std::move(*loaded);
    }

    llvm::DenseSet<int64_t> used;
    WalkResult result = module.walk([&](AttentionOp attention) {
      int64_t index = -1;
      if (auto attr = attention->getAttrOfType<IntegerAttr>(
              "lapa.attention_index"))
        index = attr.getInt();
      const ::lapa::predict::PredictorConfig &config = choice->forIndex(index);
      if (choice->perLayer.count(index))
        used.insert(index);
      if (llvm::Error error = ::lapa::schedule::checkPredictorSupport(
              config, hardware ? &*hardware : nullptr)) {
        attention.emitError() << llvm::toString(std::move(error));
        return WalkResult::interrupt();
      }
      attention->setAttr("lapa.predictor",
                         PredictorAttr::fromConfig(&getContext(), config));
      ++numAnnotated;
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    for (auto &[index, config] : choice->perLayer)
      if (!used.contains(index))
        return fail("option layer-predictors names layer " + Twine(index) +
                    ", but no attention has lapa.attention_index = " +
                    Twine(index));
  }
};

} // namespace
