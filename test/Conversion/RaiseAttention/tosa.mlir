// Attention in TOSA 1.0 as the LLaMA-2 exporter writes it: heads split by
// reshapes, the scale as a multiply by the reciprocal of sqrt(D), a
// broadcast causal mask, reduce_max/exp/reduce_sum/reciprocal, and adds of
// zero constants that change nothing.
// REQUIRES: mlir
// RUN: lapa-opt %s --lapa-raise-attention | FileCheck %s

// CHECK-LABEL: func.func @llama_block
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x5x8xf32>, %[[KT:.*]]: tensor<1x2x8x5xf32>, %[[V:.*]]: tensor<1x2x5x8xf32>, %[[M:.*]]: tensor<1x1x5x5xf32>)
// CHECK: lapa.attention %{{.*}}, %{{.*}}, %{{.*}} mask(%[[M]] : tensor<1x1x5x5xf32>) scale(0.353553385) {{.*}}: tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x2x5x8xf32>
// CHECK-NOT: tosa.exp
// CHECK-NOT: tosa.reduce_sum
// CHECK-NOT: tosa.matmul
func.func @llama_block(%q: tensor<1x2x5x8xf32>, %kt: tensor<1x2x8x5xf32>, %v: tensor<1x2x5x8xf32>, %mask: tensor<1x1x5x5xf32>) -> tensor<1x2x5x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s3 = tosa.const_shape {values = dense<[2, 5, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3t = tosa.const_shape {values = dense<[2, 8, 5]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3s = tosa.const_shape {values = dense<[2, 5, 5]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s4s = tosa.const_shape {values = dense<[1, 2, 5, 5]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s4o = tosa.const_shape {values = dense<[1, 2, 5, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %q3 = tosa.reshape %q, %s3 : (tensor<1x2x5x8xf32>, !tosa.shape<3>) -> tensor<2x5x8xf32>
  %k3 = tosa.reshape %kt, %s3t : (tensor<1x2x8x5xf32>, !tosa.shape<3>) -> tensor<2x8x5xf32>
  %scores = tosa.matmul %q3, %k3, %zp, %zp : (tensor<2x5x8xf32>, tensor<2x8x5xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x5x5xf32>
  %scores4 = tosa.reshape %scores, %s4s : (tensor<2x5x5xf32>, !tosa.shape<4>) -> tensor<1x2x5x5xf32>
  %sqrt_d = "tosa.const"() <{values = dense<2.82842708> : tensor<1x2x5x5xf32>}> : () -> tensor<1x2x5x5xf32>
  %inv = tosa.reciprocal %sqrt_d : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32>
  %scaled = tosa.mul %scores4, %inv, %shift : (tensor<1x2x5x5xf32>, tensor<1x2x5x5xf32>, tensor<1xi8>) -> tensor<1x2x5x5xf32>
  %masked = tosa.add %scaled, %mask : (tensor<1x2x5x5xf32>, tensor<1x1x5x5xf32>) -> tensor<1x2x5x5xf32>
  %max = tosa.reduce_max %masked {axis = 3 : i32} : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x1xf32>
  %shifted = tosa.sub %masked, %max : (tensor<1x2x5x5xf32>, tensor<1x2x5x1xf32>) -> tensor<1x2x5x5xf32>
  %e = tosa.exp %shifted : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32>
  %sum = tosa.reduce_sum %e {axis = 3 : i32} : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x1xf32>
  %rsum = tosa.reciprocal %sum : (tensor<1x2x5x1xf32>) -> tensor<1x2x5x1xf32>
  %p = tosa.mul %e, %rsum, %shift : (tensor<1x2x5x5xf32>, tensor<1x2x5x1xf32>, tensor<1xi8>) -> tensor<1x2x5x5xf32>
  %zeros = "tosa.const"() <{values = dense<0.0> : tensor<1x2x5x5xf32>}> : () -> tensor<1x2x5x5xf32>
  %p_same = tosa.add %p, %zeros : (tensor<1x2x5x5xf32>, tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32>
  %p3 = tosa.reshape %p_same, %s3s : (tensor<1x2x5x5xf32>, !tosa.shape<3>) -> tensor<2x5x5xf32>
  %v3 = tosa.reshape %v, %s3 : (tensor<1x2x5x8xf32>, !tosa.shape<3>) -> tensor<2x5x8xf32>
  %o3 = tosa.matmul %p3, %v3, %zp, %zp : (tensor<2x5x5xf32>, tensor<2x5x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x5x8xf32>
  %o = tosa.reshape %o3, %s4o : (tensor<2x5x8xf32>, !tosa.shape<4>) -> tensor<1x2x5x8xf32>
  return %o : tensor<1x2x5x8xf32>
}
