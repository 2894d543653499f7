// lapa-annotate-layers tags the parts of a Transformer layer around
// attention: norms, feed-forward blocks and residual additions.
// REQUIRES: mlir
// RUN: lapa-opt %s --lapa-annotate-layers --split-input-file | FileCheck %s

// An RMSNorm (x^2 summed over the features, times 1/N, plus epsilon,
// rsqrt, times x, times the gain) and a SwiGLU feed-forward block
// (silu(x W1) * (x W3)) W2 in TOSA, with the residual addition.
// CHECK-LABEL: func.func @rmsnorm_swiglu
// CHECK: tosa.mul %[[X:.*]], %[[X]], %{{.*}} {lapa.layer = "rms_norm"}
// CHECK: tosa.reduce_sum {{.*}}lapa.layer = "rms_norm"
// CHECK: tosa.rsqrt {{.*}}lapa.layer = "rms_norm"
// CHECK: tosa.mul {{.*}}lapa.layer = "rms_norm"
// CHECK: tosa.mul {{.*}}lapa.layer = "rms_norm"
// CHECK: tosa.matmul {{.*}}lapa.ffn = "gate"
// CHECK: tosa.sigmoid {{.*}}lapa.layer = "ffn_activation"
// CHECK: tosa.matmul {{.*}}lapa.ffn = "up"
// CHECK: tosa.matmul {{.*}}lapa.ffn = "down"
// CHECK: tosa.add {{.*}}lapa.layer = "residual"
func.func @rmsnorm_swiglu(%x: tensor<1x4x8xf32>, %gain: tensor<1x1x8xf32>, %w1: tensor<1x8x16xf32>, %w3: tensor<1x8x16xf32>, %w2: tensor<1x16x8xf32>) -> tensor<1x4x8xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %inv_n = "tosa.const"() <{values = dense<0.125> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-5> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %sq = tosa.mul %x, %x, %shift : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1xi8>) -> tensor<1x4x8xf32>
  %sum = tosa.reduce_sum %sq {axis = 2 : i32} : (tensor<1x4x8xf32>) -> tensor<1x4x1xf32>
  %mean = tosa.mul %sum, %inv_n, %shift : (tensor<1x4x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x4x1xf32>
  %shifted = tosa.add %mean, %eps : (tensor<1x4x1xf32>, tensor<1x1x1xf32>) -> tensor<1x4x1xf32>
  %r = tosa.rsqrt %shifted : (tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
  %normed = tosa.mul %x, %r, %shift : (tensor<1x4x8xf32>, tensor<1x4x1xf32>, tensor<1xi8>) -> tensor<1x4x8xf32>
  %h = tosa.mul %normed, %gain, %shift : (tensor<1x4x8xf32>, tensor<1x1x8xf32>, tensor<1xi8>) -> tensor<1x4x8xf32>
  %gate = tosa.matmul %h, %w1, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x16xf32>
  %sig = tosa.sigmoid %gate : (tensor<1x4x16xf32>) -> tensor<1x4x16xf32>
  %silu = tosa.mul %gate, %sig, %shift : (tensor<1x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<1x4x16xf32>
  %up = tosa.matmul %h, %w3, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x16xf32>
  %gated = tosa.mul %silu, %up, %shift : (tensor<1x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<1x4x16xf32>
  %down = tosa.matmul %gated, %w2, %zp, %zp : (tensor<1x4x16xf32>, tensor<1x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32>
  %out = tosa.add %x, %down : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %out : tensor<1x4x8xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>
#id1 = affine_map<(d0) -> (d0)>

// A LayerNorm (the deviation from the mean is squared) in linalg, and a
// GELU (tanh form) MLP.
// CHECK-LABEL: func.func @layernorm_gelu
// CHECK: linalg.generic {{.*}}lapa.layer = "layer_norm"
// CHECK: math.rsqrt
// CHECK: linalg.matmul {lapa.ffn = "up"}
// CHECK: linalg.generic {{.*}}lapa.layer = "ffn_activation"
// CHECK-NEXT: ^bb0
// CHECK-NEXT: math.tanh
// CHECK: linalg.matmul {lapa.ffn = "down"}
func.func @layernorm_gelu(%x: tensor<4x8xf32>, %centered: tensor<4x8xf32>, %w1: tensor<8x16xf32>, %w2: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %inv_n = arith.constant 0.125 : f32
  %eps = arith.constant 1.0e-5 : f32
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %init = tensor.empty() : tensor<4x8xf32>
  %row_init = tensor.empty() : tensor<4xf32>
  %row_zero = linalg.fill ins(%zero : f32) outs(%row_init : tensor<4xf32>) -> tensor<4xf32>
  %dev = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x, %centered : tensor<4x8xf32>, tensor<4x8xf32>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %sq = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%dev : tensor<4x8xf32>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]} ins(%sq : tensor<4x8xf32>) outs(%row_zero : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %var = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%sum : tensor<4xf32>) outs(%row_init : tensor<4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %m = arith.mulf %a, %inv_n : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %var_eps = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%var : tensor<4xf32>) outs(%row_init : tensor<4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %m = arith.addf %a, %eps : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%var_eps : tensor<4xf32>) outs(%row_init : tensor<4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %m = math.rsqrt %a : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %normed = linalg.generic {indexing_maps = [#id2, #row2, #id2], iterator_types = ["parallel", "parallel"]} ins(%dev, %r : tensor<4x8xf32>, tensor<4xf32>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %h_init = tensor.empty() : tensor<4x16xf32>
  %h_zero = linalg.fill ins(%zero : f32) outs(%h_init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %h = linalg.matmul ins(%normed, %w1 : tensor<4x8xf32>, tensor<8x16xf32>) outs(%h_zero : tensor<4x16xf32>) -> tensor<4x16xf32>
  %g = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%h : tensor<4x16xf32>) outs(%h_init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %t = math.tanh %a : f32
    %p = arith.addf %t, %one : f32
    %q = arith.mulf %p, %half : f32
    %m = arith.mulf %q, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%init : tensor<4x8xf32>) -> tensor<4x8xf32>
  %o = linalg.matmul ins(%g, %w2 : tensor<4x16xf32>, tensor<16x8xf32>) outs(%o_zero : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}
