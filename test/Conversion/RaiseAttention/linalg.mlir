// Attention in linalg, in the spellings front ends emit, becomes one
// lapa.attention; the softmax and the score contraction disappear.
// REQUIRES: mlir
// RUN: lapa-opt %s --lapa-raise-attention --split-input-file | FileCheck %s

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#bcast3 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>

// The canonical form: batch_matmul with K transposed explicitly, a scale by
// multiplication after it, and a softmax with max subtraction.
// CHECK-LABEL: func.func @canonical
// CHECK-SAME: (%[[Q:.*]]: tensor<4x16x32xf32>, %[[K:.*]]: tensor<4x16x32xf32>, %[[V:.*]]: tensor<4x16x32xf32>)
// CHECK-DAG: %[[Q4:.*]] = tensor.expand_shape %[[Q]] {{\[\[}}0, 1], [2], [3]] output_shape [1, 4, 16, 32]
// CHECK-DAG: %[[K4:.*]] = tensor.expand_shape %[[K]] {{\[\[}}0, 1], [2], [3]] output_shape [1, 4, 16, 32]
// CHECK-DAG: %[[V4:.*]] = tensor.expand_shape %[[V]] {{\[\[}}0, 1], [2], [3]] output_shape [1, 4, 16, 32]
// CHECK: %[[O:.*]] = lapa.attention %[[Q4]], %[[K4]], %[[V4]] scale(0.176776692) {lapa.attention_index = 0 : i64} : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
// CHECK: %[[O3:.*]] = tensor.collapse_shape %[[O]] {{\[\[}}0, 1], [2], [3]]
// CHECK-NOT: math.exp
// CHECK-NOT: linalg.batch_matmul
// CHECK: return %[[O3]]
func.func @canonical(%q: tensor<4x16x32xf32>, %k: tensor<4x16x32xf32>, %v: tensor<4x16x32xf32>) -> tensor<4x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.176776695 : f32
  %kt_init = tensor.empty() : tensor<4x32x16xf32>
  %kt = linalg.transpose ins(%k : tensor<4x16x32xf32>) outs(%kt_init : tensor<4x32x16xf32>) permutation = [0, 2, 1]
  %s_init = tensor.empty() : tensor<4x16x16xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x16x32xf32>, tensor<4x32x16xf32>) outs(%s_zero : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %scaled = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x16x16xf32>) outs(%s_init : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %scale : f32
    linalg.yield %m : f32
  } -> tensor<4x16x16xf32>
  %r_init = tensor.empty() : tensor<4x16xf32>
  %max_init = linalg.fill ins(%ninf : f32) outs(%r_init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %max = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%scaled : tensor<4x16x16xf32>) outs(%max_init : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  %shifted = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%scaled, %max : tensor<4x16x16xf32>, tensor<4x16xf32>) outs(%s_init : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    linalg.yield %d : f32
  } -> tensor<4x16x16xf32>
  %e = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%shifted : tensor<4x16x16xf32>) outs(%s_init : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %x = math.exp %in : f32
    linalg.yield %x : f32
  } -> tensor<4x16x16xf32>
  %sum_init = linalg.fill ins(%zero : f32) outs(%r_init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%e : tensor<4x16x16xf32>) outs(%sum_init : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<4x16xf32>
  %p = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%e, %sum : tensor<4x16x16xf32>, tensor<4x16xf32>) outs(%s_init : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %total: f32, %out: f32):
    %d = arith.divf %in, %total : f32
    linalg.yield %d : f32
  } -> tensor<4x16x16xf32>
  %o_init = tensor.empty() : tensor<4x16x32xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x16x16xf32>, tensor<4x16x32xf32>) outs(%o_zero : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  return %o : tensor<4x16x32xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#keep4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
#mask4 = affine_map<(d0, d1, d2, d3) -> (d2, d3)>

// K already transposed, scale by division by sqrt(D) = 8, heads split from
// the batch by a reshape before the softmax, a [Sq, Skv] mask broadcast by
// the generic's map, no max subtraction, and the sum kept as [.., 1] and
// broadcast back through a map with a constant index.
// CHECK-LABEL: func.func @split_heads
// CHECK-SAME: (%[[Q:.*]]: tensor<6x10x64xf32>, %[[KT:.*]]: tensor<6x64x10xf32>, %[[V:.*]]: tensor<6x10x64xf32>, %[[M:.*]]: tensor<10x10xf32>)
// CHECK-DAG: %[[KTT:.*]] = linalg.transpose ins(%[[KT]] : tensor<6x64x10xf32>) {{.*}} permutation = [0, 2, 1]
// CHECK-DAG: %[[K4:.*]] = tensor.expand_shape %[[KTT]] {{\[\[}}0, 1], [2], [3]] output_shape [2, 3, 10, 64]
// CHECK-DAG: %[[M4:.*]] = tensor.expand_shape %[[M]] {{\[\[}}0, 1, 2], [3]] output_shape [1, 1, 10, 10]
// CHECK: lapa.attention %{{.*}}, %[[K4]], %{{.*}} mask(%[[M4]] : tensor<1x1x10x10xf32>) scale(1.250000e-01) {lapa.attention_index = 0 : i64} : tensor<2x3x10x64xf32>, tensor<2x3x10x64xf32>, tensor<2x3x10x64xf32> -> tensor<2x3x10x64xf32>
// CHECK-NOT: math.exp
func.func @split_heads(%q: tensor<6x10x64xf32>, %kt: tensor<6x64x10xf32>, %v: tensor<6x10x64xf32>, %mask: tensor<10x10xf32>) -> tensor<6x10x64xf32> {
  %zero = arith.constant 0.0 : f32
  %sqrt_d = arith.constant 8.0 : f32
  %s_init = tensor.empty() : tensor<6x10x10xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<6x10x10xf32>) -> tensor<6x10x10xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<6x10x64xf32>, tensor<6x64x10xf32>) outs(%s_zero : tensor<6x10x10xf32>) -> tensor<6x10x10xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 10, 10] : tensor<6x10x10xf32> into tensor<2x3x10x10xf32>
  %init4 = tensor.empty() : tensor<2x3x10x10xf32>
  %scaled = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s4 : tensor<2x3x10x10xf32>) outs(%init4 : tensor<2x3x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.divf %in, %sqrt_d : f32
    linalg.yield %d : f32
  } -> tensor<2x3x10x10xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #mask4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled, %mask : tensor<2x3x10x10xf32>, tensor<10x10xf32>) outs(%init4 : tensor<2x3x10x10xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %a = arith.addf %in, %m : f32
    linalg.yield %a : f32
  } -> tensor<2x3x10x10xf32>
  %e = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%masked : tensor<2x3x10x10xf32>) outs(%init4 : tensor<2x3x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    %x = math.exp %in : f32
    linalg.yield %x : f32
  } -> tensor<2x3x10x10xf32>
  %r_init = tensor.empty() : tensor<2x3x10xf32>
  %sum_init = linalg.fill ins(%zero : f32) outs(%r_init : tensor<2x3x10xf32>) -> tensor<2x3x10xf32>
  %sum = linalg.reduce ins(%e : tensor<2x3x10x10xf32>) outs(%sum_init : tensor<2x3x10xf32>) dimensions = [3]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sum4 = tensor.expand_shape %sum [[0], [1], [2, 3]] output_shape [2, 3, 10, 1] : tensor<2x3x10xf32> into tensor<2x3x10x1xf32>
  %p = linalg.generic {indexing_maps = [#id4, #keep4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e, %sum4 : tensor<2x3x10x10xf32>, tensor<2x3x10x1xf32>) outs(%init4 : tensor<2x3x10x10xf32>) {
  ^bb0(%in: f32, %total: f32, %out: f32):
    %d = arith.divf %in, %total : f32
    linalg.yield %d : f32
  } -> tensor<2x3x10x10xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x3x10x10xf32> into tensor<6x10x10xf32>
  %o_init = tensor.empty() : tensor<6x10x64xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<6x10x64xf32>) -> tensor<6x10x64xf32>
  %o = linalg.batch_matmul ins(%p3, %v : tensor<6x10x10xf32>, tensor<6x10x64xf32>) outs(%o_zero : tensor<6x10x64xf32>) -> tensor<6x10x64xf32>
  return %o : tensor<6x10x64xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// One head of one sequence (batch and head of size 1) with 2-D matmuls, the
// scale applied to Q before the score contraction, and the named softmax.
// CHECK-LABEL: func.func @single_head_named_softmax
// CHECK: lapa.attention {{.*}} scale(1.250000e-01) {lapa.attention_index = 0 : i64} : tensor<1x1x12x64xf32>, tensor<1x1x12x64xf32>, tensor<1x1x12x16xf32> -> tensor<1x1x12x16xf32>
// CHECK-NOT: linalg.softmax
// CHECK-NOT: arith.mulf
func.func @single_head_named_softmax(%q: tensor<12x64xf32>, %kt: tensor<64x12xf32>, %v: tensor<12x16xf32>) -> tensor<12x16xf32> {
  %zero = arith.constant 0.0 : f32
  %scale = arith.constant 0.125 : f32
  %q_init = tensor.empty() : tensor<12x64xf32>
  %qs = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<12x64xf32>) outs(%q_init : tensor<12x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %scale : f32
    linalg.yield %m : f32
  } -> tensor<12x64xf32>
  %s_init = tensor.empty() : tensor<12x12xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<12x12xf32>) -> tensor<12x12xf32>
  %s = linalg.matmul ins(%qs, %kt : tensor<12x64xf32>, tensor<64x12xf32>) outs(%s_zero : tensor<12x12xf32>) -> tensor<12x12xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<12x12xf32>) outs(%s_init : tensor<12x12xf32>) -> tensor<12x12xf32>
  %o_init = tensor.empty() : tensor<12x16xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<12x16xf32>) -> tensor<12x16xf32>
  %o = linalg.matmul ins(%p, %v : tensor<12x12xf32>, tensor<12x16xf32>) outs(%o_zero : tensor<12x16xf32>) -> tensor<12x16xf32>
  return %o : tensor<12x16xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap3 = affine_map<(d0, d1, d2) -> (d0, d2, d1)>

// Scores computed as K . Q^T and transposed by a generic before the named
// softmax; casts from f16 to f32 around the softmax and back.
// CHECK-LABEL: func.func @transposed_scores_with_casts
// CHECK: lapa.attention {{.*}} scale(1.000000e+00) {lapa.attention_index = 0 : i64} : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf16>
// CHECK-NOT: arith.extf
func.func @transposed_scores_with_casts(%k: tensor<2x8x16xf16>, %qt: tensor<2x16x8xf16>, %v: tensor<2x8x16xf16>) -> tensor<2x8x16xf16> {
  %zero = arith.constant 0.0 : f16
  %s_init = tensor.empty() : tensor<2x8x8xf16>
  %s_zero = linalg.fill ins(%zero : f16) outs(%s_init : tensor<2x8x8xf16>) -> tensor<2x8x8xf16>
  %kq = linalg.batch_matmul ins(%k, %qt : tensor<2x8x16xf16>, tensor<2x16x8xf16>) outs(%s_zero : tensor<2x8x8xf16>) -> tensor<2x8x8xf16>
  %qk = linalg.generic {indexing_maps = [#swap3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%kq : tensor<2x8x8xf16>) outs(%s_init : tensor<2x8x8xf16>) {
  ^bb0(%in: f16, %out: f16):
    linalg.yield %in : f16
  } -> tensor<2x8x8xf16>
  %wide_init = tensor.empty() : tensor<2x8x8xf32>
  %wide = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%qk : tensor<2x8x8xf16>) outs(%wide_init : tensor<2x8x8xf32>) {
  ^bb0(%in: f16, %out: f32):
    %x = arith.extf %in : f16 to f32
    linalg.yield %x : f32
  } -> tensor<2x8x8xf32>
  %p32 = linalg.softmax dimension(2) ins(%wide : tensor<2x8x8xf32>) outs(%wide_init : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %p = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%p32 : tensor<2x8x8xf32>) outs(%s_init : tensor<2x8x8xf16>) {
  ^bb0(%in: f32, %out: f16):
    %x = arith.truncf %in : f32 to f16
    linalg.yield %x : f16
  } -> tensor<2x8x8xf16>
  %o_init = tensor.empty() : tensor<2x8x16xf16>
  %o_zero = linalg.fill ins(%zero : f16) outs(%o_init : tensor<2x8x16xf16>) -> tensor<2x8x16xf16>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x8x8xf16>, tensor<2x8x16xf16>) outs(%o_zero : tensor<2x8x16xf16>) -> tensor<2x8x16xf16>
  return %o : tensor<2x8x16xf16>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#none3 = affine_map<(d0, d1, d2) -> ()>
#mask3 = affine_map<(d0, d1, d2) -> (d1, d2)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<() -> ()>

// The scale as a division by sqrt(D) computed in the graph from D = 64, and
// a causal mask built from iota-like indices, a compare and a select: it is
// recognized and becomes the causal flag, with no mask operand.
// CHECK-LABEL: func.func @sqrt_scale_causal_mask
// CHECK-NOT: mask(
// CHECK: lapa.attention {{.*}} scale(1.250000e-01) causal
// CHECK-NOT: math.exp
func.func @sqrt_scale_causal_mask(%q: tensor<2x8x64xf32>, %kt: tensor<2x64x8xf32>, %v: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %d = arith.constant dense<64.0> : tensor<f32>
  %root_init = tensor.empty() : tensor<f32>
  %root = linalg.generic {indexing_maps = [#scalar, #scalar], iterator_types = []} ins(%d : tensor<f32>) outs(%root_init : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.sqrt %in : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %mask_init = tensor.empty() : tensor<8x8xf32>
  %mask = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%mask_init : tensor<8x8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %future = arith.cmpi ugt, %j, %i : index
    %m = arith.select %future, %ninf, %zero : f32
    linalg.yield %m : f32
  } -> tensor<8x8xf32>
  %s_init = tensor.empty() : tensor<2x8x8xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x8x64xf32>, tensor<2x64x8xf32>) outs(%s_zero : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id3, #none3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %root : tensor<2x8x8xf32>, tensor<f32>) outs(%s_init : tensor<2x8x8xf32>) {
  ^bb0(%in: f32, %r: f32, %out: f32):
    %x = arith.divf %in, %r : f32
    linalg.yield %x : f32
  } -> tensor<2x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id3, #mask3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%scaled, %mask : tensor<2x8x8xf32>, tensor<8x8xf32>) outs(%s_init : tensor<2x8x8xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %x = arith.addf %in, %m : f32
    linalg.yield %x : f32
  } -> tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%masked : tensor<2x8x8xf32>) outs(%s_init : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o_init = tensor.empty() : tensor<2x8x64xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x8x8xf32>, tensor<2x8x64xf32>) outs(%o_zero : tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %o : tensor<2x8x64xf32>
}

// -----

#repeat = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>

// Grouped-query attention as exporters write it: 4 query heads, the 2 key
// and value heads each repeated twice by a broadcast before the
// contractions. The repeated heads become the attention's key and value.
// CHECK-LABEL: func.func @gqa_repeated_heads
// CHECK: lapa.attention {{.*}} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
func.func @gqa_repeated_heads(%q: tensor<4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<4x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %rep_init = tensor.empty() : tensor<1x2x2x8x16xf32>
  %k_rep = linalg.generic {indexing_maps = [#repeat, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%k : tensor<1x2x8x16xf32>) outs(%rep_init : tensor<1x2x2x8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x8x16xf32>
  %v_rep = linalg.generic {indexing_maps = [#repeat, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%v : tensor<1x2x8x16xf32>) outs(%rep_init : tensor<1x2x2x8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x2x8x16xf32>
  %k3 = tensor.collapse_shape %k_rep [[0, 1, 2], [3], [4]] : tensor<1x2x2x8x16xf32> into tensor<4x8x16xf32>
  %v3 = tensor.collapse_shape %v_rep [[0, 1, 2], [3], [4]] : tensor<1x2x2x8x16xf32> into tensor<4x8x16xf32>
  %kt_init = tensor.empty() : tensor<4x16x8xf32>
  %kt = linalg.transpose ins(%k3 : tensor<4x8x16xf32>) outs(%kt_init : tensor<4x16x8xf32>) permutation = [0, 2, 1]
  %s_init = tensor.empty() : tensor<4x8x8xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%s_zero : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x8x8xf32>) outs(%s_init : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %o_init = tensor.empty() : tensor<4x8x16xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%o_zero : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#mask3 = affine_map<(d0, d1, d2) -> (d1, d2)>

// A constant causal mask (-1e9 above the diagonal, 0 elsewhere) becomes the
// causal flag; a constant that differs in one entry stays a mask operand.
// CHECK-LABEL: func.func @constant_masks
// CHECK-DAG: lapa.attention {{.*}} scale(1.000000e+00) causal
// CHECK-DAG: lapa.attention {{.*}} mask(%{{.*}} : tensor<1x1x4x4xf32>) scale(1.000000e+00)
func.func @constant_masks(%q: tensor<2x4x8xf32>, %kt: tensor<2x8x4xf32>, %v: tensor<2x4x8xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %causal = arith.constant dense<[[0.0, -1.0e9, -1.0e9, -1.0e9], [0.0, 0.0, -1.0e9, -1.0e9], [0.0, 0.0, 0.0, -1.0e9], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %almost = arith.constant dense<[[0.0, -1.0e9, -1.0e9, -1.0e9], [0.0, 0.0, -1.0e9, -1.0e9], [0.0, 0.0, 0.0, -1.0e9], [0.0, -1.0e9, 0.0, 0.0]]> : tensor<4x4xf32>
  %s_init = tensor.empty() : tensor<2x4x4xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %o_init = tensor.empty() : tensor<2x4x8xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>

  %s1 = linalg.batch_matmul ins(%q, %kt : tensor<2x4x8xf32>, tensor<2x8x4xf32>) outs(%s_zero : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %m1 = linalg.generic {indexing_maps = [#id3, #mask3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s1, %causal : tensor<2x4x4xf32>, tensor<4x4xf32>) outs(%s_init : tensor<2x4x4xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %a = arith.addf %in, %m : f32
    linalg.yield %a : f32
  } -> tensor<2x4x4xf32>
  %p1 = linalg.softmax dimension(2) ins(%m1 : tensor<2x4x4xf32>) outs(%s_init : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %o1 = linalg.batch_matmul ins(%p1, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%o_zero : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>

  %s2 = linalg.batch_matmul ins(%q, %kt : tensor<2x4x8xf32>, tensor<2x8x4xf32>) outs(%s_zero : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %m2 = linalg.generic {indexing_maps = [#id3, #mask3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s2, %almost : tensor<2x4x4xf32>, tensor<4x4xf32>) outs(%s_init : tensor<2x4x4xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %a = arith.addf %in, %m : f32
    linalg.yield %a : f32
  } -> tensor<2x4x4xf32>
  %p2 = linalg.softmax dimension(2) ins(%m2 : tensor<2x4x4xf32>) outs(%s_init : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %o2 = linalg.batch_matmul ins(%p2, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%o_zero : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o1, %o2 : tensor<2x4x8xf32>, tensor<2x4x8xf32>
}
