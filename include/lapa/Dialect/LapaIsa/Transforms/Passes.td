//===- Passes.td - Passes of the lapa_isa dialect ----------*- tablegen -*-===//
//
// Declarative definitions of the passes on instruction-stream programs.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPAISA_TRANSFORMS_PASSES_TD
#define LAPA_DIALECT_LAPAISA_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LapaIsaExpandRepeats : Pass<"lapa-isa-expand-repeats",
                                "::mlir::lapa_isa::ProgramOp"> {
  let summary = "Write out every iteration of the lapa_isa.repeat ops.";
  let description = [{
    Replaces each `lapa_isa.repeat` by the instructions and stage markers
    of all its iterations, with every stepped field at its value in that
    iteration, so that the program has one op per instruction of the
    binary stream. The stream that `lapa-translate --emit-stream` writes
    is the same before and after. Useful to read or edit single
    instructions, and for tools that do not know the repeat op.
  }];
}

def LapaIsaFoldRepeats : Pass<"lapa-isa-fold-repeats",
                              "::mlir::lapa_isa::ProgramOp"> {
  let summary = "Fold repeated instruction patterns into lapa_isa.repeat ops.";
  let description = [{
    Finds instruction patterns that repeat with fields that grow by a
    constant from one iteration to the next, and replaces them by
    `lapa_isa.repeat` ops, nested where the patterns nest (the search of
    `lapa::isa::findRepeats`, which `lapa-lower-to-isa` also runs). Only
    buffer offsets, counts, strides, indices, DRAM addresses and stage
    layers may step; everything else must be equal in every iteration.
    Existing repeats are expanded first, so the result depends only on
    the stream. The emitted stream is the same before and after.
  }];
  let options = [
    Option<"maxBody", "max-body", "unsigned", /*default=*/"400",
           "Longest body of a repeat, in ops of the level being folded">,
    Option<"maxDepth", "max-depth", "unsigned", /*default=*/"8",
           "Deepest nesting of repeats">
  ];
}

#endif // LAPA_DIALECT_LAPAISA_TRANSFORMS_PASSES_TD
