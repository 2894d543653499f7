//===- Flow.cpp - Import, compile, emit and simulate in one process -------===//

#include "Flow.h"

#include "lapa/Conversion/Passes.h"
#include "lapa/Dialect/Lapa/IR/LapaDialect.h"
#include "lapa/Dialect/Lapa/Transforms/Passes.h"
#include "lapa/Dialect/LapaIsa/IR/LapaIsa.h"
#include "lapa/Dialect/LapaIsa/IR/StreamConversion.h"
#include "lapa/Pipelines/Pipelines.h"
#include "lapa/Target/Import/LlamaImporter.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <chrono>
#include <cmath>

using namespace lapa;
using namespace lapa::run;

char StageError::ID = 0;

llvm::StringRef lapa::run::stageName(Stage stage) {
  switch (stage) {
  case Stage::Import:
    return "import";
  case Stage::Raise:
    return "raise";
  case Stage::Compile:
    return "compile";
  case Stage::Emit:
    return "emit";
  case Stage::Simulate:
    return "simulate";
  }
  return "unknown";
}

void StageError::log(llvm::raw_ostream &os) const {
  os << "stage '" << stageName(stage) << "' failed";
  if (!design.empty())
    os << " for design '" << design << "'";
  os << ": " << reason;
}

bool lapa::run::hasRuntimeWeights(const isa::StreamFile &stream) {
  for (const isa::TensorInfo &tensor : stream.tensors)
    if (tensor.role == isa::TensorRole::Weight &&
        tensor.constantOffset == UINT64_MAX)
      return true;
  return false;
}

namespace {

/// Collects the error diagnostics of a scope as one string.
class DiagnosticCollector {
public:
  /// With `withLocations`, each line starts with its file position, as the
  /// parser's errors need.
  explicit DiagnosticCollector(mlir::MLIRContext &context,
                               bool withLocations = false)
      : handler(&context, [this, withLocations](mlir::Diagnostic &diagnostic) {
          if (diagnostic.getSeverity() == mlir::DiagnosticSeverity::Error ||
              diagnostic.getSeverity() == mlir::DiagnosticSeverity::Note) {
            std::string line;
            llvm::raw_string_ostream os(line);
            if (diagnostic.getSeverity() == mlir::DiagnosticSeverity::Note)
              os << "note: ";
            auto file =
                mlir::dyn_cast<mlir::FileLineColLoc>(diagnostic.getLocation());
            if (withLocations && file)
              os << file.getFilename().getValue() << ":" << file.getLine()
                 << ":" << file.getColumn() << ": ";
            os << diagnostic;
            for (const mlir::Diagnostic &note : diagnostic.getNotes())
              os << "; note: " << note;
            lines.push_back(line);
          }
          return mlir::success();
        }) {}

  std::string message(llvm::StringRef fallback) const {
    if (lines.empty())
      return fallback.str();
    std::string joined;
    for (const std::string &line : lines) {
      if (!joined.empty())
        joined += "\n  ";
      joined += line;
    }
    return joined;
  }

private:
  std::vector<std::string> lines;
  mlir::ScopedDiagnosticHandler handler;
};

/// Quotes `text` for a POSIX shell when it needs it.
std::string shellQuote(llvm::StringRef text) {
  if (!text.empty() &&
      text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                             "VWXYZ0123456789-_./=:,+") ==
          llvm::StringRef::npos)
    return text.str();
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  return quoted + "'";
}

/// Quotes a pass-pipeline option for a POSIX shell with double quotes, so
/// that single quotes inside it stay readable.
std::string shellQuoteOption(llvm::StringRef text) {
  if (text.find_first_of("\"$`\\!") != llvm::StringRef::npos)
    return shellQuote(text);
  return "\"" + text.str() + "\"";
}

llvm::Error writeText(llvm::StringRef path,
                      llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::error_code code;
  llvm::ToolOutputFile file(path, code, llvm::sys::fs::OF_None);
  if (code)
    return llvm::createStringError(code, "cannot write '%s': %s",
                                   path.str().c_str(), code.message().c_str());
  write(file.os());
  file.os().flush();
  if (file.os().has_error())
    return llvm::createStringError(file.os().error(), "cannot write '%s'",
                                   path.str().c_str());
  file.keep();
  return llvm::Error::success();
}

llvm::Error writeStream(llvm::StringRef path, const isa::StreamFile &stream) {
  std::vector<uint8_t> bytes = isa::writeBinary(stream);
  return writeText(path, [&](llvm::raw_ostream &os) {
    os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  });
}

void registerDialects(mlir::DialectRegistry &registry) {
  // The dialects lapa-opt registers, so that any graph it reads parses here.
  registry.insert<mlir::lapa::LapaDialect, mlir::lapa_isa::LapaIsaDialect,
                  mlir::affine::AffineDialect, mlir::arith::ArithDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect,
                  mlir::tosa::TosaDialect>();
}

} // namespace

Flow::Flow(FlowOptions options) : options(std::move(options)) {
  mlir::DialectRegistry registry;
  registerDialects(registry);
  context.appendDialectRegistry(registry);
  // A failing pass would otherwise attach the whole function to its error.
  context.printOpOnDiagnostic(false);
  context.printStackTraceOnDiagnostic(false);
}

Flow::~Flow() = default;

std::string Flow::tool(llvm::StringRef name) const {
  if (options.toolDir.empty())
    return name.str();
  llvm::SmallString<256> path(options.toolDir);
  llvm::sys::path::append(path, name);
  return llvm::sys::fs::exists(path) ? std::string(path) : name.str();
}

std::string Flow::temporaryPath(llvm::StringRef fileName) {
  if (temporaryDir.empty()) {
    llvm::SmallString<256> dir;
    if (llvm::sys::fs::createUniqueDirectory("lapa-run", dir))
      return "";
    temporaryDir = std::string(dir);
  }
  llvm::SmallString<256> path(temporaryDir);
  llvm::sys::path::append(path, fileName);
  return std::string(path);
}

std::string Flow::importedModuleFile() {
  if (!importedFile.empty())
    return importedFile;
  std::string path = temporaryPath("model.mlir");
  if (path.empty())
    return "";
  if (llvm::Error error = writeText(
          path, [&](llvm::raw_ostream &os) { module->print(os); })) {
    llvm::consumeError(std::move(error));
    return "";
  }
  importedFile = path;
  return importedFile;
}

std::string Flow::modelName() const {
  llvm::StringRef path = llvm::StringRef(options.modelPath).rtrim('/');
  if (imported)
    return llvm::sys::path::filename(path).str();
  return llvm::sys::path::stem(path).str();
}

llvm::Error Flow::loadModel() {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto logDone = [&](llvm::StringRef what) {
    if (options.log)
      *options.log << llvm::formatv(
          "lapa-run: {0} ({1:f2} s)\n", what,
          std::chrono::duration<double>(Clock::now() - start).count());
    start = Clock::now();
  };
  const std::string &path = options.modelPath;
  auto importError = [&](const llvm::Twine &reason, std::string command) {
    return llvm::make_error<StageError>(Stage::Import, "", reason.str(), "",
                                        std::move(command));
  };

  if (!llvm::sys::fs::exists(path))
    return importError(llvm::formatv("model '{0}' not found; give a folder "
                                     "with config.json and model.safetensors, "
                                     "or an MLIR file, with --model",
                                     path),
                       "");

  DiagnosticCollector diagnostics(context);
  if (llvm::sys::fs::is_directory(path)) {
    imported = true;
    llvm::SmallString<256> configPath(path);
    llvm::sys::path::append(configPath, "config.json");
    std::string command =
        llvm::formatv("{0} --import-llama {1} --weights=embedded --seq-len={2} "
                      "-o model.mlir",
                      tool("lapa-translate"), shellQuote(path), options.seqLen)
            .str();
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> configText =
        llvm::MemoryBuffer::getFile(configPath, /*IsText=*/true);
    if (!configText)
      return importError(llvm::formatv("cannot read '{0}': {1}; a model "
                                       "folder needs config.json and "
                                       "model.safetensors",
                                       configPath,
                                       configText.getError().message()),
                         command);
    mlir::lapa::LlamaImportOptions importOptions;
    importOptions.weights = mlir::lapa::LlamaWeightMode::Embedded;
    importOptions.seqLen = options.seqLen;
    mlir::FailureOr<mlir::lapa::LlamaConfig> config =
        mlir::lapa::parseLlamaConfig(context, configPath,
                                     (*configText)->getBuffer(), importOptions);
    if (mlir::failed(config))
      return importError(diagnostics.message("invalid config.json"), command);
    vocabulary = config->vocabSize;
    mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> result =
        mlir::lapa::importLlamaFromConfig(
            context, configPath, (*configText)->getBuffer(), importOptions);
    if (mlir::failed(result))
      return importError(diagnostics.message("the import failed"), command);
    module = std::move(*result);
  } else {
    std::string command = tool("lapa-opt") + " " + shellQuote(path);
    llvm::SourceMgr sourceMgr;
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
        llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!file)
      return importError(llvm::formatv("cannot read '{0}': {1}", path,
                                       file.getError().message()),
                         command);
    sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
    DiagnosticCollector parseDiagnostics(context, /*withLocations=*/true);
    module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
    if (!module)
      return importError(parseDiagnostics.message("the file does not parse "
                                                  "as an MLIR module"),
                         command);
  }
  logDone("import: " + modelName());

  // A graph exported with dynamic shapes gets the sizes the user gave.
  if (!imported && options.dynamicSizes.empty()) {
    std::string dynamicArgument;
    module->walk([&](mlir::func::FuncOp func) {
      if (func.isExternal())
        return;
      for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
        if (auto shaped = mlir::dyn_cast<mlir::RankedTensorType>(type))
          if (!shaped.hasStaticShape() && dynamicArgument.empty()) {
            llvm::raw_string_ostream os(dynamicArgument);
            os << "argument " << i << " of '" << func.getSymName() << "' ("
               << type << ")";
          }
    });
    if (!dynamicArgument.empty())
      return importError(
          dynamicArgument + " has a dynamic dimension, and the accelerator "
                            "needs static shapes; give each dynamic dimension "
                            "a size with --dynamic-sizes, e.g. --dynamic-sizes "
                            "128",
          "");
  }
  if (!imported && !options.dynamicSizes.empty()) {
    module->walk([&](mlir::func::FuncOp func) {
      if (!func.isExternal())
        for (mlir::Type type : func.getArgumentTypes())
          if (auto ranked = mlir::dyn_cast<mlir::RankedTensorType>(type))
            bounded += ranked.getNumDynamicDims();
    });
    mlir::lapa::LapaBoundDynamicDimsOptions boundOptions;
    boundOptions.sizes.assign(options.dynamicSizes.begin(),
                              options.dynamicSizes.end());
    std::string sizes;
    for (int64_t size : options.dynamicSizes)
      sizes += (sizes.empty() ? "" : ",") + std::to_string(size);
    mlir::PassManager pm(&context);
    pm.addPass(mlir::lapa::createLapaBoundDynamicDims(boundOptions));
    if (mlir::failed(pm.run(*module)))
      return importError(
          diagnostics.message("bounding the dynamic dimensions failed"),
          llvm::formatv("{0} {1} --lapa-bound-dynamic-dims=sizes={2}",
                        tool("lapa-opt"), shellQuote(path), sizes)
              .str());
    logDone("dynamic dimensions: sizes " + sizes);
  }

  // Arguments the stream cannot take at run time become splat constants.
  if (!options.bindInputs.empty()) {
    std::string entries;
    for (const std::string &entry : options.bindInputs)
      entries += (entries.empty() ? "" : ",") + entry;
    if (imported)
      return importError("--bind-inputs fixes arguments of an MLIR graph, and "
                         "an imported model takes token ids only; drop "
                         "--bind-inputs",
                         "");
    mlir::lapa::LapaBindInputsOptions bindOptions;
    bindOptions.values.assign(options.bindInputs.begin(),
                              options.bindInputs.end());
    mlir::PassManager pm(&context);
    pm.addPass(mlir::lapa::createLapaBindInputs(bindOptions));
    if (mlir::failed(pm.run(*module)))
      return importError(
          diagnostics.message("binding the inputs failed"),
          llvm::formatv("{0} {1} --lapa-bind-inputs=values={2}",
                        tool("lapa-opt"), shellQuote(path), shellQuote(entries))
              .str());
    logDone("inputs: bound " + entries);
  }

  // Weight arguments bound from a file become constants.
  if (!options.weightsPath.empty()) {
    if (imported)
      return importError(
          "--weights binds the weight arguments of an MLIR graph, and a model "
          "folder is imported with its own weights; drop --weights or give "
          "an MLIR file with --model",
          "");
    mlir::lapa::LapaBindWeightsOptions bindOptions;
    bindOptions.file = options.weightsPath;
    mlir::PassManager pm(&context);
    pm.addPass(mlir::lapa::createLapaBindWeights(bindOptions));
    if (mlir::failed(pm.run(*module)))
      return importError(
          diagnostics.message("binding the weights failed"),
          llvm::formatv("{0} {1} --lapa-bind-weights=file={2}",
                        tool("lapa-opt"), shellQuote(path),
                        shellQuote(options.weightsPath))
              .str());
    logDone("weights: bound from " + options.weightsPath);
  }

  // A stripped export has splat weights, which make every projection row
  // the same; give it seeded random weights before any design compiles.
  if (!imported && options.randomWeights != "off") {
    mlir::lapa::LapaRandomizeWeightsOptions randomOptions;
    randomOptions.seed = options.weightSeed;
    randomOptions.replace =
        options.randomWeights == "all" ? "all" : "if-stripped";
    mlir::PassManager pm(&context);
    pm.addPass(mlir::lapa::createLapaRandomizeWeights(randomOptions));
    if (mlir::failed(pm.run(*module)))
      return importError(diagnostics.message("randomizing the weights failed"),
                         llvm::formatv("{0} {1} --lapa-randomize-weights="
                                       "\"seed={2} replace={3}\"",
                                       tool("lapa-opt"), shellQuote(path),
                                       options.weightSeed,
                                       randomOptions.replace)
                             .str());
    if (auto record = (*module)->getAttrOfType<mlir::DictionaryAttr>(
            "lapa.random_weights"))
      for (llvm::StringRef key : {"weights", "biases", "tables", "elementwise"})
        if (auto count = record.getAs<mlir::IntegerAttr>(key))
          randomized += count.getInt();
    if (randomized)
      logDone(llvm::formatv("random weights: {0} constants from seed {1}",
                            randomized, options.weightSeed)
                  .str());
  }

  // Raise once on a copy: it reports a graph the compiler cannot read before
  // any design runs, and gives the raised IR for --save-ir. Each design's
  // lapa-compile raises its own copy again.
  mlir::OwningOpRef<mlir::ModuleOp> raised(module->clone());
  mlir::PassManager pm(&context);
  pm.addPass(mlir::lapa::createLapaRaiseAttention());
  pm.addPass(mlir::lapa::createLapaAnnotateLayers());
  if (mlir::failed(pm.run(*raised))) {
    std::string input = importedModuleFile();
    return llvm::make_error<StageError>(
        Stage::Raise, "", diagnostics.message("raising failed"), input,
        llvm::formatv("{0} {1} --lapa-raise-attention --lapa-annotate-layers",
                      tool("lapa-opt"),
                      shellQuote(input.empty() ? "model.mlir" : input))
            .str());
  }
  bool foundAttention = false;
  raised->walk([&](mlir::Operation *op) {
    if (op->getName().getStringRef() == "lapa.attention")
      foundAttention = true;
  });
  if (!foundAttention) {
    std::string input = importedModuleFile();
    return llvm::make_error<StageError>(
        Stage::Raise, "",
        "no attention was found in the graph, so there is nothing to "
        "predict; docs/raising.md lists the patterns the raising recognizes",
        input,
        llvm::formatv("{0} {1} --lapa-raise-attention --lapa-annotate-layers",
                      tool("lapa-opt"),
                      shellQuote(input.empty() ? "model.mlir" : input))
            .str());
  }
  logDone("raise: attention found");

  if (!options.saveIrDir.empty()) {
    for (const auto &entry :
         {std::pair<const char *, mlir::ModuleOp>{"model.mlir", *module},
          {"raised.mlir", *raised}}) {
      llvm::SmallString<256> file(options.saveIrDir);
      llvm::sys::path::append(file, entry.first);
      mlir::ModuleOp op = entry.second;
      if (llvm::Error error =
              writeText(file, [&](llvm::raw_ostream &os) { op.print(os); }))
        return error;
    }
  }
  return llvm::Error::success();
}

std::string Flow::tileText() const {
  if (!options.rowTile && !options.colTile && !options.innerTile)
    return "";
  return llvm::formatv(" row-tile={0} col-tile={1} inner-tile={2}",
                       options.rowTile, options.colTile, options.innerTile)
      .str();
}

llvm::Expected<isa::StreamFile> Flow::compile(const Design &design) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  DiagnosticCollector diagnostics(context);
  mlir::OwningOpRef<mlir::ModuleOp> copy(module->clone());

  mlir::lapa::CompilePipelineOptions compileOptions;
  compileOptions.hw = design.hwPath;
  compileOptions.predictor = design.predictorText;
  compileOptions.rowTile = options.rowTile;
  compileOptions.colTile = options.colTile;
  compileOptions.innerTile = options.innerTile;
  mlir::PassManager pm(&context);
  mlir::lapa::buildCompilePipeline(pm, compileOptions);
  if (mlir::failed(pm.run(*copy))) {
    std::string input = importedModuleFile();
    return llvm::make_error<StageError>(
        Stage::Compile, design.name, diagnostics.message("compilation failed"),
        input,
        llvm::formatv("{0} {1} --lapa-compile={2} -o isa.mlir",
                      tool("lapa-opt"),
                      shellQuote(input.empty() ? "model.mlir" : input),
                      shellQuoteOption(
                          llvm::formatv("hw={0} predictor='{1}'{2}",
                                        design.hwPath, design.predictorText,
                                        tileText())
                              .str()))
            .str());
  }
  if (options.log)
    *options.log << llvm::formatv(
        "lapa-run: compile: design '{0}' ({1:f2} s)\n", design.name,
        std::chrono::duration<double>(Clock::now() - start).count());
  start = Clock::now();

  auto emitError = [&](const llvm::Twine &reason) -> llvm::Error {
    std::string input = temporaryPath(design.name + ".isa.mlir");
    if (!input.empty())
      if (llvm::Error error = writeText(
              input, [&](llvm::raw_ostream &os) { copy->print(os); })) {
        llvm::consumeError(std::move(error));
        input.clear();
      }
    return llvm::make_error<StageError>(
        Stage::Emit, design.name, reason.str(), input,
        llvm::formatv("{0} --emit-stream {1} -o {2}.lapa",
                      tool("lapa-translate"),
                      shellQuote(input.empty() ? "isa.mlir" : input),
                      design.name)
            .str());
  };
  llvm::SmallVector<mlir::lapa_isa::ProgramOp> programs;
  copy->walk(
      [&](mlir::lapa_isa::ProgramOp program) { programs.push_back(program); });
  if (programs.size() != 1)
    return emitError(llvm::formatv("expected one lapa_isa.program after "
                                   "lapa-compile, found {0}",
                                   programs.size()));
  mlir::FailureOr<isa::StreamFile> stream =
      mlir::lapa_isa::exportProgram(programs.front());
  if (mlir::failed(stream))
    return emitError(diagnostics.message("exporting the program failed"));
  if (llvm::Error error = isa::checkStream(*stream))
    return emitError("the program does not form a valid stream: " +
                     llvm::toString(std::move(error)));
  // The compiler reads the configuration file again; a file edited since
  // lapa-run loaded it would give a stream for another configuration.
  if (stream->configFingerprint != design.config.fingerprint())
    return emitError(llvm::formatv(
        "the stream was compiled for a configuration with fingerprint "
        "{0:x16}, but '{1}' had fingerprint {2:x16} when lapa-run loaded "
        "it; the file changed during the run, so run lapa-run again",
        stream->configFingerprint, design.hwPath,
        design.config.fingerprint()));

  if (!options.saveIrDir.empty()) {
    llvm::SmallString<256> isaFile(options.saveIrDir);
    llvm::sys::path::append(isaFile, design.name + ".isa.mlir");
    if (llvm::Error error = writeText(
            isaFile, [&](llvm::raw_ostream &os) { copy->print(os); }))
      return error;
    llvm::SmallString<256> streamFile(options.saveIrDir);
    llvm::sys::path::append(streamFile, design.name + ".lapa");
    if (llvm::Error error = writeStream(streamFile, *stream))
      return error;
  }
  if (options.log)
    *options.log << llvm::formatv(
        "lapa-run: emit: design '{0}': {1} instructions ({2:f2} s)\n",
        design.name, stream->instructions.size(),
        std::chrono::duration<double>(Clock::now() - start).count());
  return std::move(*stream);
}

llvm::Expected<SimRun> Flow::simulate(const Design &design,
                                      const isa::StreamFile &stream,
                                      const SimRequest &request) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();

  // Writes the stream and the tokens for `lapa-sim run` to reproduce a
  // failure.
  auto simulateError = [&](const llvm::Twine &reason) -> llvm::Error {
    std::string streamPath = temporaryPath(design.name + ".lapa");
    std::string command;
    if (!streamPath.empty())
      if (llvm::Error error = writeStream(streamPath, stream)) {
        llvm::consumeError(std::move(error));
        streamPath.clear();
      }
    command = llvm::formatv("{0} run {1} --config={2}", tool("lapa-sim"),
                            shellQuote(streamPath.empty() ? design.name + ".lapa"
                                                          : streamPath),
                            shellQuote(design.hwPath))
                  .str();
    if (request.timingOnly) {
      command += llvm::formatv(" --timing-only --needed-fraction={0}",
                               llvm::format("%.17g", request.neededFraction))
                     .str();
    } else {
      std::string tokensPath = temporaryPath("tokens.safetensors");
      const isa::TensorInfo *input = nullptr;
      for (const isa::TensorInfo &tensor : stream.tensors)
        if (tensor.role == isa::TensorRole::Input)
          input = &tensor;
      if (!tokensPath.empty() && input) {
        support::TensorData data;
        data.name = input->name;
        data.dtype = support::DType::I32;
        data.shape = {request.tokens.size()};
        data.bytes.resize(request.tokens.size() * 4);
        std::memcpy(data.bytes.data(), request.tokens.data(),
                    data.bytes.size());
        if (llvm::Error error =
                support::writeSafetensorsFile(tokensPath, {data})) {
          llvm::consumeError(std::move(error));
          tokensPath.clear();
        }
      }
      command += " --input=" + shellQuote(tokensPath.empty()
                                              ? "tokens.safetensors"
                                              : tokensPath);
    }
    return llvm::make_error<StageError>(Stage::Simulate, design.name,
                                        reason.str(), streamPath, command);
  };

  // Bind the token ids to the stream's input.
  support::TensorData tokens;
  sim::TensorBindings bindings;
  if (!request.timingOnly) {
    const isa::TensorInfo *input = nullptr;
    unsigned inputs = 0;
    for (const isa::TensorInfo &tensor : stream.tensors)
      if (tensor.role == isa::TensorRole::Input) {
        input = &tensor;
        ++inputs;
      }
    if (inputs != 1)
      return simulateError(llvm::formatv(
          "the stream has {0} input tensors, but lapa-run binds exactly one "
          "(the token ids); run it with --timing-only or with lapa-sim run "
          "and one --input per tensor",
          inputs));
    if (input->type == isa::ElementType::F32 && !request.hiddenStates.empty()) {
      if (request.hiddenStates.size() != input->elementCount())
        return simulateError(llvm::formatv(
            "the stream's input '{0}' has {1} elements, but --input gave {2}; "
            "give a tensor with the input's shape",
            input->name, input->elementCount(), request.hiddenStates.size()));
      tokens.name = input->name;
      tokens.dtype = support::DType::F32;
      tokens.shape = input->shape;
      tokens.bytes.resize(input->elementCount() * 4);
      std::memcpy(tokens.bytes.data(), request.hiddenStates.data(),
                  tokens.bytes.size());
      bindings[tokens.name] = &tokens;
    } else if (input->type == isa::ElementType::F32 && request.hiddenSeed &&
        request.tokens.empty()) {
      // Hidden states from a linear congruential generator (the constants
      // of the C standard's example rand), uniform in [-sqrt(3), sqrt(3)):
      // variance 1, as a normalized layer input has.
      tokens.name = input->name;
      tokens.dtype = support::DType::F32;
      tokens.shape = input->shape;
      tokens.bytes.resize(input->elementCount() * 4);
      uint64_t state = *request.hiddenSeed;
      for (uint64_t i = 0; i < input->elementCount(); ++i) {
        state = (1103515245 * state + 12345) % (uint64_t(1) << 31);
        float value = float((double(state) / double(uint64_t(1) << 31) - 0.5) *
                            2.0 * std::sqrt(3.0));
        std::memcpy(tokens.bytes.data() + i * 4, &value, 4);
      }
      bindings[tokens.name] = &tokens;
    } else if (input->type != isa::ElementType::I32) {
      return simulateError(llvm::formatv(
          "the stream's input '{0}' has element type {1}, but token ids are "
          "i32",
          input->name, isa::elementTypeName(input->type)));
    } else if (input->elementCount() != request.tokens.size()) {
      return simulateError(llvm::formatv(
          "the stream's input '{0}' has {1} token ids, but {2} were given; "
          "give as many tokens as the model's sequence length",
          input->name, input->elementCount(), request.tokens.size()));
    } else {
      tokens.name = input->name;
      tokens.dtype = support::DType::I32;
      tokens.shape = input->shape;
      tokens.bytes.resize(request.tokens.size() * 4);
      std::memcpy(tokens.bytes.data(), request.tokens.data(),
                  tokens.bytes.size());
      bindings[tokens.name] = &tokens;
    }
  }

  sim::SimOptions simOptions;
  simOptions.timingOnly = request.timingOnly;
  simOptions.neededFraction = request.neededFraction;
  simOptions.denseOps = request.denseOps;
  simOptions.keepTimeline = request.keepTimeline;
  simOptions.progress = request.progress;
  sim::BandwidthDramModel dram(design.config);
  SimRun run;
  llvm::Expected<sim::SimResult> result =
      sim::simulate(stream, design.config, bindings, simOptions, dram,
                    request.timingOnly ? nullptr : &run.outputs);
  if (!result)
    return simulateError(llvm::toString(result.takeError()));
  run.result = std::move(*result);
  if (options.log)
    *options.log << llvm::formatv(
        "lapa-run: simulate: design '{0}': {1} cycles ({2:f2} s)\n",
        design.name, run.result.totalCycles,
        std::chrono::duration<double>(Clock::now() - start).count());
  return std::move(run);
}
