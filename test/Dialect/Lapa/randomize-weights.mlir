// lapa-randomize-weights gives a stripped graph's projection weight and bias
// seeded random values. The expected numbers come from the generator that
// the pass documents, computed separately in Python
// (test/Conversion/LowerToIsa/Inputs/bert_tiny.py, random_constant): for
// seed 1, the weight (constant 0, fan-in 2) is
//   [[-0.322868, 1.086506, -1.113888], [0.679579, -0.688025, 0.672138]]
// and the bias (constant 1) is [-0.080916, -1.140651, -1.112142], so with
// the identity as input the block prints weight + bias row by row.
// REQUIRES: mlir, mlir-runner
// RUN: lapa-opt %s --lapa-randomize-weights | FileCheck %s --check-prefix=IR
// RUN: lapa-opt %s --lapa-randomize-weights | mlir-opt %lower_to_llvm | %run_main | FileCheck %s

// IR: module attributes {lapa.random_weights = {biases = 1 : i64, elementwise = 0 : i64, seed = 1 : ui64, tables = 0 : i64, weights = 1 : i64}}
// IR-NOT: dense<5.000000e-01>
// IR-NOT: dense<2.500000e-01>
// IR: arith.constant dense_resource<lapa_random_1_0> : tensor<2x3xf32>
// IR: linalg.matmul
// IR: arith.constant dense_resource<lapa_random_1_1> : tensor<3xf32>
// IR: linalg.broadcast
// IR: lapa_random_1_0: "0x04000000034FA5BEA0128B3FE5938EBFE1F82D3F642230BF3B112C3F"

// CHECK: [-0.4037{{[0-9]*}}, -0.0541{{[0-9]*}}, -2.2260{{[0-9]*}}],
// CHECK: [0.5986{{[0-9]*}}, -1.8286{{[0-9]*}}, -0.4400{{[0-9]*}}]]

func.func @project(%x: tensor<2x2xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<0.5> : tensor<2x3xf32>
  %b = arith.constant dense<0.25> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
  %bb = linalg.broadcast ins(%b : tensor<3xf32>) outs(%e : tensor<2x3xf32>) dimensions = [0]
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%y, %bb : tensor<2x3xf32>, tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<2x3xf32>
  return %s : tensor<2x3xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %x = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %y = func.call @project(%x) : (tensor<2x2xf32>) -> tensor<2x3xf32>
  %u = tensor.cast %y : tensor<2x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
