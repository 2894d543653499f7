// lapa-expand-prediction spells out the LAPA flow of a predicted attention
// as dialect ops. The encoder block has 40 tokens, hidden size 64 and two
// heads of 32; LAPA keeps ceil(0.25 * 40) = 10 keys per row. The operation
// counts that lapa-annotate-op-counts attaches follow from the shapes:
//   K-hat:          40 tokens x 64 inputs x 64 outputs = 163840 shift-adds
//   score rounds:   2 heads x 40 x 40 pairs x 32 dims x 2 slices = 204800 (upper bound)
//   sparse attention: 2 heads x 40 rows x 10 keys x 32 x 2 (SDDMM, SpMM) = 51200 MACs,
//                   and 2 x 40 x 10 = 800 exponentials (upper bound)
// The requantize shift makes K-hat fit 8 bits: one term is at most
// 127 x 2^6 = 8128, and 64 of them need ceil(log2(8128 x 64 + 1)) + 1 = 20
// bits (with the sign), so the shift is 20 - 8 = 12.
// RUN: lapa-opt %S/../../Conversion/LowerToIsa/Inputs/encoder-dynamic.mlir --lapa-bound-dynamic-dims=sizes=40 --lapa-raise-attention --lapa-annotate-layers --lapa-insert-prediction="predictor='lapa keep_ratio=0.25'" --lapa-expand-prediction --lapa-annotate-op-counts | FileCheck %s

// CHECK: %[[XQ:.*]], %{{.*}} = lapa.quantize_dynamic %[[X:.*]] over 1 : tensor<40x64xf32> -> tensor<40x64xi8>, tensor<40xf32>
// CHECK: %[[WQ:.*]], %{{.*}} = lapa.quantize_dynamic %{{.*}} over 0 : tensor<64x64xf32> -> tensor<64x64xi8>, tensor<64xf32>
// CHECK: %[[WLOG:.*]] = lapa.log_encode %[[WQ]] {{.*}}: tensor<64x64xi8> -> tensor<64x64x!lapa.log_code<8>>
// CHECK: %[[KHAT:.*]] = lapa.predict_keys %[[XQ]], %[[WLOG]] {lapa.op_counts = {{{.*}}shift_adds = 163840 : i64}}
// CHECK: lapa.requantize %[[KHAT]] shift 12 {{.*}}: tensor<40x64xi32> -> tensor<40x64xi8>
// CHECK: lapa.quantize_dynamic %{{.*}} over 3 : tensor<1x2x40x32xf32> -> tensor<1x2x40x32xi16>, tensor<1x2x40xf32>
// CHECK: lapa.log_encode {{.*}} -> tensor<1x2x40x32x!lapa.log_code<16>>
// CHECK: %[[SCORES:.*]], %[[CAND:.*]] = lapa.predict_scores {{.*}}shift_adds = 204800 : i64{{.*}} -> tensor<1x2x40x40xi32>, tensor<1x2x40x40xi1>
// CHECK: %[[SEL:.*]], %[[NEEDED:.*]] = lapa.select %[[SCORES]], %[[CAND]] {{.*}} -> tensor<1x2x40x10xi32>, tensor<1x2x40xi1>
// CHECK: lapa.sparse_project %[[X]], %{{.*}}, %[[NEEDED]]
// CHECK: lapa.sparse_project %[[X]], %{{.*}}, %[[NEEDED]]
// CHECK: lapa.sparse_attention {{.*}}, %[[SEL]] scale({{.*}}) {lapa.attention_index = 0 : i64, lapa.op_counts = {{{.*}}exps = 800 : i64, macs = 51200 : i64}
// CHECK-NOT: lapa.attention {{.*}}:
// CHECK-NOT: linalg.matmul {{.*}}lapa.projection = "key"
