/*===- lapa-c/Dialects.h - C API of the lapa dialect -------------*- C -*-===*\
|*                                                                            *|
|* Registration of the lapa dialect and passes, and construction and         *|
|* inspection of its main attribute and type, for compilers that embed lapa  *|
|* through MLIR's C API.                                                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef LAPA_C_DIALECTS_H
#define LAPA_C_DIALECTS_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Lapa, lapa);
/// The lapa_isa instruction-stream dialect.
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(LapaIsa, lapa_isa);

/// Registers every lapa pass and the lapa-compile pipeline with the global
/// pass registry, so that pass
/// pipelines parsed from text can name them.
MLIR_CAPI_EXPORTED void lapaRegisterPasses(void);

//===----------------------------------------------------------------------===//
// #lapa.predictor
//===----------------------------------------------------------------------===//

/// Prediction schemes; the values match lapa::predict::Scheme.
typedef enum LapaPredictorScheme {
  LapaPredictorSchemeLapa = 0,
  LapaPredictorSchemeSofa = 1,
  LapaPredictorSchemeFact = 2,
  LapaPredictorSchemeSanger = 3,
  LapaPredictorSchemeEnergon = 4,
  LapaPredictorSchemeSpatten = 5,
  LapaPredictorSchemeOracle = 6,
  LapaPredictorSchemeDense = 7,
} LapaPredictorScheme;

/// Filter rules between rounds; the values match lapa::predict::FilterRule.
typedef enum LapaFilterRule {
  LapaFilterRuleNone = 0,
  LapaFilterRuleSafeBound = 1,
  LapaFilterRuleMaxMean = 2,
  LapaFilterRuleRadius = 3,
} LapaFilterRule;

/// Returns whether the attribute is a #lapa.predictor.
MLIR_CAPI_EXPORTED bool lapaAttributeIsAPredictor(MlirAttribute attr);

/// Returns #lapa.predictor<scheme> with every parameter at the scheme's
/// default.
MLIR_CAPI_EXPORTED MlirAttribute
lapaPredictorAttrGet(MlirContext context, LapaPredictorScheme scheme);

/// Returns a #lapa.predictor with the given keep ratio, rounds and slice
/// widths (most significant first) and the scheme's defaults for the rest.
/// A keep ratio <= 0 or a zero round count keeps the scheme default for
/// that parameter, and so does `numSlices == 0`. When the combination is
/// invalid, emits a diagnostic at `location` and returns a null attribute.
MLIR_CAPI_EXPORTED MlirAttribute lapaPredictorAttrGetChecked(
    MlirLocation location, LapaPredictorScheme scheme, double keepRatio,
    unsigned rounds, intptr_t numSlices, const unsigned *slices);

MLIR_CAPI_EXPORTED LapaPredictorScheme
lapaPredictorAttrGetScheme(MlirAttribute attr);

/// The following return the effective value: the attribute's own, or the
/// scheme's default when the attribute leaves the parameter out.
MLIR_CAPI_EXPORTED double lapaPredictorAttrGetKeepRatio(MlirAttribute attr);
MLIR_CAPI_EXPORTED unsigned lapaPredictorAttrGetRounds(MlirAttribute attr);
MLIR_CAPI_EXPORTED intptr_t lapaPredictorAttrGetNumSlices(MlirAttribute attr);
MLIR_CAPI_EXPORTED unsigned lapaPredictorAttrGetSlice(MlirAttribute attr,
                                                      intptr_t pos);
MLIR_CAPI_EXPORTED LapaFilterRule
lapaPredictorAttrGetFilter(MlirAttribute attr);
MLIR_CAPI_EXPORTED unsigned lapaPredictorAttrGetKeyBits(MlirAttribute attr);
MLIR_CAPI_EXPORTED unsigned lapaPredictorAttrGetQueryBits(MlirAttribute attr);

//===----------------------------------------------------------------------===//
// #lapa.target
//===----------------------------------------------------------------------===//

MLIR_CAPI_EXPORTED bool lapaAttributeIsATarget(MlirAttribute attr);
MLIR_CAPI_EXPORTED MlirAttribute lapaTargetAttrGet(MlirContext context,
                                                   MlirStringRef name);
MLIR_CAPI_EXPORTED MlirStringRef lapaTargetAttrGetName(MlirAttribute attr);

//===----------------------------------------------------------------------===//
// !lapa.log_code
//===----------------------------------------------------------------------===//

MLIR_CAPI_EXPORTED bool lapaTypeIsALogCode(MlirType type);
/// Returns !lapa.log_code<sourceWidth>, or a null type (with a diagnostic
/// at `location`) when the width is outside [2, 16].
MLIR_CAPI_EXPORTED MlirType lapaLogCodeTypeGetChecked(MlirLocation location,
                                                      unsigned sourceWidth);
MLIR_CAPI_EXPORTED unsigned lapaLogCodeTypeGetSourceWidth(MlirType type);
/// Returns the bits of one code: the sign plus the exponent field.
MLIR_CAPI_EXPORTED unsigned lapaLogCodeTypeGetCodeWidth(MlirType type);

#ifdef __cplusplus
}
#endif

#endif // LAPA_C_DIALECTS_H
