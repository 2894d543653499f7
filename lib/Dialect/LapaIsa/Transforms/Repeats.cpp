//===- Repeats.cpp - Expand and fold lapa_isa.repeat ops ------------------===//
//
// Both passes go through the stream form. They pack the program into its
// instructions (expanding repeats) and rebuild the body, flat or folded,
// so the instructions that the binary stream contains do not change.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/LapaIsa/Transforms/Passes.h"

#include "lapa/Dialect/LapaIsa/IR/StreamConversion.h"
#include "lapa/Hardware/HardwareConfig.h"

namespace mlir::lapa_isa {
#define GEN_PASS_DEF_LAPAISAEXPANDREPEATS
#define GEN_PASS_DEF_LAPAISAFOLDREPEATS
#include "lapa/Dialect/LapaIsa/Transforms/Passes.h.inc"
} // namespace mlir::lapa_isa

using namespace mlir;
using namespace mlir::lapa_isa;

namespace {

/// Rebuilds the body of `program` from its own stream, folded into repeats
/// with `options` or flat when `options` is null.
LogicalResult rebuild(ProgramOp program,
                      const ::lapa::isa::RepeatOptions *options) {
  FailureOr<::lapa::isa::StreamFile> stream = exportProgram(program);
  if (failed(stream))
    return failure();
  llvm::Expected<::lapa::hardware::HardwareConfig> config =
      ::lapa::hardware::parseHardwareConfig(program.getConfig(),
                                            program.getConfigName());
  if (!config)
    return program.emitOpError()
           << "carries an invalid hardware configuration: "
           << llvm::toString(config.takeError());

  // Build the new program detached, then move its body into this one: a
  // pass on a program may change its body but not replace the op.
  OpBuilder builder(program.getContext());
  FailureOr<ProgramOp> rebuilt =
      buildProgram(builder, program.getLoc(), program.getSymName(), *stream,
                   *config, options != nullptr,
                   options ? *options : ::lapa::isa::RepeatOptions());
  if (failed(rebuilt))
    return failure();
  Block &body = program.getBody().front();
  body.clear();
  body.getOperations().splice(body.end(),
                              rebuilt->getBody().front().getOperations());
  (*rebuilt)->erase();
  return success();
}

struct ExpandRepeats
    : public lapa_isa::impl::LapaIsaExpandRepeatsBase<ExpandRepeats> {
  void runOnOperation() override {
    ProgramOp program = getOperation();
    // Nothing to do without repeats; keep the ops (and their locations).
    if (program.getBody().front().getOps<RepeatOp>().empty())
      return;
    if (failed(rebuild(program, nullptr)))
      signalPassFailure();
  }
};

struct FoldRepeats
    : public lapa_isa::impl::LapaIsaFoldRepeatsBase<FoldRepeats> {
  using Base::Base;
  void runOnOperation() override {
    if (maxBody < 1 || maxDepth < 1) {
      getOperation().emitError()
          << "lapa-isa-fold-repeats needs max-body and max-depth of at "
             "least 1, got max-body="
          << static_cast<uint64_t>(maxBody)
          << " max-depth=" << static_cast<uint64_t>(maxDepth);
      return signalPassFailure();
    }
    ::lapa::isa::RepeatOptions options;
    options.maxBody = maxBody;
    options.maxDepth = maxDepth;
    if (failed(rebuild(getOperation(), &options)))
      signalPassFailure();
  }
};

} // namespace
