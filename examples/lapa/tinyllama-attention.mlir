// One attention layer of tinyllama-kjv (128 tokens, hidden size 128, 4
// heads of 32), first as dense attention and then as the LAPA flow that
// prediction insertion produces: key prediction with shift-adds, score
// prediction in two rounds with the safe-bound filter, top-k selection at
// keep ratio 0.25, K and V projections of the needed tokens only, and
// attention over the selected pairs.
//
// Run: lapa-opt examples/lapa/tinyllama-attention.mlir --lapa-annotate-op-counts

module attributes {lapa.target = #lapa.target<"lapa-28nm", config = "examples/hw/lapa-28nm.yaml">} {

  func.func @dense(%q: tensor<1x4x128x32xf32>, %k: tensor<1x4x128x32xf32>,
                   %v: tensor<1x4x128x32xf32>) -> tensor<1x4x128x32xf32> {
    // scale = 1 / sqrt(32)
    %o = lapa.attention %q, %k, %v scale(0.176776695) causal
        : tensor<1x4x128x32xf32>, tensor<1x4x128x32xf32>, tensor<1x4x128x32xf32>
          -> tensor<1x4x128x32xf32>
    return %o : tensor<1x4x128x32xf32>
  }

  // %x is the normalized layer input quantized to INT8; %wk_codes holds the
  // log codes of the INT8 key weights, made at compile time; %q16 is the
  // formal query quantized to 16 bits for log coding, %q the same query in
  // float for the attention itself.
  func.func @predicted(%x: tensor<128x128xi8>,
                       %wk_codes: tensor<128x128x!lapa.log_code<8>>,
                       %wk: tensor<128x128xi8>, %wv: tensor<128x128xi8>,
                       %q16: tensor<1x4x128x32xi16>,
                       %q: tensor<1x4x128x32xf32>) -> tensor<1x4x128x32xf32> {
    // Stage 1: K-hat for every token, X << LO(W_K), and back to INT8.
    %khat_acc = lapa.predict_keys %x, %wk_codes
        : tensor<128x128xi8>, tensor<128x128x!lapa.log_code<8>> -> tensor<128x128xi32>
    %khat = lapa.requantize %khat_acc shift 7 : tensor<128x128xi32> -> tensor<128x128xi8>
    %khat_split = tensor.expand_shape %khat [[0], [1, 2]] output_shape [128, 4, 32]
        : tensor<128x128xi8> into tensor<128x4x32xi8>
    %khat_init = tensor.empty() : tensor<4x128x32xi8>
    %khat_heads = linalg.transpose ins(%khat_split : tensor<128x4x32xi8>)
        outs(%khat_init : tensor<4x128x32xi8>) permutation = [1, 0, 2]
    %khat_batched = tensor.expand_shape %khat_heads [[0, 1], [2], [3]] output_shape [1, 4, 128, 32]
        : tensor<4x128x32xi8> into tensor<1x4x128x32xi8>

    // Stage 2: sign and leading-one codes of the query.
    %q_codes = lapa.log_encode %q16 : tensor<1x4x128x32xi16> -> tensor<1x4x128x32x!lapa.log_code<16>>

    // Stage 3: A-hat over two 4-bit slices of K-hat with the safe filter
    // between them, then the top 25 % of the visible keys of every row.
    %scores, %candidates = lapa.predict_scores %q_codes, %khat_batched
        predictor <lapa> causal
        : tensor<1x4x128x32x!lapa.log_code<16>>, tensor<1x4x128x32xi8>
          -> tensor<1x4x128x128xi32>, tensor<1x4x128x128xi1>
    %selection, %needed = lapa.select %scores, %candidates predictor <lapa> causal
        : tensor<1x4x128x128xi32>, tensor<1x4x128x128xi1>
          -> tensor<1x4x128x32xi32>, tensor<1x4x128xi1>

    // Stage 4: the K and V rows some query of each head needs.
    %k_acc = lapa.sparse_project %x, %wk, %needed
        : tensor<128x128xi8>, tensor<128x128xi8>, tensor<1x4x128xi1> -> tensor<128x128xi32>
    %v_acc = lapa.sparse_project %x, %wv, %needed
        : tensor<128x128xi8>, tensor<128x128xi8>, tensor<1x4x128xi1> -> tensor<128x128xi32>
    %k_rows = lapa.dequantize %k_acc scales [1.2e-04] : tensor<128x128xi32> -> tensor<128x128xf32>
    %v_rows = lapa.dequantize %v_acc scales [1.1e-04] : tensor<128x128xi32> -> tensor<128x128xf32>
    %k_split = tensor.expand_shape %k_rows [[0], [1, 2]] output_shape [128, 4, 32]
        : tensor<128x128xf32> into tensor<128x4x32xf32>
    %v_split = tensor.expand_shape %v_rows [[0], [1, 2]] output_shape [128, 4, 32]
        : tensor<128x128xf32> into tensor<128x4x32xf32>
    %heads_init = tensor.empty() : tensor<4x128x32xf32>
    %k_heads = linalg.transpose ins(%k_split : tensor<128x4x32xf32>)
        outs(%heads_init : tensor<4x128x32xf32>) permutation = [1, 0, 2]
    %v_heads = linalg.transpose ins(%v_split : tensor<128x4x32xf32>)
        outs(%heads_init : tensor<4x128x32xf32>) permutation = [1, 0, 2]
    %k = tensor.expand_shape %k_heads [[0, 1], [2], [3]] output_shape [1, 4, 128, 32]
        : tensor<4x128x32xf32> into tensor<1x4x128x32xf32>
    %v = tensor.expand_shape %v_heads [[0, 1], [2], [3]] output_shape [1, 4, 128, 32]
        : tensor<4x128x32xf32> into tensor<1x4x128x32xf32>

    // Stage 5: SDDMM, softmax and SpMM over the 32 selected keys per row.
    %o = lapa.sparse_attention %q, %k, %v, %selection scale(0.176776695)
        : tensor<1x4x128x32xf32>, tensor<1x4x128x32xf32>, tensor<1x4x128x32xf32>,
          tensor<1x4x128x32xi32> -> tensor<1x4x128x32xf32>
    return %o : tensor<1x4x128x32xf32>
  }
}
