//===- Passes.td - Conversions into and out of lapa --------*- tablegen -*-===//
//
// Declarative definitions of the passes that raise front-end graphs to the
// lapa dialect.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_CONVERSION_PASSES_TD
#define LAPA_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LapaRaiseAttention : Pass<"lapa-raise-attention"> {
  let summary = "Replace scaled-dot-product attention in linalg or TOSA with lapa.attention.";
  let description = [{
    Finds attention written out as front ends emit it: a contraction of the
    query with the key, a constant scale, an optional additive mask, a
    softmax over the key axis (decomposed into max, subtract, exp, sum and
    divide or reciprocal-multiply, with or without the max subtraction),
    and a contraction of the probabilities with the value. The ops may be
    linalg named ops, `linalg.generic` ops, or TOSA 1.0 ops, with reshapes,
    transposes, broadcasts, casts and identity ops between them.

    Each match becomes one `lapa.attention` on `[B, H, S, D]` tensors. The
    query, key and value are taken where they enter the contractions, so
    the projections that produce them stay visible for later passes. The
    softmax chain and the score contraction become dead and are erased; the
    value contraction's result is replaced.

    Accepted variants: the key transposed by an explicit op or consumed
    already transposed; the scale as a multiply or divide by a constant
    (including a reciprocal of a constant such as sqrt(D)), before or after
    the score contraction; an additive mask of any shape that broadcasts to
    the scores; the scores transposed before the softmax; batch and head
    dimensions of size 1 or merged into one batch dimension.

    Not raised, with a remark when `emit-remarks` is set: a softmax over an
    axis other than the key axis, a scale that is not a constant, scores
    negated or rounded through an integer type, and value contractions that
    do not reduce over the key axis. Attention that is recognized but cannot
    be raised (a dynamic sequence length, an element type other than f32,
    f16 or bf16, a mask in another layout than the softmax's) gets a warning
    whether or not the option is set.
  }];
  let dependentDialects = [
    "::mlir::lapa::LapaDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"emitRemarks", "emit-remarks", "bool", /*default=*/"false",
           "Emit a remark at every softmax that is not raised, with the reason">
  ];
  let statistics = [
    Statistic<"numRaised", "num-raised", "Number of attention blocks raised">,
    Statistic<"numRejected", "num-rejected",
              "Number of softmax candidates left unchanged">
  ];
}

def LapaAnnotateLayers : Pass<"lapa-annotate-layers"> {
  let summary = "Tag the norms, feed-forward blocks, rotary embeddings and residual additions.";
  let description = [{
    Recognizes the parts of a Transformer layer around attention in linalg
    or TOSA and tags the ops that implement them, leaving them as they are
    so that the back end lowers them as linalg:

    - `lapa.layer = "rms_norm"` or `"layer_norm"` on the reduction of
      squares (of deviations, for LayerNorm), the rsqrt and the scaling
      multiplies;
    - `lapa.layer = "ffn_activation"` on SiLU/sigmoid, GELU and ReLU, and
      `lapa.ffn = "gate"`, `"up"` or `"down"` on the feed-forward matmuls
      (a gated unit has a gate and an up matmul);
    - `lapa.layer = "rotary_embedding"` on the multiplies by position
      tables between a query or key projection and its attention (run
      `lapa-raise-attention` first, which tags the projections);
    - `lapa.layer = "residual"` on an addition of an attention output
      projection or a feed-forward down projection to another activation.

    The tags let the back end place each op on its unit and the energy
    model charge it by stage. Ops that match no pattern keep no tag.
  }];
}

def LapaLowerToIsa : Pass<"lapa-lower-to-isa", "::mlir::ModuleOp"> {
  let summary = "Compile a raised Transformer into a lapa_isa instruction stream.";
  let description = [{
    Reads the function of a module after `lapa-raise-attention`,
    `lapa-annotate-layers` and `lapa-insert-prediction`, recognizes its
    layer structure (embedding, normalizations, projections, rotary
    embedding, attention, feed-forward block, residual additions, head),
    and replaces the function with a `lapa_isa.program` for the hardware
    configuration `hw`:

    - weights are quantized to INT8 with per-output-channel scales, and the
      key weights of LAPA and SOFA layers are also log-coded, at compile
      time; activations are quantized at run time per row and per group of
      the inner tile;
    - every attention follows its `lapa.predictor` attribute: LAPA and SOFA
      predict K-hat with shift-adds, score it in MRSA rounds with the
      filter between them, select the top-k keys and project K and V for
      the needed tokens only; FACT, Sanger and Energon predict from the
      computed keys; dense attention keeps every visible key;
    - every op is tiled for the MAC array and the buffers (sizes from the
      configuration unless given), with remainder tiles, and assigned to
      buffer regions and DRAM addresses;
    - dependency tokens follow from the bytes each instruction reads and
      writes, and double-buffered tiles let loads overlap compute and
      prediction of one head overlap attention of the previous one.

    Repeated instruction patterns (the tiles of a projection, the heads of
    a layer, the layers) are folded into `lapa_isa.repeat` ops unless
    `fold-repeats=false`, which keeps one op per instruction.

    An op that is not part of a recognized structure, a dynamic shape, a
    weight of the wrong shape or a tile that cannot fit gets an error that
    names it; nothing is emitted then.
  }];
  let dependentDialects = ["::mlir::lapa_isa::LapaIsaDialect"];
  let options = [
    Option<"hwPath", "hw", "std::string", /*default=*/"\"\"",
           "Hardware configuration file (YAML), e.g. examples/hw/lapa-28nm.yaml">,
    Option<"defaultPredictor", "predictor", "std::string", /*default=*/"\"dense\"",
           "Predictor of attentions without a lapa.predictor attribute, in the "
           "text form `scheme name=value ...`">,
    Option<"rowTile", "row-tile", "int64_t", /*default=*/"0",
           "Rows (tokens or queries) per tile; 0 chooses from the configuration">,
    Option<"colTile", "col-tile", "int64_t", /*default=*/"0",
           "Output columns per projection tile; 0 chooses">,
    Option<"innerTile", "inner-tile", "int64_t", /*default=*/"0",
           "Inner columns per projection tile and activation quantization group; 0 chooses">,
    Option<"embedWeights", "embed-weights", "bool", /*default=*/"true",
           "Store constant weights, quantized, in the stream; weights passed as "
           "function arguments are always bound at run time">,
    Option<"foldRepeats", "fold-repeats", "bool", /*default=*/"true",
           "Fold repeated instruction patterns into lapa_isa.repeat ops; "
           "false gives one op per instruction (the stream is the same)">
  ];
  let statistics = [
    Statistic<"numInstructions", "num-instructions", "Instructions emitted">,
    Statistic<"numLayers", "num-layers", "Layers recognized">
  ];
}

#endif // LAPA_CONVERSION_PASSES_TD
