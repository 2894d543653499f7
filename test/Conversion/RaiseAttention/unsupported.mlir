// Attention the pass recognizes but cannot raise gets a warning at the
// softmax with the reason and what to change, even without emit-remarks,
// and the graph stays as it was.
// REQUIRES: mlir
// RUN: lapa-opt %s --lapa-raise-attention --split-input-file --verify-diagnostics | FileCheck %s

// A dynamic sequence length.
// CHECK-LABEL: func.func @dynamic_sequence
// CHECK-NOT: lapa.attention
// CHECK: linalg.softmax
func.func @dynamic_sequence(%q: tensor<4x?x32xf32>, %kt: tensor<4x32x?xf32>, %v: tensor<4x?x32xf32>, %s_init: tensor<4x?x?xf32>, %o_init: tensor<4x?x32xf32>) -> tensor<4x?x32xf32> {
  %zero = arith.constant 0.0 : f32
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<4x?x?xf32>) -> tensor<4x?x?xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x?x32xf32>, tensor<4x32x?xf32>) outs(%s_zero : tensor<4x?x?xf32>) -> tensor<4x?x?xf32>
  // expected-warning @+1 {{attention not raised to lapa.attention: the softmax operand has a dynamic shape; make the sequence length static before raising}}
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x?x?xf32>) outs(%s_init : tensor<4x?x?xf32>) -> tensor<4x?x?xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<4x?x32xf32>) -> tensor<4x?x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x?x?xf32>, tensor<4x?x32xf32>) outs(%o_zero : tensor<4x?x32xf32>) -> tensor<4x?x32xf32>
  return %o : tensor<4x?x32xf32>
}

// -----

// An element type the accelerator does not take.
// CHECK-LABEL: func.func @double_precision
// CHECK-NOT: lapa.attention
func.func @double_precision(%q: tensor<2x8x16xf64>, %kt: tensor<2x16x8xf64>, %v: tensor<2x8x16xf64>) -> tensor<2x8x16xf64> {
  %zero = arith.constant 0.0 : f64
  %s_init = tensor.empty() : tensor<2x8x8xf64>
  %s_zero = linalg.fill ins(%zero : f64) outs(%s_init : tensor<2x8x8xf64>) -> tensor<2x8x8xf64>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x8x16xf64>, tensor<2x16x8xf64>) outs(%s_zero : tensor<2x8x8xf64>) -> tensor<2x8x8xf64>
  // expected-warning @+1 {{attention not raised to lapa.attention: element type f64 is not supported: the accelerator takes f32, f16 or bf16 graphs and quantizes them itself; convert the graph to one of those first}}
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x8x8xf64>) outs(%s_init : tensor<2x8x8xf64>) -> tensor<2x8x8xf64>
  %o_init = tensor.empty() : tensor<2x8x16xf64>
  %o_zero = linalg.fill ins(%zero : f64) outs(%o_init : tensor<2x8x16xf64>) -> tensor<2x8x16xf64>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x8x8xf64>, tensor<2x8x16xf64>) outs(%o_zero : tensor<2x8x16xf64>) -> tensor<2x8x16xf64>
  return %o : tensor<2x8x16xf64>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A mask added in the [B*H, Sq, Skv] layout before the heads are split for
// the softmax: a mask layout the pass does not map yet.
// CHECK-LABEL: func.func @mask_before_reshape
// CHECK-NOT: lapa.attention
func.func @mask_before_reshape(%q: tensor<6x8x16xf32>, %kt: tensor<6x16x8xf32>, %v: tensor<6x8x16xf32>, %mask: tensor<6x8x8xf32>) -> tensor<6x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %s_init = tensor.empty() : tensor<6x8x8xf32>
  %s_zero = linalg.fill ins(%zero : f32) outs(%s_init : tensor<6x8x8xf32>) -> tensor<6x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<6x8x16xf32>, tensor<6x16x8xf32>) outs(%s_zero : tensor<6x8x8xf32>) -> tensor<6x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %mask : tensor<6x8x8xf32>, tensor<6x8x8xf32>) outs(%s_init : tensor<6x8x8xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %a = arith.addf %in, %m : f32
    linalg.yield %a : f32
  } -> tensor<6x8x8xf32>
  %s4 = tensor.expand_shape %masked [[0, 1], [2], [3]] output_shape [2, 3, 8, 8] : tensor<6x8x8xf32> into tensor<2x3x8x8xf32>
  %p_init = tensor.empty() : tensor<2x3x8x8xf32>
  // expected-warning @+1 {{attention not raised to lapa.attention: the mask is added before a reshape or transpose of the scores; only masks in the softmax's layout are supported}}
  %p4 = linalg.softmax dimension(3) ins(%s4 : tensor<2x3x8x8xf32>) outs(%p_init : tensor<2x3x8x8xf32>) -> tensor<2x3x8x8xf32>
  %p = tensor.collapse_shape %p4 [[0, 1], [2], [3]] : tensor<2x3x8x8xf32> into tensor<6x8x8xf32>
  %o_init = tensor.empty() : tensor<6x8x16xf32>
  %o_zero = linalg.fill ins(%zero : f32) outs(%o_init : tensor<6x8x16xf32>) -> tensor<6x8x16xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<6x8x8xf32>, tensor<6x8x16xf32>) outs(%o_zero : tensor<6x8x16xf32>) -> tensor<6x8x16xf32>
  return %o : tensor<6x8x16xf32>
}
