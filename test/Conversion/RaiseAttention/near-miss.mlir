// Patterns that look like attention but are not stay unchanged, and with
// emit-remarks the pass says why at the exponential or softmax.
// REQUIRES: mlir
// RUN: lapa-opt %s --lapa-raise-attention=emit-remarks --split-input-file --verify-diagnostics | FileCheck %s

// A softmax over the query axis: the value contraction then does not
// reduce over the axis the softmax normalized.
// CHECK-LABEL: func.func @softmax_wrong_axis
// CHECK-NOT: lapa.attention
// CHECK: linalg.softmax
func.func @softmax_wrong_axis(%q: tensor<4x16x32xf32>, %kt: tensor<4x32x16xf32>, %v: tensor<4x16x32xf32>) -> tensor<4x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %s_init = tensor.empty() : tensor<4x16x16xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x16x32xf32>, tensor<4x32x16xf32>) outs(%s_zero : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  // expected-remark @+1 {{softmax candidate not raised to lapa.attention: the value contraction does not reduce the probabilities over the key axis}}
  %p = linalg.softmax dimension(1) ins(%s : tensor<4x16x16xf32>) outs(%s_init : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %o_init = tensor.empty() : tensor<4x16x32xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x16x16xf32>, tensor<4x16x32xf32>) outs(%o_zero : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  return %o : tensor<4x16x32xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A scale that is a runtime tensor, not a constant.
// CHECK-LABEL: func.func @scale_not_constant
// CHECK-NOT: lapa.attention
func.func @scale_not_constant(%q: tensor<4x16x32xf32>, %kt: tensor<4x32x16xf32>, %v: tensor<4x16x32xf32>, %temperature: tensor<4x16x16xf32>) -> tensor<4x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %s_init = tensor.empty() : tensor<4x16x16xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x16x32xf32>, tensor<4x32x16xf32>) outs(%s_zero : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %scaled = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %temperature : tensor<4x16x16xf32>, tensor<4x16x16xf32>) outs(%s_init : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %t: f32, %out: f32):
    %m = arith.mulf %in, %t : f32
    linalg.yield %m : f32
  } -> tensor<4x16x16xf32>
  // expected-remark @+1 {{the scores are scaled by a tensor that is not one splat constant; lapa.attention needs a single constant scale}}
  %p = linalg.softmax dimension(2) ins(%scaled : tensor<4x16x16xf32>) outs(%s_init : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %o_init = tensor.empty() : tensor<4x16x32xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x16x16xf32>, tensor<4x16x32xf32>) outs(%o_zero : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  return %o : tensor<4x16x32xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// An exponential that is not normalized by its sum is not a softmax.
// CHECK-LABEL: func.func @exp_without_sum
// CHECK: math.exp
// CHECK-NOT: lapa.attention
func.func @exp_without_sum(%s: tensor<4x16x16xf32>) -> tensor<4x16x16xf32> {
  %init = tensor.empty() : tensor<4x16x16xf32>
  // expected-remark @+1 {{no sum of the exponentials over one axis follows; this is not a softmax}}
  %e = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x16x16xf32>) outs(%init : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %x = math.exp %in : f32
    linalg.yield %x : f32
  } -> tensor<4x16x16xf32>
  return %e : tensor<4x16x16xf32>
}

// -----

// A softmax whose input is not computed from a query-key contraction.
// CHECK-LABEL: func.func @softmax_of_argument
// CHECK-NOT: lapa.attention
func.func @softmax_of_argument(%s: tensor<4x16x16xf32>, %v: tensor<4x16x32xf32>) -> tensor<4x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %s_init = tensor.empty() : tensor<4x16x16xf32>
  // expected-remark @+1 {{the scores are a function argument, not a contraction of query and key}}
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x16x16xf32>) outs(%s_init : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %o_init = tensor.empty() : tensor<4x16x32xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x16x16xf32>, tensor<4x16x32xf32>) outs(%o_zero : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  return %o : tensor<4x16x32xf32>
}
