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

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Scores subtracted from a constant are negated, not shifted.
// CHECK-LABEL: func.func @constant_minus_scores
// CHECK-NOT: lapa.attention
func.func @constant_minus_scores(%q: tensor<4x16x32xf32>, %kt: tensor<4x32x16xf32>, %v: tensor<4x16x32xf32>) -> tensor<4x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %s_init = tensor.empty() : tensor<4x16x16xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x16x32xf32>, tensor<4x32x16xf32>) outs(%s_zero : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %negated = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x16x16xf32>) outs(%s_init : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.subf %one, %in : f32
    linalg.yield %d : f32
  } -> tensor<4x16x16xf32>
  // expected-remark @+1 {{the scores are subtracted from a constant, which negates them; lapa.attention has no negative scale}}
  %p = linalg.softmax dimension(2) ins(%negated : tensor<4x16x16xf32>) outs(%s_init : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %o_init = tensor.empty() : tensor<4x16x32xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x16x16xf32>, tensor<4x16x32xf32>) outs(%o_zero : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  return %o : tensor<4x16x32xf32>
}

// -----

// Scores rounded through an integer type are not raised.
// CHECK-LABEL: func.func @integer_round_trip
// CHECK-NOT: lapa.attention
func.func @integer_round_trip(%q: tensor<2x5x8xf32>, %kt: tensor<2x8x5xf32>, %v: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<2x5x8xf32>, tensor<2x8x5xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x5x5xf32>
  %i8 = tosa.cast %s : (tensor<2x5x5xf32>) -> tensor<2x5x5xi8>
  %back = tosa.cast %i8 : (tensor<2x5x5xi8>) -> tensor<2x5x5xf32>
  // expected-remark @+1 {{the scores go through a cast to or from an integer type, which rounds them}}
  %e = tosa.exp %back : (tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<2x5x5xf32>) -> tensor<2x5x1xf32>
  %r = tosa.reciprocal %sum : (tensor<2x5x1xf32>) -> tensor<2x5x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<2x5x5xf32>, tensor<2x5x1xf32>, tensor<1xi8>) -> tensor<2x5x5xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<2x5x5xf32>, tensor<2x5x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x5x8xf32>
  return %o : tensor<2x5x8xf32>
}
