//===- StreamTranslation.cpp - Stream translations for lapa-translate ---===//

#include "lapa/Target/Translate/StreamTranslation.h"

#include "lapa/Dialect/Lapa/IR/LapaDialect.h"
#include "lapa/Dialect/LapaIsa/IR/StreamConversion.h"
#include "lapa/Target/Stream/Stream.h"
#include "lapa/Target/Stream/StreamVerify.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lapa;
namespace isa = ::lapa::isa;

namespace {

/// Finds the one lapa_isa.program of `op` and packs it.
FailureOr<isa::StreamFile> exportOnlyProgram(Operation *op) {
  SmallVector<lapa_isa::ProgramOp> programs;
  op->walk([&](lapa_isa::ProgramOp program) { programs.push_back(program); });
  if (programs.size() != 1)
    return mlir::emitError(op->getLoc())
           << "expected one lapa_isa.program to emit, found "
                           << programs.size()
                           << "; run lapa-opt --lapa-compile first";
  FailureOr<isa::StreamFile> stream = lapa_isa::exportProgram(programs.front());
  if (failed(stream))
    return failure();
  // The program verifier, which ran when the input was read, checked every
  // instruction's encoding already.
  if (llvm::Error error = isa::checkStream(*stream, /*checkEncodings=*/false))
    return programs.front().emitError()
           << "the program does not form a valid stream: "
           << llvm::toString(std::move(error));
  return stream;
}

void registerDialects(DialectRegistry &registry) {
  // The graph dialects too, so that a graph given before lapa-compile parses
  // and gets the message that says to compile it first.
  registry.insert<lapa_isa::LapaIsaDialect, mlir::lapa::LapaDialect,
                  arith::ArithDialect,
                  func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
                  tensor::TensorDialect, tosa::TosaDialect>();
}

} // namespace

void mlir::lapa::registerStreamTranslations() {
  static llvm::cl::OptionCategory category("Options of --import-stream");
  static llvm::cl::opt<std::string> streamHw(
      "stream-hw",
      llvm::cl::desc("Hardware configuration the imported stream was "
                     "compiled for (YAML); required by --import-stream"),
      llvm::cl::value_desc("path"), llvm::cl::cat(category));

  TranslateFromMLIRRegistration emitBinary(
      "emit-stream", "emit a lapa_isa.program as a binary instruction stream",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        FailureOr<isa::StreamFile> stream = exportOnlyProgram(op);
        if (failed(stream))
          return failure();
        std::vector<uint8_t> bytes = isa::writeBinary(*stream);
        os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
        return success();
      },
      registerDialects);

  TranslateFromMLIRRegistration emitAssembly(
      "emit-stream-asm",
      "emit a lapa_isa.program as instruction-stream assembly text",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        FailureOr<isa::StreamFile> stream = exportOnlyProgram(op);
        if (failed(stream))
          return failure();
        isa::writeAssembly(*stream, os);
        return success();
      },
      registerDialects);

  TranslateToMLIRRegistration importStream(
      "import-stream",
      "import a binary or assembly instruction stream as a lapa_isa.program "
      "(give the configuration with --stream-hw)",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        Location loc =
            FileLineColLoc::get(context, buffer->getBufferIdentifier(), 0, 0);
        if (streamHw.empty()) {
          emitError(loc) << "--import-stream needs the hardware configuration "
                            "the stream was compiled for: add --stream-hw=PATH";
          return nullptr;
        }
        llvm::Expected<::lapa::hardware::HardwareConfig> config =
            ::lapa::hardware::loadHardwareConfig(streamHw);
        if (!config) {
          emitError(loc) << "cannot use hardware configuration '" << streamHw
                         << "': " << llvm::toString(config.takeError());
          return nullptr;
        }
        StringRef text = buffer->getBuffer();
        bool binary = text.size() >= sizeof(isa::kStreamMagic) &&
                      std::memcmp(text.data(), isa::kStreamMagic,
                                  sizeof(isa::kStreamMagic)) == 0;
        llvm::Expected<isa::StreamFile> stream =
            binary ? isa::readBinary(llvm::ArrayRef<uint8_t>(
                         reinterpret_cast<const uint8_t *>(text.data()),
                         text.size()))
                   : isa::readAssembly(text);
        if (!stream) {
          emitError(loc) << "invalid instruction stream: "
                         << llvm::toString(stream.takeError());
          return nullptr;
        }
        if (llvm::Error error = isa::verifyAgainstConfig(*stream, *config)) {
          emitError(loc) << llvm::toString(std::move(error));
          return nullptr;
        }
        context->loadDialect<lapa_isa::LapaIsaDialect>();
        OpBuilder builder(context);
        OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
        builder.setInsertionPointToEnd(module->getBody());
        if (failed(lapa_isa::buildProgram(builder, loc, "stream", *stream,
                                          *config)))
          return nullptr;
        return OwningOpRef<Operation *>(module.release().getOperation());
      },
      registerDialects);
}
