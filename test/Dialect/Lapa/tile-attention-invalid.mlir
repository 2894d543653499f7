// Tiling that lapa-tile-attention rejects, and a mask that follows the tile.
// RUN: lapa-opt %s -split-input-file --lapa-tile-attention=tile-sizes=1,1,2,0 -verify-diagnostics
// RUN: lapa-opt %s -split-input-file --lapa-tile-attention=tile-sizes=0,0,2,0 | FileCheck %s
// RUN: not lapa-opt %s --lapa-tile-attention=tile-sizes=1,1 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not lapa-opt %s --lapa-tile-attention=tile-sizes=1,-1,2,0 2>&1 | FileCheck %s --check-prefix=NEGATIVE

// COUNT: error: option tile-sizes has 2 entries; give four, one per loop (b, h, i, c), e.g. tile-sizes=1,1,64,0
// NEGATIVE: error: option tile-sizes has the entry -1; a tile size is at least 1, or 0 to leave a loop untiled

// Grouped-query attention (4 query heads on 2 key/value heads) keeps its
// heads together: a head tile of 1 is an error, while 0 (untiled) or 4
// works.
func.func @grouped(%q: tensor<1x4x4x2xf32>, %k: tensor<1x2x4x2xf32>, %v: tensor<1x2x4x2xf32>) -> tensor<1x4x4x2xf32> {
  // expected-error @below {{cannot split the heads of grouped-query attention (4 query heads, 2 key/value heads) into tiles; give the head loop a tile size of 0 (untiled) or the whole head count}}
  %o = lapa.attention %q, %k, %v scale(0.5) : tensor<1x4x4x2xf32>, tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32> -> tensor<1x4x4x2xf32>
  return %o : tensor<1x4x4x2xf32>
}

// -----

// A mask [1, H, Sq, Skv] broadcast over the batch: the tile takes its rows
// and, without causal, every key.
// CHECK-LABEL: func.func @masked
// CHECK: tensor.extract_slice %arg3[0, 0, %{{.*}}, 0] [1, 2, 2, 4]
// CHECK: lapa.attention {{.*}} mask(%{{.*}} : tensor<1x2x2x4xf32>)
func.func @masked(%q: tensor<1x2x4x2xf32>, %k: tensor<1x2x4x2xf32>, %v: tensor<1x2x4x2xf32>, %m: tensor<1x2x4x4xf32>) -> tensor<1x2x4x2xf32> {
  %o = lapa.attention %q, %k, %v mask(%m : tensor<1x2x4x4xf32>) scale(0.5) : tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32> -> tensor<1x2x4x2xf32>
  return %o : tensor<1x2x4x2xf32>
}
