//===- EvalPredictor.h - The eval-predictor subcommand of lapa-sim --------===//
//
// `lapa-sim eval-predictor` runs predictors over reference activations and
// reports recall, probability mass, round survival, needed tokens and
// operation counts per layer and head, as a terminal table, JSON and CSV.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TOOLS_LAPA_SIM_EVALPREDICTOR_H
#define LAPA_TOOLS_LAPA_SIM_EVALPREDICTOR_H

#include "lapa/Predict/Evaluate.h"

#include "llvm/Support/CommandLine.h"

#include <string>
#include <vector>

namespace lapa::sim {

extern llvm::cl::SubCommand evalPredictorCommand;

/// One predictor configuration to evaluate.
struct EvalRun {
  predict::PredictorConfig config;
  /// Whether the keep ratio sets the selection (top-k); false for threshold
  /// mode and for dense.
  bool keepRatioApplies = true;
};

/// The accumulated evaluation of one head of one layer over all windows.
struct HeadResult {
  unsigned layer = 0;
  /// The head index, or -1 for the aggregate over every head of the layer.
  int head = 0;
  predict::SelectionQuality quality;
  std::vector<predict::RoundStats> rounds;
  predict::PredictionCost cost;
  bool usedProjection = false;

  void accumulate(const predict::HeadEvaluation &evaluation);
  void accumulate(const HeadResult &other);
  /// Fraction of the visible keys scored in each round.
  std::vector<double> roundKeyFractions() const;
};

/// The results of one run: per layer, per head and then the layer total.
struct RunResult {
  EvalRun run;
  std::vector<HeadResult> heads;
};

/// Runs the subcommand with the parsed options; returns the exit code.
int runEvalPredictor();

/// Writes the reports (EvalReport.cpp).
void printTable(llvm::raw_ostream &os, const std::vector<RunResult> &results,
                bool perHead);
llvm::json::Value resultsToJSON(const std::vector<RunResult> &results,
                                llvm::StringRef referencePath,
                                llvm::ArrayRef<unsigned> windows);
void writeCSV(llvm::raw_ostream &os, const std::vector<RunResult> &results);

} // namespace lapa::sim

#endif // LAPA_TOOLS_LAPA_SIM_EVALPREDICTOR_H
