//===- StreamConversion.h - lapa_isa programs to and from streams -*- C++ -*-===//
//
// Converts between a lapa_isa.program and the in-memory stream file of
// Stream.h, which the binary and assembly writers serialize. Both
// directions keep every field: tensors with their constants, predictor
// records, stage ranges and instructions.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPAISA_IR_STREAMCONVERSION_H
#define LAPA_DIALECT_LAPAISA_IR_STREAMCONVERSION_H

#include "lapa/Dialect/LapaIsa/IR/LapaIsa.h"
#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Target/Stream/Stream.h"

namespace mlir::lapa_isa {

/// Builds a program named `name` for `config` from `stream` at the
/// builder's insertion point. With `foldRepeats`, repeated instruction
/// patterns become lapa_isa.repeat ops (lapa::isa::findRepeats); without
/// it, every instruction is an op. Fails with a diagnostic at `loc` when
/// the stream was built for another configuration or has a field the
/// dialect cannot hold.
FailureOr<ProgramOp> buildProgram(OpBuilder &builder, Location loc,
                                  StringRef name,
                                  const ::lapa::isa::StreamFile &stream,
                                  const ::lapa::hardware::HardwareConfig &config,
                                  bool foldRepeats = true,
                                  const ::lapa::isa::RepeatOptions &options = {});

/// Packs `program` into a stream file, writing out every iteration of its
/// repeats.
FailureOr<::lapa::isa::StreamFile> exportProgram(ProgramOp program);

} // namespace mlir::lapa_isa

#endif // LAPA_DIALECT_LAPAISA_IR_STREAMCONVERSION_H
