// lapa.log_encode of a constant folds into lapa.log_constant at compile
// time. The codes are the worked example's weights, packed by hand as
// sign << 3 | LO with 7 for zero (8-bit values, 4-bit codes):
//   -20 -> (-, LO 4) -> 8 + 4 = 12      7 -> (+, LO 2) -> 2
//   100 -> (+, LO 6) -> 6              -3 -> (-, LO 1) -> 8 + 1 = 9
//     0 -> zero      -> 7
// REQUIRES: mlir
// RUN: lapa-opt %s --canonicalize --split-input-file | FileCheck %s
// RUN: lapa-opt %s --split-input-file | lapa-opt --split-input-file | FileCheck %s --check-prefix=ROUNDTRIP

// CHECK-LABEL: func.func @fold_weights
// CHECK: %[[CODES:.*]] = lapa.log_constant dense<[12, 2, 6, 9, 7]> : tensor<5xi8> : tensor<5x!lapa.log_code<8>>
// CHECK-NOT: lapa.log_encode
// CHECK: return %[[CODES]]
// ROUNDTRIP-LABEL: func.func @fold_weights
// ROUNDTRIP: lapa.log_encode
func.func @fold_weights() -> tensor<5x!lapa.log_code<8>> {
  %w = arith.constant dense<[-20, 7, 100, -3, 0]> : tensor<5xi8>
  %codes = lapa.log_encode %w : tensor<5xi8> -> tensor<5x!lapa.log_code<8>>
  return %codes : tensor<5x!lapa.log_code<8>>
}

// -----

// -128 is outside the symmetric 8-bit range and has no code, so the encoding
// is left for run time.
// CHECK-LABEL: func.func @no_fold_out_of_range
// CHECK: lapa.log_encode
func.func @no_fold_out_of_range() -> tensor<2x!lapa.log_code<8>> {
  %w = arith.constant dense<[-128, 1]> : tensor<2xi8>
  %codes = lapa.log_encode %w : tensor<2xi8> -> tensor<2x!lapa.log_code<8>>
  return %codes : tensor<2x!lapa.log_code<8>>
}

// -----

// 16-bit values get 5-bit codes: sign << 4 | LO, with 15 for zero.
//   -32767 -> (-, LO 14) -> 16 + 14 = 30     1 -> (+, LO 0) -> 0     0 -> 15
// CHECK-LABEL: func.func @fold_query_width
// CHECK: lapa.log_constant dense<[30, 0, 15]> : tensor<3xi8> : tensor<3x!lapa.log_code<16>>
// ROUNDTRIP-LABEL: func.func @fold_query_width
// ROUNDTRIP: lapa.log_constant dense<[30, 0, 15]> : tensor<3xi8> : tensor<3x!lapa.log_code<16>>
func.func @fold_query_width() -> (tensor<3x!lapa.log_code<16>>, tensor<3x!lapa.log_code<16>>) {
  %q = arith.constant dense<[-32767, 1, 0]> : tensor<3xi16>
  %codes = lapa.log_encode %q : tensor<3xi16> -> tensor<3x!lapa.log_code<16>>
  %same = lapa.log_constant dense<[30, 0, 15]> : tensor<3xi8> : tensor<3x!lapa.log_code<16>>
  return %codes, %same : tensor<3x!lapa.log_code<16>>, tensor<3x!lapa.log_code<16>>
}
