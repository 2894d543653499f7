//===- Dialects.cpp - C API of the lapa dialect ---------------------------===//
//
// Implements lapa-c/Dialects.h on top of the C++ dialect.
//
//===----------------------------------------------------------------------===//

#include "lapa-c/Dialects.h"

#include "lapa/Conversion/Passes.h"
#include "lapa/Dialect/Lapa/IR/LapaDialect.h"
#include "lapa/Dialect/Lapa/Transforms/Passes.h"
#include "lapa/Dialect/LapaIsa/IR/LapaIsa.h"
#include "lapa/Dialect/LapaIsa/Transforms/Passes.h"
#include "lapa/Pipelines/Pipelines.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"

using namespace mlir;
using namespace mlir::lapa;
namespace predict = ::lapa::predict;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Lapa, lapa, mlir::lapa::LapaDialect)
MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(LapaIsa, lapa_isa,
                                      mlir::lapa_isa::LapaIsaDialect)

void lapaRegisterPasses(void) {
  mlir::lapa::registerLapaPasses();
  mlir::lapa::registerLapaConversionPasses();
  mlir::lapa_isa::registerLapaIsaPasses();
  mlir::lapa::registerLapaPipelines();
}

bool lapaAttributeIsAPredictor(MlirAttribute attr) {
  return isa<PredictorAttr>(unwrap(attr));
}

MlirAttribute lapaPredictorAttrGet(MlirContext context,
                                   LapaPredictorScheme scheme) {
  return wrap(PredictorAttr::get(unwrap(context),
                                 static_cast<predict::Scheme>(scheme)));
}

MlirAttribute lapaPredictorAttrGetChecked(MlirLocation location,
                                          LapaPredictorScheme scheme,
                                          double keepRatio, unsigned rounds,
                                          intptr_t numSlices,
                                          const unsigned *slices) {
  Location loc = unwrap(location);
  predict::PredictorConfig config =
      predict::PredictorConfig::defaults(static_cast<predict::Scheme>(scheme));
  if (keepRatio > 0.0)
    config.keepRatio = keepRatio;
  if (rounds != 0)
    config.rounds = rounds;
  if (numSlices > 0)
    config.sliceWidths.assign(slices, slices + numSlices);
  // A caller that changes the round count gets one accumulator width per
  // round: the default last width, which suffices for any split of K-hat.
  if (config.accumulatorBits.size() != config.rounds && config.rounds > 0)
    config.accumulatorBits.assign(config.rounds,
                                  config.accumulatorBits.back());

  std::string problem = config.validate();
  if (!problem.empty()) {
    emitError(loc) << "invalid #lapa.predictor: " << problem;
    return MlirAttribute{nullptr};
  }
  return wrap(PredictorAttr::fromConfig(loc.getContext(), config));
}

LapaPredictorScheme lapaPredictorAttrGetScheme(MlirAttribute attr) {
  return static_cast<LapaPredictorScheme>(
      cast<PredictorAttr>(unwrap(attr)).getScheme());
}

double lapaPredictorAttrGetKeepRatio(MlirAttribute attr) {
  return cast<PredictorAttr>(unwrap(attr)).getConfig().keepRatio;
}

unsigned lapaPredictorAttrGetRounds(MlirAttribute attr) {
  return cast<PredictorAttr>(unwrap(attr)).getConfig().rounds;
}

intptr_t lapaPredictorAttrGetNumSlices(MlirAttribute attr) {
  return cast<PredictorAttr>(unwrap(attr)).getConfig().sliceWidths.size();
}

unsigned lapaPredictorAttrGetSlice(MlirAttribute attr, intptr_t pos) {
  return cast<PredictorAttr>(unwrap(attr)).getConfig().sliceWidths[pos];
}

LapaFilterRule lapaPredictorAttrGetFilter(MlirAttribute attr) {
  return static_cast<LapaFilterRule>(
      cast<PredictorAttr>(unwrap(attr)).getConfig().filter);
}

unsigned lapaPredictorAttrGetKeyBits(MlirAttribute attr) {
  return cast<PredictorAttr>(unwrap(attr)).getConfig().keyBits;
}

unsigned lapaPredictorAttrGetQueryBits(MlirAttribute attr) {
  return cast<PredictorAttr>(unwrap(attr)).getConfig().queryBits;
}

bool lapaAttributeIsATarget(MlirAttribute attr) {
  return isa<TargetAttr>(unwrap(attr));
}

MlirAttribute lapaTargetAttrGet(MlirContext context, MlirStringRef name) {
  return wrap(TargetAttr::get(unwrap(context), unwrap(name), StringAttr()));
}

MlirStringRef lapaTargetAttrGetName(MlirAttribute attr) {
  return wrap(cast<TargetAttr>(unwrap(attr)).getName());
}

bool lapaTypeIsALogCode(MlirType type) {
  return isa<LogCodeType>(unwrap(type));
}

MlirType lapaLogCodeTypeGetChecked(MlirLocation location,
                                   unsigned sourceWidth) {
  Location loc = unwrap(location);
  return wrap(LogCodeType::getChecked([&] { return emitError(loc); },
                                      loc.getContext(), sourceWidth));
}

unsigned lapaLogCodeTypeGetSourceWidth(MlirType type) {
  return cast<LogCodeType>(unwrap(type)).getSourceWidth();
}

unsigned lapaLogCodeTypeGetCodeWidth(MlirType type) {
  return cast<LogCodeType>(unwrap(type)).getCodeWidth();
}
