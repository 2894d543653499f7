//===- Comparison.h - The numbers lapa-run compares designs by --*- C++ -*-===//
//
// One DesignResult per simulated design (or sweep point), and the derived
// numbers of the comparison. These are the energy by stage, effective GOPS
// and GOPS/W on one common operation count, the prediction overhead and the
// sparsity achieved. They also include the accuracy against the reference
// and against the dense design, and the energy-efficiency ratio of the LAPA
// design to each other design.
// The terminal table, JSON, CSV and HTML forms all read the metric list
// below, so they show the same numbers.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TOOLS_LAPA_RUN_COMPARISON_H
#define LAPA_TOOLS_LAPA_RUN_COMPARISON_H

#include "lapa/Sim/Accuracy.h"
#include "lapa/Sim/Simulator.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lapa::run {

/// The stage names of StageRange, in report order.
const std::vector<std::string> &stageNames();

struct Accuracy {
  /// Logits against the reference logits.
  std::optional<sim::TensorComparison> vsReference;
  /// Next-token cross-entropy on the input tokens (and top-1 agreement with
  /// the reference logits when they are given).
  std::optional<sim::LanguageModelScore> score;
  /// Logits against the dense design's logits.
  std::optional<sim::TensorComparison> vsDense;
  /// Cross-entropy minus the dense design's, in nats.
  std::optional<double> crossEntropyChange;
};

struct DesignResult {
  /// Design name, or `PARAMETER=VALUE` for a sweep point.
  std::string label;
  std::string hwPath;
  std::string configName;
  std::string predictorText;
  /// True when the predictor scheme is dense.
  bool dense = false;
  /// True when the predictor scheme is lapa.
  bool lapa = false;
  sim::SimResult sim;
  /// [rows x vocabulary] logits of a functional run, else empty.
  std::vector<float> logits;
  uint64_t logitRows = 0;
  uint64_t vocabulary = 0;
  Accuracy accuracy;

  // Derived by finalizeComparison.
  std::map<std::string, double> stageEnergyPj;
  /// Energy of the speculation unit: its arrays (shift, leading-one
  /// encoders, multipliers, filter) and buffers named speculation*.
  double speculationEnergyPj = 0;
  double effectiveGops = 0;
  double gopsPerWatt = 0;
  /// GOPS/W of the LAPA design over this design's.
  std::optional<double> efficiencyRatio;
};

struct SweepResult {
  std::string parameter;
  /// Design whose predictor the sweep varies.
  std::string design;
  std::vector<DesignResult> points;
};

struct Comparison {
  std::string model;
  uint64_t tokens = 0;
  /// Source of the tokens and the reference, for the header line.
  std::string inputDescription;
  bool timingOnly = false;
  double neededFraction = 1.0;
  /// Dense-equivalent operations that every design's GOPS counts.
  uint64_t modelOps = 0;
  std::vector<DesignResult> designs;
  /// Label of the design the efficiency ratios divide by, or "".
  std::string lapaDesign;
  /// Label of the design the accuracy deltas compare with, or "".
  std::string denseDesign;
  std::optional<SweepResult> sweep;
  std::vector<std::string> notes;
};

/// Fills the derived numbers: stage energies, the common operation count,
/// GOPS, GOPS/W, the efficiency ratios and the accuracy against the dense
/// design. Errors: logits of different shapes.
llvm::Error finalizeComparison(Comparison &comparison);

/// One number of a design's column.
struct Metric {
  /// JSON and CSV key.
  std::string key;
  /// Row label of the terminal table.
  std::string label;
  enum class Format { Integer, Fixed1, Fixed3, Fixed4, Fixed6, Scientific,
                      Percent, Ratio };
  Format format;
  std::function<std::optional<double>(const DesignResult &)> value;
};

/// Returns the metrics of the comparison table in row order.
const std::vector<Metric> &designMetrics();

/// Returns the metrics of the sweep table in column order.
const std::vector<Metric> &sweepMetrics();

/// Formats a value the way the terminal table shows it; "-" when absent.
std::string formatMetric(const Metric &metric, std::optional<double> value);

void printComparison(llvm::raw_ostream &os, const Comparison &comparison);
llvm::json::Value comparisonToJSON(const Comparison &comparison);
/// Writes `design,metric,value` rows; sweep points are labelled
/// `sweep:PARAMETER=VALUE`.
void writeComparisonCSV(llvm::raw_ostream &os, const Comparison &comparison);
/// Writes a self-contained HTML page with inline SVG charts.
void writeComparisonHtml(llvm::raw_ostream &os, const Comparison &comparison);

} // namespace lapa::run

#endif // LAPA_TOOLS_LAPA_RUN_COMPARISON_H
