// lapa-decompose-attention computes attention's definition. One head pair
// shares one key/value head (grouped-query), the mask is causal, and the
// numbers are worked out by hand:
//   head 0: q = [1, 2], k = [1, 0], v = [1, 3], scale 1.
//     row 0 sees key 0 only: output 1.
//     row 1 scores [2, 0]: p = [e^2, 1] / (e^2 + 1) = [0.880797, 0.119203],
//     output 0.880797 * 1 + 0.119203 * 3 = 1.238406.
//   head 1: q = [0, 0], so every visible key weighs the same:
//     row 0: 1; row 1: (1 + 3) / 2 = 2.
// REQUIRES: mlir, mlir-runner
// RUN: lapa-opt %s --lapa-decompose-attention | FileCheck %s --check-prefix=IR
// RUN: lapa-opt %s --lapa-decompose-attention | mlir-opt %lower_to_llvm | %run_main | FileCheck %s

// IR-LABEL: func.func @attend
// IR-NOT: lapa.attention
// IR: linalg.generic
// IR: arith.select
// IR: math.exp

func.func @attend(%q: tensor<1x2x2x1xf32>, %k: tensor<1x1x2x1xf32>, %v: tensor<1x1x2x1xf32>) -> tensor<1x2x2x1xf32> {
  %o = lapa.attention %q, %k, %v scale(1.0) causal : tensor<1x2x2x1xf32>, tensor<1x1x2x1xf32>, tensor<1x1x2x1xf32> -> tensor<1x2x2x1xf32>
  return %o : tensor<1x2x2x1xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %q = arith.constant dense<[[[[1.0], [2.0]], [[0.0], [0.0]]]]> : tensor<1x2x2x1xf32>
  %k = arith.constant dense<[[[[1.0], [0.0]]]]> : tensor<1x1x2x1xf32>
  %v = arith.constant dense<[[[[1.0], [3.0]]]]> : tensor<1x1x2x1xf32>
  %o = call @attend(%q, %k, %v) : (tensor<1x2x2x1xf32>, tensor<1x1x2x1xf32>, tensor<1x1x2x1xf32>) -> tensor<1x2x2x1xf32>
  %u = tensor.cast %o : tensor<1x2x2x1xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
// CHECK: rank = 4 offset = 0 sizes = [1, 2, 2, 1]
// CHECK: [1],
// CHECK-NEXT: [1.23841]
// CHECK: [1],
// CHECK-NEXT: [2]
