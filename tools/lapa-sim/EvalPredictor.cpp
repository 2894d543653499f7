//===- EvalPredictor.cpp - The eval-predictor subcommand of lapa-sim ------===//
//
// Parses the predictor parameters from the command line. Each parameter
// applies to the selected schemes that read it, and one that no selected
// scheme reads is an error. Every configuration is validated before any data
// is read. Then each configuration is evaluated on every selected window,
// layer and head of the reference file, and the reports are written.
//
//===----------------------------------------------------------------------===//

#include "EvalPredictor.h"
#include "ReferenceData.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <set>

using namespace lapa::sim;
using namespace lapa::predict;
namespace cl = llvm::cl;

cl::SubCommand lapa::sim::evalPredictorCommand(
    "eval-predictor",
    "Evaluate attention predictors on reference activations: top-k recall, "
    "probability mass, keys per MRSA round, needed tokens and operation "
    "counts per layer and head");

namespace {

// --- Inputs and outputs ---------------------------------------------------

cl::opt<std::string> referencePath(
    "reference",
    cl::desc("Reference activations (safetensors) with tensors "
             "w<window>.layer<layer>.q, .k, .probs, and .h for projection "
             "mode"),
    cl::value_desc("file"), cl::sub(evalPredictorCommand));
cl::opt<std::string>
    modelPath("model",
              cl::desc("Model weights (safetensors, Llama layout) for "
                       "--inputs=projection"),
              cl::value_desc("file"), cl::sub(evalPredictorCommand));
cl::opt<InputMode> inputMode(
    "inputs", cl::desc("Where lapa, sofa and fact get Q and K-hat from"),
    cl::values(clEnumValN(InputMode::Reference, "reference",
                          "quantize the reference Q and K (default)"),
               clEnumValN(InputMode::Projection, "projection",
                          "predict K-hat from the layer input X and W_K "
                          "(needs --model)")),
    cl::init(InputMode::Reference), cl::sub(evalPredictorCommand));
cl::list<std::string> schemeNames(
    "scheme",
    cl::desc("Schemes to evaluate, comma-separated: lapa, sofa, fact, "
             "sanger, energon, spatten, oracle, dense, or all (default "
             "lapa)"),
    cl::CommaSeparated, cl::value_desc("name"),
    cl::sub(evalPredictorCommand));
cl::list<unsigned> windowList("windows",
                              cl::desc("Windows to evaluate (default all)"),
                              cl::CommaSeparated, cl::value_desc("index"),
                              cl::sub(evalPredictorCommand));
cl::list<unsigned> layerList("layers",
                             cl::desc("Layers to evaluate (default all)"),
                             cl::CommaSeparated, cl::value_desc("index"),
                             cl::sub(evalPredictorCommand));
cl::list<unsigned> headList("heads",
                            cl::desc("Heads to evaluate (default all)"),
                            cl::CommaSeparated, cl::value_desc("index"),
                            cl::sub(evalPredictorCommand));
cl::opt<std::string>
    jsonPath("json", cl::desc("Write the results as JSON to this file ('-' "
                              "for standard output)"),
             cl::value_desc("file"), cl::sub(evalPredictorCommand));
cl::opt<std::string>
    csvPath("csv", cl::desc("Write the results as CSV to this file ('-' for "
                            "standard output)"),
            cl::value_desc("file"), cl::sub(evalPredictorCommand));
enum class TableMode { Heads, Layers, None };
cl::opt<TableMode> tableMode(
    "table", cl::desc("Terminal table on standard output"),
    cl::values(clEnumValN(TableMode::Heads, "heads",
                          "one row per layer and head plus the layer total "
                          "(default)"),
               clEnumValN(TableMode::Layers, "layers",
                          "one row per layer (all heads)"),
               clEnumValN(TableMode::None, "none", "no table")),
    cl::init(TableMode::Heads), cl::sub(evalPredictorCommand));
cl::opt<double> normEps("norm-eps",
                        cl::desc("RMSNorm epsilon of projection mode "
                                 "(default 1e-5, tinyllama-kjv)"),
                        cl::init(1e-5), cl::sub(evalPredictorCommand));
cl::opt<double> ropeTheta("rope-theta",
                          cl::desc("RoPE base of projection mode (default "
                                   "10000, tinyllama-kjv)"),
                          cl::init(10000.0), cl::sub(evalPredictorCommand));

// --- Predictor parameters (names as in #lapa.predictor) -------------------

cl::list<double> keepRatios(
    "keep-ratio",
    cl::desc("Fractions of the visible keys kept per row, comma-separated; "
             "one run per value (default: the scheme's, 0.25)"),
    cl::CommaSeparated, cl::value_desc("ratio"),
    cl::sub(evalPredictorCommand));
cl::opt<std::string> selectOption("select",
                                  cl::desc("Final selection: topk or "
                                           "threshold (default topk; sanger "
                                           "threshold)"),
                                  cl::sub(evalPredictorCommand));
cl::opt<double> thresholdOption(
    "threshold", cl::desc("Softmax-probability threshold of select=threshold, "
             "in (0, 1) (sanger default 0.002)"),
    cl::sub(evalPredictorCommand));
cl::opt<std::string> filterOption(
    "filter", cl::desc("DDF rule between rounds: none, safe, maxmean, radius "
             "(default safe; energon maxmean)"),
    cl::sub(evalPredictorCommand));
cl::opt<double> filterAlphaOption(
    "filter-alpha", cl::desc("Weight of the row maximum in the maxmean rule, in [0, 1] "
             "(default 0.5)"),
    cl::sub(evalPredictorCommand));
cl::opt<double> filterRadiusOption(
    "filter-radius",
    cl::desc("Radius of the radius rule (sofa: feasible range), in integer "
             "score units"),
    cl::sub(evalPredictorCommand));
cl::opt<unsigned> roundsOption("rounds",
                               cl::desc("Number of MRSA rounds (default 2)"),
                               cl::sub(evalPredictorCommand));
cl::list<unsigned> slicesOption(
    "slices", cl::desc("Slice widths of K-hat in bits, most significant first, "
             "comma-separated; they sum to --key-bits (default 4,4)"),
    cl::CommaSeparated, cl::sub(evalPredictorCommand));
cl::list<unsigned> accumulatorBitsOption(
    "accumulator-bits", cl::desc("Signed accumulator width in bits of each MRSA round, "
             "comma-separated (default 26,30)"),
    cl::CommaSeparated, cl::sub(evalPredictorCommand));
cl::opt<unsigned> keyBitsOption("key-bits", cl::desc("Width of K-hat in bits (default 8; sofa 16)"),
                                cl::sub(evalPredictorCommand));
cl::opt<unsigned> queryBitsOption(
    "query-bits", cl::desc("Width of the query in bits before log coding (default 16)"),
    cl::sub(evalPredictorCommand));
cl::opt<unsigned> activationBitsOption(
    "activation-bits", cl::desc("Width of the layer input X in bits (default 8)"),
    cl::sub(evalPredictorCommand));
cl::opt<unsigned> weightBitsOption("weight-bits",
                                   cl::desc("Width of W_K and W_Q in bits (default 8)"),
                                   cl::sub(evalPredictorCommand));
cl::opt<unsigned> keyAccumulatorBitsOption(
    "key-accumulator-bits",
    cl::desc("Signed accumulator width in bits of the key prediction "
             "(default 32)"),
    cl::sub(evalPredictorCommand));
cl::opt<std::string> keyLogCodedOption(
    "key-log-coded",
    cl::desc("Operand of K-hat = X W_K that is log-coded: weight or "
             "activation"),
    cl::sub(evalPredictorCommand));
cl::opt<std::string> querySourceOption(
    "query-source",
    cl::desc("formal Q, or aloc (Q-hat predicted from W_Q; projection mode)"),
    cl::sub(evalPredictorCommand));
cl::opt<unsigned> scoreBitsOption("score-bits",
                                  cl::desc("sanger: width of Q and K in bits (default 4)"),
                                  cl::sub(evalPredictorCommand));
cl::list<unsigned> roundBitsOption(
    "round-bits", cl::desc("energon: most significant bits of Q and K used by each "
             "round, rising, comma-separated (default 2,4)"),
    cl::CommaSeparated, cl::sub(evalPredictorCommand));
cl::opt<unsigned> segmentsOption("segments",
                                 cl::desc("sofa: number of row segments of the top-k (default 4)"),
                                 cl::sub(evalPredictorCommand));
cl::opt<unsigned> msbBitsOption(
    "msb-bits", cl::desc("spatten: bits fetched first of each 12-bit key "
             "(default 6)"),
    cl::sub(evalPredictorCommand));
cl::opt<double> requantThresholdOption(
    "requant-threshold",
    cl::desc("spatten: refetch a row's low bits when its maximum "
             "probability is below this value (default 0.1)"),
    cl::sub(evalPredictorCommand));

// --- Helpers ---------------------------------------------------------------

// Whether a progress line is on standard error without a newline yet.
bool progressLineShown = false;

void clearProgressLine() {
  if (progressLineShown)
    llvm::errs() << "\r" << std::string(60, ' ') << "\r";
  progressLineShown = false;
}

void reportError(const llvm::Twine &message) {
  clearProgressLine();
  llvm::WithColor::error(llvm::errs(), "lapa-sim") << message << "\n";
}

// A command-line parameter: the option, its name in #lapa.predictor, and
// how it sets a configuration. `apply` returns an error message or "".
struct Parameter {
  const cl::Option *option;
  std::string_view name;
  std::function<std::string(PredictorConfig &)> apply;
};

std::string applyEnum(llvm::StringRef value, llvm::StringRef what,
                      llvm::StringRef valid, bool parsed) {
  if (parsed)
    return "";
  return ("--" + what + "=" + value + " is not a valid value; use one of " +
          valid)
      .str();
}

std::vector<Parameter> makeParameters() {
  std::vector<Parameter> parameters;
  auto add = [&](const cl::Option &option, std::string_view name,
                 std::function<std::string(PredictorConfig &)> apply) {
    parameters.push_back({&option, name, std::move(apply)});
  };
  add(selectOption, "select", [](PredictorConfig &config) {
    std::optional<SelectMode> mode = parseSelectMode(selectOption);
    if (mode) {
      config.select = *mode;
      // A scheme default threshold (Sanger's) has no meaning in top-k mode.
      if (*mode == SelectMode::TopK && !thresholdOption.getNumOccurrences())
        config.threshold.reset();
    }
    return applyEnum(selectOption, "select", "topk, threshold",
                     mode.has_value());
  });
  add(thresholdOption, "threshold", [](PredictorConfig &config) {
    config.threshold = thresholdOption;
    return std::string();
  });
  add(filterOption, "filter", [](PredictorConfig &config) {
    std::optional<FilterRule> rule = parseFilterRule(filterOption);
    if (rule)
      config.filter = *rule;
    return applyEnum(filterOption, "filter", "none, safe, maxmean, radius",
                     rule.has_value());
  });
  add(filterAlphaOption, "filter_alpha", [](PredictorConfig &config) {
    config.filterAlpha = filterAlphaOption;
    return std::string();
  });
  add(filterRadiusOption, "filter_radius", [](PredictorConfig &config) {
    config.filterRadius = filterRadiusOption;
    return std::string();
  });
  add(roundsOption, "rounds", [](PredictorConfig &config) {
    config.rounds = roundsOption;
    return std::string();
  });
  add(slicesOption, "slices", [](PredictorConfig &config) {
    config.sliceWidths.assign(slicesOption.begin(), slicesOption.end());
    return std::string();
  });
  add(accumulatorBitsOption, "accumulator_bits", [](PredictorConfig &config) {
    config.accumulatorBits.assign(accumulatorBitsOption.begin(),
                                  accumulatorBitsOption.end());
    return std::string();
  });
  add(keyBitsOption, "key_bits", [](PredictorConfig &config) {
    config.keyBits = keyBitsOption;
    return std::string();
  });
  add(queryBitsOption, "query_bits", [](PredictorConfig &config) {
    config.queryBits = queryBitsOption;
    return std::string();
  });
  add(activationBitsOption, "activation_bits", [](PredictorConfig &config) {
    config.activationBits = activationBitsOption;
    return std::string();
  });
  add(weightBitsOption, "weight_bits", [](PredictorConfig &config) {
    config.weightBits = weightBitsOption;
    return std::string();
  });
  add(keyAccumulatorBitsOption, "key_accumulator_bits",
      [](PredictorConfig &config) {
        config.keyAccumulatorBits = keyAccumulatorBitsOption;
        return std::string();
      });
  add(keyLogCodedOption, "key_log_coded", [](PredictorConfig &config) {
    std::optional<LogCodedOperand> operand =
        parseLogCodedOperand(keyLogCodedOption);
    if (operand)
      config.keyLogCoded = *operand;
    return applyEnum(keyLogCodedOption, "key-log-coded", "weight, activation",
                     operand.has_value());
  });
  add(querySourceOption, "query_source", [](PredictorConfig &config) {
    std::optional<QuerySource> source = parseQuerySource(querySourceOption);
    if (source)
      config.querySource = *source;
    return applyEnum(querySourceOption, "query-source", "formal, aloc",
                     source.has_value());
  });
  add(scoreBitsOption, "score_bits", [](PredictorConfig &config) {
    config.scoreBits = scoreBitsOption;
    return std::string();
  });
  add(roundBitsOption, "round_bits", [](PredictorConfig &config) {
    config.roundBits.assign(roundBitsOption.begin(), roundBitsOption.end());
    return std::string();
  });
  add(segmentsOption, "segments", [](PredictorConfig &config) {
    config.segments = segmentsOption;
    return std::string();
  });
  add(msbBitsOption, "msb_bits", [](PredictorConfig &config) {
    config.msbBits = msbBitsOption;
    return std::string();
  });
  add(requantThresholdOption, "requant_threshold",
      [](PredictorConfig &config) {
        config.requantThreshold = requantThresholdOption;
        return std::string();
      });
  return parameters;
}

// Lists the schemes that read `name`, for the error on an unused option.
std::string schemesReading(std::string_view name) {
  std::string list;
  for (Scheme scheme :
       {Scheme::Lapa, Scheme::Sofa, Scheme::Fact, Scheme::Sanger,
        Scheme::Energon, Scheme::Spatten, Scheme::Oracle, Scheme::Dense})
    if (schemeUsesParameter(scheme, name)) {
      if (!list.empty())
        list += ", ";
      list += std::string(schemeName(scheme));
    }
  return list.empty() ? "none" : list;
}

// Builds the runs from the options; returns false after reporting an error.
bool buildRuns(std::vector<EvalRun> &runs) {
  std::vector<Scheme> schemes;
  std::vector<std::string> names(schemeNames.begin(), schemeNames.end());
  if (names.empty())
    names.push_back("lapa");
  for (const std::string &name : names) {
    if (name == "all") {
      for (Scheme scheme :
           {Scheme::Lapa, Scheme::Sofa, Scheme::Fact, Scheme::Sanger,
            Scheme::Energon, Scheme::Spatten, Scheme::Oracle, Scheme::Dense})
        schemes.push_back(scheme);
      continue;
    }
    std::optional<Scheme> scheme = parseScheme(name);
    if (!scheme) {
      reportError("--scheme=" + name + " is not a known scheme; use one of " +
                  std::string(allSchemeNames()) + ", or all");
      return false;
    }
    schemes.push_back(*scheme);
  }

  std::vector<Parameter> parameters = makeParameters();
  for (const Parameter &parameter : parameters) {
    if (!parameter.option->getNumOccurrences())
      continue;
    bool used = false;
    for (Scheme scheme : schemes)
      used |= schemeUsesParameter(scheme, parameter.name);
    if (!used) {
      std::string selected;
      for (Scheme scheme : schemes)
        selected += (selected.empty() ? "" : ", ") +
                    std::string(schemeName(scheme));
      reportError("--" + parameter.option->ArgStr + " sets parameter '" +
                  std::string(parameter.name) +
                  "', which no selected scheme reads (" + selected +
                  "); it applies to " +
                  schemesReading(parameter.name) + ". Remove it or select " +
                  "such a scheme");
      return false;
    }
  }
  if (keepRatios.getNumOccurrences()) {
    bool used = false;
    for (Scheme scheme : schemes)
      used |= schemeUsesParameter(scheme, "keep_ratio");
    if (!used) {
      reportError("--keep-ratio has no effect on the selected schemes; "
                  "dense keeps every key");
      return false;
    }
  }

  std::set<std::pair<Scheme, double>> seen;
  for (Scheme scheme : schemes) {
    PredictorConfig base = PredictorConfig::defaults(scheme);
    for (const Parameter &parameter : parameters) {
      if (!parameter.option->getNumOccurrences() ||
          !schemeUsesParameter(scheme, parameter.name))
        continue;
      std::string problem = parameter.apply(base);
      if (!problem.empty()) {
        reportError(problem);
        return false;
      }
    }
    // Threshold selection and dense do not depend on the keep ratio: one run.
    bool keepRatioApplies =
        scheme != Scheme::Dense &&
        (base.select == SelectMode::TopK || scheme == Scheme::Spatten);
    std::vector<double> ratios;
    if (keepRatioApplies && !keepRatios.empty())
      ratios.assign(keepRatios.begin(), keepRatios.end());
    else
      ratios.push_back(base.keepRatio);
    for (double ratio : ratios) {
      if (!seen.insert({scheme, keepRatioApplies ? ratio : -1.0}).second)
        continue;
      EvalRun run;
      run.config = base;
      run.config.keepRatio = ratio;
      run.keepRatioApplies = keepRatioApplies;
      std::string problem = run.config.validate();
      if (!problem.empty()) {
        reportError("scheme " + std::string(schemeName(scheme)) + ": " +
                    problem);
        return false;
      }
      runs.push_back(std::move(run));
    }
  }
  return true;
}

// Resolves a --windows/--layers/--heads list against what the file has.
bool selectIndices(const cl::list<unsigned> &requested,
                   const std::vector<unsigned> &available,
                   llvm::StringRef what, std::vector<unsigned> &selected) {
  if (requested.empty()) {
    selected = available;
    return true;
  }
  for (unsigned index : requested) {
    if (std::find(available.begin(), available.end(), index) ==
        available.end()) {
      std::string list;
      for (unsigned value : available)
        list += (list.empty() ? "" : ", ") + std::to_string(value);
      reportError(llvm::formatv("--{0}={1}: the reference file has no {2} "
                                "{1}; it has {3}",
                                what, index, what.drop_back(), list));
      return false;
    }
    if (std::find(selected.begin(), selected.end(), index) == selected.end())
      selected.push_back(index);
  }
  return true;
}

std::vector<unsigned> range(unsigned count) {
  std::vector<unsigned> values(count);
  for (unsigned i = 0; i < count; ++i)
    values[i] = i;
  return values;
}

// Writes `text` to `path`, or to standard output for "-".
bool writeOutput(llvm::StringRef path,
                 const std::function<void(llvm::raw_ostream &)> &write) {
  if (path == "-") {
    write(llvm::outs());
    return true;
  }
  std::error_code error;
  llvm::ToolOutputFile file(path, error, llvm::sys::fs::OF_Text);
  if (error) {
    reportError("cannot write '" + path + "': " + error.message());
    return false;
  }
  write(file.os());
  file.keep();
  return true;
}

// Progress on the terminal: one line rewritten in place, only when standard
// error is a terminal, so logs and pipes stay clean.
class Progress {
public:
  explicit Progress(unsigned total)
      : total(total), enabled(llvm::sys::Process::StandardErrIsDisplayed()) {}
  void step(unsigned window, unsigned layer) {
    ++done;
    if (!enabled)
      return;
    llvm::errs() << llvm::formatv(
        "\reval-predictor: window {0}, layer {1} ({2}/{3})   ", window, layer,
        done, total);
    progressLineShown = true;
  }
  ~Progress() { clearProgressLine(); }

private:
  unsigned total;
  unsigned done = 0;
  bool enabled;
};

} // namespace

void HeadResult::accumulate(const HeadEvaluation &evaluation) {
  quality.accumulate(evaluation.quality);
  if (rounds.size() < evaluation.rounds.size())
    rounds.resize(evaluation.rounds.size());
  for (size_t r = 0; r < evaluation.rounds.size(); ++r) {
    rounds[r].candidates += evaluation.rounds[r].candidates;
    rounds[r].survivors += evaluation.rounds[r].survivors;
  }
  cost.accumulate(evaluation.cost);
  usedProjection |= evaluation.usedProjection;
}

void HeadResult::accumulate(const HeadResult &other) {
  quality.accumulate(other.quality);
  if (rounds.size() < other.rounds.size())
    rounds.resize(other.rounds.size());
  for (size_t r = 0; r < other.rounds.size(); ++r) {
    rounds[r].candidates += other.rounds[r].candidates;
    rounds[r].survivors += other.rounds[r].survivors;
  }
  cost.accumulate(other.cost);
  usedProjection |= other.usedProjection;
}

std::vector<double> HeadResult::roundKeyFractions() const {
  std::vector<double> fractions;
  for (const RoundStats &round : rounds)
    fractions.push_back(quality.visibleKeys
                            ? double(round.candidates) /
                                  double(quality.visibleKeys)
                            : 0.0);
  return fractions;
}

int lapa::sim::runEvalPredictor() {
  std::vector<EvalRun> runs;
  if (!buildRuns(runs))
    return 1;

  if (referencePath.empty()) {
    reportError("missing --reference=FILE; give the reference activations, "
                "for example examples/tinyllama-kjv/reference.safetensors");
    return 1;
  }
  if (inputMode == InputMode::Projection && modelPath.empty()) {
    reportError("--inputs=projection needs --model=FILE with the weights of "
                "the model that produced the reference, for example "
                "examples/tinyllama-kjv/model.safetensors");
    return 1;
  }
  if (inputMode != InputMode::Projection && !modelPath.empty()) {
    reportError("--model is read only with --inputs=projection; add that "
                "option or remove --model");
    return 1;
  }
  if (querySourceOption.getNumOccurrences() &&
      inputMode != InputMode::Projection) {
    reportError("--query-source needs --inputs=projection, because Q-hat is "
                "predicted from the layer input and W_Q");
    return 1;
  }

  llvm::Expected<ReferenceData> data = ReferenceData::open(referencePath);
  if (!data) {
    reportError(llvm::toString(data.takeError()));
    return 1;
  }
  if (inputMode == InputMode::Projection)
    if (llvm::Error error = data->openModel(modelPath)) {
      reportError(llvm::toString(std::move(error)));
      return 1;
    }
  const ReferenceLayout &layout = data->layout();

  std::vector<unsigned> windows, layers, heads;
  if (!selectIndices(windowList, layout.windows, "windows", windows) ||
      !selectIndices(layerList, range(layout.layers), "layers", layers) ||
      !selectIndices(headList, range(layout.heads), "heads", heads))
    return 1;
  std::sort(layers.begin(), layers.end());

  const unsigned S = layout.length;
  const unsigned d = layout.headDim;
  const unsigned H = layout.hidden;
  bool needsImportance = false;
  bool needsWeights = false;
  for (const EvalRun &run : runs) {
    needsImportance |= run.config.scheme == Scheme::Spatten;
    needsWeights |= inputMode == InputMode::Projection &&
                    (run.config.scheme == Scheme::Lapa ||
                     run.config.scheme == Scheme::Sofa ||
                     run.config.scheme == Scheme::Fact);
  }

  // results[run].heads[layerIndex * (heads + 1) + headIndex]; the last entry
  // of each layer is the total over its heads.
  std::vector<RunResult> results(runs.size());
  for (size_t r = 0; r < runs.size(); ++r) {
    results[r].run = runs[r];
    for (unsigned layer : layers) {
      for (unsigned head : heads) {
        HeadResult entry;
        entry.layer = layer;
        entry.head = int(head);
        results[r].heads.push_back(entry);
      }
      HeadResult total;
      total.layer = layer;
      total.head = -1;
      results[r].heads.push_back(total);
    }
  }

  Progress progress(windows.size() * layers.size());
  const unsigned lastLayer = layers.back();
  for (unsigned window : windows) {
    // SpAtten's importance accumulates over every earlier layer, evaluated
    // or not, so those layers are read too.
    std::vector<float> importance(size_t(S) * S, 0.0f);
    for (unsigned layer = 0; layer <= lastLayer; ++layer) {
      auto layerIt = std::find(layers.begin(), layers.end(), layer);
      bool evaluate = layerIt != layers.end();
      if (!evaluate && !needsImportance)
        continue;
      llvm::Expected<LayerActivations> activations =
          data->readLayer(window, layer);
      if (!activations) {
        reportError(llvm::toString(activations.takeError()));
        return 1;
      }
      if (evaluate) {
        progress.step(window, layer);
        LayerWeights weights;
        if (needsWeights) {
          llvm::Expected<LayerWeights> read =
              data->readWeights(window, layer, normEps);
          if (!read) {
            reportError(llvm::toString(read.takeError()));
            return 1;
          }
          weights = std::move(*read);
        }
        size_t layerIndex = layerIt - layers.begin();
        for (size_t h = 0; h < heads.size(); ++h) {
          unsigned head = heads[h];
          HeadData headData;
          headData.sequenceLength = S;
          headData.headDim = d;
          headData.query = llvm::ArrayRef<float>(activations->query)
                               .slice(size_t(head) * S * d, size_t(S) * d);
          headData.key = llvm::ArrayRef<float>(activations->key)
                             .slice(size_t(head) * S * d, size_t(S) * d);
          headData.probs = llvm::ArrayRef<float>(activations->probs)
                               .slice(size_t(head) * S * S, size_t(S) * S);
          headData.ropeTheta = ropeTheta;
          std::vector<float> keySlice, querySlice;
          if (needsWeights) {
            keySlice = headWeightSlice(weights.keyWeight, H, head, d);
            querySlice = headWeightSlice(weights.queryWeight, H, head, d);
            headData.hiddenSize = H;
            headData.layerInput = weights.layerInput;
            headData.keyWeight = keySlice;
            headData.queryWeight = querySlice;
          }
          if (layer > 0)
            headData.importance = importance;

          for (RunResult &result : results) {
            llvm::Expected<HeadEvaluation> evaluation =
                evaluateHead(result.run.config, inputMode, headData);
            if (!evaluation) {
              reportError(llvm::formatv(
                  "scheme {0}, window {1}, layer {2}, head {3}: {4}",
                  schemeName(result.run.config.scheme), window, layer, head,
                  llvm::toString(evaluation.takeError())));
              return 1;
            }
            result.heads[layerIndex * (heads.size() + 1) + h].accumulate(
                *evaluation);
          }
        }
      }
      if (needsImportance)
        for (unsigned head = 0; head < layout.heads; ++head)
          accumulateImportance(
              llvm::ArrayRef<float>(activations->probs)
                  .slice(size_t(head) * S * S, size_t(S) * S),
              S, importance);
    }
  }

  // Layer totals over the evaluated heads.
  for (RunResult &result : results)
    for (size_t layerIndex = 0; layerIndex < layers.size(); ++layerIndex) {
      size_t base = layerIndex * (heads.size() + 1);
      for (size_t h = 0; h < heads.size(); ++h)
        result.heads[base + heads.size()].accumulate(result.heads[base + h]);
    }

  if (tableMode != TableMode::None)
    printTable(llvm::outs(), results, tableMode == TableMode::Heads);
  if (!jsonPath.empty() &&
      !writeOutput(jsonPath, [&](llvm::raw_ostream &os) {
        os << llvm::formatv("{0:2}",
                            resultsToJSON(results, referencePath, windows))
           << "\n";
      }))
    return 1;
  if (!csvPath.empty() &&
      !writeOutput(csvPath,
                   [&](llvm::raw_ostream &os) { writeCSV(os, results); }))
    return 1;
  return 0;
}
