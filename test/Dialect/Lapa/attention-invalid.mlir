// Verifier rules of lapa.attention and lapa.sparse_attention. Every case
// states its rule; the valid boundary cases sit beside the failing ones.
// REQUIRES: mlir
// RUN: lapa-opt %s -split-input-file -verify-diagnostics

// The query is [B, H, Sq, D]: rank 4.
func.func @query_rank(%q: tensor<4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>) {
  // expected-error @+1 {{'lapa.attention' op query must have rank 4 [B, H, Sq, D], got rank 3 ('tensor<4x16x32xf32>')}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// The key is [B, Hkv, Skv, D]: rank 4.
func.func @key_rank(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32x1xf32>, %v: tensor<1x4x16x32xf32>) {
  // expected-error @+1 {{key must have rank 4 [B, Hkv, Skv, D], got rank 5}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32x1xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Query and key have one batch size.
func.func @batch_mismatch(%q: tensor<2x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>) {
  // expected-error @+1 {{batch sizes of query (2) and key (1) differ: query 'tensor<2x4x16x32xf32>', key 'tensor<1x4x16x32xf32>'}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<2x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<2x4x16x32xf32>
  return
}

// -----

// Query and key have one head size D.
func.func @head_size_mismatch(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>) {
  // expected-error @+1 {{head sizes (last dimension) of query (64) and key (32) differ}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x64xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Query heads split evenly into key/value heads (grouped-query attention).
func.func @head_groups(%q: tensor<1x4x16x32xf32>, %k: tensor<1x3x16x32xf32>, %v: tensor<1x3x16x32xf32>) {
  // expected-error @+1 {{query heads (4) must be a multiple of key/value heads (3) for grouped-query attention: query 'tensor<1x4x16x32xf32>', key 'tensor<1x3x16x32xf32>'}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x3x16x32xf32>, tensor<1x3x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Multi-query attention (one key/value head) is the boundary that passes.
func.func @multi_query(%q: tensor<1x4x16x32xf32>, %k: tensor<1x1x16x32xf32>, %v: tensor<1x1x16x32xf32>) {
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x1x16x32xf32>, tensor<1x1x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Query, key and value share one element type.
func.func @element_types(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf16>, %v: tensor<1x4x16x32xf32>) {
  // expected-error @+1 {{query, key and value must have one element type, got 'f32', 'f16' and 'f32'}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf16>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Integer tensors are not attention operands; quantization comes later.
func.func @integer_query(%q: tensor<1x4x16x32xi8>, %k: tensor<1x4x16x32xi8>, %v: tensor<1x4x16x32xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %o = "lapa.attention"(%q, %k, %v) {scale = 0.125 : f32} : (tensor<1x4x16x32xi8>, tensor<1x4x16x32xi8>, tensor<1x4x16x32xi8>) -> tensor<1x4x16x32xi8>
  return
}

// -----

// The value is [B, Hkv, Skv, Dv]: rank 4.
func.func @value_rank(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<4x16x32xf32>) {
  // expected-error @+1 {{value must have rank 4 [B, Hkv, Skv, Dv], got rank 3}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Key and value have one batch size.
func.func @value_batch(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<2x4x16x32xf32>) {
  // expected-error @+1 {{batch sizes of key (1) and value (2) differ}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<2x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Key and value have one head count.
func.func @value_heads(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x2x16x32xf32>) {
  // expected-error @+1 {{head counts of key (4) and value (2) differ}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x2x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Key and value have one sequence length.
func.func @value_length(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x8x32xf32>) {
  // expected-error @+1 {{sequence lengths of key (16) and value (8) differ}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x8x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// The result has the query's element type.
func.func @result_type(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>) {
  // expected-error @+1 {{result element type 'f16' must match the query element type 'f32'}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf16>
  return
}

// -----

// The result is [B, H, Sq, Dv].
func.func @result_shape(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>) {
  // expected-error @+1 {{result must have shape [B, H, Sq, Dv] = [1, 4, 16, 32], got 'tensor<1x4x32x32xf32>'}}
  %o = lapa.attention %q, %k, %v scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x32x32xf32>
  return
}

// -----

// The scale is finite and positive.
func.func @scale_sign(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>) {
  // expected-error @+1 {{scale must be finite and positive, got -1.250000e-01; it is usually 1/sqrt(head size)}}
  %o = lapa.attention %q, %k, %v scale(-0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// The mask is added to the scores, so it has their element type.
func.func @mask_type(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %m: tensor<16x16xi1>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of floating-point values, but got 'tensor<16x16xi1>'}}
  %o = lapa.attention %q, %k, %v mask(%m : tensor<16x16xi1>) scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// A float mask of another float type is rejected too.
func.func @mask_float_type(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %m: tensor<16x16xf16>) {
  // expected-error @+1 {{mask element type 'f16' must match the query element type 'f32'; the mask is added to the scores}}
  %o = lapa.attention %q, %k, %v mask(%m : tensor<16x16xf16>) scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// The mask has rank 1 to 4.
func.func @mask_rank(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %m: tensor<1x1x1x16x16xf32>) {
  // expected-error @+1 {{mask must have rank 1 to 4 to broadcast to [B, H, Sq, Skv], got 'tensor<1x1x1x16x16xf32>'}}
  %o = lapa.attention %q, %k, %v mask(%m : tensor<1x1x1x16x16xf32>) scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Each mask dimension is 1 or the scores' size (trailing alignment).
func.func @mask_broadcast(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %m: tensor<2x16x16xf32>) {
  // expected-error @+1 {{mask 'tensor<2x16x16xf32>' does not broadcast to the scores shape [1, 4, 16, 16]: mask dimension 0 is 2 but must be 1 or 4}}
  %o = lapa.attention %q, %k, %v mask(%m : tensor<2x16x16xf32>) scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Boundary: masks of rank 1 and a full [B, H, Sq, Skv] mask broadcast.
func.func @mask_boundaries(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %m1: tensor<16xf32>, %m4: tensor<1x4x16x16xf32>) {
  %o1 = lapa.attention %q, %k, %v mask(%m1 : tensor<16xf32>) scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  %o2 = lapa.attention %q, %k, %v mask(%m4 : tensor<1x4x16x16xf32>) scale(0.125) causal : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// A bitmap selection of sparse attention is [B, H, Sq, Skv].
func.func @sparse_bitmap_shape(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %s: tensor<1x4x16x8xi1>) {
  // expected-error @+1 {{bitmap selection must have shape [B, H, Sq, Skv] = [1, 4, 16, 16], got 'tensor<1x4x16x8xi1>'}}
  %o = lapa.sparse_attention %q, %k, %v, %s scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x8xi1> -> tensor<1x4x16x32xf32>
  return
}

// -----

// An index selection keeps at most Skv keys per row.
func.func @sparse_index_width(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %s: tensor<1x4x16x17xi32>) {
  // expected-error @+1 {{index selection keeps K = 17 keys per row but there are only Skv = 16 keys}}
  %o = lapa.sparse_attention %q, %k, %v, %s scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x17xi32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// An index selection has one row per query row and head.
func.func @sparse_index_rows(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %s: tensor<1x2x16x4xi32>) {
  // expected-error @+1 {{index selection must have shape [B, H, Sq, K] = [1, 4, 16, 4], got 'tensor<1x2x16x4xi32>'}}
  %o = lapa.sparse_attention %q, %k, %v, %s scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x2x16x4xi32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Sparse attention follows the same head rules as dense attention.
func.func @sparse_head_groups(%q: tensor<1x4x16x32xf32>, %k: tensor<1x3x16x32xf32>, %v: tensor<1x3x16x32xf32>, %s: tensor<1x4x16x4xi32>) {
  // expected-error @+1 {{query heads (4) must be a multiple of key/value heads (3)}}
  %o = lapa.sparse_attention %q, %k, %v, %s scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x3x16x32xf32>, tensor<1x3x16x32xf32>, tensor<1x4x16x4xi32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Boundary: an index selection of K = Skv keeps every key.
func.func @sparse_full(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %s: tensor<1x4x16x16xi32>) {
  %o = lapa.sparse_attention %q, %k, %v, %s scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x16xi32> -> tensor<1x4x16x32xf32>
  return
}
