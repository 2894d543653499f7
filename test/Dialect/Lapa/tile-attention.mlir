// lapa-tile-attention tiles lapa.attention through its TilingInterface with
// the upstream scf::tileUsingSCF driver. Tiles of 2 query rows and 1 value
// column, per head: a causal row tile [i0, i0 + 2) reads the first
// i0 + 2 + Skv - Sq keys. The tiled and decomposed graph runs with
// mlir-runner; the expected numbers come from a float evaluation of the
// definition (softmax of 0.5 * q.k over the visible keys, times V):
//   head 0: q = [1,0] [0,1] [1,1] [2,-1], k = [1,2] [0,1] [-1,0] [2,2],
//           v = [1,0] [0,2] [3,1] [-1,4]
//   head 1: q = [.5,.5] [-1,2] [1,-1] [0,0], k = [1,0] [1,1] [0,-2] [1,3],
//           v = [2,2] [0,-1] [1,5] [4,0]
// REQUIRES: mlir, mlir-runner
// RUN: lapa-opt %s --lapa-tile-attention=tile-sizes=1,1,2,1 | FileCheck %s --check-prefix=IR
// RUN: lapa-opt %s --lapa-tile-attention=tile-sizes=1,1,2,1 --lapa-decompose-attention | mlir-opt %lower_to_llvm | %run_main | FileCheck %s
// RUN: lapa-opt %s --lapa-tile-attention="tile-sizes=0,1,2,0 forall" --lapa-decompose-attention | mlir-opt %lower_to_llvm | %run_main | FileCheck %s

// IR-LABEL: func.func @attend
// IR: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step
// IR: scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step
// IR: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// IR: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step
// IR: %[[END:.*]] = arith.addi %[[I]], %{{.*}} : index
// IR: tensor.extract_slice %arg0[%[[B]], %[[H]], %[[I]], 0] [1, 1, 2, 2]
// IR: tensor.extract_slice %arg1[%[[B]], %[[H]], 0, 0] [1, 1, %{{.*}}, 2]
// IR: tensor.extract_slice %arg2[%[[B]], %[[H]], 0, %[[C]]] [1, 1, %{{.*}}, 1]
// IR: lapa.attention {{.*}} causal : tensor<1x1x2x2xf32>, tensor<1x1x?x2xf32>, tensor<1x1x?x1xf32> -> tensor<1x1x2x1xf32>
// IR: tensor.insert_slice

// CHECK: [1,   0]
// CHECK: [0.622459,   0.755081]
// CHECK: [0.935333,   0.579488]
// CHECK: [-0.130979,   2.65393]
// CHECK: [2,   2]
// CHECK: [0.537883,   -0.193176]
// CHECK: [1.12087,   2.96047]
// CHECK: [1.75,   1.5]

func.func @attend(%q: tensor<1x2x4x2xf32>, %k: tensor<1x2x4x2xf32>, %v: tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32> {
  %o = lapa.attention %q, %k, %v scale(0.5) causal : tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32> -> tensor<1x2x4x2xf32>
  return %o : tensor<1x2x4x2xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %q = arith.constant dense<[[[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]], [[0.5, 0.5], [-1.0, 2.0], [1.0, -1.0], [0.0, 0.0]]]]> : tensor<1x2x4x2xf32>
  %k = arith.constant dense<[[[[1.0, 2.0], [0.0, 1.0], [-1.0, 0.0], [2.0, 2.0]], [[1.0, 0.0], [1.0, 1.0], [0.0, -2.0], [1.0, 3.0]]]]> : tensor<1x2x4x2xf32>
  %v = arith.constant dense<[[[[1.0, 0.0], [0.0, 2.0], [3.0, 1.0], [-1.0, 4.0]], [[2.0, 2.0], [0.0, -1.0], [1.0, 5.0], [4.0, 0.0]]]]> : tensor<1x2x4x2xf32>
  %o = func.call @attend(%q, %k, %v) : (tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xf32>
  %u = tensor.cast %o : tensor<1x2x4x2xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
