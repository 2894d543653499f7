/*===- lapa-capi-test.c - Test of the lapa C API ------------------------===*\
|*                                                                            *|
|* Registers the lapa dialect through the C API, parses and prints a module  *|
|* with lapa ops, builds the predictor attribute and inspects it, and checks *|
|* that invalid parameters are rejected with a diagnostic.                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

// REQUIRES: mlir
// RUN: lapa-capi-test 2>&1 | FileCheck %s

#include "lapa-c/Dialects.h"
#include "mlir-c/Dialect/Func.h"
#include "mlir-c/Dialect/Tensor.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/IR.h"

#include <stdio.h>
#include <stdlib.h>

static void printToStdout(MlirStringRef text, void *userData) {
  (void)userData;
  fwrite(text.data, 1, text.length, stdout);
}

static void printAttribute(MlirAttribute attr) {
  mlirAttributePrint(attr, printToStdout, NULL);
  printf("\n");
}

static void printType(MlirType type) {
  mlirTypePrint(type, printToStdout, NULL);
  printf("\n");
}

static MlirLogicalResult printDiagnostic(MlirDiagnostic diagnostic,
                                         void *userData) {
  (void)userData;
  printf("diagnostic: ");
  mlirDiagnosticPrint(diagnostic, printToStdout, NULL);
  printf("\n");
  return mlirLogicalResultSuccess();
}

static void testRoundTrip(MlirContext context) {
  const char *source =
      "func.func @attend(%q: tensor<1x4x16x32xf32>, %k: tensor<1x2x16x32xf32>,"
      " %v: tensor<1x2x16x32xf32>) -> tensor<1x4x16x32xf32> {\n"
      "  %o = lapa.attention %q, %k, %v scale(0.176776695) causal"
      " : tensor<1x4x16x32xf32>, tensor<1x2x16x32xf32>,"
      " tensor<1x2x16x32xf32> -> tensor<1x4x16x32xf32>\n"
      "  return %o : tensor<1x4x16x32xf32>\n"
      "}\n";
  MlirModule module =
      mlirModuleCreateParse(context, mlirStringRefCreateFromCString(source));
  if (mlirModuleIsNull(module)) {
    printf("round trip: parse failed\n");
    exit(1);
  }
  MlirOperation op = mlirModuleGetOperation(module);
  printf("verified: %d\n", mlirOperationVerify(op));
  mlirOperationPrint(op, printToStdout, NULL);
  printf("\n");
  mlirModuleDestroy(module);
}
// CHECK-LABEL: verified: 1
// CHECK: func.func @attend
// CHECK: lapa.attention %{{.*}}, %{{.*}}, %{{.*}} scale(0.176776692) causal : tensor<1x4x16x32xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32> -> tensor<1x4x16x32xf32>

static void testPredictor(MlirContext context) {
  MlirAttribute defaults = lapaPredictorAttrGet(context, LapaPredictorSchemeLapa);
  printAttribute(defaults);
  printf("is predictor: %d\n", lapaAttributeIsAPredictor(defaults));
  printf("scheme: %d rounds: %u slices: %ld keep: %.3f filter: %d\n",
         (int)lapaPredictorAttrGetScheme(defaults),
         lapaPredictorAttrGetRounds(defaults),
         (long)lapaPredictorAttrGetNumSlices(defaults),
         lapaPredictorAttrGetKeepRatio(defaults),
         (int)lapaPredictorAttrGetFilter(defaults));
  printf("key bits: %u query bits: %u\n", lapaPredictorAttrGetKeyBits(defaults),
         lapaPredictorAttrGetQueryBits(defaults));

  MlirLocation location = mlirLocationUnknownGet(context);
  unsigned slices[3] = {2, 3, 3};
  MlirAttribute custom = lapaPredictorAttrGetChecked(
      location, LapaPredictorSchemeLapa, 0.125, 3, 3, slices);
  printAttribute(custom);
  printf("rounds: %u slice 0: %u slice 2: %u keep: %.3f\n",
         lapaPredictorAttrGetRounds(custom), lapaPredictorAttrGetSlice(custom, 0),
         lapaPredictorAttrGetSlice(custom, 2),
         lapaPredictorAttrGetKeepRatio(custom));

  unsigned badSlices[2] = {4, 3};
  MlirAttribute invalid = lapaPredictorAttrGetChecked(
      location, LapaPredictorSchemeLapa, 0.25, 2, 2, badSlices);
  printf("invalid is null: %d\n", mlirAttributeIsNull(invalid));
  MlirAttribute badRatio = lapaPredictorAttrGetChecked(
      location, LapaPredictorSchemeOracle, 1.5, 0, 0, NULL);
  printf("bad ratio is null: %d\n", mlirAttributeIsNull(badRatio));

  MlirAttribute oracle = lapaPredictorAttrGet(context, LapaPredictorSchemeOracle);
  printAttribute(oracle);
  printf("oracle is predictor: %d\n", lapaAttributeIsAPredictor(oracle));
  printf("i32 attr is predictor: %d\n",
         lapaAttributeIsAPredictor(mlirIntegerAttrGet(
             mlirIntegerTypeGet(context, 32), 1)));
}
// CHECK-LABEL: #lapa.predictor<lapa>
// CHECK-NEXT: is predictor: 1
// CHECK-NEXT: scheme: 0 rounds: 2 slices: 2 keep: 0.250 filter: 1
// CHECK-NEXT: key bits: 8 query bits: 16
// CHECK-NEXT: #lapa.predictor<lapa, rounds = 3, slices = [2, 3, 3], accumulator_bits = [30, 30, 30], keep_ratio = 0.125>
// CHECK-NEXT: rounds: 3 slice 0: 2 slice 2: 3 keep: 0.125
// CHECK-NEXT: diagnostic: invalid #lapa.predictor: parameter 'slices' [4, 3] sums to 7 bits but key_bits = 8; the slices must cover the sliced operand exactly
// CHECK-NEXT: invalid is null: 1
// CHECK-NEXT: diagnostic: invalid #lapa.predictor: parameter 'keep_ratio' is 1.5, outside (0, 1]
// CHECK-NEXT: bad ratio is null: 1
// CHECK-NEXT: #lapa.predictor<oracle>
// CHECK-NEXT: oracle is predictor: 1
// CHECK-NEXT: i32 attr is predictor: 0

static void testTypesAndTarget(MlirContext context) {
  MlirLocation location = mlirLocationUnknownGet(context);
  MlirType code8 = lapaLogCodeTypeGetChecked(location, 8);
  MlirType code16 = lapaLogCodeTypeGetChecked(location, 16);
  printType(code8);
  printf("code widths: %u %u, source widths: %u %u\n",
         lapaLogCodeTypeGetCodeWidth(code8), lapaLogCodeTypeGetCodeWidth(code16),
         lapaLogCodeTypeGetSourceWidth(code8),
         lapaLogCodeTypeGetSourceWidth(code16));
  MlirType tooWide = lapaLogCodeTypeGetChecked(location, 17);
  printf("width 17 is null: %d\n", mlirTypeIsNull(tooWide));

  MlirAttribute target =
      lapaTargetAttrGet(context, mlirStringRefCreateFromCString("lapa-28nm"));
  printAttribute(target);
  MlirStringRef name = lapaTargetAttrGetName(target);
  printf("target name: %.*s is target: %d\n", (int)name.length, name.data,
         lapaAttributeIsATarget(target));
}
// CHECK-LABEL: !lapa.log_code<8>
// CHECK-NEXT: code widths: 4 5, source widths: 8 16
// CHECK-NEXT: diagnostic: log code source width 17 is outside [2, 16]
// CHECK-NEXT: width 17 is null: 1
// CHECK-NEXT: #lapa.target<"lapa-28nm">
// CHECK-NEXT: target name: lapa-28nm is target: 1

int main(void) {
  MlirContext context = mlirContextCreate();
  mlirDialectHandleRegisterDialect(mlirGetDialectHandle__lapa__(), context);
  mlirDialectHandleRegisterDialect(mlirGetDialectHandle__func__(), context);
  mlirDialectHandleRegisterDialect(mlirGetDialectHandle__tensor__(), context);
  mlirDialectHandleLoadDialect(mlirGetDialectHandle__lapa__(), context);
  mlirContextAttachDiagnosticHandler(context, printDiagnostic, NULL, NULL);
  lapaRegisterPasses();

  testRoundTrip(context);
  testPredictor(context);
  testTypesAndTarget(context);

  mlirContextDestroy(context);
  printf("done\n");
  return 0;
}
// CHECK: done
