// The bundled example verifies, reads back from its printed form, and its
// LAPA flow costs what the shapes imply: 128 tokens, hidden size 128,
// 4 heads of 32, keep ratio 0.25.
// REQUIRES: mlir
// RUN: lapa-opt %lapa_src_root/examples/lapa/tinyllama-attention.mlir | lapa-opt | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: lapa-opt %lapa_src_root/examples/lapa/tinyllama-attention.mlir --lapa-annotate-op-counts | FileCheck %s

// ROUNDTRIP: func.func @dense
// ROUNDTRIP: func.func @predicted

// Dense: visible pairs per head 128 * 129 / 2 = 8256, times 4 heads = 33024;
// MACs 33024 * (32 + 32) = 2113536.
// CHECK: lapa.attention {{.*}}exps = 33024 : i64, macs = 2113536 : i64
// Key prediction: 128 tokens * 128 inputs * 128 outputs = 2097152 shift-adds.
// CHECK: lapa.predict_keys {{.*}}shift_adds = 2097152 : i64
// Scores: 33024 visible pairs * 32 lanes * 2 rounds = 2113536 shift-adds at
// most, and 33024 filter comparisons between the rounds.
// CHECK: lapa.predict_scores {{.*}}bound = "upper", comparisons = 33024 : i64, shift_adds = 2113536 : i64
// Sparse attention: 4 heads * 128 rows * 32 kept keys = 16384 pairs,
// 16384 * 64 = 1048576 MACs at most.
// CHECK: lapa.sparse_attention {{.*}}exps = 16384 : i64, macs = 1048576 : i64
