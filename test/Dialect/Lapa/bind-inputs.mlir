// lapa-bind-inputs replaces named arguments with splat constants: by
// position (argN) or by the name a front end gives the argument.
// RUN: lapa-opt %s --lapa-bind-inputs="values=arg0=1,input_type_ids=0,scale=0.5" | FileCheck %s

// CHECK-LABEL: func.func @encoder
// CHECK-DAG: %[[MASK:.*]] = arith.constant dense<1> : tensor<1x4xi32>
// CHECK-DAG: %[[TYPES:.*]] = arith.constant dense<0> : tensor<1x4xi32>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<5.000000e-01> : tensor<4xf32>
// CHECK: return %[[MASK]], %[[TYPES]], %[[SCALE]]
func.func @encoder(%mask: tensor<1x4xi32>,
                   %types: tensor<1x4xi32> {tf_saved_model.index_path = ["input_type_ids"]},
                   %scale: tensor<4xf32> {lapa.weight = "scale"})
    -> (tensor<1x4xi32>, tensor<1x4xi32>, tensor<4xf32>) {
  return %mask, %types, %scale : tensor<1x4xi32>, tensor<1x4xi32>, tensor<4xf32>
}
