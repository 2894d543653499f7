// #lapa.predictor prints every parameter it sets, in a fixed order, with
// the shortest float spelling, and reads back to the same attribute.
// REQUIRES: mlir
// RUN: lapa-opt %s | lapa-opt | FileCheck %s

// CHECK-LABEL: func.func @defaults
// CHECK-SAME: a = #lapa.predictor<lapa>
// CHECK-SAME: b = #lapa.predictor<dense>
func.func @defaults() attributes {a = #lapa.predictor<lapa>, b = #lapa.predictor<dense>} { return }

// Parameters print in declaration order whatever order they were written in.
// CHECK-LABEL: func.func @every_lapa_parameter
// CHECK-SAME: #lapa.predictor<lapa, key_log_coded = activation, query_source = aloc, activation_bits = 8, weight_bits = 8, query_bits = 12, key_bits = 6, key_accumulator_bits = 28, rounds = 3, slices = [2, 2, 2], accumulator_bits = [20, 22, 24], filter = radius, filter_alpha = 0.25, filter_radius = 96.5, select = threshold, keep_ratio = 0.3, threshold = 0.001>
func.func @every_lapa_parameter() attributes {p = #lapa.predictor<lapa,
    threshold = 1.0e-3, select = threshold, keep_ratio = 0.3,
    filter = radius, filter_radius = 96.5, filter_alpha = 0.25,
    rounds = 3, slices = [2, 2, 2], accumulator_bits = [20, 22, 24],
    key_bits = 6, key_accumulator_bits = 28, query_bits = 12,
    activation_bits = 8, weight_bits = 8,
    query_source = aloc, key_log_coded = activation>} { return }

// Integer literals read as floats, and large values print with an exponent.
// CHECK-LABEL: func.func @literals
// CHECK-SAME: #lapa.predictor<lapa, filter = radius, filter_radius = 1.0e+20, keep_ratio = 1.0>
func.func @literals() attributes {p = #lapa.predictor<lapa, keep_ratio = 1, filter = radius, filter_radius = 1.0e20>} { return }

// CHECK-LABEL: func.func @peers
// CHECK-SAME: a = #lapa.predictor<sofa, key_bits = 12, accumulator_bits = [34], segments = 8>
// CHECK-SAME: b = #lapa.predictor<sanger, threshold = 0.02, score_bits = 6>
// CHECK-SAME: c = #lapa.predictor<energon, filter = radius, filter_radius = 1.0e+01, round_bits = [2, 4, 8]>
// CHECK-SAME: d = #lapa.predictor<spatten, keep_ratio = 0.5, msb_bits = 8, requant_threshold = 0.2>
// CHECK-SAME: e = #lapa.predictor<fact, key_accumulator_bits = 24, keep_ratio = 0.1>
// CHECK-SAME: f = #lapa.predictor<oracle, select = threshold, threshold = 0.005>
func.func @peers() attributes {
    a = #lapa.predictor<sofa, segments = 8, key_bits = 12, accumulator_bits = [34]>,
    b = #lapa.predictor<sanger, threshold = 0.02, score_bits = 6>,
    c = #lapa.predictor<energon, filter = radius, filter_radius = 10.0, round_bits = [2, 4, 8]>,
    d = #lapa.predictor<spatten, keep_ratio = 0.5, msb_bits = 8, requant_threshold = 0.2>,
    e = #lapa.predictor<fact, keep_ratio = 0.1, key_accumulator_bits = 24>,
    f = #lapa.predictor<oracle, select = threshold, threshold = 0.005>} { return }
