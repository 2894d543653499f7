// Static operation counts of lapa ops. Every number is worked out by hand
// in the comment above its check.
// REQUIRES: mlir
// RUN: lapa-opt %s --lapa-annotate-op-counts --split-input-file --verify-diagnostics | FileCheck %s

// Causal attention, B = 1, H = 2, Sq = Skv = 4, D = Dv = 8.
// Visible pairs per head: 1 + 2 + 3 + 4 = 10, so 20 pairs in all.
// MACs: 20 * (8 + 8) = 320. Exponentials: 20.
// Bits read: 3 operands * 64 elements * 32 bits = 6144; written: 64 * 32 = 2048.
// CHECK-LABEL: func.func @attention
// CHECK: lapa.attention {{.*}} {lapa.op_counts = {bits_read = 6144 : i64, bits_written = 2048 : i64, bound = "exact", exps = 20 : i64, macs = 320 : i64}}
func.func @attention(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %o = lapa.attention %q, %k, %v scale(0.35) causal : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Key prediction, S = 4, Hin = 16, N = 8: 4 * 16 * 8 = 512 shift-adds.
// Bits read: 64 * 8 (i8 input) + 128 * 4 (4-bit codes) = 1024.
// Bits written: 32 * 32 = 1024.
// CHECK-LABEL: func.func @predict_keys
// CHECK: lapa.predict_keys {{.*}} {lapa.op_counts = {bits_read = 1024 : i64, bits_written = 1024 : i64, bound = "exact", shift_adds = 512 : i64}}
func.func @predict_keys(%x: tensor<4x16xi8>, %w: tensor<16x8x!lapa.log_code<8>>) -> tensor<4x8xi32> {
  %k = lapa.predict_keys %x, %w : tensor<4x16xi8>, tensor<16x8x!lapa.log_code<8>> -> tensor<4x8xi32>
  return %k : tensor<4x8xi32>
}

// -----

// Two-round causal score prediction, B = 1, H = 2, Sq = Skv = 4, D = 8.
// Visible pairs: 20. Each round at most 20 * 8 = 160 shift-adds, so 320 as
// an upper bound; one filter comparison per pair between the rounds: 20.
// Bits read: 64 * 5 (16-bit log codes) + 64 * 8 = 832.
// Bits written: 32 * 32 (scores) + 32 * 1 (candidates) = 1056.
// CHECK-LABEL: func.func @predict_scores
// CHECK: lapa.predict_scores {{.*}} {lapa.op_counts = {bits_read = 832 : i64, bits_written = 1056 : i64, bound = "upper", comparisons = 20 : i64, shift_adds = 320 : i64}}
func.func @predict_scores(%q: tensor<1x2x4x8x!lapa.log_code<16>>, %k: tensor<1x2x4x8xi8>) -> (tensor<1x2x4x4xi32>, tensor<1x2x4x4xi1>) {
  %s, %c = lapa.predict_scores %q, %k predictor <lapa> causal : tensor<1x2x4x8x!lapa.log_code<16>>, tensor<1x2x4x8xi8> -> tensor<1x2x4x4xi32>, tensor<1x2x4x4xi1>
  return %s, %c : tensor<1x2x4x4xi32>, tensor<1x2x4x4xi1>
}

// -----

// The oracle scores all 2 * 2 = 4 pairs of one head with D = 4 float
// multiply-accumulates each: 16 MACs in one round, exactly.
// CHECK-LABEL: func.func @oracle
// CHECK: lapa.predict_scores {{.*}} {lapa.op_counts = {bits_read = 512 : i64, bits_written = 132 : i64, bound = "exact", macs = 16 : i64}}
func.func @oracle(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x2x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi1>) {
  %s, %c = lapa.predict_scores %q, %k predictor <oracle> : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32> -> tensor<1x1x2x2xf32>, tensor<1x1x2x2xi1>
  return %s, %c : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi1>
}

// -----

// Sparse attention with an index selection of K = 2 per row over
// B = 1, H = 2, Sq = 4: at most 16 pairs, each D + Dv = 16 MACs.
// CHECK-LABEL: func.func @sparse_attention
// CHECK: lapa.sparse_attention {{.*}} {lapa.op_counts = {bits_read = 6656 : i64, bits_written = 2048 : i64, bound = "upper", exps = 16 : i64, macs = 256 : i64}}
func.func @sparse_attention(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %s: tensor<1x2x4x2xi32>) -> tensor<1x2x4x8xf32> {
  %o = lapa.sparse_attention %q, %k, %v, %s scale(0.35) : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x2xi32> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A dynamic dimension gets a remark and no counts.
// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: lapa.op_counts
func.func @dynamic(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-remark @+1 {{no operation counts: the op has a dynamic dimension; make its shapes static first}}
  %o = lapa.attention %q, %k, %v scale(0.35) : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}
