//===- Run.cpp - The run subcommand of lapa-sim ---------------------------===//
//
// `lapa-sim run STREAM --config HW.yaml` loads a binary instruction stream,
// binds its inputs from safetensors files, simulates it and prints the
// summary table; --json, --csv and --trace write the other report forms,
// --output the output tensors, and --reference with --compare or --tokens
// the accuracy against reference tensors.
//
//===----------------------------------------------------------------------===//

#include "Run.h"

#include "lapa/Sim/Accuracy.h"
#include "lapa/Sim/Report.h"
#include "lapa/Sim/Simulator.h"
#include "lapa/Support/Safetensors.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <chrono>
#include <map>

using namespace lapa;
namespace cl = llvm::cl;

cl::SubCommand lapa::sim::runCommand(
    "run", "Simulate an instruction stream: functional results, cycles and "
           "energy");

namespace {

cl::opt<std::string> streamPath(cl::Positional, cl::Required,
                                cl::desc("<stream.lapa>"),
                                cl::sub(lapa::sim::runCommand));
cl::opt<std::string> configPath("config", cl::Required,
                                cl::desc("Hardware configuration (YAML)"),
                                cl::value_desc("file"),
                                cl::sub(lapa::sim::runCommand));
cl::list<std::string>
    inputPaths("input",
               cl::desc("Safetensors file with input tensors and run-time "
                        "weights, bound by name (repeatable)"),
               cl::value_desc("file"), cl::sub(lapa::sim::runCommand));
cl::opt<std::string>
    outputPath("output",
               cl::desc("Write the output tensors to this safetensors file"),
               cl::value_desc("file"), cl::sub(lapa::sim::runCommand));
cl::opt<bool> timingOnly("timing-only",
                         cl::desc("Simulate timing and energy without data"),
                         cl::sub(lapa::sim::runCommand));
cl::opt<double> neededFraction(
    "needed-fraction",
    cl::desc("Timing-only: fraction of a gathered GEMM's rows computed "
             "(0..1, default 1)"),
    cl::init(1.0), cl::sub(lapa::sim::runCommand));
cl::opt<double> survivorFraction(
    "survivor-fraction",
    cl::desc("Timing-only: fraction of a row's visible keys that enter each "
             "MRSA round after the first (0..1, default 1)"),
    cl::init(1.0), cl::sub(lapa::sim::runCommand));
cl::opt<uint64_t> denseOps(
    "dense-ops",
    cl::desc("Dense-equivalent operation count for the effective GOPS "
             "(default: derived from the stream)"),
    cl::init(0), cl::sub(lapa::sim::runCommand));
cl::opt<bool> noRaceCheck("no-race-check",
                          cl::desc("Skip the check of reads that race a "
                                   "write on another unit"),
                          cl::sub(lapa::sim::runCommand));
cl::opt<std::string> jsonPath("json",
                              cl::desc("Write the report as JSON ('-' for "
                                       "standard output)"),
                              cl::value_desc("file"),
                              cl::sub(lapa::sim::runCommand));
cl::opt<std::string> csvPath("csv", cl::desc("Write the report as CSV"),
                             cl::value_desc("file"),
                             cl::sub(lapa::sim::runCommand));
cl::opt<std::string> tracePath("trace",
                               cl::desc("Write a Chrome trace (one track per "
                                        "unit) for Perfetto"),
                               cl::value_desc("file"),
                               cl::sub(lapa::sim::runCommand));
cl::opt<std::string>
    referencePath("reference",
                  cl::desc("Safetensors file with reference tensors"),
                  cl::value_desc("file"), cl::sub(lapa::sim::runCommand));
cl::list<std::string>
    comparePairs("compare",
                 cl::desc("Compare an output tensor with a reference tensor "
                          "(repeatable)"),
                 cl::value_desc("OUTPUT=REFERENCE"),
                 cl::sub(lapa::sim::runCommand));
cl::opt<std::string> tokensName(
    "tokens",
    cl::desc("Reference tensor of i32 token ids: report the cross-entropy of "
             "the logits output on the next tokens"),
    cl::value_desc("name"), cl::sub(lapa::sim::runCommand));
cl::opt<std::string> logitsName(
    "logits",
    cl::desc("Output tensor of [positions x vocabulary] logits scored by "
             "--tokens (default 'logits')"),
    cl::init("logits"), cl::value_desc("name"),
    cl::sub(lapa::sim::runCommand));
cl::opt<bool> quiet("quiet", cl::desc("Do not print the summary table"),
                    cl::sub(lapa::sim::runCommand));
cl::opt<bool> verbose("verbose", cl::desc("Log one line per phase"),
                      cl::sub(lapa::sim::runCommand));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "lapa-sim") << message << "\n";
  return 1;
}

int fail(llvm::Error error) { return fail(llvm::toString(std::move(error))); }

/// Writes `write`'s output to `path` ('-' is standard output).
llvm::Error writeFile(llvm::StringRef path,
                      llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::error_code code;
  llvm::ToolOutputFile file(path, code, llvm::sys::fs::OF_Text);
  if (code)
    return llvm::createStringError(code, "cannot write '%s': %s",
                                   path.str().c_str(),
                                   code.message().c_str());
  write(file.os());
  file.keep();
  return llvm::Error::success();
}

/// Copies a tensor of a safetensors file.
support::TensorData copyTensor(const support::SafetensorsFile &file,
                               const support::TensorInfo &info) {
  support::TensorData data;
  data.name = info.name;
  data.dtype = info.dtype;
  data.shape = info.shape;
  llvm::ArrayRef<uint8_t> raw = file.rawData(info);
  data.bytes.assign(raw.begin(), raw.end());
  return data;
}

/// Draws a progress bar on standard error when it is a terminal.
class ProgressBar {
public:
  explicit ProgressBar(bool enabled) : enabled(enabled) {}
  ~ProgressBar() {
    if (drawn)
      llvm::errs() << "\r" << std::string(60, ' ') << "\r";
  }
  void update(llvm::StringRef pass, uint64_t done, uint64_t total) {
    if (!enabled || total == 0)
      return;
    unsigned percent = unsigned(100 * done / total);
    if (drawn && percent == lastPercent && pass == lastPass)
      return;
    lastPercent = percent;
    lastPass = pass.str();
    drawn = true;
    unsigned filled = percent * 30 / 100;
    llvm::errs() << "\r" << llvm::formatv("{0,-10}", pass) << " ["
                 << std::string(filled, '#') << std::string(30 - filled, ' ')
                 << "] " << llvm::formatv("{0,3}", percent) << "%";
  }

private:
  bool enabled;
  bool drawn = false;
  unsigned lastPercent = 0;
  std::string lastPass;
};

} // namespace

int lapa::sim::runSimulation() {
  using Clock = std::chrono::steady_clock;
  auto startTime = Clock::now();
  llvm::raw_ostream *log = verbose ? &llvm::errs() : nullptr;
  auto logLine = [&](const llvm::Twine &line) {
    if (log)
      *log << "lapa-sim: " << line << "\n";
  };

  llvm::Expected<hardware::HardwareConfig> config =
      hardware::loadHardwareConfig(configPath);
  if (!config)
    return fail(config.takeError());

  logLine("reading stream " + streamPath);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> streamBuffer =
      llvm::MemoryBuffer::getFile(streamPath, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!streamBuffer)
    return fail("cannot open stream '" + streamPath +
                "': " + streamBuffer.getError().message());
  llvm::ArrayRef<uint8_t> bytes(
      reinterpret_cast<const uint8_t *>((*streamBuffer)->getBufferStart()),
      (*streamBuffer)->getBufferSize());
  llvm::Expected<isa::StreamFile> stream = isa::readBinary(bytes);
  if (!stream)
    return fail(streamPath + ": " + llvm::toString(stream.takeError()));
  streamBuffer->reset();

  // Bindings: every tensor of every input file, by name.
  std::vector<std::unique_ptr<support::TensorData>> storage;
  TensorBindings bindings;
  if (!timingOnly) {
    for (const std::string &path : inputPaths) {
      llvm::Expected<support::SafetensorsFile> file =
          support::SafetensorsFile::open(path);
      if (!file)
        return fail(file.takeError());
      for (const support::TensorInfo &info : file->tensors()) {
        if (bindings.count(info.name))
          return fail(llvm::formatv("tensor '{0}' appears in two input "
                                    "files; the second is '{1}'",
                                    info.name, path));
        storage.push_back(
            std::make_unique<support::TensorData>(copyTensor(*file, info)));
        bindings[info.name] = storage.back().get();
      }
    }
  } else if (!inputPaths.empty() || !outputPath.empty() ||
             !referencePath.empty()) {
    return fail("--timing-only reads no data; drop --input, --output and "
                "--reference");
  }
  if (!(neededFraction >= 0 && neededFraction <= 1))
    return fail(llvm::formatv("--needed-fraction={0} is outside [0, 1]",
                              neededFraction.getValue()));
  if (!(survivorFraction >= 0 && survivorFraction <= 1))
    return fail(llvm::formatv("--survivor-fraction={0} is outside [0, 1]",
                              survivorFraction.getValue()));

  SimOptions options;
  options.timingOnly = timingOnly;
  options.neededFraction = neededFraction;
  options.survivorFraction = survivorFraction;
  options.checkRaces = !noRaceCheck;
  options.keepTimeline = !tracePath.empty();
  options.denseOps = denseOps;
  options.log = log;
  ProgressBar progress(llvm::sys::Process::StandardErrIsDisplayed() &&
                       !verbose && stream->instructions.size() > 100000);
  options.progress = [&](llvm::StringRef pass, uint64_t done, uint64_t total) {
    progress.update(pass, done, total);
  };

  BandwidthDramModel dram(*config);
  std::vector<support::TensorData> outputs;
  llvm::Expected<SimResult> result =
      simulate(*stream, *config, bindings, options, dram,
               timingOnly ? nullptr : &outputs);
  progress.update("", 0, 0);
  if (!result)
    return fail(result.takeError());

  if (!outputPath.empty()) {
    logLine("writing " + llvm::Twine(outputs.size()) + " output tensors to " +
            outputPath);
    if (llvm::Error error = support::writeSafetensorsFile(outputPath, outputs))
      return fail(std::move(error));
  }

  // Accuracy against the reference.
  llvm::json::Array comparisons;
  std::optional<LanguageModelScore> languageScore;
  if ((!comparePairs.empty() || !tokensName.empty()) && referencePath.empty())
    return fail("--compare and --tokens need --reference FILE");
  if (!referencePath.empty()) {
    llvm::Expected<support::SafetensorsFile> reference =
        support::SafetensorsFile::open(referencePath);
    if (!reference)
      return fail(reference.takeError());
    auto findOutput = [&](llvm::StringRef name) -> const support::TensorData * {
      for (const support::TensorData &tensor : outputs)
        if (tensor.name == name)
          return &tensor;
      return nullptr;
    };
    std::string logitsReference;
    for (const std::string &pair : comparePairs) {
      auto [outputName, referenceName] = llvm::StringRef(pair).split('=');
      if (outputName.empty() || referenceName.empty())
        return fail(llvm::formatv("--compare={0} is not OUTPUT=REFERENCE",
                                  pair));
      const support::TensorData *output = findOutput(outputName);
      if (!output)
        return fail(llvm::formatv("--compare: the stream has no output "
                                  "tensor '{0}'",
                                  outputName));
      llvm::Expected<std::vector<float>> values = tensorAsFloats(*output);
      if (!values)
        return fail(values.takeError());
      llvm::Expected<std::vector<float>> expected =
          reference->readF32(referenceName, output->shape);
      if (!expected)
        return fail(expected.takeError());
      llvm::Expected<TensorComparison> comparison =
          compareTensors(outputName, *values, referenceName, *expected);
      if (!comparison)
        return fail(comparison.takeError());
      comparisons.push_back(toJSON(*comparison));
      llvm::outs() << llvm::formatv(
          "compare {0} with {1}: max abs error {2:e3}, mean abs error "
          "{3:e3}, cosine {4:f6}\n",
          outputName, referenceName, comparison->maxAbsError,
          comparison->meanAbsError, comparison->cosine);
      if (outputName == logitsName.getValue())
        logitsReference = referenceName.str();
    }
    if (!tokensName.empty()) {
      const support::TensorData *logits = findOutput(logitsName);
      if (!logits || logits->shape.size() != 2)
        return fail(llvm::formatv("--tokens needs a 2-D output tensor '{0}' "
                                  "of logits; name it with --logits",
                                  logitsName.getValue()));
      llvm::Expected<std::vector<int32_t>> tokens =
          reference->readI32(tokensName, {logits->shape[0]});
      if (!tokens)
        return fail(tokens.takeError());
      llvm::Expected<std::vector<float>> values = tensorAsFloats(*logits);
      if (!values)
        return fail(values.takeError());
      std::vector<float> referenceLogits;
      if (!logitsReference.empty()) {
        llvm::Expected<std::vector<float>> read =
            reference->readF32(logitsReference, logits->shape);
        if (!read)
          return fail(read.takeError());
        referenceLogits = std::move(*read);
      }
      llvm::Expected<LanguageModelScore> score = scoreLanguageModel(
          *values, logits->shape[0], logits->shape[1], *tokens,
          referenceLogits);
      if (!score)
        return fail(score.takeError());
      languageScore = *score;
      llvm::outs() << llvm::formatv(
          "next-token cross-entropy of {0}: {1:f4} nats over {2} positions "
          "(perplexity {3:f3})",
          logitsName.getValue(), score->crossEntropy, score->positions,
          score->perplexity);
      if (score->top1Agreement)
        llvm::outs() << llvm::formatv(", top-1 agreement {0}/{1}",
                                      *score->top1Agreement, score->positions);
      llvm::outs() << "\n";
    }
  }

  if (!quiet)
    printSummary(llvm::outs(), *result, *config);
  if (!jsonPath.empty()) {
    llvm::json::Value json = resultToJSON(*result, *config);
    llvm::json::Object *object = json.getAsObject();
    (*object)["stream"] = streamPath;
    if (!comparisons.empty())
      (*object)["comparisons"] = std::move(comparisons);
    if (languageScore)
      (*object)["language_model"] = toJSON(*languageScore);
    if (llvm::Error error = writeFile(jsonPath, [&](llvm::raw_ostream &os) {
          os << llvm::formatv("{0:2}", json) << "\n";
        }))
      return fail(std::move(error));
  }
  if (!csvPath.empty())
    if (llvm::Error error = writeFile(csvPath, [&](llvm::raw_ostream &os) {
          writeCSV(os, *result, *config);
        }))
      return fail(std::move(error));
  if (!tracePath.empty())
    if (llvm::Error error = writeFile(tracePath, [&](llvm::raw_ostream &os) {
          writeChromeTrace(os, *stream, *result, *config);
        }))
      return fail(std::move(error));

  logLine(llvm::formatv("finished in {0:f2} s",
                        std::chrono::duration<double>(Clock::now() -
                                                      startTime)
                            .count()));
  return 0;
}
