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

#endif // LAPA_DIALECT_LAPA_TRANSFORMS_PASSES_TD
