//===- LapaOps.td - Operations of the lapa dialect ---------*- tablegen -*-===//
//
// Dense attention as raised from a front end, and the predicted-sparse
// stages it is rewritten into. Each op states the formula it computes and
// the integer widths of its operands and accumulators.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPA_IR_LAPAOPS_TD
#define LAPA_DIALECT_LAPA_IR_LAPAOPS_TD

include "lapa/Dialect/Lapa/IR/LapaBase.td"
include "lapa/Dialect/Lapa/IR/LapaAttrs.td"
include "lapa/Dialect/Lapa/IR/LapaTypes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/TilingInterface.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"

def Lapa_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Lapa_IntTensor : RankedTensorOf<[AnySignlessInteger]>;
def Lapa_LogCodeTensor : RankedTensorOf<[Lapa_LogCodeType]>;
def Lapa_IntOrLogCodeTensor
    : RankedTensorOf<[AnySignlessInteger, Lapa_LogCodeType]>;
def Lapa_AnyElementTensor
    : RankedTensorOf<[AnyFloat, AnySignlessInteger, Lapa_LogCodeType]>;
def Lapa_ScalarTensor : RankedTensorOf<[AnyFloat, AnySignlessInteger]>;
def Lapa_MaskTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Dense attention
//===----------------------------------------------------------------------===//

def Lapa_AttentionOp : Lapa_Op<"attention", [Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<TilingInterface, [
        "getLoopIteratorTypes", "getIterationDomain", "getTiledImplementation",
        "getResultTilePosition", "generateResultTileValue"]>]> {
  let summary = "Dense scaled-dot-product attention";
  let description = [{
    Computes, for every batch `b`, query head `h`, query row `i` and value
    column `c`:

    ```
    S[b,h,i,j] = scale * sum_d Q[b,h,i,d] * K[b,g,j,d] + M[b,h,i,j]
    S[b,h,i,j] = -inf                    where causal and j > i + Skv - Sq
    P[b,h,i,:] = softmax_j S[b,h,i,:]
    O[b,h,i,c] = sum_j P[b,h,i,j] * V[b,g,j,c]
    ```

    with `g = h / (H / Hkv)`: query heads are split into `Hkv` equal groups
    and each group reads one key/value head (grouped-query attention; `Hkv
    = H` is multi-head attention, `Hkv = 1` multi-query attention).

    Shapes: query `[B, H, Sq, D]`, key `[B, Hkv, Skv, D]`, value
    `[B, Hkv, Skv, Dv]`, result `[B, H, Sq, Dv]`. `H` must be a multiple of
    `Hkv`. The optional additive mask `M` broadcasts to `[B, H, Sq, Skv]`
    by the NumPy rule: its shape is aligned at the trailing dimension and
    each of its dimensions is 1 or equal to the target's. The causal flag
    aligns the last query row with the last key, so that a query never
    attends to a later position (with `Sq = Skv`, key `j` is visible to row
    `i` when `j <= i`).

    All operands and the result have the same floating-point element type.
    `scale` is usually `1 / sqrt(D)`. A row that sees no key (causal with
    `Sq > Skv`, or every score masked to -inf) yields zeros.

    Tiling (TilingInterface): the loops are the four result dimensions
    `(b, h, i, c)`, all parallel, so upstream drivers such as
    `scf::tileUsingSCF` tile it. A tile reads its rows of Q, its value
    columns of V and, with `causal`, only the first `i0 + rows + Skv - Sq`
    keys, which keeps the causal rule of every row. With grouped-query heads
    (`H != Hkv`) the head loop cannot be split; a tile must take all heads.

    Example:

    ```mlir
    %o = lapa.attention %q, %k, %v scale(0.176776695) causal
        : tensor<1x4x128x32xf32>, tensor<1x4x128x32xf32>,
          tensor<1x4x128x32xf32> -> tensor<1x4x128x32xf32>
    ```
  }];
  let arguments = (ins
    Lapa_FloatTensor:$query,
    Lapa_FloatTensor:$key,
    Lapa_FloatTensor:$value,
    Optional<Lapa_FloatTensor>:$mask,
    F32Attr:$scale,
    UnitAttr:$causal
  );
  let results = (outs Lapa_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `:` type($mask) `)`)?
    `scale` `(` $scale `)` (`causal` $causal^)? attr-dict
    `:` type($query) `,` type($key) `,` type($value) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def Lapa_QuantizeOp : Lapa_Op<"quantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Symmetric quantization of a float tensor to signed integers";
  let description = [{
    Computes `q = clamp(round_half_even(x / s), -(2^(N-1) - 1), 2^(N-1) - 1)`
    where N is the width of the result's integer element type (8 or 16 on
    the accelerator) and `s` is the scale: one per tensor when `axis` is
    absent, else one per index along dimension `axis` (per-channel). The
    range is symmetric, so -2^(N-1) never occurs and every value has a
    leading-one code. Saturation replaces values beyond the range with the
    nearest bound; NaN becomes 0.

    ```mlir
    %xq = lapa.quantize %x scales [0.0125] : tensor<128x128xf32> -> tensor<128x128xi8>
    %wq = lapa.quantize %w scales [0.01, 0.02] axis 1 : tensor<128x2xf32> -> tensor<128x2xi8>
    ```
  }];
  let arguments = (ins
    Lapa_FloatTensor:$input,
    DenseF32ArrayAttr:$scales,
    OptionalAttr<I64Attr>:$axis
  );
  let results = (outs Lapa_IntTensor:$result);
  let assemblyFormat = [{
    $input `scales` $scales (`axis` $axis^)? attr-dict
    `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Lapa_QuantizeDynamicOp : Lapa_Op<"quantize_dynamic", [Pure]> {
  let summary = "Symmetric quantization with scales computed at run time";
  let description = [{
    Quantizes like `lapa.quantize`, with one scale per slice along
    dimension `over` computed from the data: for every index `r` of the
    other dimensions,
    ```
    s[r] = max_t |x[r, t]| / (2^(N-1) - 1)      (1 when the slice is all zeros)
    q[r, t] = clamp(round_half_even(x[r, t] / s[r]), -(2^(N-1) - 1), 2^(N-1) - 1)
    ```
    where `t` runs along `over` and N is the result width. With `over` the
    last dimension this is the per-row (per-token) quantization of
    activations on the accelerator; with `over 0` on a `[Hin, N]` weight it
    gives one scale per output channel. The `scales` result has the input's
    shape without dimension `over`.

    ```mlir
    %xq, %xs = lapa.quantize_dynamic %x over 1
        : tensor<128x64xf32> -> tensor<128x64xi8>, tensor<128xf32>
    ```
  }];
  let arguments = (ins Lapa_FloatTensor:$input, I64Attr:$over);
  let results = (outs Lapa_IntTensor:$result, Lapa_FloatTensor:$scales);
  let assemblyFormat = [{
    $input `over` $over attr-dict `:` type($input) `->` type($result) `,`
    type($scales)
  }];
  let hasVerifier = 1;
}

def Lapa_DequantizeOp : Lapa_Op<"dequantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Conversion of signed integers back to floating point";
  let description = [{
    Computes `x = q * s`, with one scale per tensor or one per index along
    `axis`, as `lapa.quantize`. The input may be any signless integer
    width, so an accumulator (for example the i32 product of two INT8
    operands, with the product of their scales) dequantizes directly.

    ```mlir
    %y = lapa.dequantize %acc scales [1.5625e-04] : tensor<128x128xi32> -> tensor<128x128xf32>
    ```
  }];
  let arguments = (ins
    Lapa_IntTensor:$input,
    DenseF32ArrayAttr:$scales,
    OptionalAttr<I64Attr>:$axis
  );
  let results = (outs Lapa_FloatTensor:$result);
  let assemblyFormat = [{
    $input `scales` $scales (`axis` $axis^)? attr-dict
    `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Lapa_RequantizeOp : Lapa_Op<"requantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Narrowing of an integer accumulator by a right shift";
  let description = [{
    Computes `y = clamp(round_half_even(x / 2^shift), -(2^(N-1) - 1),
    2^(N-1) - 1)` where N is the result width. Used to bring the K-hat
    accumulator to the width the score prediction slices (`key_bits`, 8 by
    default). `shift` lies in [0, M) for an M-bit input, and N must be
    smaller than M.

    ```mlir
    %khat8 = lapa.requantize %khat shift 7 : tensor<128x128xi32> -> tensor<128x128xi8>
    ```
  }];
  let arguments = (ins
    Lapa_IntTensor:$input,
    I64Attr:$shift
  );
  let results = (outs Lapa_IntTensor:$result);
  let assemblyFormat = [{
    $input `shift` $shift attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Lapa_LogEncodeOp : Lapa_Op<"log_encode", [Pure, SameOperandsAndResultShape]> {
  let summary = "Sign and leading-one encoding of an integer tensor";
  let description = [{
    Encodes every element `v` of a signed N-bit tensor as
    `(s(v), LO(v))` with `LO(v) = floor(log2 |v|)`, or the zero code when
    `v = 0`; see `!lapa.log_code`. On the accelerator this is the
    leading-one detector applied to the query at run time; for weights the
    compiler folds it into a constant.

    ```mlir
    %qlog = lapa.log_encode %q : tensor<1x4x128x32xi16> -> tensor<1x4x128x32x!lapa.log_code<16>>
    ```
  }];
  let arguments = (ins Lapa_IntTensor:$input);
  let results = (outs Lapa_LogCodeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lapa_LogConstantOp : Lapa_Op<"log_constant", [ConstantLike, Pure]> {
  let summary = "A constant tensor of log codes";
  let description = [{
    A tensor of `!lapa.log_code<N>` elements known at compile time, such as
    the log-coded key weights that ALOC reads. Each element is stored as an
    i8 holding the packed code of `!lapa.log_code`: the sign in bit
    `codeWidth - 1` and the exponent field below it, whose all-ones value
    stands for zero. Folding `lapa.log_encode` of a constant produces it.

    ```mlir
    // -20, 7, 100, -3 and 0 as 8-bit log codes.
    %w = lapa.log_constant dense<[12, 2, 6, 9, 7]> : tensor<5xi8>
        : tensor<5x!lapa.log_code<8>>
    ```
  }];
  let arguments = (ins ElementsAttr:$codes);
  let results = (outs Lapa_LogCodeTensor:$result);
  let assemblyFormat = "$codes attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Prediction
//===----------------------------------------------------------------------===//

def Lapa_PredictKeysOp : Lapa_Op<"predict_keys", [Pure]> {
  let summary = "Key prediction with shift-adds (ALOC)";
  let description = [{
    Predicts the keys of every token from the layer input `X` and the key
    weights `W_K`, with exactly one operand log-coded (the asymmetric
    leading-one product, ALOC):

    ```
    weight log-coded:     Khat[j,c] = sum_t s(W[t,c]) * (X[j,t] << LO(W[t,c]))
    activation log-coded: Khat[j,c] = sum_t s(X[j,t]) * (W[t,c] << LO(X[j,t]))
    both log-coded:       Khat[j,c] = sum_t s(X[j,t]) s(W[t,c]) 2^(LO(X[j,t]) + LO(W[t,c]))
    ```

    A zero code contributes nothing. The last form is the symmetric log
    product of FACT, kept for comparison. No multiplier is involved: each
    term is a barrel shift of the integer operand (0 to N-2 positions for
    an N-bit log-coded operand), a conditional negation and an add.

    Shapes: `X` is `[S, Hin]` or `[B, S, Hin]`, `W` is `[Hin, N]`, the
    result `[S, N]` or `[B, S, N]`. The result is the accumulator: a signless
    integer wide enough for the configured `key_accumulator_bits` (INT8 X
    shifted by up to 6 is a 14-bit term; 5120 of them need 27 bits). Heads
    are column blocks of `N`.

    Cost: `S * Hin * N` shift-adds per batch, on every token, because the
    needed tokens are not known yet.

    ```mlir
    %khat = lapa.predict_keys %x, %wk : tensor<128x128xi8>, tensor<128x128x!lapa.log_code<8>> -> tensor<128x128xi32>
    ```
  }];
  let arguments = (ins
    Lapa_IntOrLogCodeTensor:$input,
    Lapa_IntOrLogCodeTensor:$weight
  );
  let results = (outs Lapa_IntTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Lapa_PredictScoresOp : Lapa_Op<"predict_scores", [Pure]> {
  let summary = "Score prediction with multi-round shift-accumulation and filtering";
  let description = [{
    Predicts the attention scores of every query-key pair of a head and
    marks the keys that survive the filter between rounds. For the `lapa`
    scheme, K-hat (N = `key_bits` wide) is split into slices from the most
    significant down, `y = sum_r y_r 2^(b_r)`, the top slice signed and the
    others unsigned, and the rounds accumulate (MRSA):

    ```
    P^(r)[i,j] = P^(r-1)[i,j] + sum_c s(q[i,c]) * ((y_r[j,c] << b_r) << LO(q[i,c]))
    ```

    Round r adds to the previous partial sum at its own accumulator width
    (`accumulator_bits[r]`). What the later rounds can still add lies in
    `[dmin_r[i], dmax_r[i]]`, which depends only on the query's log codes.
    Between rounds the filter (DDF) keeps key j of row i when
    `P^(r)[i,j] + dmax_r[i] >= theta_r[i]`, where the rule sets theta:
    `safe` takes the k-th largest `P^(r) + dmin_r` (it never drops a key
    the final prediction would select), `maxmean` takes
    `alpha * max_j P + (1 - alpha) * mean_j P`, and `radius` takes
    `max_j P - radius`. Later rounds run on the surviving keys only.

    Results: `scores[b,h,i,j]` is `P^(R)` for a surviving key and the
    partial sum at the round that dropped it, scaled to full units,
    otherwise; `candidates[b,h,i,j]` is 1 exactly for the surviving keys
    that are visible (with `causal`, keys after the query's position are
    never candidates).

    Operand types follow the scheme:

    | scheme | query | key | scores |
    |---|---|---|---|
    | `lapa`, `sofa` | `!lapa.log_code<query_bits>` | signless `key_bits` integer (K-hat) | integer, at least the last round's accumulator width |
    | `fact` | `!lapa.log_code<N>` | `!lapa.log_code<M>` | integer |
    | `sanger`, `energon` | signless integer (the quantized Q) | signless integer (the quantized K) | integer |
    | `oracle` | float | float | float |

    `dense` and `spatten` predict no scores and are rejected.

    Shapes: query `[B, H, Sq, D]`, key `[B, Hkv, Skv, D]`, both results
    `[B, H, Sq, Skv]`, with H a multiple of Hkv as in `lapa.attention`.

    ```mlir
    %scores, %candidates = lapa.predict_scores %qlog, %khat
        predictor <lapa> causal
        : tensor<1x4x128x32x!lapa.log_code<16>>, tensor<1x4x128x32xi8>
          -> tensor<1x4x128x128xi32>, tensor<1x4x128x128xi1>
    ```
  }];
  let arguments = (ins
    Lapa_AnyElementTensor:$query,
    Lapa_AnyElementTensor:$key,
    Lapa_PredictorAttr:$predictor,
    UnitAttr:$causal
  );
  let results = (outs Lapa_ScalarTensor:$scores, Lapa_MaskTensor:$candidates);
  let assemblyFormat = [{
    $query `,` $key `predictor` $predictor (`causal` $causal^)?
    attr-dict `:` type($query) `,` type($key) `->` type($scores) `,`
    type($candidates)
  }];
  let hasVerifier = 1;
}

def Lapa_SelectOp : Lapa_Op<"select", [Pure]> {
  let summary = "Final selection of keys per query row, and the needed tokens";
  let description = [{
    Chooses the keys each query row attends to from the predicted scores,
    among the candidates that survived the filter:

    - `select = topk`: the `k = ceil(keep_ratio * n)` largest scores, where
      `n` is the number of visible keys of the row (`i + 1 + Skv - Sq`
      with `causal`, else `Skv`). Ties go to the lower key index.
    - `select = threshold`: every key whose probability
      `softmax_j(score_scale * scores[i,:])[j]` over the candidates reaches
      `threshold`. `score_scale` converts the integer scores to logits
      (the product of the operand scales and the attention scale) and is
      required in this mode. When the operands were quantized at run time,
      the scales are an operand instead, `scales(%s)`, one per score
      (`[B, H, Sq, Skv]` f32), and the logits are
      `score_scales[i,j] * scores[i,j]`.

    The selection result is either a bitmap `[B, H, Sq, Skv]` of `i1`, or
    an index list `[B, H, Sq, K]` of `i32` whose row `i` lists the selected
    key indices in ascending order, padded with -1. The index form needs
    `select = topk` and `K = ceil(keep_ratio * Skv)`.

    `needed` is the per-head set of needed tokens `[B, Hkv, Skv]`:
    `needed[b,g,j] = OR over rows i and the query heads h of group g of
    selected[b,h,i,j]`. Tokens outside it never get their K or V row
    computed.

    Cost: one comparison per candidate for the top-k, plus an OR per
    selected entry for the needed tokens.

    ```mlir
    %sel, %needed = lapa.select %scores, %candidates
        predictor <lapa> causal
        : tensor<1x4x128x128xi32>, tensor<1x4x128x128xi1>
          -> tensor<1x4x128x32xi32>, tensor<1x4x128xi1>
    ```
  }];
  let arguments = (ins
    Lapa_ScalarTensor:$scores,
    Lapa_MaskTensor:$candidates,
    Optional<Lapa_FloatTensor>:$score_scales,
    Lapa_PredictorAttr:$predictor,
    OptionalAttr<F32Attr>:$score_scale,
    UnitAttr:$causal
  );
  let results = (outs
    RankedTensorOf<[I1, I32]>:$selection,
    Lapa_MaskTensor:$needed
  );
  let assemblyFormat = [{
    $scores `,` $candidates (`scales` `(` $score_scales^ `:` type($score_scales) `)`)?
    `predictor` $predictor
    (`score_scale` `(` $score_scale^ `)`)? (`causal` $causal^)? attr-dict
    `:` type($scores) `,` type($candidates) `->` type($selection) `,`
    type($needed)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Returns whether the selection is a list of key indices (else a
    /// bitmap).
    bool hasIndexSelection();
  }];
}

//===----------------------------------------------------------------------===//
// Sparse execution
//===----------------------------------------------------------------------===//

def Lapa_SparseProjectOp : Lapa_Op<"sparse_project", [Pure]> {
  let summary = "K or V projection of the needed tokens only";
  let description = [{
    Computes the rows of a head-blocked projection that some query needs:

    ```
    Y[b,j,g*d + c] = sum_t X[b,j,t] * W[t,g*d + c]   if needed[b,g,j]
    Y[b,j,g*d + c] = 0                               otherwise
    ```

    for head group `g` in `[0, Hkv)` and `c` in `[0, d)`, with
    `d = N / Hkv`. This is where the prediction reaches the projection
    stage: a token that no query of a head selected costs that head no
    multiply-accumulates.

    Shapes: `X` is `[S, Hin]` or `[B, S, Hin]` (B = 1 when absent), `W` is
    `[Hin, N]`, `needed` is `[B, Hkv, S]`, and the result has the shape of
    `X` with the last dimension `N`. `N` must be a multiple of `Hkv`.

    Types: float operands give a result of the same float type; signless
    integer operands (INT8 on the accelerator) give a wider integer
    accumulator (at least `2 * width + ceil(log2 Hin)` bits are needed to
    be exact).

    Cost: `|needed| * Hin * d` multiply-accumulates, summed over heads.

    ```mlir
    %k = lapa.sparse_project %x, %wk, %needed
        : tensor<128x128xi8>, tensor<128x128xi8>, tensor<1x4x128xi1> -> tensor<128x128xi32>
    ```
  }];
  let arguments = (ins
    Lapa_ScalarTensor:$input,
    Lapa_ScalarTensor:$weight,
    Lapa_MaskTensor:$needed
  );
  let results = (outs Lapa_ScalarTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $needed attr-dict `:` type($input) `,`
    type($weight) `,` type($needed) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Lapa_SparseAttentionOp : Lapa_Op<"sparse_attention", [Pure]> {
  let summary = "Attention over the selected query-key pairs only";
  let description = [{
    Computes attention restricted to a selection, in three steps:

    ```
    SDDMM:   S[b,h,i,j] = scale * sum_d Q[b,h,i,d] * K[b,g,j,d] + M[b,h,i,j]   for selected (i, j)
    softmax: P[b,h,i,j] = exp(S[b,h,i,j] - m_i) / sum_{selected j'} exp(S[b,h,i,j'] - m_i)
    SpMM:    O[b,h,i,c] = sum_{selected j} P[b,h,i,j] * V[b,g,j,c]
    ```

    where `m_i` is the row maximum over the selected entries and
    `g = h / (H / Hkv)`. A row with no selected key yields zeros. The
    selection is a bitmap `[B, H, Sq, Skv]` of `i1` or an index list
    `[B, H, Sq, K]` of `i32` padded with -1, as `lapa.select` produces.

    Shapes and element types follow `lapa.attention`, including the
    optional additive mask.

    Cost: `nnz * D` multiply-accumulates for SDDMM, `nnz` exponentials and
    `nnz * Dv` multiply-accumulates for SpMM, where `nnz` is the number of
    selected pairs.

    ```mlir
    %o = lapa.sparse_attention %q, %k, %v, %sel scale(0.176776695)
        : tensor<1x4x128x32xf32>, tensor<1x4x128x32xf32>,
          tensor<1x4x128x32xf32>, tensor<1x4x128x32xi32>
          -> tensor<1x4x128x32xf32>
    ```
  }];
  let arguments = (ins
    Lapa_FloatTensor:$query,
    Lapa_FloatTensor:$key,
    Lapa_FloatTensor:$value,
    RankedTensorOf<[I1, I32]>:$selection,
    Optional<Lapa_FloatTensor>:$mask,
    F32Attr:$scale
  );
  let results = (outs Lapa_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $selection
    (`mask` `(` $mask^ `:` type($mask) `)`)? `scale` `(` $scale `)` attr-dict
    `:` type($query) `,` type($key) `,` type($value) `,` type($selection)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LAPA_DIALECT_LAPA_IR_LAPAOPS_TD
