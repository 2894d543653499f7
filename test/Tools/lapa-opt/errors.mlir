// Malformed lapa IR gets a located diagnostic and exit code 1, never a
// crash: one case per kind of mistake a user makes by hand.
// REQUIRES: mlir
// RUN: split-file %s %t
// RUN: not lapa-opt %t/rank.mlir 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not lapa-opt %t/heads.mlir 2>&1 | FileCheck %s --check-prefix=HEADS
// RUN: not lapa-opt %t/keep.mlir 2>&1 | FileCheck %s --check-prefix=KEEP
// RUN: not lapa-opt %t/rounds.mlir 2>&1 | FileCheck %s --check-prefix=ROUNDS
// RUN: not lapa-opt %t/slices.mlir 2>&1 | FileCheck %s --check-prefix=SLICES
// RUN: not lapa-opt %t/scheme.mlir 2>&1 | FileCheck %s --check-prefix=SCHEME
// RUN: not lapa-opt %t/truncated.mlir 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// The exit code is exactly 1 (a crash would give a signal's code).
// RUN: lapa-opt %t/rank.mlir 2>/dev/null; test $? -eq 1
// RUN: lapa-opt %t/scheme.mlir 2>/dev/null; test $? -eq 1

//--- rank.mlir
func.func @f(%q: tensor<4x16x32xf32>, %k: tensor<1x4x16x32xf32>) {
  %o = lapa.attention %q, %k, %k scale(0.125) : tensor<4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}
// RANK: rank.mlir:2:8: error: 'lapa.attention' op query must have rank 4 [B, H, Sq, D], got rank 3

//--- heads.mlir
func.func @f(%q: tensor<1x6x16x32xf32>, %k: tensor<1x4x16x32xf32>) {
  %o = lapa.attention %q, %k, %k scale(0.125) : tensor<1x6x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x6x16x32xf32>
  return
}
// HEADS: heads.mlir:2:8: error: 'lapa.attention' op query heads (6) must be a multiple of key/value heads (4)

//--- keep.mlir
func.func @f() attributes {p = #lapa.predictor<lapa, keep_ratio = 1.25>} { return }
// KEEP: keep.mlir:1:{{[0-9]+}}: error: invalid #lapa.predictor: parameter 'keep_ratio' is 1.25, outside (0, 1]

//--- rounds.mlir
func.func @f() attributes {p = #lapa.predictor<lapa, rounds = 0>} { return }
// ROUNDS: rounds.mlir:1:{{[0-9]+}}: error: invalid #lapa.predictor: parameter 'rounds' is 0, outside [1, 8]

//--- slices.mlir
func.func @f() attributes {p = #lapa.predictor<lapa, slices = [5, 4]>} { return }
// SLICES: slices.mlir:1:{{[0-9]+}}: error: invalid #lapa.predictor: parameter 'slices' [5, 4] sums to 9 bits but key_bits = 8

//--- scheme.mlir
func.func @f() attributes {p = #lapa.predictor<bigbird>} { return }
// SCHEME: scheme.mlir:1:48: error: unknown predictor scheme 'bigbird'; expected one of: lapa, sofa, fact, sanger, energon, spatten, oracle, dense

//--- truncated.mlir
func.func @f(%q: tensor<1x4x16x32xf32>) {
  %o = lapa.attention %q, %q, %q scale(
// TRUNCATED: truncated.mlir:{{[0-9]+}}:{{[0-9]+}}: error:
