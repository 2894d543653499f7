// Causal attention with more queries (6) than keys (3): rows 0 to 2 see no
// key and yield zeros, untiled and in row tiles, where a tile of such rows
// reads zero keys. The other rows follow a float evaluation of softmax of
// 0.5 * q.k over keys j <= i - 3:
//   row 3: key 0 only -> v0 = [1, 0];
//   row 4: keys 0, 1 -> [0.622459, 0.755081];
//   row 5: keys 0, 1, 2 -> [1.065452, 0.800715].
// REQUIRES: mlir, mlir-runner
// RUN: lapa-opt %s --lapa-decompose-attention | mlir-opt %lower_to_llvm | %run_main | FileCheck %s
// RUN: lapa-opt %s --lapa-tile-attention=tile-sizes=0,0,1,0 --lapa-decompose-attention | mlir-opt %lower_to_llvm | %run_main | FileCheck %s
// RUN: lapa-opt %s --lapa-tile-attention="tile-sizes=0,0,4,1 forall" --lapa-decompose-attention | mlir-opt %lower_to_llvm | %run_main | FileCheck %s

// CHECK: [0,{{ +}}0]
// CHECK: [0,{{ +}}0]
// CHECK: [0,{{ +}}0]
// CHECK: [1,{{ +}}0]
// CHECK: [0.622459,{{ +}}0.755081]
// CHECK: [1.06545,{{ +}}0.80071{{[56]}}]

func.func @attend(%q: tensor<1x1x6x2xf32>, %k: tensor<1x1x3x2xf32>, %v: tensor<1x1x3x2xf32>) -> tensor<1x1x6x2xf32> {
  %o = lapa.attention %q, %k, %v scale(0.5) causal : tensor<1x1x6x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32> -> tensor<1x1x6x2xf32>
  return %o : tensor<1x1x6x2xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %q = arith.constant dense<[[[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0], [0.5, 0.5], [-1.0, 2.0]]]]> : tensor<1x1x6x2xf32>
  %k = arith.constant dense<[[[[1.0, 2.0], [0.0, 1.0], [-1.0, 0.0]]]]> : tensor<1x1x3x2xf32>
  %v = arith.constant dense<[[[[1.0, 0.0], [0.0, 2.0], [3.0, 1.0]]]]> : tensor<1x1x3x2xf32>
  %o = func.call @attend(%q, %k, %v) : (tensor<1x1x6x2xf32>, tensor<1x1x3x2xf32>, tensor<1x1x3x2xf32>) -> tensor<1x1x6x2xf32>
  %u = tensor.cast %o : tensor<1x1x6x2xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
