// Which constants lapa-randomize-weights replaces in each mode, and what it
// leaves alone: contractions of two computed operands (attention scores),
// scalar constants, masks added to a non-projection, and real weights.
// RUN: lapa-opt %s -split-input-file --lapa-randomize-weights -verify-diagnostics | FileCheck %s --check-prefix=STRIPPED
// RUN: lapa-opt %s -split-input-file --lapa-randomize-weights="replace=splat seed=5" 2>/dev/null | FileCheck %s --check-prefix=SPLAT
// RUN: lapa-opt %s -split-input-file --lapa-randomize-weights="replace=all seed=5" 2>/dev/null | FileCheck %s --check-prefix=ALL
// RUN: not lapa-opt %s -split-input-file --lapa-randomize-weights=replace=every 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: invalid option replace='every'; expected if-stripped, splat or all

// A stripped graph: both projection weights are splats. The scores of two
// computed operands and the scalar scale stay as they are.
// STRIPPED-LABEL: func.func @stripped
// STRIPPED: arith.constant 1.250000e-01 : f32
// STRIPPED: dense_resource<lapa_random_1_0> : tensor<4x4xf32>
// STRIPPED: dense_resource<lapa_random_1_1> : tensor<4x4xf32>
// STRIPPED-NOT: dense<
// SPLAT-LABEL: func.func @stripped
// SPLAT: dense_resource<lapa_random_5_0>
// SPLAT: dense_resource<lapa_random_5_1>
func.func @stripped(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %scale = arith.constant 0.125 : f32
  %wq = arith.constant dense<1.5> : tensor<4x4xf32>
  %wk = arith.constant dense<1.5> : tensor<4x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = linalg.matmul ins(%q, %k : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %s : tensor<4x4xf32>
}

// -----

// Real weights (not splats): if-stripped leaves the graph alone and says
// why; splat replaces only the splat bias; all replaces both.
// STRIPPED-LABEL: func.func @real
// STRIPPED: dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>
// STRIPPED: dense<2.500000e-01> : tensor<2xf32>
// SPLAT-LABEL: func.func @real
// SPLAT: dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>
// SPLAT: dense_resource<lapa_random_5_0> : tensor<2xf32>
// ALL-LABEL: func.func @real
// ALL: dense_resource<lapa_random_5_0> : tensor<2x2xf32>
// ALL: dense_resource<lapa_random_5_1> : tensor<2xf32>
func.func @real(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<0.25> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  // expected-remark @below {{this projection's weight is not a splat constant, so the graph has real weights and none were replaced; use replace=all to replace them anyway}}
  %y = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %bb = linalg.broadcast ins(%b : tensor<2xf32>) outs(%e : tensor<2x2xf32>) dimensions = [0]
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%bb, %y : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %r = arith.addf %c, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x2xf32>
  return %s : tensor<2x2xf32>
}

// -----

// A mask added to scores of two computed operands is not a bias, and a
// graph without projections gets a remark.
// STRIPPED-LABEL: func.func @scores
// STRIPPED: dense<-1.000000e+09> : tensor<2x2xf32>
// expected-remark @below {{no projection weights found (a contraction with one float constant operand); nothing was replaced}}
module {
  func.func @scores(%q: tensor<2x2xf32>, %k: tensor<2x2xf32>) -> tensor<2x2xf32> {
    %mask = arith.constant dense<-1.0e9> : tensor<2x2xf32>
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x2xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
    %s = linalg.matmul ins(%q, %k : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
    %m = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%s, %mask : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %r = arith.addf %a, %c : f32
      linalg.yield %r : f32
    } -> tensor<2x2xf32>
    return %m : tensor<2x2xf32>
  }
}

// -----

// Biases added by a named linalg.add or a tensor arith.addf are replaced
// too, and the largest seed is recorded unsigned.
// RUN: lapa-opt %s -split-input-file --lapa-randomize-weights=seed=18446744073709551615 2>/dev/null | FileCheck %s --check-prefix=FORMS
// FORMS: lapa.random_weights = {biases = 2 : i64, elementwise = 0 : i64, seed = 18446744073709551615 : ui64, tables = 0 : i64, weights = 2 : i64}
// FORMS-LABEL: func.func @bias_forms
// FORMS: dense_resource<lapa_random_18446744073709551615_0> : tensor<2x2xf32>
// FORMS: dense_resource<lapa_random_18446744073709551615_1> : tensor<2x2xf32>
// FORMS: linalg.add
// FORMS: dense_resource<lapa_random_18446744073709551615_2> : tensor<2x2xf32>
// FORMS: dense_resource<lapa_random_18446744073709551615_3> : tensor<2x2xf32>
// FORMS: arith.addf {{.*}} : tensor<2x2xf32>
func.func @bias_forms(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %w1 = arith.constant dense<0.5> : tensor<2x2xf32>
  %b1 = arith.constant dense<0.25> : tensor<2x2xf32>
  %w2 = arith.constant dense<0.5> : tensor<2x2xf32>
  %b2 = arith.constant dense<0.25> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y1 = linalg.matmul ins(%x, %w1 : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %s1 = linalg.add ins(%y1, %b1 : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y2 = linalg.matmul ins(%x, %w2 : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %s2 = arith.addf %y2, %b2 : tensor<2x2xf32>
  return %s1, %s2 : tensor<2x2xf32>, tensor<2x2xf32>
}
