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

#endif // LAPA_DIALECT_LAPA_TRANSFORMS_PASSES_TD
