//===- ImportTranslation.cpp - The --import-llama translation -------------===//
//
// Registers the Llama importer with MLIR's translation registry, so that
// lapa-translate (and any tool built on MlirTranslateMain) offers
// `--import-llama`. The translation's input file is the model's
// config.json; the weights are read from model.safetensors in the same
// folder. The options below become command-line options of the tool.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Import/LlamaImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::lapa;

void mlir::lapa::registerImportLlamaTranslation() {
  static llvm::cl::OptionCategory category("Options of --import-llama");
  static llvm::cl::opt<LlamaWeightMode> weights(
      "weights",
      llvm::cl::desc("Storage of the model's weights in the imported module"),
      llvm::cl::values(
          clEnumValN(LlamaWeightMode::Embedded, "embedded",
                     "dense_resource constants inside @forward (default)"),
          clEnumValN(LlamaWeightMode::Arguments, "arguments",
                     "arguments of @forward tagged with "
                     "{lapa.weight = \"<tensor name>\"}")),
      llvm::cl::init(LlamaWeightMode::Embedded), llvm::cl::cat(category));
  static llvm::cl::opt<int64_t> seqLen(
      "seq-len",
      llvm::cl::desc("Sequence length T of the imported graph, in tokens: "
                     "from 1 to the config's max_seq_len and at most 65536 "
                     "(default 128)"),
      llvm::cl::value_desc("tokens"), llvm::cl::init(128),
      llvm::cl::cat(category));
  static llvm::cl::opt<bool> checkDType(
      "check-dtype",
      llvm::cl::desc("Require config.json's \"dtype\" to be \"float32\"; "
                     "with =false only the tensors' own F32 dtype is "
                     "checked (default true)"),
      llvm::cl::init(true), llvm::cl::cat(category));
  static llvm::cl::list<int64_t> mainTokens(
      "main-tokens",
      llvm::cl::desc("Also emit @main, which runs @forward on these "
                     "comma-separated token ids (exactly seq-len of them) and "
                     "prints the logits; needs --weights=embedded"),
      llvm::cl::value_desc("id,id,..."), llvm::cl::CommaSeparated,
      llvm::cl::cat(category));

  TranslateToMLIRRegistration registration(
      "import-llama",
      "import a Llama model (the input is its config.json; model.safetensors "
      "is read from the same folder) as linalg on tensors",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef configPath = buffer->getBufferIdentifier();
        if (configPath == "<stdin>") {
          emitError(FileLineColLoc::get(context, configPath, 0, 0))
              << "--import-llama reads model.safetensors next to "
                 "config.json, so it needs a file path; pass the model "
                 "folder or its config.json instead of standard input";
          return nullptr;
        }

        LlamaImportOptions options;
        options.weights = weights;
        options.seqLen = seqLen;
        options.checkDType = checkDType;
        if (mainTokens.getNumOccurrences())
          options.mainTokens.emplace(mainTokens.begin(), mainTokens.end());

        FailureOr<OwningOpRef<ModuleOp>> module = importLlamaFromConfig(
            *context, configPath, buffer->getBuffer(), options);
        if (failed(module))
          return nullptr;
        return OwningOpRef<Operation *>(module->release().getOperation());
      },
      [](DialectRegistry &registry) {
        registry.insert<arith::ArithDialect, func::FuncDialect,
                        linalg::LinalgDialect, math::MathDialect,
                        tensor::TensorDialect>();
      });
}
