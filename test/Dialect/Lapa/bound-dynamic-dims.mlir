// lapa-bound-dynamic-dims gives dynamic argument dimensions the sizes of
// option `sizes`, in argument order, and carries them through the body.
// RUN: lapa-opt %s -split-input-file --lapa-bound-dynamic-dims="sizes=3,5" -verify-diagnostics | FileCheck %s
// RUN: not lapa-opt %s -split-input-file --lapa-bound-dynamic-dims="sizes=1,2,3" 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not lapa-opt %s -split-input-file --lapa-bound-dynamic-dims="sizes=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not lapa-opt %s -split-input-file --lapa-bound-dynamic-dims 2>&1 | FileCheck %s --check-prefix=EMPTY

// COUNT: error: option sizes (dynamic-sizes of lapa-compile and lapa-run) has 3 entries, but the arguments have 2 dynamic dimensions; give one size for all, or one per dynamic dimension in argument order
// ZERO: error: option sizes (dynamic-sizes of lapa-compile and lapa-run) has the entry 0; a dimension size must be at least 1
// EMPTY: error: the arguments have 2 dynamic dimensions but option sizes is empty; give one size for all, or one per dynamic dimension, e.g. sizes=128

// Two dynamic dimensions get 3 and 5; the result becomes static too.
// CHECK-LABEL: func.func @two
// CHECK-SAME: (%{{.*}}: tensor<3x4xf32>, %{{.*}}: tensor<4x5xf32>) -> tensor<3x5xf32>
// CHECK-NOT: ?x
// CHECK: linalg.matmul {{.*}} -> tensor<3x5xf32>
// CHECK: return {{.*}} : tensor<3x5xf32>
func.func @two(%a: tensor<?x4xf32>, %b: tensor<4x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %a, %c0 : tensor<?x4xf32>
  %n = tensor.dim %b, %c1 : tensor<4x?xf32>
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %y = linalg.matmul ins(%a, %b : tensor<?x4xf32>, tensor<4x?xf32>) outs(%f : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// A size read from data stays dynamic, which is an error at that op.
func.func @from_data(%a: tensor<?x?xf32>, %sizes: tensor<1xindex>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.extract %sizes[%c0] : tensor<1xindex>
  // expected-error @below {{this result is still dynamic ('tensor<?xf32>') after bounding the arguments; its size depends on something other than the argument shapes, which the accelerator cannot run}}
  %e = tensor.empty(%n) : tensor<?xf32>
  return %e : tensor<?xf32>
}
