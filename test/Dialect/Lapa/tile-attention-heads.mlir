// The head loop of lapa-tile-attention: a head tile must divide the heads,
// and a tile of all heads leaves them untiled, also for grouped-query
// attention, whose heads cannot be split.
// RUN: lapa-opt %s -split-input-file --lapa-tile-attention=tile-sizes=0,2,2,0 -verify-diagnostics | FileCheck %s

func.func @three_heads(%q: tensor<1x3x4x2xf32>, %k: tensor<1x3x4x2xf32>, %v: tensor<1x3x4x2xf32>) -> tensor<1x3x4x2xf32> {
  // expected-error @below {{head tile 2 does not divide 3 heads; give a divisor (1, 3) or 0 to leave the heads untiled}}
  %o = lapa.attention %q, %k, %v scale(0.5) : tensor<1x3x4x2xf32>, tensor<1x3x4x2xf32>, tensor<1x3x4x2xf32> -> tensor<1x3x4x2xf32>
  return %o : tensor<1x3x4x2xf32>
}

// -----

// Two query heads on one key/value head with a head tile of 2: every head
// in one tile, so only the rows are tiled.
// CHECK-LABEL: func.func @grouped
// CHECK: scf.for
// CHECK-NOT: scf.for
// CHECK: lapa.attention {{.*}} : tensor<1x2x2x2xf32>, tensor<1x1x4x2xf32>, tensor<1x1x4x2xf32> -> tensor<1x2x2x2xf32>
func.func @grouped(%q: tensor<1x2x4x2xf32>, %k: tensor<1x1x4x2xf32>, %v: tensor<1x1x4x2xf32>) -> tensor<1x2x4x2xf32> {
  %o = lapa.attention %q, %k, %v scale(0.5) : tensor<1x2x4x2xf32>, tensor<1x1x4x2xf32>, tensor<1x1x4x2xf32> -> tensor<1x2x4x2xf32>
  return %o : tensor<1x2x4x2xf32>
}
