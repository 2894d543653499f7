// Entries that lapa-bind-inputs rejects, each with the fix in the message.
// RUN: not lapa-opt %s --lapa-bind-inputs="values=mask" 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not lapa-opt %s --lapa-bind-inputs="values=nothere=1" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg0=1.5" 2>&1 | FileCheck %s --check-prefix=INT
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg1=x" 2>&1 | FileCheck %s --check-prefix=FLOAT
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg2=1" 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg0=1,arg0=7" 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg3=300" 2>&1 | FileCheck %s --check-prefix=I8
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg0=4294967295" 2>&1 | FileCheck %s --check-prefix=I32
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg1=1e999" 2>&1 | FileCheck %s --check-prefix=INF
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg4=2" 2>&1 | FileCheck %s --check-prefix=BOOL
// The range bounds themselves and a leading plus sign bind.
// RUN: lapa-opt %s --lapa-bind-inputs="values=arg3=-128,arg0=+2147483647,arg4=1" | FileCheck %s --check-prefix=BOUNDS

// FORM: lapa-bind-inputs entry 'mask' is not NAME=VALUE; write for example arg1=1
// NAME: lapa-bind-inputs: no function argument is named 'nothere'
// INT: lapa-bind-inputs: value '1.5' for 'arg0' is not an integer
// FLOAT: lapa-bind-inputs: value 'x' for 'arg1' is not a number
// TYPE: lapa-bind-inputs: argument 2 ('arg2') has the type 'tensor<?xf32>'; only statically shaped tensors
// TWICE: lapa-bind-inputs names 'arg0' twice; give each argument one value
// I8: lapa-bind-inputs: value 300 for 'arg3' is outside [-128, 127], the range of its element type 'i8'
// I32: lapa-bind-inputs: value 4294967295 for 'arg0' is outside [-2147483648, 2147483647], the range of its element type 'i32'
// INF: lapa-bind-inputs: value 1e999 for 'arg1' is not a finite 'f32'
// BOOL: lapa-bind-inputs: value 2 for 'arg4' is outside [0, 1], the range of its element type 'i1'
// BOUNDS-DAG: arith.constant dense<-128> : tensor<4xi8>
// BOUNDS-DAG: arith.constant dense<2147483647> : tensor<4xi32>
// BOUNDS-DAG: arith.constant dense<true> : tensor<4xi1>
func.func @f(%a: tensor<4xi32>, %b: tensor<4xf32>, %c: tensor<?xf32>,
             %d: tensor<4xi8>, %e: tensor<4xi1>)
    -> (tensor<4xi32>, tensor<4xi8>, tensor<4xi1>) {
  return %a, %d, %e : tensor<4xi32>, tensor<4xi8>, tensor<4xi1>
}
