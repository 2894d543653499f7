// Attention unrolled over heads, as MobileBERT's importer writes it: each
// head slices its query, key, probabilities and value out of stacked
// tensors, runs its own 2-D matmul, and the score pieces are joined with
// insert_slice before one softmax. The pass batches the head matmuls and
// raises one lapa.attention, and the result computes the same values on
// pseudo-random inputs.
// REQUIRES: mlir, mlir-runner
// RUN: lapa-opt %s --lapa-raise-attention | FileCheck %s
// RUN: mlir-opt %s %lower_to_llvm | %run_main > %t.reference
// RUN: lapa-opt %s --lapa-raise-attention --lapa-decompose-attention | mlir-opt %lower_to_llvm | %run_main > %t.raised
// RUN: %python %S/Inputs/compare_outputs.py %t.reference %t.raised --tolerance 1e-5

// CHECK-LABEL: func.func @attend
// CHECK: lapa.attention {{.*}} scale(5.000000e-01) {{.*}}: tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32> -> tensor<1x2x6x4xf32>
// CHECK-NOT: math.exp
// CHECK-NOT: linalg.matmul

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col2 = affine_map<(d0, d1) -> (d1)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

func.func @attend(%q: tensor<2x6x4xf32>, %kt: tensor<2x4x6xf32>, %v: tensor<2x6x4xf32>) -> tensor<12x4xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant -3.40282347E+38 : f32
  %half = arith.constant 0.5 : f32
  %shift = arith.constant dense<0.25> : tensor<6xf32>
  %score_init = tensor.empty() : tensor<6x6xf32>
  %score_zero = linalg.fill ins(%zero : f32) outs(%score_init : tensor<6x6xf32>) -> tensor<6x6xf32>
  %joined_init = tensor.empty() : tensor<12x6xf32>

  // Head 0 and head 1 scores, each shifted by the same constant per key
  // and scaled by 1/2.
  %q0s = tensor.extract_slice %q[0, 0, 0] [1, 6, 4] [1, 1, 1] : tensor<2x6x4xf32> to tensor<1x6x4xf32>
  %q0 = tensor.collapse_shape %q0s [[0, 1], [2]] : tensor<1x6x4xf32> into tensor<6x4xf32>
  %k0s = tensor.extract_slice %kt[0, 0, 0] [1, 4, 6] [1, 1, 1] : tensor<2x4x6xf32> to tensor<1x4x6xf32>
  %k0 = tensor.collapse_shape %k0s [[0, 1], [2]] : tensor<1x4x6xf32> into tensor<4x6xf32>
  %s0 = linalg.matmul ins(%q0, %k0 : tensor<6x4xf32>, tensor<4x6xf32>) outs(%score_zero : tensor<6x6xf32>) -> tensor<6x6xf32>
  %b0 = linalg.generic {indexing_maps = [#col2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%shift, %s0 : tensor<6xf32>, tensor<6x6xf32>) outs(%score_init : tensor<6x6xf32>) {
  ^bb0(%c: f32, %in: f32, %out: f32):
    %a = arith.addf %c, %in : f32
    linalg.yield %a : f32
  } -> tensor<6x6xf32>
  %h0 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%b0 : tensor<6x6xf32>) outs(%score_init : tensor<6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %half : f32
    linalg.yield %m : f32
  } -> tensor<6x6xf32>
  %q1s = tensor.extract_slice %q[1, 0, 0] [1, 6, 4] [1, 1, 1] : tensor<2x6x4xf32> to tensor<1x6x4xf32>
  %q1 = tensor.collapse_shape %q1s [[0, 1], [2]] : tensor<1x6x4xf32> into tensor<6x4xf32>
  %k1s = tensor.extract_slice %kt[1, 0, 0] [1, 4, 6] [1, 1, 1] : tensor<2x4x6xf32> to tensor<1x4x6xf32>
  %k1 = tensor.collapse_shape %k1s [[0, 1], [2]] : tensor<1x4x6xf32> into tensor<4x6xf32>
  %s1 = linalg.matmul ins(%q1, %k1 : tensor<6x4xf32>, tensor<4x6xf32>) outs(%score_zero : tensor<6x6xf32>) -> tensor<6x6xf32>
  %b1 = linalg.generic {indexing_maps = [#col2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%shift, %s1 : tensor<6xf32>, tensor<6x6xf32>) outs(%score_init : tensor<6x6xf32>) {
  ^bb0(%c: f32, %in: f32, %out: f32):
    %a = arith.addf %c, %in : f32
    linalg.yield %a : f32
  } -> tensor<6x6xf32>
  %h1 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%b1 : tensor<6x6xf32>) outs(%score_init : tensor<6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %half : f32
    linalg.yield %m : f32
  } -> tensor<6x6xf32>
  %j0 = tensor.insert_slice %h0 into %joined_init[0, 0] [6, 6] [1, 1] : tensor<6x6xf32> into tensor<12x6xf32>
  %joined = tensor.insert_slice %h1 into %j0[6, 0] [6, 6] [1, 1] : tensor<6x6xf32> into tensor<12x6xf32>

  // One softmax over the key axis of [1, 2, 6, 6].
  %s4 = tensor.expand_shape %joined [[0, 1, 2], [3]] output_shape [1, 2, 6, 6] : tensor<12x6xf32> into tensor<1x2x6x6xf32>
  %init4 = tensor.empty() : tensor<1x2x6x6xf32>
  %r_init = tensor.empty() : tensor<1x2x6xf32>
  %max_init = linalg.fill ins(%ninf : f32) outs(%r_init : tensor<1x2x6xf32>) -> tensor<1x2x6xf32>
  %max = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%s4 : tensor<1x2x6x6xf32>) outs(%max_init : tensor<1x2x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<1x2x6xf32>
  %shifted = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s4, %max : tensor<1x2x6x6xf32>, tensor<1x2x6xf32>) outs(%init4 : tensor<1x2x6x6xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    linalg.yield %d : f32
  } -> tensor<1x2x6x6xf32>
  %e = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%shifted : tensor<1x2x6x6xf32>) outs(%init4 : tensor<1x2x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %x = math.exp %in : f32
    linalg.yield %x : f32
  } -> tensor<1x2x6x6xf32>
  %sum_init = linalg.fill ins(%zero : f32) outs(%r_init : tensor<1x2x6xf32>) -> tensor<1x2x6xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%e : tensor<1x2x6x6xf32>) outs(%sum_init : tensor<1x2x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<1x2x6xf32>
  %p4 = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e, %sum : tensor<1x2x6x6xf32>, tensor<1x2x6xf32>) outs(%init4 : tensor<1x2x6x6xf32>) {
  ^bb0(%in: f32, %total: f32, %out: f32):
    %d = arith.divf %in, %total : f32
    linalg.yield %d : f32
  } -> tensor<1x2x6x6xf32>

  // Each head's probabilities times its value, joined again.
  %p3 = tensor.collapse_shape %p4 [[0, 1], [2], [3]] : tensor<1x2x6x6xf32> into tensor<2x6x6xf32>
  %out_init = tensor.empty() : tensor<6x4xf32>
  %out_zero = linalg.fill ins(%zero : f32) outs(%out_init : tensor<6x4xf32>) -> tensor<6x4xf32>
  %p0s = tensor.extract_slice %p3[0, 0, 0] [1, 6, 6] [1, 1, 1] : tensor<2x6x6xf32> to tensor<1x6x6xf32>
  %p0 = tensor.collapse_shape %p0s [[0, 1], [2]] : tensor<1x6x6xf32> into tensor<6x6xf32>
  %v0s = tensor.extract_slice %v[0, 0, 0] [1, 6, 4] [1, 1, 1] : tensor<2x6x4xf32> to tensor<1x6x4xf32>
  %v0 = tensor.collapse_shape %v0s [[0, 1], [2]] : tensor<1x6x4xf32> into tensor<6x4xf32>
  %o0 = linalg.matmul ins(%p0, %v0 : tensor<6x6xf32>, tensor<6x4xf32>) outs(%out_zero : tensor<6x4xf32>) -> tensor<6x4xf32>
  %p1s = tensor.extract_slice %p3[1, 0, 0] [1, 6, 6] [1, 1, 1] : tensor<2x6x6xf32> to tensor<1x6x6xf32>
  %p1 = tensor.collapse_shape %p1s [[0, 1], [2]] : tensor<1x6x6xf32> into tensor<6x6xf32>
  %v1s = tensor.extract_slice %v[1, 0, 0] [1, 6, 4] [1, 1, 1] : tensor<2x6x4xf32> to tensor<1x6x4xf32>
  %v1 = tensor.collapse_shape %v1s [[0, 1], [2]] : tensor<1x6x4xf32> into tensor<6x4xf32>
  %o1 = linalg.matmul ins(%p1, %v1 : tensor<6x6xf32>, tensor<6x4xf32>) outs(%out_zero : tensor<6x4xf32>) -> tensor<6x4xf32>
  %o_init = tensor.empty() : tensor<12x4xf32>
  %oj = tensor.insert_slice %o0 into %o_init[0, 0] [6, 4] [1, 1] : tensor<6x4xf32> into tensor<12x4xf32>
  %o = tensor.insert_slice %o1 into %oj[6, 0] [6, 4] [1, 1] : tensor<6x4xf32> into tensor<12x4xf32>
  return %o : tensor<12x4xf32>
}

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %q = tensor.generate {
  ^bb0(%h: index, %i: index, %d: index):
    %a = arith.muli %i, %d : index
    %b = arith.addi %a, %h : index
    %c = arith.addi %b, %i : index
    %n = arith.index_cast %c : index to i32
    %f = arith.sitofp %n : i32 to f32
    %s = math.sin %f : f32
    tensor.yield %s : f32
  } : tensor<2x6x4xf32>
  %kt = tensor.generate {
  ^bb0(%h: index, %d: index, %j: index):
    %a = arith.muli %j, %h : index
    %b = arith.addi %a, %d : index
    %c = arith.addi %b, %j : index
    %n = arith.index_cast %c : index to i32
    %f = arith.sitofp %n : i32 to f32
    %s = math.cos %f : f32
    tensor.yield %s : f32
  } : tensor<2x4x6xf32>
  %v = tensor.generate {
  ^bb0(%h: index, %j: index, %d: index):
    %a = arith.addi %j, %d : index
    %b = arith.muli %a, %h : index
    %c = arith.addi %b, %d : index
    %n = arith.index_cast %c : index to i32
    %f = arith.sitofp %n : i32 to f32
    %s = math.sin %f : f32
    tensor.yield %s : f32
  } : tensor<2x6x4xf32>
  %o = call @attend(%q, %kt, %v) : (tensor<2x6x4xf32>, tensor<2x4x6xf32>, tensor<2x6x4xf32>) -> tensor<12x4xf32>
  %u = tensor.cast %o : tensor<12x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
