// lapa-bind-weights replaces arguments marked lapa.weight with constants
// from a safetensors file and removes them; other arguments stay. The
// values reach the graph: with the identity as input, the bound weight
// [[1, 2], [3, 4]] comes out unchanged through mlir-runner, and the call
// that passed zeros for it no longer passes them.
// REQUIRES: mlir, mlir-runner
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import struct, json; d = struct.pack('<4f', 1, 2, 3, 4); b = struct.pack('<2i', 1, 2); h = json.dumps({'w': {'dtype': 'F32', 'shape': [2, 2], 'data_offsets': [0, 16]}, 'ints': {'dtype': 'I32', 'shape': [2], 'data_offsets': [16, 24]}}).encode(); h += b' ' * (-len(h) % 8); open('%t/w.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + d + b)"
// RUN: lapa-opt %s --lapa-bind-weights=file=%t/w.safetensors | FileCheck %s
// RUN: lapa-opt %s --lapa-bind-weights=file=%t/w.safetensors | mlir-opt %lower_to_llvm | %run_main | FileCheck %s --check-prefix=VALUES
// RUN: not lapa-opt %s --lapa-bind-weights=file=%t/missing.safetensors 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: not lapa-opt %s --lapa-bind-weights 2>&1 | FileCheck %s --check-prefix=NOOPTION

// NOFILE: error: cannot read weights: {{.*}}missing.safetensors
// NOOPTION: error: lapa-bind-weights needs a safetensors file: give file=PATH

// CHECK-LABEL: func.func @project(%arg0: tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK: arith.constant dense_resource<w> : tensor<2x2xf32>
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @main
// CHECK: call @project(%{{.*}}) : (tensor<2x2xf32>) -> tensor<2x2xf32>
// VALUES: [1,   2]
// VALUES: [3,   4]
func.func @project(%x: tensor<2x2xf32>, %w: tensor<2x2xf32> {lapa.weight = "w"}) -> tensor<2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %x = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %unused = arith.constant dense<0.0> : tensor<2x2xf32>
  %y = func.call @project(%x, %unused) : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %u = tensor.cast %y : tensor<2x2xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
