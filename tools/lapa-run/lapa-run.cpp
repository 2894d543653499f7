//===- lapa-run.cpp - The end-to-end driver of lapa -----------------------===//
//
// Runs import, compilation, stream emission and simulation in one process
// for one model and several designs (hardware configuration plus
// predictor). It prints one comparison table: cycles, time, energy by
// stage, effective GOPS, GOPS/W, prediction overhead and sparsity achieved.
// The table also gives the accuracy against a reference and against the
// dense design, and the energy-efficiency ratio of LAPA to each peer. With
// no arguments it runs the bundled tinyllama-kjv model on reference window
// w0.
//
//===----------------------------------------------------------------------===//

#include "Comparison.h"
#include "Designs.h"
#include "Flow.h"

#include "lapa/Sim/Report.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <chrono>
#include <memory>

using namespace lapa;
using namespace lapa::run;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("lapa-run options");

cl::opt<std::string> modelPath(
    "model",
    cl::desc("Model: a folder with config.json and model.safetensors "
             "(imported with embedded weights), or an MLIR file (weights "
             "passed as arguments make the run timing-only). Default: the "
             "bundled examples/tinyllama-kjv with reference window w0"),
    cl::value_desc("path"), cl::cat(category));
cl::opt<int64_t> seqLen(
    "seq-len",
    cl::desc("Sequence length of an imported model (default: the number of "
             "tokens given, else 128)"),
    cl::init(0), cl::value_desc("n"), cl::cat(category));
cl::opt<std::string> tokensSpec(
    "tokens",
    cl::desc("Token ids: an i32 tensor of a safetensors file; the first "
             "--seq-len of them are used"),
    cl::value_desc("file:tensor"), cl::cat(category));
cl::opt<std::string> referencePath(
    "reference",
    cl::desc("Safetensors file with reference windows (WINDOW.tokens i32 "
             "[T], WINDOW.logits f32 [T, V]): the tokens are the input and "
             "the logits the reference"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> windowName("window",
                                cl::desc("Window of --reference (default w0)"),
                                cl::init("w0"), cl::value_desc("name"),
                                cl::cat(category));
cl::opt<bool> timingOnly("timing-only",
                         cl::desc("Simulate timing and energy without data"),
                         cl::cat(category));
cl::opt<unsigned> inputSeed(
    "input-seed",
    cl::desc("Seed of the random hidden states bound to an f32 input (an "
             "encoder block that reads hidden states instead of token ids); "
             "values are uniform in [-sqrt(3), sqrt(3)), variance 1"),
    cl::init(12345), cl::cat(category));
cl::opt<std::string> randomWeights(
    "random-weights",
    cl::desc("Random projection weights for an MLIR graph (lapa-randomize-"
             "weights): auto (when every projection weight is a splat "
             "constant, as in stripped exports), all, or off"),
    cl::init("auto"), cl::value_desc("auto|all|off"), cl::cat(category));
cl::opt<std::string> tileSpec(
    "tiles",
    cl::desc("Tile sizes of every design, ROWS,COLS,INNER (the lapa-compile "
             "options row-tile, col-tile and inner-tile; 0 chooses from the "
             "configuration, the default)"),
    cl::value_desc("r,c,i"), cl::cat(category));
cl::list<int64_t> dynamicSizes(
    "dynamic-sizes", cl::CommaSeparated,
    cl::desc("Sizes of the dynamic dimensions of an MLIR graph's arguments, "
             "in order; one size applies to all (lapa-bound-dynamic-dims)"),
    cl::value_desc("n[,n...]"), cl::cat(category));
cl::list<std::string> bindInputs(
    "bind-inputs", cl::CommaSeparated,
    cl::desc("Fix arguments of an MLIR graph to one value per element, as "
             "NAME=VALUE (NAME is argN or the argument's name), for inputs "
             "that the stream cannot take at run time, such as MobileBERT's "
             "input_mask=1 and input_type_ids=0 (lapa-bind-inputs)"),
    cl::value_desc("name=value[,...]"), cl::cat(category));
cl::opt<std::string> inputSpec(
    "input",
    cl::desc("Hidden states for a graph whose input is f32 hidden states: an "
             "F32 tensor of a safetensors file with the input's element "
             "count (instead of the seeded ones of --input-seed)"),
    cl::value_desc("file:tensor"), cl::cat(category));
cl::opt<std::string> weightsPath(
    "weights",
    cl::desc("Safetensors file whose F32 tensors replace the weight "
             "arguments (lapa.weight = NAME) of an MLIR graph, so that it "
             "runs functionally (lapa-bind-weights)"),
    cl::value_desc("file"), cl::cat(category));
/// The sizes parsed from --tiles.
int64_t flowOptionsTiles[3] = {0, 0, 0};
cl::opt<uint64_t> weightSeed("weight-seed",
                             cl::desc("Seed of --random-weights"),
                             cl::init(1), cl::cat(category));
cl::opt<double> neededFraction(
    "needed-fraction",
    cl::desc("Timing-only: fraction of a gathered GEMM's rows computed "
             "(0..1, default 1)"),
    cl::init(1.0), cl::cat(category));
cl::list<std::string> designSpecs(
    "design",
    cl::desc("A design to run, NAME=HW.yaml:PREDICTOR (repeatable); a "
             "relative path not found is looked up in --hw-dir"),
    cl::value_desc("spec"), cl::cat(category));
cl::opt<bool> compareDefaults(
    "compare",
    cl::desc("Add the default designs: lapa (lapa-28nm, 'lapa "
             "keep_ratio=0.25'), dense (dense-28nm), sanger, fact, energon "
             "and spatten ('spatten keep_ratio=0.25'). Used when no "
             "--design is given"),
    cl::cat(category));
cl::opt<std::string> hwDir(
    "hw-dir",
    cl::desc("Folder of the hardware configurations (default: the "
             "repository's examples/hw)"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string> sweepSpec(
    "sweep",
    cl::desc("Run the LAPA design at each value of a predictor parameter, "
             "e.g. keep_ratio=0.1,0.2,0.3"),
    cl::value_desc("param=v1,v2,..."), cl::cat(category));
cl::opt<std::string> jsonPath("json",
                              cl::desc("Write the comparison as JSON ('-' "
                                       "for standard output)"),
                              cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> csvPath("csv",
                             cl::desc("Write the comparison as CSV rows "
                                      "design,metric,value"),
                             cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> reportPath(
    "report",
    cl::desc("Write a self-contained HTML report with SVG charts"),
    cl::value_desc("file.html"), cl::cat(category));
cl::opt<std::string> traceDir(
    "trace", cl::desc("Write a Chrome trace per design into this folder"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string> saveIrDir(
    "save-ir",
    cl::desc("Write the imported and raised IR, and each design's lapa_isa "
             "IR and .lapa stream, into this folder"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<bool> quiet("quiet", cl::desc("Do not print the table"),
                    cl::cat(category));
cl::opt<bool> verbose("verbose", cl::desc("Log each stage with its time"),
                      cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "lapa-run") << message << "\n";
  return 1;
}

int fail(llvm::Error error) {
  int code = 1;
  llvm::handleAllErrors(
      std::move(error),
      [&](const StageError &stage) {
        std::string text;
        llvm::raw_string_ostream os(text);
        stage.log(os);
        fail(text);
        if (!stage.reproducerPath.empty())
          llvm::WithColor::note(llvm::errs(), "lapa-run")
              << "the input of stage '" << stageName(stage.stage)
              << "' is in " << stage.reproducerPath << "\n";
        if (!stage.command.empty())
          llvm::WithColor::note(llvm::errs(), "lapa-run")
              << "rerun the stage with: " << stage.command << "\n";
      },
      [&](const llvm::ErrorInfoBase &other) { fail(other.message()); });
  return code;
}

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

llvm::Error writeFile(llvm::StringRef path,
                      llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::error_code code;
  llvm::ToolOutputFile file(path, code, llvm::sys::fs::OF_Text);
  if (code)
    return llvm::createStringError(code, "cannot write '%s': %s",
                                   path.str().c_str(), code.message().c_str());
  write(file.os());
  file.keep();
  return llvm::Error::success();
}

llvm::Error makeDirectory(llvm::StringRef path, llvm::StringRef option) {
  if (std::error_code code = llvm::sys::fs::create_directories(path))
    return makeError(llvm::formatv("{0}: cannot create folder '{1}': {2}",
                                   option, path, code.message()));
  return llvm::Error::success();
}

/// Inputs of the functional run: token ids and, optionally, reference
/// logits of the same rows.
struct RunInputs {
  std::vector<int32_t> tokens;
  /// Hidden states from --input.
  std::vector<float> hidden;
  std::vector<float> referenceLogits;
  uint64_t vocabulary = 0;
  std::string description;
};

/// Reads --tokens FILE:TENSOR.
llvm::Expected<std::vector<int32_t>> readTokens(llvm::StringRef spec) {
  size_t colon = spec.rfind(':');
  if (colon == llvm::StringRef::npos || colon == 0 || colon + 1 == spec.size())
    return makeError(llvm::formatv("invalid --tokens '{0}': expected "
                                   "FILE:TENSOR, for example "
                                   "tokens.safetensors:tokens",
                                   spec));
  llvm::StringRef path = spec.take_front(colon);
  llvm::StringRef tensor = spec.drop_front(colon + 1);
  llvm::Expected<support::SafetensorsFile> file =
      support::SafetensorsFile::open(path);
  if (!file)
    return file.takeError();
  const support::TensorInfo *info = file->find(tensor);
  if (!info)
    return makeError(llvm::formatv("--tokens: '{0}' has no tensor '{1}'",
                                   path, tensor));
  if (info->shape.size() != 1 &&
      !(info->shape.size() == 2 && info->shape[0] == 1))
    return makeError(llvm::formatv("--tokens: tensor '{0}' of '{1}' has "
                                   "shape {2}; token ids must be [T] or "
                                   "[1, T]",
                                   tensor, path, info->shapeString()));
  return file->readI32(tensor);
}

/// Reads WINDOW.tokens and WINDOW.logits of a reference file.
llvm::Error readReference(llvm::StringRef path, llvm::StringRef window,
                          RunInputs &inputs) {
  llvm::Expected<support::SafetensorsFile> file =
      support::SafetensorsFile::open(path);
  if (!file)
    return file.takeError();
  std::string tokensName = (window + ".tokens").str();
  std::string logitsName = (window + ".logits").str();
  const support::TensorInfo *tokens = file->find(tokensName);
  const support::TensorInfo *logits = file->find(logitsName);
  if (!tokens || !logits)
    return makeError(llvm::formatv(
        "--reference: '{0}' has no tensor '{1}'; --window must name a "
        "window with WINDOW.tokens and WINDOW.logits",
        path, tokens ? logitsName : tokensName));
  if (tokens->shape.size() != 1 || logits->shape.size() != 2 ||
      logits->shape[0] != tokens->shape[0])
    return makeError(llvm::formatv(
        "--reference: '{0}' has {1} of shape {2} and {3} of shape {4}; "
        "expected [T] and [T, V]",
        path, tokensName, tokens->shapeString(), logitsName,
        logits->shapeString()));
  llvm::Expected<std::vector<int32_t>> ids = file->readI32(tokensName);
  if (!ids)
    return ids.takeError();
  llvm::Expected<std::vector<float>> values = file->readF32(logitsName);
  if (!values)
    return values.takeError();
  inputs.tokens = std::move(*ids);
  inputs.referenceLogits = std::move(*values);
  inputs.vocabulary = logits->shape[1];
  inputs.description = llvm::formatv("window {0} of {1}", window,
                                     llvm::sys::path::filename(path))
                           .str();
  return llvm::Error::success();
}

/// Draws the simulator's progress on standard error when it is a terminal.
class ProgressLine {
public:
  explicit ProgressLine(bool enabled) : enabled(enabled) {}
  ~ProgressLine() { clear(); }
  void show(const llvm::Twine &text) {
    if (!enabled)
      return;
    std::string line = text.str();
    llvm::errs() << "\r" << line;
    if (line.size() < width)
      llvm::errs() << std::string(width - line.size(), ' ');
    width = line.size();
  }
  void clear() {
    if (enabled && width)
      llvm::errs() << "\r" << std::string(width, ' ') << "\r";
    width = 0;
  }
  bool isEnabled() const { return enabled; }

private:
  bool enabled;
  size_t width = 0;
};

/// Fills the accuracy of one functional run from its logits.
llvm::Error scoreRun(DesignResult &result, const SimRun &run,
                     const RunInputs &inputs) {
  const support::TensorData *logits = nullptr;
  for (const support::TensorData &tensor : run.outputs)
    if (tensor.name == "logits")
      logits = &tensor;
  if (!logits && run.outputs.size() == 1)
    logits = &run.outputs.front();
  // Several outputs of one row width (MobileBERT's start and end logits,
  // [1 x 384] each) are scored as the rows of one matrix.
  support::TensorData stacked;
  if (!logits && run.outputs.size() > 1) {
    const support::TensorData &first = run.outputs.front();
    bool same = llvm::all_of(run.outputs, [&](const support::TensorData &t) {
      return t.shape.size() == 2 && t.dtype == support::DType::F32 &&
             t.shape[1] == first.shape[1];
    });
    if (same) {
      stacked.name = "outputs";
      stacked.dtype = support::DType::F32;
      stacked.shape = {0, first.shape[1]};
      for (const support::TensorData &t : run.outputs) {
        stacked.shape[0] += t.shape[0];
        stacked.bytes.insert(stacked.bytes.end(), t.bytes.begin(),
                             t.bytes.end());
      }
      logits = &stacked;
    }
  }
  if (!logits)
    return llvm::Error::success();
  if (logits->shape.size() != 2 || logits->dtype != support::DType::F32)
    return makeError(llvm::formatv(
        "design '{0}': the output '{1}' is not a 2-D f32 tensor of logits",
        result.label, logits->name));
  llvm::Expected<std::vector<float>> values = sim::tensorAsFloats(*logits);
  if (!values)
    return values.takeError();
  result.logits = std::move(*values);
  result.logitRows = logits->shape[0];
  result.vocabulary = logits->shape[1];

  std::vector<float> reference;
  if (!inputs.referenceLogits.empty()) {
    if (inputs.vocabulary != result.vocabulary)
      return makeError(llvm::formatv(
          "design '{0}': the model has {1} logits per token but the "
          "reference has {2}",
          result.label, result.vocabulary, inputs.vocabulary));
    reference.assign(inputs.referenceLogits.begin(),
                     inputs.referenceLogits.begin() +
                         result.logitRows * result.vocabulary);
    llvm::Expected<sim::TensorComparison> comparison = sim::compareTensors(
        logits->name, result.logits, "reference", reference);
    if (!comparison)
      return comparison.takeError();
    result.accuracy.vsReference = *comparison;
  }
  // Without token ids (hidden-state inputs) there is no next token to
  // score. An output other than a language-model head's "logits"
  // (MobileBERT's start and end positions) predicts none. The output is
  // still compared with the dense design's.
  if (inputs.tokens.empty() || logits->name != "logits")
    return llvm::Error::success();
  llvm::Expected<sim::LanguageModelScore> score = sim::scoreLanguageModel(
      result.logits, result.logitRows, result.vocabulary,
      llvm::ArrayRef<int32_t>(inputs.tokens).take_front(result.logitRows),
      reference);
  if (!score)
    return score.takeError();
  result.accuracy.score = *score;
  return llvm::Error::success();
}

/// The whole run: options to comparison.
class Driver {
public:
  explicit Driver(const char *argv0) : argv0(argv0) {}
  int run();

private:
  llvm::Error prepare();
  llvm::Expected<DesignResult> runDesign(const Design &design,
                                         llvm::StringRef label,
                                         llvm::StringRef position);
  llvm::Error runSweep();
  llvm::Error writeOutputs();

  const char *argv0;
  std::string examplesDir;
  std::string hwFolder;
  std::vector<Design> designs;
  RunInputs inputs;
  std::unique_ptr<Flow> flow;
  Comparison comparison;
  bool runTimingOnly = false;
  std::unique_ptr<ProgressLine> progress;
};

llvm::Error Driver::prepare() {
  examplesDir = findExamplesDir(argv0);
  hwFolder = hwDir;
  if (hwFolder.empty() && !examplesDir.empty()) {
    llvm::SmallString<256> path(examplesDir);
    llvm::sys::path::append(path, "hw");
    hwFolder = std::string(path);
  }

  // The model and its inputs; the bundled example when --model is absent.
  std::string model = modelPath;
  std::string reference = referencePath;
  if (model.empty()) {
    if (examplesDir.empty())
      return makeError("the bundled example was not found beside the "
                       "executable; give --model PATH (and --hw-dir)");
    llvm::SmallString<256> path(examplesDir);
    llvm::sys::path::append(path, "tinyllama-kjv");
    model = std::string(path);
    if (reference.empty() && tokensSpec.empty() && !timingOnly) {
      llvm::sys::path::append(path, "reference.safetensors");
      reference = std::string(path);
    }
  }
  if (!(neededFraction >= 0 && neededFraction <= 1))
    return makeError(llvm::formatv("--needed-fraction={0} is outside [0, 1]",
                                   llvm::format("%g", neededFraction.getValue())));
  if (randomWeights != "auto" && randomWeights != "all" &&
      randomWeights != "off")
    return makeError(llvm::formatv("--random-weights={0} is not a mode; give "
                                   "auto, all or off",
                                   randomWeights.getValue()));
  if (timingOnly && (!reference.empty() || !tokensSpec.empty()))
    return makeError("--timing-only reads no data; drop --tokens and "
                     "--reference");
  if (!reference.empty() && !tokensSpec.empty())
    return makeError("give either --tokens or --reference, not both: the "
                     "reference window supplies the tokens");
  if (seqLen < 0 || (seqLen.getNumOccurrences() && seqLen == 0))
    return makeError(llvm::formatv("--seq-len={0} is not a sequence length; "
                                   "give the number of tokens, at least 1",
                                   seqLen.getValue()));

  if (!inputSpec.empty()) {
    if (modelPath.empty())
      return makeError("--input binds hidden states, and the bundled example "
                       "reads token ids; give a model with an f32 input with "
                       "--model");
    if (timingOnly || !reference.empty() || !tokensSpec.empty())
      return makeError("--input binds hidden states for a functional run; "
                       "drop --timing-only, --tokens and --reference");
    llvm::StringRef spec = inputSpec;
    size_t colon = spec.rfind(':');
    if (colon == llvm::StringRef::npos || colon == 0 || colon + 1 == spec.size())
      return makeError(llvm::formatv("invalid --input '{0}': expected "
                                     "FILE:TENSOR, for example "
                                     "hidden.safetensors:input",
                                     spec));
    llvm::Expected<support::SafetensorsFile> file =
        support::SafetensorsFile::open(spec.take_front(colon));
    if (!file)
      return file.takeError();
    llvm::Expected<std::vector<float>> data =
        file->readF32(spec.drop_front(colon + 1));
    if (!data)
      return makeError("--input: " + llvm::toString(data.takeError()));
    inputs.hidden = std::move(*data);
    inputs.description =
        llvm::formatv("tensor '{0}' of {1}", spec.drop_front(colon + 1),
                      llvm::sys::path::filename(spec.take_front(colon)))
            .str();
  }

  if (!reference.empty()) {
    if (llvm::Error error = readReference(reference, windowName, inputs))
      return error;
  } else if (!tokensSpec.empty()) {
    llvm::Expected<std::vector<int32_t>> tokens = readTokens(tokensSpec);
    if (!tokens)
      return tokens.takeError();
    inputs.tokens = std::move(*tokens);
    llvm::StringRef spec = tokensSpec;
    size_t colon = spec.rfind(':');
    inputs.description =
        llvm::formatv("tensor '{0}' of {1}", spec.drop_front(colon + 1),
                      llvm::sys::path::filename(spec.take_front(colon)))
            .str();
  }
  runTimingOnly = timingOnly;

  // Sequence length: --seq-len, else the tokens given, else 128.
  int64_t length = seqLen;
  if (length == 0)
    length = inputs.tokens.empty() ? 128 : int64_t(inputs.tokens.size());
  if (!inputs.tokens.empty()) {
    if (int64_t(inputs.tokens.size()) < length)
      return makeError(llvm::formatv(
          "--seq-len={0} needs {0} token ids, but only {1} were given",
          length, inputs.tokens.size()));
    inputs.tokens.resize(length);
  }

  // Designs.
  std::vector<DesignSpec> specs;
  for (const std::string &text : designSpecs) {
    llvm::Expected<DesignSpec> spec = parseDesignSpec(text);
    if (!spec)
      return spec.takeError();
    specs.push_back(*spec);
  }
  if (compareDefaults)
    for (const DesignSpec &spec : defaultDesignSpecs())
      specs.push_back(spec);
  if (specs.empty())
    specs = defaultDesignSpecs();
  for (const DesignSpec &spec : specs) {
    for (const Design &other : designs)
      if (other.name == spec.name)
        return makeError(llvm::formatv(
            "two designs are named '{0}'; give each --design its own name",
            spec.name));
    llvm::Expected<Design> design = resolveDesign(spec, hwFolder);
    if (!design)
      return design.takeError();
    designs.push_back(std::move(*design));
  }

  for (llvm::StringRef dir : {llvm::StringRef(saveIrDir),
                              llvm::StringRef(traceDir)})
    if (!dir.empty())
      if (llvm::Error error = makeDirectory(
              dir, dir == llvm::StringRef(saveIrDir) ? "--save-ir" : "--trace"))
        return error;

  FlowOptions flowOptions;
  flowOptions.modelPath = model;
  flowOptions.seqLen = length;
  flowOptions.randomWeights = randomWeights;
  flowOptions.weightsPath = weightsPath;
  flowOptions.dynamicSizes.assign(dynamicSizes.begin(), dynamicSizes.end());
  flowOptions.bindInputs.assign(bindInputs.begin(), bindInputs.end());
  if (!tileSpec.empty()) {
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(tileSpec).split(parts, ',');
    int64_t *fields[] = {&flowOptionsTiles[0], &flowOptionsTiles[1],
                         &flowOptionsTiles[2]};
    if (parts.size() != 3)
      return makeError(llvm::formatv("--tiles={0} needs three sizes, "
                                     "ROWS,COLS,INNER, for example 64,64,512",
                                     tileSpec.getValue()));
    for (unsigned i = 0; i < 3; ++i)
      if (parts[i].trim().getAsInteger(10, *fields[i]) || *fields[i] < 0)
        return makeError(llvm::formatv(
            "--tiles={0}: '{1}' is not a tile size; give a count of at "
            "least 1, or 0 to let the compiler choose",
            tileSpec.getValue(), parts[i]));
    flowOptions.rowTile = flowOptionsTiles[0];
    flowOptions.colTile = flowOptionsTiles[1];
    flowOptions.innerTile = flowOptionsTiles[2];
  }
  flowOptions.weightSeed = weightSeed;
  flowOptions.saveIrDir = saveIrDir;
  flowOptions.toolDir = llvm::sys::path::parent_path(
                            llvm::sys::fs::getMainExecutable(
                                argv0, (void *)&findExamplesDir))
                            .str();
  flowOptions.log = verbose ? &llvm::errs() : nullptr;
  flow = std::make_unique<Flow>(flowOptions);
  comparison.tokens = uint64_t(length);
  comparison.inputDescription = inputs.description;
  return llvm::Error::success();
}

/// Returns the report note that describes how the hidden-state input was made.
static std::string hiddenNote() {
  return llvm::formatv("the f32 input holds random hidden states, uniform in "
                       "[-sqrt(3), sqrt(3)) from seed {0} (--input-seed)",
                       unsigned(inputSeed))
      .str();
}

llvm::Expected<DesignResult> Driver::runDesign(const Design &design,
                                               llvm::StringRef label,
                                               llvm::StringRef position) {
  progress->show(llvm::formatv("lapa-run: compiling {0} {1}", label, position));
  llvm::Expected<isa::StreamFile> stream = flow->compile(design);
  if (!stream)
    return stream.takeError();

  // A parsed graph's input is token ids (its count is the sequence length)
  // or hidden states, which the header describes instead.
  if (!flow->isImportedModel())
    for (const isa::TensorInfo &tensor : stream->tensors) {
      if (tensor.role != isa::TensorRole::Input)
        continue;
      if (tensor.type == isa::ElementType::I32) {
        comparison.tokens = tensor.elementCount();
        continue;
      }
      comparison.tokens = 0;
      std::string shape;
      for (uint64_t dim : tensor.shape)
        shape += (shape.empty() ? "" : ", ") + std::to_string(dim);
      comparison.inputDescription =
          llvm::formatv("input '{0}' {1} [{2}]", tensor.name,
                        isa::elementTypeName(tensor.type), shape)
              .str();
    }

  if (!runTimingOnly && hasRuntimeWeights(*stream)) {
    if (!inputs.tokens.empty())
      return makeError(llvm::formatv(
          "design '{0}': the model's weights are function arguments; bind "
          "them with --weights FILE.safetensors, run with --timing-only, or "
          "import the model with embedded weights",
          label));
    runTimingOnly = true;
    comparison.notes.push_back(
        "the model's weights are function arguments, so every design ran "
        "timing-only (--weights binds them for a functional run)");
  }
  bool hiddenInput = false;
  for (const isa::TensorInfo &tensor : stream->tensors)
    if (tensor.role == isa::TensorRole::Input &&
        tensor.type == isa::ElementType::F32)
      hiddenInput = true;
  if (!runTimingOnly && neededFraction.getNumOccurrences())
    return makeError("--needed-fraction sets the gathered rows of a "
                     "timing-only run, and a functional run takes them from "
                     "the prediction; add --timing-only or drop it");
  // A graph without bundled tokens reads seeded random ids below the
  // vocabulary of its first lookup.
  std::vector<int32_t> randomTokens;
  if (!runTimingOnly && inputs.tokens.empty() && !hiddenInput &&
      flow->isImportedModel())
    return makeError("no input tokens: give --tokens FILE:TENSOR or "
                     "--reference FILE, or run --timing-only");
  if (!runTimingOnly && inputs.tokens.empty() && !hiddenInput) {
    uint32_t vocab = 0;
    uint64_t count = 0;
    for (const isa::Instruction &inst : stream->instructions)
      if (inst.opcode() == isa::Opcode::LoadRows) {
        vocab = inst.words[9];
        break;
      }
    for (const isa::TensorInfo &tensor : stream->tensors)
      if (tensor.role == isa::TensorRole::Input &&
          tensor.type == isa::ElementType::I32)
        count = tensor.elementCount();
    if (vocab == 0 || count == 0)
      return makeError("no input tokens: give --tokens FILE:TENSOR or "
                       "--reference FILE, or run --timing-only");
    uint64_t state = inputSeed;
    for (uint64_t i = 0; i < count; ++i) {
      state = (1103515245 * state + 12345) % (uint64_t(1) << 31);
      randomTokens.push_back(int32_t(state % vocab));
    }
    std::string note = llvm::formatv(
        "the token input holds {0} random ids below {1} from seed {2} "
        "(--input-seed)",
        count, vocab, unsigned(inputSeed));
    if (!llvm::is_contained(comparison.notes, note))
      comparison.notes.push_back(note);
  }
  if (!inputs.hidden.empty() && !hiddenInput)
    return makeError("--input binds f32 hidden states, but this model reads "
                     "token ids; give them with --tokens or --reference");
  if (!runTimingOnly && hiddenInput && inputs.hidden.empty() &&
      !llvm::is_contained(comparison.notes, hiddenNote()))
    comparison.notes.push_back(hiddenNote());

  SimRequest request;
  request.tokens = randomTokens.empty() ? inputs.tokens : randomTokens;
  if (hiddenInput)
    request.hiddenSeed = inputSeed;
  request.hiddenStates = inputs.hidden;
  request.timingOnly = runTimingOnly;
  request.neededFraction = neededFraction;
  request.keepTimeline = !traceDir.empty();
  std::string labelText = label.str();
  std::string positionText = position.str();
  request.progress = [&, labelText, positionText](llvm::StringRef pass,
                                                  uint64_t done,
                                                  uint64_t total) {
    progress->show(llvm::formatv("lapa-run: simulating {0} {1}: {2} {3}%",
                                 labelText, positionText, pass,
                                 total ? 100 * done / total : 0));
  };
  progress->show(
      llvm::formatv("lapa-run: simulating {0} {1}", label, position));
  llvm::Expected<SimRun> run = flow->simulate(design, *stream, request);
  if (!run)
    return run.takeError();

  DesignResult result;
  result.label = label.str();
  result.hwPath = design.hwPath;
  result.configName = design.config.name;
  result.predictorText = design.predictorText;
  result.dense = design.predictor.scheme == predict::Scheme::Dense;
  result.lapa = design.predictor.scheme == predict::Scheme::Lapa;
  if (!runTimingOnly)
    if (llvm::Error error = scoreRun(result, *run, inputs))
      return std::move(error);
  result.sim = std::move(run->result);

  if (!traceDir.empty()) {
    llvm::SmallString<256> path(traceDir);
    llvm::sys::path::append(path, label + ".trace.json");
    if (llvm::Error error = writeFile(path, [&](llvm::raw_ostream &os) {
          sim::writeChromeTrace(os, *stream, result.sim, design.config);
        }))
      return std::move(error);
    result.sim.timeline.clear();
  }
  return std::move(result);
}

llvm::Error Driver::runSweep() {
  auto [parameter, valueList] = llvm::StringRef(sweepSpec).split('=');
  llvm::SmallVector<llvm::StringRef> values;
  valueList.split(values, ',', -1, /*KeepEmpty=*/false);
  if (parameter.empty() || values.empty())
    return makeError(llvm::formatv("invalid --sweep '{0}': expected "
                                   "PARAMETER=V1,V2,..., for example "
                                   "keep_ratio=0.1,0.2,0.3",
                                   sweepSpec.getValue()));
  const Design *base = nullptr;
  for (const Design &design : designs)
    if (design.predictor.scheme == predict::Scheme::Lapa) {
      base = &design;
      break;
    }
  if (!base)
    return makeError("--sweep varies the LAPA design's predictor, but no "
                     "design uses the lapa scheme; add one with --design or "
                     "--compare");

  SweepResult sweep;
  sweep.parameter = parameter.str();
  sweep.design = base->name;
  for (size_t v = 0; v < values.size(); ++v) {
    Design point = *base;
    point.predictorText =
        withParameter(base->predictorText, parameter, values[v].trim());
    llvm::Expected<predict::PredictorConfig> predictor =
        predict::parsePredictorConfig(point.predictorText);
    if (!predictor)
      return makeError(llvm::formatv("--sweep value {0}={1}: {2}", parameter,
                                     values[v].trim(),
                                     llvm::toString(predictor.takeError())));
    point.predictor = *predictor;
    point.name = (base->name + "." + parameter + "-" + values[v].trim()).str();
    llvm::Expected<DesignResult> result = runDesign(
        point, (parameter + "=" + values[v].trim()).str(),
        llvm::formatv("(sweep {0}/{1})", v + 1, values.size()).str());
    if (!result)
      return result.takeError();
    sweep.points.push_back(std::move(*result));
  }
  comparison.sweep = std::move(sweep);
  return llvm::Error::success();
}

llvm::Error Driver::writeOutputs() {
  if (!quiet)
    printComparison(llvm::outs(), comparison);
  if (!jsonPath.empty())
    if (llvm::Error error = writeFile(jsonPath, [&](llvm::raw_ostream &os) {
          os << llvm::formatv("{0:2}", comparisonToJSON(comparison)) << "\n";
        }))
      return error;
  if (!csvPath.empty())
    if (llvm::Error error = writeFile(csvPath, [&](llvm::raw_ostream &os) {
          writeComparisonCSV(os, comparison);
        }))
      return error;
  if (!reportPath.empty())
    if (llvm::Error error = writeFile(reportPath, [&](llvm::raw_ostream &os) {
          writeComparisonHtml(os, comparison);
        }))
      return error;
  return llvm::Error::success();
}

int Driver::run() {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  progress = std::make_unique<ProgressLine>(
      llvm::sys::Process::StandardErrIsDisplayed() && !verbose);

  if (llvm::Error error = prepare())
    return fail(std::move(error));
  progress->show("lapa-run: importing the model");
  if (llvm::Error error = flow->loadModel()) {
    progress->clear();
    return fail(std::move(error));
  }
  comparison.model = flow->modelName();
  // Options that did not apply to this model say so instead of passing
  // silently.
  bool randomRequested = randomWeights.getNumOccurrences() > 0 ||
                         weightSeed.getNumOccurrences() > 0;
  if (flow->isImportedModel()) {
    if (!dynamicSizes.empty())
      comparison.notes.push_back(
          "--dynamic-sizes applies to MLIR graphs; the imported model has "
          "static shapes, so it changed nothing");
    if (randomRequested)
      comparison.notes.push_back(
          "--random-weights and --weight-seed apply to MLIR graphs; the "
          "imported model kept its own weights");
  } else {
    if (!dynamicSizes.empty() && flow->boundDimensions() == 0)
      comparison.notes.push_back(
          "the graph has no dynamic dimensions, so --dynamic-sizes changed "
          "nothing");
    // With --random-weights=off and no --weight-seed the seed was not
    // requested, so no note is needed.
    bool seedIdle = randomWeights == "off" && weightSeed.getNumOccurrences() == 0;
    if (randomRequested && !seedIdle && flow->randomizedConstants() == 0)
      comparison.notes.push_back(
          randomWeights == "off"
              ? "no weights were replaced (--random-weights=off), so "
                "--weight-seed changed nothing"
              : "no weights were replaced: the graph's projection weights "
                "are not all splat constants (--random-weights=all replaces "
                "them anyway), so --weight-seed changed nothing");
  }
  if (!tileSpec.empty())
    comparison.notes.push_back(
        llvm::formatv("every design was compiled with tiles of {0} rows, {1} "
                      "columns and {2} inner columns (--tiles; 0 chose from "
                      "the configuration)",
                      flowOptionsTiles[0], flowOptionsTiles[1],
                      flowOptionsTiles[2])
            .str());
  if (flow->randomizedConstants() > 0)
    comparison.notes.push_back(llvm::formatv(
        "the graph's {0} weights (projections and biases, and any embedding "
        "tables and elementwise parameters) were {1}; they were replaced by "
        "random values from seed {2} (--weight-seed), projections with "
        "variance 1/fan-in (lapa-randomize-weights)",
        flow->randomizedConstants(),
        randomWeights == "all" ? "replaced on request (--random-weights=all)"
                               : "splat constants (a stripped export)",
        uint64_t(weightSeed)).str());

  if (flow->vocabularySize() > 0)
    for (size_t t = 0; t < inputs.tokens.size(); ++t)
      if (inputs.tokens[t] < 0 || inputs.tokens[t] >= flow->vocabularySize()) {
        progress->clear();
        return fail(llvm::formatv("token {0} at position {1} is outside the "
                                  "model's vocabulary [0, {2}); give token "
                                  "ids of this model",
                                  inputs.tokens[t], t,
                                  flow->vocabularySize()));
      }

  for (size_t d = 0; d < designs.size(); ++d) {
    llvm::Expected<DesignResult> result = runDesign(
        designs[d], designs[d].name,
        llvm::formatv("({0}/{1})", d + 1, designs.size()).str());
    if (!result) {
      progress->clear();
      return fail(result.takeError());
    }
    if (result->lapa && comparison.lapaDesign.empty())
      comparison.lapaDesign = result->label;
    if (result->dense && comparison.denseDesign.empty())
      comparison.denseDesign = result->label;
    comparison.designs.push_back(std::move(*result));
  }
  if (!sweepSpec.empty())
    if (llvm::Error error = runSweep()) {
      progress->clear();
      return fail(std::move(error));
    }
  progress->clear();

  comparison.timingOnly = runTimingOnly;
  comparison.neededFraction = neededFraction;
  if (llvm::Error error = finalizeComparison(comparison))
    return fail(std::move(error));
  if (comparison.modelOps)
    comparison.notes.push_back(llvm::formatv(
        "GOPS and GOPS/W of every design count the same {0} dense-equivalent "
        "operations (those of design '{1}'), so GOPS/W ratios are energy "
        "ratios",
        comparison.modelOps,
        comparison.denseDesign.empty() ? comparison.designs.front().label
                                       : comparison.denseDesign));
  if (comparison.timingOnly)
    comparison.notes.push_back(llvm::formatv(
        "timing-only: top-k keeps keep_ratio of each row's visible keys and "
        "gathered projections compute the fraction {0} of their rows "
        "(--needed-fraction); no accuracy",
        llvm::format("%g", neededFraction.getValue())));
  if (llvm::Error error = writeOutputs())
    return fail(std::move(error));
  if (verbose)
    llvm::errs() << llvm::formatv(
        "lapa-run: finished in {0:f2} s\n",
        std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "lapa-run: import, compile, emit and simulate a model for several "
      "designs and compare them\n\n"
      "With no arguments it runs the bundled tinyllama-kjv model on "
      "reference window w0 for the default designs.\n");
  Driver driver(argv[0]);
  return driver.run();
}
