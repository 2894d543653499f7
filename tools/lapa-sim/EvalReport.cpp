//===- EvalReport.cpp - Tables, JSON and CSV of eval-predictor ------------===//
//
// Formats the accumulated results of eval-predictor: a terminal table per
// run, a JSON document with every per-stage operation count by width, and a
// flat CSV with one line per run, layer and head.
//
//===----------------------------------------------------------------------===//

#include "EvalPredictor.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace lapa::sim;
using namespace lapa::predict;

namespace {

llvm::json::Array unsignedArray(const std::vector<unsigned> &values) {
  llvm::json::Array array;
  for (unsigned value : values)
    array.push_back(int64_t(value));
  return array;
}

// The value of the parameter `name` of `config`, as #lapa.predictor spells
// it.
llvm::json::Value parameterValue(const PredictorConfig &config,
                                 std::string_view name) {
  if (name == "key_log_coded")
    return std::string(logCodedOperandName(config.keyLogCoded));
  if (name == "query_source")
    return std::string(querySourceName(config.querySource));
  if (name == "activation_bits")
    return int64_t(config.activationBits);
  if (name == "weight_bits")
    return int64_t(config.weightBits);
  if (name == "query_bits")
    return int64_t(config.queryBits);
  if (name == "key_bits")
    return int64_t(config.keyBits);
  if (name == "key_accumulator_bits")
    return int64_t(config.keyAccumulatorBits);
  if (name == "rounds")
    return int64_t(config.rounds);
  if (name == "slices")
    return unsignedArray(config.sliceWidths);
  if (name == "accumulator_bits")
    return unsignedArray(config.accumulatorBits);
  if (name == "filter")
    return std::string(filterRuleName(config.filter));
  if (name == "filter_alpha")
    return config.filterAlpha;
  if (name == "filter_radius")
    return config.filterRadius;
  if (name == "select")
    return std::string(selectModeName(config.select));
  if (name == "keep_ratio")
    return config.keepRatio;
  if (name == "threshold")
    return config.threshold ? llvm::json::Value(*config.threshold)
                            : llvm::json::Value(nullptr);
  if (name == "score_bits")
    return int64_t(config.scoreBits);
  if (name == "round_bits")
    return unsignedArray(config.roundBits);
  if (name == "segments")
    return int64_t(config.segments);
  if (name == "msb_bits")
    return int64_t(config.msbBits);
  if (name == "requant_threshold")
    return config.requantThreshold;
  return nullptr;
}

// Formats a ratio the way a user types it: 0.1, 0.25.
std::string shortNumber(double value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::format("%g", value);
  return text;
}

std::string keepRatioText(const EvalRun &run) {
  if (!run.keepRatioApplies)
    return "-";
  return shortNumber(run.config.keepRatio);
}

std::string headText(const HeadResult &entry) {
  return entry.head < 0 ? "all" : std::to_string(entry.head);
}

std::string inputsText(const HeadResult &entry) {
  return entry.usedProjection ? "projection" : "reference";
}

std::string roundsText(const HeadResult &entry) {
  std::string text;
  for (double fraction : entry.roundKeyFractions())
    text += (text.empty() ? "" : "/") + llvm::formatv("{0:F3}", fraction).str();
  return text;
}

// Totals of one head's counts over all stages.
OpCounts totalsOf(const HeadResult &entry) { return entry.cost.total(); }

} // namespace

void lapa::sim::printTable(llvm::raw_ostream &os,
                           const std::vector<RunResult> &results,
                           bool perHead) {
  for (const RunResult &result : results) {
    const PredictorConfig &config = result.run.config;
    std::string inputs =
        result.heads.empty() ? "reference" : inputsText(result.heads.front());
    os << llvm::formatv("scheme {0}, keep ratio {1}, select {2}, inputs {3}\n",
                        schemeName(config.scheme), keepRatioText(result.run),
                        selectModeName(config.select), inputs);
    os << llvm::formatv("{0,5} {1,4} {2,7} {3,7} {4,8} {5,7} {6,-13} {7,12} "
                        "{8,12} {9,12} {10,13}\n",
                        "layer", "head", "recall", "mass", "selected",
                        "needed", "keys/round", "shift-adds", "multiplies",
                        "comparisons", "bits read");
    for (const HeadResult &entry : result.heads) {
      if (!perHead && entry.head >= 0)
        continue;
      OpCounts totals = totalsOf(entry);
      os << llvm::formatv(
          "{0,5} {1,4} {2,7:F4} {3,7:F4} {4,8:F4} {5,7:F4} {6,-13} {7,12} "
          "{8,12} {9,12} {10,13}\n",
          entry.layer, headText(entry), entry.quality.recall(),
          entry.quality.meanMass(), entry.quality.selectedFraction(),
          entry.quality.neededFraction(), roundsText(entry),
          OpCounts::total(totals.shiftAdds),
          OpCounts::total(totals.multiplies), totals.comparisons,
          totals.bitsRead);
    }
    os << "\n";
  }
}

llvm::json::Value lapa::sim::resultsToJSON(
    const std::vector<RunResult> &results, llvm::StringRef referencePath,
    llvm::ArrayRef<unsigned> windows) {
  llvm::json::Array runs;
  for (const RunResult &result : results) {
    const PredictorConfig &config = result.run.config;
    llvm::json::Object parameters;
    for (std::string_view name : schemeParameters(config.scheme))
      parameters[std::string(name)] = parameterValue(config, name);

    llvm::json::Array entries;
    for (const HeadResult &entry : result.heads) {
      llvm::json::Array fractions;
      for (double fraction : entry.roundKeyFractions())
        fractions.push_back(fraction);
      llvm::json::Object object{
          {"layer", int64_t(entry.layer)},
          {"head", entry.head < 0 ? llvm::json::Value("all")
                                  : llvm::json::Value(int64_t(entry.head))},
          {"inputs", inputsText(entry)},
          {"rows", int64_t(entry.quality.rows)},
          {"recall", entry.quality.recall()},
          {"probability_mass", entry.quality.meanMass()},
          {"selected_fraction", entry.quality.selectedFraction()},
          {"needed_token_fraction", entry.quality.neededFraction()},
          {"round_key_fractions", std::move(fractions)},
          {"op_counts", entry.cost.toJSON()},
          {"op_totals", totalsOf(entry).toJSON()},
      };
      entries.push_back(std::move(object));
    }
    runs.push_back(llvm::json::Object{
        {"scheme", std::string(schemeName(config.scheme))},
        {"keep_ratio", result.run.keepRatioApplies
                           ? llvm::json::Value(config.keepRatio)
                           : llvm::json::Value(nullptr)},
        {"select", std::string(selectModeName(config.select))},
        {"parameters", std::move(parameters)},
        {"results", std::move(entries)},
    });
  }
  llvm::json::Array windowArray;
  for (unsigned window : windows)
    windowArray.push_back(int64_t(window));
  return llvm::json::Object{{"reference", referencePath.str()},
                            {"windows", std::move(windowArray)},
                            {"runs", std::move(runs)}};
}

void lapa::sim::writeCSV(llvm::raw_ostream &os,
                         const std::vector<RunResult> &results) {
  size_t maxRounds = 0;
  for (const RunResult &result : results)
    for (const HeadResult &entry : result.heads)
      maxRounds = std::max(maxRounds, entry.rounds.size());

  os << "scheme,keep_ratio,select,inputs,layer,head,rows,recall,"
        "probability_mass,selected_fraction,needed_token_fraction";
  for (size_t r = 0; r < maxRounds; ++r)
    os << ",round" << r + 1 << "_key_fraction";
  os << ",shift_adds,multiplies,additions,leading_one_detections,"
        "comparisons,exponentials,bits_read,bits_written\n";

  for (const RunResult &result : results) {
    const PredictorConfig &config = result.run.config;
    for (const HeadResult &entry : result.heads) {
      OpCounts totals = totalsOf(entry);
      os << llvm::formatv("{0},{1},{2},{3},{4},{5},{6},{7:F6},{8:F6},{9:F6},"
                          "{10:F6}",
                          schemeName(config.scheme),
                          result.run.keepRatioApplies
                              ? shortNumber(config.keepRatio)
                              : std::string(),
                          selectModeName(config.select), inputsText(entry),
                          entry.layer, headText(entry), entry.quality.rows,
                          entry.quality.recall(), entry.quality.meanMass(),
                          entry.quality.selectedFraction(),
                          entry.quality.neededFraction());
      std::vector<double> fractions = entry.roundKeyFractions();
      for (size_t r = 0; r < maxRounds; ++r) {
        os << ",";
        if (r < fractions.size())
          os << llvm::formatv("{0:F6}", fractions[r]);
      }
      os << llvm::formatv(",{0},{1},{2},{3},{4},{5},{6},{7}\n",
                          OpCounts::total(totals.shiftAdds),
                          OpCounts::total(totals.multiplies),
                          OpCounts::total(totals.additions),
                          OpCounts::total(totals.leadingOneDetections),
                          totals.comparisons, totals.exponentials,
                          totals.bitsRead, totals.bitsWritten);
    }
  }
}
