//===- Passes.td - Passes of the lapa dialect --------------*- tablegen -*-===//
//
// Declarative definitions of the lapa passes.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPA_TRANSFORMS_PASSES_TD
#define LAPA_DIALECT_LAPA_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LapaAnnotateOpCounts : Pass<"lapa-annotate-op-counts"> {
  let summary = "Attach the static operation counts of each lapa op.";
  let description = [{
    Computes, from the static shapes and the predictor parameters, the work
    each lapa op implies and attaches it as a `lapa.op_counts` dictionary:
    shift-adds, multiply-accumulates, exponentials, comparisons, and the
    bits the op reads and writes. Where the work depends on the data (the
    keys that survive a filter, the tokens that are needed) the count is the
    upper bound, and the dictionary says so with `bound = "upper"`.

    The counts make the cost of each stage visible in the IR before any
    simulation. Ops with a dynamic dimension get a remark and no counts.
    With `emit-remarks`, each op also gets a remark listing its counts, for
    reading with `-mlir-print-...` free pipelines.

    Example:

    ```mlir
    %khat = lapa.predict_keys %x, %wk {lapa.op_counts = {bound = "exact",
        shift_adds = 2097152 : i64, ...}} : ...
    ```
  }];
  let options = [
    Option<"emitRemarks", "emit-remarks", "bool", /*default=*/"false",
           "Also emit a remark per op with its counts">
  ];
}

def LapaDecomposeAttention : Pass<"lapa-decompose-attention"> {
  let summary = "Rewrite lapa.attention into linalg on tensors.";
  let description = [{
    Expands every `lapa.attention` into linalg.generic ops that compute
    exactly its definition: the scaled query-key contraction, the additive
    mask, the causal mask (as -inf), a softmax with max subtraction over the
    key axis, and the contraction with the value. Grouped key/value heads
    are read through an indexing map, not copied.

    The result runs on any target that lowers linalg, such as the CPU
    pipeline of upstream `mlir-opt` and `mlir-runner`; the tests use it to
    check that raising preserves the values a graph computes. It is also
    the fallback for attention that the accelerator does not run.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def LapaInsertPrediction : Pass<"lapa-insert-prediction", "::mlir::ModuleOp"> {
  let summary = "Choose the predictor of every attention.";
  let description = [{
    Attaches `lapa.predictor` to every `lapa.attention`: the scheme and
    parameters of `predictor`, or of the entry of `layer-predictors` whose
    index matches the attention's `lapa.attention_index`. The attribute
    decides how `lapa-lower-to-isa` schedules the attention: LAPA and SOFA
    predict K-hat with shift-adds and project K and V only for the needed
    tokens; the peer schemes predict from the computed keys; `dense` keeps
    every visible key. With `hw`, a scheme that the configuration cannot run
    (no speculation unit, no shift array) is an error at the attention.
  }];
  let options = [
    Option<"predictor", "predictor", "std::string", /*default=*/"\"lapa\"",
           "Predictor in the text form `scheme name=value ...`, e.g. "
           "`lapa keep_ratio=0.25`">,
    Option<"layerPredictors", "layer-predictors", "std::string", /*default=*/"\"\"",
           "Per-layer overrides `index=predictor` separated by ';', e.g. "
           "`0=dense;3=lapa keep_ratio=0.5`">,
    Option<"hwPath", "hw", "std::string", /*default=*/"\"\"",
           "Hardware configuration to check the schemes against (optional)">
  ];
  let statistics = [
    Statistic<"numAnnotated", "num-annotated", "Attentions given a predictor">
  ];
}

def LapaExpandPrediction : Pass<"lapa-expand-prediction", "::mlir::func::FuncOp"> {
  let summary = "Rewrite predicted attention into the prediction and sparse ops.";
  let description = [{
    Spells out the predicted flow of every `lapa.attention` as the ops of
    the dialect. For the ALOC schemes (`lapa`, `sofa`):

    1. `lapa.quantize_dynamic` quantizes the key projection's input rows
       to INT8 and its weight per output channel to INT8, and
       `lapa.log_encode` log-codes the weight.
    2. `lapa.predict_keys` computes K-hat with shift-adds. Without a rotary
       embedding on the keys, `lapa.requantize` narrows it to `key_bits` by
       the shift that the accumulator's range needs, and it is split into
       key heads. With one (tagged by lapa-annotate-layers), K-hat is
       dequantized with the row and channel scales, sent through a copy of
       the keys' path (head split and rotary embedding), and quantized per
       key row to `key_bits`, as the accelerator does.
    3. The queries are quantized per row to `query_bits` and log-coded, and
       `lapa.predict_scores` and `lapa.select` give each query row its
       keys and each key head its needed tokens. A threshold selection
       gets the logit scale of every score as an operand (the attention
       scale times the query row's and the key row's scales), so it
       needs the per-row key scales of the rotated K-hat.
    4. The key and value projections (the `linalg.matmul` ops that
       lapa-raise-attention tagged) become `lapa.sparse_project` of the
       needed tokens, and the attention becomes `lapa.sparse_attention`
       over the selection.

    The projections and whatever follows them up to the attention (bias,
    rotary embedding, head reshapes) move to just before the attention,
    after the prediction, which needs the queries.

    The peer schemes that score the computed keys (`fact`, `sanger`,
    `energon`, and the `oracle`) keep their projections: the query and key
    are quantized per row to the widths the scheme scores at (FACT also
    log-codes both, the oracle uses them as they are), and
    `lapa.predict_scores`, `lapa.select` and `lapa.sparse_attention`
    follow.

    The ISA lowering reads the unexpanded form; this pass shows the flow as
    ops, so that other passes can inspect or transform it, and
    `lapa-annotate-op-counts` counts each stage.

    The predictor is the attention's `lapa.predictor` attribute
    (lapa-insert-prediction sets it). The options `predictor` and
    `layer-predictors`, in the form lapa-insert-prediction takes, replace
    it for every attention, or for the attentions whose
    `lapa.attention_index` they name.

    An attention is left as it is, with a remark that says why, when its
    scheme is `dense` (nothing to predict) or `spatten` (its ranking uses
    earlier layers' probabilities), or its shapes are dynamic. For the ALOC
    schemes, also when its projections are not 2-D `linalg.matmul` ops
    accumulating into zeros, a value on the path from a projection to the
    attention has another user before it, the rotated keys' path also
    reads the value projection, or it selects by a threshold without a
    rotary embedding (K-hat narrowed by a shift keeps the weight's
    per-channel scales, so a score has no single logit scale).
  }];
  let options = [
    Option<"predictor", "predictor", "std::string", /*default=*/"\"\"",
           "Predictor of every attention in the text form `scheme "
           "name=value ...`, replacing its lapa.predictor; empty keeps "
           "the attribute">,
    Option<"layerPredictors", "layer-predictors", "std::string", /*default=*/"\"\"",
           "Per-layer predictors `index=predictor` separated by ';', "
           "replacing lapa.predictor of the attentions they name">
  ];
  let statistics = [
    Statistic<"numExpanded", "num-expanded", "Attentions expanded">,
    Statistic<"numSkipped", "num-skipped", "Attentions left as they are">
  ];
  let dependentDialects = ["::mlir::lapa::LapaDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LapaRandomizeWeights : Pass<"lapa-randomize-weights", "::mlir::ModuleOp"> {
  let summary = "Replace projection weights and biases with seeded random values.";
  let description = [{
    Public graph exports often ship "stripped": every weight is a splat
    constant (all of BERT-tiny's and MobileBERT's are), so every row of a
    projection is the same and a functional run says nothing about
    attention. This pass gives such a graph random weights from a fixed
    seed, so that runs are repeatable and the keys differ.

    A projection is a contraction (a linalg contraction such as
    `linalg.matmul`, or a `linalg.generic` of that form) with exactly one
    operand that is a float constant, reached through reshapes, casts,
    transposes and broadcasts. Its bias is a float constant, reached the
    same way, added to the contraction's result by a `linalg.generic` whose
    body is one `arith.addf`, by a named `linalg.add` or by `arith.addf` on
    tensors. The n-th replaced constant in program order (weight before
    bias) gets values `u * sqrt(3 / F)`, where `F` is the contraction's
    reduction size and `u` is uniform in [-1, 1), from the 24 high bits of
    each output of a SplitMix64 generator whose state starts at the n-th
    output (counting from 0) of a SplitMix64 generator seeded with `seed`. The
    weights then have variance `1 / F`, so a projection keeps the variance
    of its input. Each use of a shared constant gets its own values.

    Embedding tables, float constants that a `tensor.extract` in the body
    of a `linalg.generic` reads (a gather by token ids), are numbered after
    every projection weight and bias, in program order, and get `u *
    sqrt(3)` from the same generator: rows of variance 1, so that different
    tokens start from different rows. Elementwise parameters come last:
    float constants of more than one element that a `linalg.generic` of
    one `arith.mulf` or `arith.addf` combines with a tensor computed from
    the function's arguments (MobileBERT's NoNorm gains and shifts, a
    position-embedding table). A gain gets `1 + u / 8` and a shift `u / 8`,
    so that they keep the scale of what they act on; scalars (an attention
    scale) and constants that meet only constants (a mask computed from
    bound inputs) stay. Tables and elementwise parameters follow the same
    `replace` rule as the weights.

    `replace` chooses what is replaced: `if-stripped` (the default) only
    when every projection weight of the module is a splat, so a graph with
    real weights is left alone with a remark; `splat` every splat
    projection weight and bias; `all` every projection weight and bias.
    The module gets `lapa.random_weights = {seed, weights, biases}` so that
    later tools can say where the values came from.
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", /*default=*/"1",
           "Seed of the random streams">,
    Option<"replace", "replace", "std::string", /*default=*/"\"if-stripped\"",
           "Which constants to replace: if-stripped, splat or all">
  ];
  let statistics = [
    Statistic<"numWeights", "num-weights", "Projection weights replaced">,
    Statistic<"numBiases", "num-biases", "Projection biases replaced">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LapaBoundDynamicDims : Pass<"lapa-bound-dynamic-dims", "::mlir::ModuleOp"> {
  let summary = "Give the dynamic dimensions of function arguments static sizes.";
  let description = [{
    Front ends often export a graph with a dynamic batch or sequence
    length (`tensor<1x?xi64>`). The accelerator's schedule needs static
    shapes, so this pass fixes them: `sizes` lists one size per dynamic
    dimension of the arguments of every function with a body, in argument
    order and then dimension order; a single size applies to every dynamic
    dimension. Each argument gets the static type, a `tensor.cast` back to
    the old type feeds its uses, and canonicalization carries the static
    sizes through the graph (`tensor.dim` folds, `tensor.empty` and the
    linalg ops take static types). Results whose value became static get
    static types as well.

    A dimension that is still dynamic afterwards (a shape computed from
    data, say) is an error at the op that has it, and so is a size list
    whose length matches neither 1 nor the number of dynamic dimensions.
    `lapa-lower-to-isa` rejects dynamic arguments and names this pass.
  }];
  let options = [
    ListOption<"sizes", "sizes", "int64_t",
               "Sizes of the dynamic argument dimensions, in order (one size "
               "applies to all)">
  ];
  let statistics = [
    Statistic<"numBounded", "num-bounded", "Dynamic dimensions given a size">
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def LapaBindInputs : Pass<"lapa-bind-inputs", "::mlir::ModuleOp"> {
  let summary = "Replace function arguments with splat constants.";
  let description = [{
    Some graphs take inputs that the instruction stream cannot take at run
    time: MobileBERT computes its attention mask from an `input_mask`
    argument and adds token-type embeddings picked by an `input_type_ids`
    argument. This pass fixes such arguments to one value for every
    element, so that the lowering evaluates what depends on them at compile
    time: `values` lists `NAME=VALUE` entries, where NAME is `argN` (the
    argument's position) or the name in its `tf_saved_model.index_path` or
    `lapa.weight` attribute. Every function with a body that has such an
    argument gets it bound. In the public MobileBERT export, argument 1
    feeds the mask and argument 2 picks the token type (their
    `index_path` names, `input_type_ids` and `input_mask`, are the other
    way round), so `values=arg1=1,arg2=0` marks every key valid and every
    token as segment 0.

    The argument stays in the signature, unused. An unknown name, a name
    given twice, a value that does not parse for the argument's element
    type or lies outside its range (an integer beyond the type's signed
    range, a float that is not finite in it), or an argument that is not a
    statically shaped tensor of integers or floats is an error that names
    the entry.
  }];
  let options = [
    ListOption<"values", "values", "std::string",
               "NAME=VALUE entries: the argument (argN or its name) and the "
               "value of all its elements">
  ];
  let statistics = [
    Statistic<"numBound", "num-bound", "Arguments replaced by constants">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LapaTileAttention : Pass<"lapa-tile-attention"> {
  let summary = "Tile every lapa.attention with the upstream SCF tiling driver.";
  let description = [{
    Tiles each `lapa.attention` through its TilingInterface with
    `scf::tileUsingSCF`: `tile-sizes` gives one size per loop `(b, h, i, c)`
    (batch, query head, query row, value column), 0 leaving a loop untiled.
    The tiles become `lapa.attention` ops on `tensor.extract_slice`s inside
    `scf.for` loops (or one `scf.forall` with `forall`). A causal tile reads
    only the keys its rows can see. Grouped-query attention cannot split
    its heads, which is an error at the op.

    The ISA lowering schedules attention from the untiled op; this pass is
    for pipelines that lower `lapa.attention` themselves, such as the
    decomposition to linalg.
  }];
  let options = [
    ListOption<"tileSizes", "tile-sizes", "int64_t",
               "Tile sizes of the loops (b, h, i, c); 0 leaves a loop untiled">,
    Option<"forall", "forall", "bool", /*default=*/"false",
           "Generate one scf.forall instead of nested scf.for loops">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def LapaBindWeights : Pass<"lapa-bind-weights", "::mlir::ModuleOp"> {
  let summary = "Replace weight arguments with constants from a safetensors file.";
  let description = [{
    A graph may take its weights as function arguments, which leaves the
    stream without weights (timing-only). This pass reads `file` and
    replaces every argument that carries `lapa.weight = "NAME"` (as
    `lapa-translate --import-llama --weights=arguments` writes) with a
    constant holding the F32 tensor `NAME` of the file, then removes the
    argument. The compiler then quantizes the weights at compile time as it
    does for embedded ones.

    A tensor missing from the file, or with another dtype or shape than the
    argument, is an error at the function that names the argument, the
    tensor and both shapes. Arguments without `lapa.weight` are left alone.
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "Safetensors file with the weights">
  ];
  let statistics = [
    Statistic<"numBound", "num-bound", "Weight arguments bound">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // LAPA_DIALECT_LAPA_TRANSFORMS_PASSES_TD
