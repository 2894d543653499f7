//===- LapaIsa.h - The lapa_isa instruction-stream dialect ------*- C++ -*-===//
//
// Declarations of the lapa_isa dialect and the conversion of its
// instruction ops to and from the fixed-width instructions of Isa.h.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPAISA_IR_LAPAISA_H
#define LAPA_DIALECT_LAPAISA_IR_LAPAISA_H

#include "lapa/Target/Stream/Isa.h"
#include "lapa/Target/Stream/Repeat.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"

#include <array>
#include <vector>

namespace mlir::lapa_isa {

/// How an operand field is stored in its instruction word(s).
enum class FieldKind { Ref, OptRef, U32, F32, Dram };

/// One operand field of an instruction op.
struct FieldInfo {
  const char *name;
  unsigned word;
  FieldKind kind;
};

/// Checks the fields of an instruction op that need no configuration:
/// integer ranges, unit names of `wait` and `signal`, and flag names.
/// `values` contains the fields' attributes in the order of `fields`, and
/// `controls` the `wait`, `signal` and `flags` lists.
LogicalResult verifyInstructionFields(Operation *op,
                                      ArrayRef<FieldInfo> fields,
                                      ArrayRef<Attribute> values,
                                      std::array<ArrayAttr, 3> controls,
                                      ArrayRef<llvm::StringLiteral> flags);

/// Checks the `steps` of an instruction op: one dictionary per enclosing
/// lapa_isa.repeat, naming fields that may step, with integer steps that
/// keep every field in range in every iteration.
LogicalResult verifySteps(Operation *op, ArrayRef<FieldInfo> fields,
                          ArrayRef<Attribute> values, ArrayAttr steps);

} // namespace mlir::lapa_isa

#include "lapa/Dialect/LapaIsa/IR/LapaIsaDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "lapa/Dialect/LapaIsa/IR/LapaIsaAttrs.h.inc"

#define GET_OP_CLASSES
#include "lapa/Dialect/LapaIsa/IR/LapaIsaOps.h.inc"

namespace mlir::lapa_isa {

/// True when `op` is one of the instruction ops.
bool isInstruction(Operation *op);

/// Packs an instruction op into its 64-byte form.
::lapa::isa::Instruction toInstruction(Operation *op);

/// Converts the instruction, stage and repeat ops of `block` into repeat
/// nodes (Repeat.h), appending them to `nodes`. Every instruction and
/// stage node gets as `origin` its index in `leafOps`, where its op is
/// appended.
void collectNodes(Block &block, std::vector<::lapa::isa::RepeatNode> &nodes,
                  std::vector<Operation *> &leafOps);

/// The `steps` dictionary of instruction or stage op `op` for the word
/// steps `steps`. Fails when a word that steps is not a field of the op.
FailureOr<DictionaryAttr> stepsDictionary(Operation *op,
                                          const ::lapa::isa::WordSteps &steps);

/// Builds the instruction op of `inst` at the builder's insertion point.
/// Fails (with a diagnostic at `loc`) for a word the op cannot represent.
FailureOr<Operation *> buildInstruction(OpBuilder &builder, Location loc,
                                        const ::lapa::isa::Instruction &inst);

} // namespace mlir::lapa_isa

#endif // LAPA_DIALECT_LAPAISA_IR_LAPAISA_H
