// Entries that lapa-bind-inputs rejects, each with the fix in the message.
// RUN: not lapa-opt %s --lapa-bind-inputs="values=mask" 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not lapa-opt %s --lapa-bind-inputs="values=nothere=1" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg0=1.5" 2>&1 | FileCheck %s --check-prefix=INT
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg1=x" 2>&1 | FileCheck %s --check-prefix=FLOAT
// RUN: not lapa-opt %s --lapa-bind-inputs="values=arg2=1" 2>&1 | FileCheck %s --check-prefix=TYPE

// FORM: lapa-bind-inputs entry 'mask' is not NAME=VALUE; write for example input_mask=1
// NAME: lapa-bind-inputs: no function argument is named 'nothere'
// INT: lapa-bind-inputs: value '1.5' for 'arg0' is not an integer
// FLOAT: lapa-bind-inputs: value 'x' for 'arg1' is not a number
// TYPE: lapa-bind-inputs: argument 2 ('arg2') has the type 'tensor<?xf32>'; only statically shaped tensors
func.func @f(%a: tensor<4xi32>, %b: tensor<4xf32>, %c: tensor<?xf32>) -> tensor<4xi32> {
  return %a : tensor<4xi32>
}
