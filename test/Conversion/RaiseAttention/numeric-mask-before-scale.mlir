// A bias mask added before the scale: the graph computes
// c * (Q.K^T + M), which lapa.attention states as scale c and mask c * M.
// Values before and after raising must agree (a causal 0/-inf mask would
// hide a missing factor, so the mask here holds ordinary values).
// REQUIRES: mlir, mlir-runner
// RUN: lapa-opt %s --lapa-raise-attention | FileCheck %s
// RUN: mlir-opt %s %lower_to_llvm | %run_main > %t.reference
// RUN: lapa-opt %s --lapa-raise-attention --lapa-decompose-attention | mlir-opt %lower_to_llvm | %run_main > %t.raised
// RUN: %python %S/Inputs/compare_outputs.py %t.reference %t.raised --tolerance 1e-5

// CHECK: %[[SCALED:.*]] = linalg.generic
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: lapa.attention {{.*}} mask(%[[SCALED]] : tensor<1x1x5x5xf32>) scale(0.353553385)

func.func private @printMemrefF32(tensor<*xf32>)

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @attend(%q: tensor<1x2x5x8xf32>, %kt: tensor<1x2x8x5xf32>, %v: tensor<1x2x5x8xf32>, %mask: tensor<1x1x5x5xf32>) -> tensor<1x2x5x8xf32> {
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
  %biased = tosa.add %scores4, %mask : (tensor<1x2x5x5xf32>, tensor<1x1x5x5xf32>) -> tensor<1x2x5x5xf32>
  %masked = tosa.mul %biased, %inv, %shift : (tensor<1x2x5x5xf32>, tensor<1x2x5x5xf32>, tensor<1xi8>) -> tensor<1x2x5x5xf32>
  %max = tosa.reduce_max %masked {axis = 3 : i32} : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x1xf32>
  %shifted = tosa.sub %masked, %max : (tensor<1x2x5x5xf32>, tensor<1x2x5x1xf32>) -> tensor<1x2x5x5xf32>
  %e = tosa.exp %shifted : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32>
  %sum = tosa.reduce_sum %e {axis = 3 : i32} : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x1xf32>
  %rsum = tosa.reciprocal %sum : (tensor<1x2x5x1xf32>) -> tensor<1x2x5x1xf32>
  %p = tosa.mul %e, %rsum, %shift : (tensor<1x2x5x5xf32>, tensor<1x2x5x1xf32>, tensor<1xi8>) -> tensor<1x2x5x5xf32>
  %p3 = tosa.reshape %p, %s3s : (tensor<1x2x5x5xf32>, !tosa.shape<3>) -> tensor<2x5x5xf32>
  %v3 = tosa.reshape %v, %s3 : (tensor<1x2x5x8xf32>, !tosa.shape<3>) -> tensor<2x5x8xf32>
  %o3 = tosa.matmul %p3, %v3, %zp, %zp : (tensor<2x5x5xf32>, tensor<2x5x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x5x8xf32>
  %o = tosa.reshape %o3, %s4o : (tensor<2x5x8xf32>, !tosa.shape<4>) -> tensor<1x2x5x8xf32>
  return %o : tensor<1x2x5x8xf32>
}

func.func @main() {
  %c7 = arith.constant 7.0 : f32
  %q = tensor.generate {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    %s = arith.addi %b, %c : index
    %t = arith.muli %s, %d : index
    %u = arith.addi %t, %c : index
    %i = arith.index_cast %u : index to i32
    %f = arith.sitofp %i : i32 to f32
    %g = math.sin %f : f32
    tensor.yield %g : f32
  } : tensor<1x2x5x8xf32>
  %kt = tensor.generate {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    %s = arith.muli %c, %d : index
    %t = arith.addi %s, %b : index
    %i = arith.index_cast %t : index to i32
    %f = arith.sitofp %i : i32 to f32
    %g = math.cos %f : f32
    %h = arith.mulf %g, %c7 : f32
    %m = math.sin %h : f32
    tensor.yield %m : f32
  } : tensor<1x2x8x5xf32>
  %v = tensor.generate {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    %s = arith.addi %c, %d : index
    %t = arith.muli %s, %b : index
    %u = arith.addi %t, %d : index
    %i = arith.index_cast %u : index to i32
    %f = arith.sitofp %i : i32 to f32
    %g = math.cos %f : f32
    tensor.yield %g : f32
  } : tensor<1x2x5x8xf32>
  %mask = tensor.generate {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    %s = arith.muli %c, %d : index
    %t = arith.addi %s, %d : index
    %i = arith.index_cast %t : index to i32
    %f = arith.sitofp %i : i32 to f32
    %m = math.sin %f : f32
    tensor.yield %m : f32
  } : tensor<1x1x5x5xf32>
  %o = call @attend(%q, %kt, %v, %mask) : (tensor<1x2x5x8xf32>, tensor<1x2x8x5xf32>, tensor<1x2x5x8xf32>, tensor<1x1x5x5xf32>) -> tensor<1x2x5x8xf32>
  %u = tensor.cast %o : tensor<1x2x5x8xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
