//===- LlamaImporter.cpp - Import a Llama model as linalg -----------------===//
//
// The entry points of the importer. They read and validate config.json and
// model.safetensors, create @forward with the weights as resource constants
// or as tagged arguments, and let the graph builder write the forward pass.
// On request they also add a @main that runs @forward on given token ids
// and prints the logits.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Import/LlamaImporter.h"

#include "ImportDiagnostics.h"
#include "LlamaGraph.h"
#include "LlamaWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::lapa;
using namespace mlir::lapa::import;

namespace {

/// The attribute that names the model tensor a @forward argument binds to.
constexpr llvm::StringLiteral kWeightAttrName = "lapa.weight";

/// Checks the options that depend on the config.
LogicalResult checkOptions(MLIRContext &context, StringRef configPath,
                           const LlamaConfig &config,
                           const LlamaImportOptions &options) {
  if (!options.mainTokens)
    return success();
  if (options.weights != LlamaWeightMode::Embedded)
    return emitImportError(context, configPath,
                           "a @main with token ids needs the weights inside "
                           "the module; import with embedded weights");
  const std::vector<int64_t> &tokens = *options.mainTokens;
  if (static_cast<int64_t>(tokens.size()) != options.seqLen)
    return emitImportError(
        context, configPath,
        llvm::formatv("@main needs one token id per position: expected {0} "
                      "ids (the sequence length), got {1}",
                      options.seqLen, tokens.size()));
  for (auto [position, token] : llvm::enumerate(tokens))
    if (token < 0 || token >= config.vocabSize)
      return emitImportError(
          context, configPath,
          llvm::formatv("token id {0} at position {1} is outside the "
                        "vocabulary; expected 0 to vocab_size - 1 = {2}",
                        token, position, config.vocabSize - 1));
  return success();
}

/// Opens the model.safetensors at `path` with the shared reader, after
/// checking that its JSON header does not nest deeper than llvm::json's
/// recursive parser can take.
// TODO: move the nesting check into SafetensorsFile::parse, which every
// caller of the reader needs, and open the file with SafetensorsFile::open.
FailureOr<::lapa::support::SafetensorsFile> openWeights(MLIRContext &context,
                                                        StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitImportError(context, path,
                           "cannot open file: " + buffer.getError().message());
  llvm::Expected<::lapa::support::SafetensorsFile> file =
      ::lapa::support::SafetensorsFile::parse(std::move(*buffer), path);
  if (!file)
    return emitImportError(context, path, file.takeError());
  return std::move(*file);
}

/// Creates the weight values of @forward: `dense_resource` constants whose
/// blobs contain the tensor bytes, or the function's arguments after the
/// tokens.
FailureOr<SmallVector<Value>>
createWeightValues(OpBuilder &builder, func::FuncOp forward,
                   const ::lapa::support::SafetensorsFile &file,
                   ArrayRef<WeightSpec> specs,
                   const LlamaImportOptions &options) {
  SmallVector<Value> values;
  if (options.weights == LlamaWeightMode::Arguments) {
    for (size_t i = 0; i < specs.size(); ++i)
      values.push_back(forward.getArgument(i + 1));
    return values;
  }
  MLIRContext &context = *builder.getContext();
  for (const WeightSpec &spec : specs) {
    llvm::Expected<std::vector<float>> data = file.readF32(spec.name);
    if (!data)
      return emitImportError(context, file.displayName(), data.takeError());
    auto type = RankedTensorType::get(spec.shape, builder.getF32Type());
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocateAndCopyInferAlign<float>(*data);
    auto attr =
        DenseF32ResourceElementsAttr::get(type, spec.name, std::move(blob));
    Location loc = NameLoc::get(builder.getStringAttr(spec.name));
    values.push_back(
        arith::ConstantOp::create(builder, loc, cast<TypedAttr>(attr)));
  }
  return values;
}

/// Adds @main: run @forward on constant token ids and print the logits.
void buildMain(OpBuilder &builder, ModuleOp module, func::FuncOp forward,
               ArrayRef<int64_t> tokens, int64_t seqLen) {
  MLIRContext *context = builder.getContext();
  Location loc = NameLoc::get(builder.getStringAttr("main"));
  builder.setInsertionPointToEnd(module.getBody());

  auto unranked = UnrankedTensorType::get(builder.getF32Type());
  auto print = func::FuncOp::create(builder, loc, "printMemrefF32",
                                    FunctionType::get(context, {unranked}, {}));
  print.setPrivate();

  auto main = func::FuncOp::create(builder, loc, "main",
                                   FunctionType::get(context, {}, {}));
  builder.setInsertionPointToStart(main.addEntryBlock());
  auto tokensType = RankedTensorType::get({1, seqLen}, builder.getI64Type());
  Value ids = arith::ConstantOp::create(
      builder, loc, DenseElementsAttr::get(tokensType, tokens));
  Value logits =
      func::CallOp::create(builder, loc, forward, ValueRange{ids}).getResult(0);
  Value cast = tensor::CastOp::create(builder, loc, unranked, logits);
  func::CallOp::create(builder, loc, print, ValueRange{cast});
  func::ReturnOp::create(builder, loc);
}

} // namespace

FailureOr<OwningOpRef<ModuleOp>>
mlir::lapa::importLlamaFromConfig(MLIRContext &context, StringRef configPath,
                                  StringRef configText,
                                  const LlamaImportOptions &options) {
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      tensor::TensorDialect>();

  FailureOr<LlamaConfig> config =
      parseLlamaConfig(context, configPath, configText, options);
  if (failed(config) ||
      failed(checkOptions(context, configPath, *config, options)))
    return failure();

  SmallString<256> weightsPath = llvm::sys::path::parent_path(configPath);
  llvm::sys::path::append(weightsPath, "model.safetensors");
  FailureOr<::lapa::support::SafetensorsFile> file =
      openWeights(context, weightsPath);
  if (failed(file))
    return failure();
  FailureOr<std::vector<WeightSpec>> specs =
      checkWeights(context, *file, *config);
  if (failed(specs))
    return failure();

  // @forward(tokens, [weights...]) -> logits.
  OpBuilder builder(&context);
  Location loc = NameLoc::get(builder.getStringAttr("forward"));
  OwningOpRef<ModuleOp> module = ModuleOp::create(builder.getUnknownLoc());
  Type f32 = builder.getF32Type();
  auto tokensType =
      RankedTensorType::get({1, options.seqLen}, builder.getI64Type());
  auto logitsType =
      RankedTensorType::get({1, options.seqLen, config->vocabSize}, f32);
  SmallVector<Type> argumentTypes = {tokensType};
  if (options.weights == LlamaWeightMode::Arguments)
    for (const WeightSpec &spec : *specs)
      argumentTypes.push_back(RankedTensorType::get(spec.shape, f32));
  builder.setInsertionPointToEnd(module->getBody());
  auto forward = func::FuncOp::create(
      builder, loc, "forward",
      FunctionType::get(&context, argumentTypes, {logitsType}));
  if (options.weights == LlamaWeightMode::Arguments)
    for (auto [index, spec] : llvm::enumerate(*specs))
      forward.setArgAttr(index + 1, kWeightAttrName,
                         builder.getStringAttr(spec.name));

  builder.setInsertionPointToStart(forward.addEntryBlock());
  FailureOr<SmallVector<Value>> values =
      createWeightValues(builder, forward, *file, *specs, options);
  if (failed(values))
    return failure();
  ModelWeights weights = groupWeights(*config, *values);
  Value logits = buildLlamaForward(builder, *config, options.seqLen,
                                   forward.getArgument(0), weights);
  func::ReturnOp::create(builder, loc, logits);

  if (options.mainTokens)
    buildMain(builder, *module, forward, *options.mainTokens, options.seqLen);

  // The builder only creates ops it has checked the shapes of, so a
  // verifier failure here is a bug in the importer, not in the input.
  if (failed(verify(*module))) {
    mlir::emitError(loc) << "internal error: the imported module of "
                         << configPath << " does not verify";
    return failure();
  }
  return module;
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::lapa::importLlama(MLIRContext &context, StringRef modelDir,
                        const LlamaImportOptions &options) {
  const char *expected =
      "pass the folder that contains config.json and model.safetensors";
  if (!llvm::sys::fs::exists(modelDir))
    return emitImportError(context, modelDir,
                           llvm::Twine("model folder not found; ") + expected);
  if (!llvm::sys::fs::is_directory(modelDir))
    return emitImportError(context, modelDir,
                           llvm::Twine("is not a folder; ") + expected);

  SmallString<256> configPath = modelDir;
  llvm::sys::path::append(configPath, "config.json");
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(configPath, /*IsText=*/true);
  if (!buffer)
    return emitImportError(context, configPath,
                           "cannot read the model config: " +
                               buffer.getError().message());
  return importLlamaFromConfig(context, configPath, (*buffer)->getBuffer(),
                               options);
}
