// Attentions that lapa-expand-prediction leaves as they are, each with a
// remark that says why.
// RUN: lapa-opt %s -split-input-file --lapa-expand-prediction -verify-diagnostics

// Dense attention predicts nothing.
func.func @dense(%x: tensor<8x16xf32>, %q: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<16x16xf32>
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %k = linalg.matmul {lapa.attention_index = 0 : i64, lapa.projection = "key"} ins(%x, %w : tensor<8x16xf32>, tensor<16x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %v = linalg.matmul {lapa.attention_index = 0 : i64, lapa.projection = "value"} ins(%x, %w : tensor<8x16xf32>, tensor<16x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %k4 = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [1, 8, 2, 8] : tensor<8x16xf32> into tensor<1x8x2x8xf32>
  %v4 = tensor.expand_shape %v [[0, 1], [2, 3]] output_shape [1, 8, 2, 8] : tensor<8x16xf32> into tensor<1x8x2x8xf32>
  %ek = tensor.empty() : tensor<1x2x8x8xf32>
  %kh = linalg.transpose ins(%k4 : tensor<1x8x2x8xf32>) outs(%ek : tensor<1x2x8x8xf32>) permutation = [0, 2, 1, 3]
  %vh = linalg.transpose ins(%v4 : tensor<1x8x2x8xf32>) outs(%ek : tensor<1x2x8x8xf32>) permutation = [0, 2, 1, 3]
  // expected-remark @below {{lapa-expand-prediction left this attention as it is: its scheme is dense, which predicts nothing}}
  %o = lapa.attention %q, %kh, %vh scale(0.35355339) {lapa.attention_index = 0 : i64, lapa.predictor = #lapa.predictor<dense>} : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  return %o : tensor<1x2x8x8xf32>
}

// -----

// SpAtten ranks tokens by the probabilities of earlier layers.
func.func @spatten(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  // expected-remark @below {{its scheme is spatten, which ranks tokens by the attention probabilities of earlier layers rather than by predicted scores, and has no stage ops}}
  %o = lapa.attention %q, %k, %k scale(0.35355339) {lapa.attention_index = 0 : i64, lapa.predictor = #lapa.predictor<spatten>} : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  return %o : tensor<1x2x8x8xf32>
}

// -----

// Keys and values that are function arguments have no projection to make
// sparse.
func.func @no_projection(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  // expected-remark @below {{its key or value projection is not a linalg.matmul tagged by lapa-raise-attention}}
  %o = lapa.attention %q, %k, %k scale(0.35355339) {lapa.attention_index = 0 : i64, lapa.predictor = #lapa.predictor<lapa>} : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  return %o : tensor<1x2x8x8xf32>
}

// -----

// A peer scheme reads the computed keys, so it needs no projection, but its
// query and key must be f32 to be quantized.
func.func @peer_f16(%q: tensor<1x2x8x8xf16>, %k: tensor<1x2x8x8xf16>) -> tensor<1x2x8x8xf16> {
  // expected-remark @below {{its query and key are not f32}}
  %o = lapa.attention %q, %k, %k scale(0.35355339) {lapa.attention_index = 0 : i64, lapa.predictor = #lapa.predictor<fact>} : tensor<1x2x8x8xf16>, tensor<1x2x8x8xf16>, tensor<1x2x8x8xf16> -> tensor<1x2x8x8xf16>
  return %o : tensor<1x2x8x8xf16>
}

// -----

// Without a predictor the pass has nothing to expand.
func.func @no_predictor(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  // expected-remark @below {{it has no lapa.predictor and lapa.attention_index; run lapa-raise-attention and lapa-insert-prediction first}}
  %o = lapa.attention %q, %k, %k scale(0.35355339) : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  return %o : tensor<1x2x8x8xf32>
}
