//===- LapaBase.td - The lapa dialect definition -----------*- tablegen -*-===//
//
// The `lapa` dialect: predicted-sparse attention on tensors, split into the
// stages a LAPA accelerator runs (key prediction, score prediction with
// multi-round shift-accumulation and filtering, selection, on-demand K/V
// projection, sparse attention).
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPA_IR_LAPABASE_TD
#define LAPA_DIALECT_LAPA_IR_LAPABASE_TD

include "mlir/IR/OpBase.td"

def Lapa_Dialect : Dialect {
  let name = "lapa";
  let cppNamespace = "::mlir::lapa";
  let summary = "Predicted-sparse attention for the LAPA accelerator";
  let description = [{
    The `lapa` dialect states scaled-dot-product attention and the stages
    that a log-domain prediction-driven accelerator splits it into.

    `lapa.attention` is dense attention as a front end produces it, raised
    from linalg or TOSA. The LAPA flow splits it into the stages below.
    `lapa-expand-prediction` rewrites a predicted `lapa.attention` and its
    key and value projections into these ops, so that the flow can be
    inspected, counted and transformed. The `lapa-compile` pipeline does not
    run it: `lapa-insert-prediction` attaches a `#lapa.predictor` to each
    `lapa.attention`, and `lapa-lower-to-isa` schedules the stages as
    instructions directly. The stage ops state each stage's formula, widths
    and operation counts:

    1. `lapa.predict_keys`: K-hat from the layer input and log-coded key
       weights with shift-adds only (ALOC).
    2. `lapa.log_encode`: sign and leading-one codes of the query.
    3. `lapa.predict_scores`: A-hat from the log-coded query and K-hat,
       accumulated over bit slices in rounds (MRSA) with a data-dependent
       filter between rounds (DDF).
    4. `lapa.select`: the final top-k or threshold selection per query row,
       and the per-head set of needed tokens.
    5. `lapa.sparse_project`: the K and V projections of the needed tokens
       only.
    6. `lapa.sparse_attention`: scores, softmax and weighted sum over the
       selected query-key pairs only (SDDMM, softmax, SpMM).

    The predictor scheme and its parameters are carried by
    `#lapa.predictor`, so LAPA and the peer designs (SOFA, FACT, Sanger,
    Energon, SpAtten), an exact oracle and dense execution go through the
    same ops. Integer widths are part of the types: a log-coded operand has
    the element type `!lapa.log_code<N>`, and accumulators are signless
    integers of the width the op states.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  // Tiling lapa.attention creates slices and index arithmetic.
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class Lapa_Op<string mnemonic, list<Trait> traits = []>
    : Op<Lapa_Dialect, mnemonic, traits>;

#endif // LAPA_DIALECT_LAPA_IR_LAPABASE_TD
