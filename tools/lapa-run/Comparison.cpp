//===- Comparison.cpp - The numbers lapa-run compares designs by ----------===//

#include "Comparison.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace lapa;
using namespace lapa::run;
using Format = Metric::Format;

const std::vector<std::string> &lapa::run::stageNames() {
  static const std::vector<std::string> names = {
      "prediction", "kv_projection", "attention", "ffn", "other"};
  return names;
}

namespace {

bool isSpeculationComponent(const hardware::HardwareConfig *config,
                            llvm::StringRef component) {
  (void)config;
  return component == "shift_array" || component == "leading_one_encoders" ||
         component == "multiplier_array" || component == "filter" ||
         component.starts_with("speculation");
}

std::string padRight(llvm::StringRef text, size_t width) {
  std::string padded = text.str();
  if (padded.size() < width)
    padded.append(width - padded.size(), ' ');
  return padded;
}

std::string padLeft(llvm::StringRef text, size_t width) {
  if (text.size() >= width)
    return text.str();
  return std::string(width - text.size(), ' ') + text.str();
}

std::optional<double> ratio(uint64_t numerator, uint64_t denominator) {
  if (denominator == 0)
    return std::nullopt;
  return double(numerator) / double(denominator);
}

void derive(DesignResult &result, uint64_t modelOps) {
  result.stageEnergyPj.clear();
  for (const std::string &stage : stageNames())
    result.stageEnergyPj[stage] = 0;
  for (const sim::GroupStats &group : result.sim.stages)
    result.stageEnergyPj[group.stage] += group.energyPj;
  result.speculationEnergyPj = 0;
  for (const auto *energies :
       {&result.sim.dynamicEnergyPj, &result.sim.leakageEnergyPj})
    for (const auto &[component, picojoules] : *energies)
      if (isSpeculationComponent(nullptr, component))
        result.speculationEnergyPj += picojoules;
  double seconds = result.sim.seconds;
  double joules = result.sim.totalEnergyPj() * 1e-12;
  result.effectiveGops = seconds > 0 ? double(modelOps) / seconds / 1e9 : 0;
  // GOPS / W = (ops / s / 1e9) / (J / s) = ops / J / 1e9.
  result.gopsPerWatt = joules > 0 ? double(modelOps) / joules / 1e9 : 0;
}

llvm::Expected<sim::TensorComparison>
compareLogits(const DesignResult &result, const DesignResult &dense) {
  if (result.logits.size() != dense.logits.size())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("design '{0}' has {1} logits but the dense design "
                      "'{2}' has {3}",
                      result.label, result.logits.size(), dense.label,
                      dense.logits.size())
            .str());
  return sim::compareTensors(result.label + ".logits", result.logits,
                             dense.label + ".logits", dense.logits);
}

llvm::Error compareWithDense(DesignResult &result, const DesignResult *dense) {
  if (!dense)
    return llvm::Error::success();
  if (!result.logits.empty() && !dense->logits.empty()) {
    llvm::Expected<sim::TensorComparison> comparison =
        compareLogits(result, *dense);
    if (!comparison)
      return comparison.takeError();
    result.accuracy.vsDense = *comparison;
  }
  if (result.accuracy.score && dense->accuracy.score)
    result.accuracy.crossEntropyChange =
        result.accuracy.score->crossEntropy -
        dense->accuracy.score->crossEntropy;
  return llvm::Error::success();
}

const DesignResult *findDesign(const Comparison &comparison,
                               llvm::StringRef label) {
  for (const DesignResult &design : comparison.designs)
    if (design.label == label)
      return &design;
  return nullptr;
}

std::optional<double> stageEnergy(const DesignResult &result,
                                  const std::string &stage) {
  auto found = result.stageEnergyPj.find(stage);
  if (found == result.stageEnergyPj.end())
    return 0.0;
  return found->second * 1e-6;
}

} // namespace

llvm::Error lapa::run::finalizeComparison(Comparison &comparison) {
  // One operation count for every design, so that GOPS/W ratios are energy
  // ratios for the same work: the dense design's own count when there is
  // one (it computes every visible pair), else the first design's.
  comparison.modelOps = 0;
  if (const DesignResult *dense = findDesign(comparison, comparison.denseDesign))
    comparison.modelOps = dense->sim.denseOps;
  else if (!comparison.designs.empty())
    comparison.modelOps = comparison.designs.front().sim.denseOps;

  for (DesignResult &result : comparison.designs)
    derive(result, comparison.modelOps);
  if (comparison.sweep)
    for (DesignResult &point : comparison.sweep->points)
      derive(point, comparison.modelOps);

  const DesignResult *dense = findDesign(comparison, comparison.denseDesign);
  for (DesignResult &result : comparison.designs)
    if (llvm::Error error = compareWithDense(result, dense))
      return error;
  if (comparison.sweep)
    for (DesignResult &point : comparison.sweep->points)
      if (llvm::Error error = compareWithDense(point, dense))
        return error;

  if (const DesignResult *lapa = findDesign(comparison, comparison.lapaDesign))
    for (DesignResult &result : comparison.designs)
      if (result.gopsPerWatt > 0)
        result.efficiencyRatio = lapa->gopsPerWatt / result.gopsPerWatt;
  return llvm::Error::success();
}

const std::vector<Metric> &lapa::run::designMetrics() {
  static const std::vector<Metric> metrics = [] {
    std::vector<Metric> list;
    auto add = [&](std::string key, std::string label, Format format,
                   std::function<std::optional<double>(const DesignResult &)>
                       value) {
      list.push_back({std::move(key), std::move(label), format,
                      std::move(value)});
    };
    add("instructions", "instructions", Format::Integer,
        [](const DesignResult &r) { return double(r.sim.instructions); });
    add("cycles", "cycles", Format::Integer,
        [](const DesignResult &r) { return double(r.sim.totalCycles); });
    add("time_us", "time (us)", Format::Fixed3,
        [](const DesignResult &r) { return r.sim.seconds * 1e6; });
    add("energy_uj", "energy (uJ)", Format::Fixed3,
        [](const DesignResult &r) { return r.sim.totalEnergyPj() * 1e-6; });
    for (const std::string &stage : stageNames())
      add("energy_" + stage + "_uj", "  " + stage, Format::Fixed3,
          [stage](const DesignResult &r) { return stageEnergy(r, stage); });
    add("energy_leakage_uj", "  leakage", Format::Fixed3,
        [](const DesignResult &r) { return r.sim.totalLeakagePj * 1e-6; });
    add("dram_bytes", "DRAM bytes", Format::Integer,
        [](const DesignResult &r) {
          return double(r.sim.actions.dramReadBytes +
                        r.sim.actions.dramWriteBytes);
        });
    add("effective_gops", "effective GOPS", Format::Fixed1,
        [](const DesignResult &r) { return r.effectiveGops; });
    add("gops_per_watt", "GOPS/W", Format::Fixed1,
        [](const DesignResult &r) { return r.gopsPerWatt; });
    add("prediction_overhead_fraction", "speculation unit energy share",
        Format::Percent, [](const DesignResult &r) -> std::optional<double> {
          double total = r.sim.totalEnergyPj();
          if (total <= 0)
            return std::nullopt;
          return r.speculationEnergyPj / total;
        });
    add("selected_keys", "selected keys", Format::Integer,
        [](const DesignResult &r) -> std::optional<double> {
          if (r.sim.selection.visibleKeys == 0)
            return std::nullopt;
          return double(r.sim.selection.selectedKeys);
        });
    add("visible_keys", "visible keys", Format::Integer,
        [](const DesignResult &r) -> std::optional<double> {
          if (r.sim.selection.visibleKeys == 0)
            return std::nullopt;
          return double(r.sim.selection.visibleKeys);
        });
    add("selected_key_fraction", "selected / visible keys", Format::Percent,
        [](const DesignResult &r) {
          return ratio(r.sim.selection.selectedKeys,
                       r.sim.selection.visibleKeys);
        });
    add("needed_token_fraction", "needed / all tokens (K, V)",
        Format::Percent, [](const DesignResult &r) {
          return ratio(r.sim.selection.gatheredRowsComputed,
                       r.sim.selection.gatheredRows);
        });
    add("logits_max_abs_error", "max abs error vs reference",
        Format::Scientific, [](const DesignResult &r) -> std::optional<double> {
          if (!r.accuracy.vsReference)
            return std::nullopt;
          return r.accuracy.vsReference->maxAbsError;
        });
    add("logits_mean_abs_error", "mean abs error vs reference",
        Format::Scientific, [](const DesignResult &r) -> std::optional<double> {
          if (!r.accuracy.vsReference)
            return std::nullopt;
          return r.accuracy.vsReference->meanAbsError;
        });
    add("logits_cosine", "cosine vs reference", Format::Fixed6,
        [](const DesignResult &r) -> std::optional<double> {
          if (!r.accuracy.vsReference)
            return std::nullopt;
          return r.accuracy.vsReference->cosine;
        });
    add("cross_entropy", "cross-entropy (nats)", Format::Fixed4,
        [](const DesignResult &r) -> std::optional<double> {
          if (!r.accuracy.score)
            return std::nullopt;
          return r.accuracy.score->crossEntropy;
        });
    add("cross_entropy_change", "CE change vs dense", Format::Fixed4,
        [](const DesignResult &r) { return r.accuracy.crossEntropyChange; });
    add("top1_agreement_fraction", "top-1 agreement vs reference",
        Format::Percent, [](const DesignResult &r) -> std::optional<double> {
          if (!r.accuracy.score || !r.accuracy.score->top1Agreement)
            return std::nullopt;
          return ratio(*r.accuracy.score->top1Agreement,
                       r.accuracy.score->positions);
        });
    add("dense_max_abs_error", "max abs error vs dense", Format::Scientific,
        [](const DesignResult &r) -> std::optional<double> {
          if (!r.accuracy.vsDense)
            return std::nullopt;
          return r.accuracy.vsDense->maxAbsError;
        });
    add("dense_cosine", "cosine vs dense", Format::Fixed6,
        [](const DesignResult &r) -> std::optional<double> {
          if (!r.accuracy.vsDense)
            return std::nullopt;
          return r.accuracy.vsDense->cosine;
        });
    add("efficiency_ratio", "LAPA GOPS/W / this", Format::Ratio,
        [](const DesignResult &r) { return r.efficiencyRatio; });
    return list;
  }();
  return metrics;
}

const std::vector<Metric> &lapa::run::sweepMetrics() {
  static const std::vector<Metric> metrics = [] {
    std::vector<std::string> keys = {
        "selected_key_fraction", "needed_token_fraction", "cross_entropy",
        "cross_entropy_change",  "logits_cosine",         "dense_cosine",
        "energy_uj",             "cycles"};
    std::vector<Metric> list;
    for (const std::string &key : keys)
      for (const Metric &metric : designMetrics())
        if (metric.key == key)
          list.push_back(metric);
    return list;
  }();
  return metrics;
}

std::string lapa::run::formatMetric(const Metric &metric,
                                    std::optional<double> value) {
  if (!value)
    return "-";
  double v = *value;
  switch (metric.format) {
  case Format::Integer:
    return llvm::formatv("{0}", uint64_t(std::llround(v))).str();
  case Format::Fixed1:
    return llvm::formatv("{0:f1}", v).str();
  case Format::Fixed3:
    return llvm::formatv("{0:f3}", v).str();
  case Format::Fixed4:
    return metric.key == "cross_entropy_change"
               ? llvm::formatv("{0}{1:f4}", v >= 0 ? "+" : "", v).str()
               : llvm::formatv("{0:f4}", v).str();
  case Format::Fixed6:
    return llvm::formatv("{0:f6}", v).str();
  case Format::Scientific:
    return llvm::formatv("{0:e2}", v).str();
  case Format::Percent:
    return llvm::formatv("{0:f1}%", v * 100).str();
  case Format::Ratio:
    return llvm::formatv("{0:f2}x", v).str();
  }
  return "-";
}

void lapa::run::printComparison(llvm::raw_ostream &os,
                                const Comparison &comparison) {
  os << "lapa-run: " << comparison.model;
  if (comparison.tokens)
    os << ", " << comparison.tokens << " tokens";
  if (!comparison.inputDescription.empty())
    os << (comparison.tokens ? " (" : ", ") << comparison.inputDescription
       << (comparison.tokens ? ")" : "");
  if (comparison.timingOnly)
    os << llvm::formatv(", timing-only with needed fraction {0}",
                        llvm::format("%g", comparison.neededFraction));
  os << "\n\n";

  size_t nameWidth = 6;
  for (const DesignResult &result : comparison.designs)
    nameWidth = std::max(nameWidth, result.label.size());
  os << "designs\n";
  for (const DesignResult &result : comparison.designs)
    os << llvm::formatv("  {0} {1} {2}\n",
                        padRight(result.label, nameWidth),
                        padRight(result.configName, 12),
                        result.predictorText);
  os << "\n";

  size_t labelWidth = 0;
  for (const Metric &metric : designMetrics())
    labelWidth = std::max(labelWidth, metric.label.size());
  std::vector<size_t> widths;
  for (const DesignResult &result : comparison.designs) {
    size_t width = std::max<size_t>(result.label.size(), 10);
    for (const Metric &metric : designMetrics())
      width = std::max(width, formatMetric(metric, metric.value(result)).size());
    widths.push_back(width);
  }
  os << padRight("metric", labelWidth);
  for (size_t d = 0; d < comparison.designs.size(); ++d)
    os << "  "
       << padLeft(comparison.designs[d].label, widths[d]);
  os << "\n";
  for (const Metric &metric : designMetrics()) {
    bool any = false;
    for (const DesignResult &result : comparison.designs)
      any |= metric.value(result).has_value();
    if (!any)
      continue;
    os << padRight(metric.label, labelWidth);
    for (size_t d = 0; d < comparison.designs.size(); ++d)
      os << "  "
         << padLeft(formatMetric(metric, metric.value(comparison.designs[d])), widths[d]);
    os << "\n";
  }

  if (comparison.sweep) {
    const SweepResult &sweep = *comparison.sweep;
    os << "\nsweep of " << sweep.parameter << " on design '" << sweep.design
       << "'\n";
    std::vector<size_t> columnWidths;
    size_t firstWidth = std::max<size_t>(sweep.parameter.size(), 6);
    for (const Metric &metric : sweepMetrics()) {
      size_t width = metric.label.size();
      for (const DesignResult &point : sweep.points)
        width =
            std::max(width, formatMetric(metric, metric.value(point)).size());
      columnWidths.push_back(width);
    }
    os << padRight(sweep.parameter, firstWidth);
    for (size_t c = 0; c < sweepMetrics().size(); ++c)
      os << "  "
         << padLeft(sweepMetrics()[c].label, columnWidths[c]);
    os << "\n";
    for (const DesignResult &point : sweep.points) {
      llvm::StringRef value = llvm::StringRef(point.label).split('=').second;
      os << padRight(value, firstWidth);
      for (size_t c = 0; c < sweepMetrics().size(); ++c) {
        const Metric &metric = sweepMetrics()[c];
        os << "  "
           << padLeft(formatMetric(metric, metric.value(point)), columnWidths[c]);
      }
      os << "\n";
    }
  }

  if (!comparison.notes.empty()) {
    os << "\nnotes\n";
    for (const std::string &note : comparison.notes)
      os << "  " << note << "\n";
  }
}

namespace {

llvm::json::Object resultToJSON(const DesignResult &result,
                                const std::vector<Metric> &metrics) {
  llvm::json::Object object;
  object["name"] = result.label;
  object["hardware"] = result.hwPath;
  object["config"] = result.configName;
  object["predictor"] = result.predictorText;
  llvm::json::Object values;
  for (const Metric &metric : metrics) {
    std::optional<double> value = metric.value(result);
    if (!value)
      values[metric.key] = nullptr;
    else if (metric.format == Format::Integer)
      values[metric.key] = int64_t(std::llround(*value));
    else
      values[metric.key] = *value;
  }
  object["metrics"] = std::move(values);
  llvm::json::Array layers;
  for (const sim::GroupStats &group : result.sim.layers) {
    llvm::json::Object layer;
    layer["layer"] = group.layer;
    layer["span_cycles"] = int64_t(group.lastCycle > group.firstCycle
                                       ? group.lastCycle - group.firstCycle
                                       : 0);
    layer["busy_cycles"] = int64_t(group.busyCycles);
    layer["energy_pj"] = group.energyPj;
    layer["selected_keys"] = int64_t(group.selection.selectedKeys);
    layer["visible_keys"] = int64_t(group.selection.visibleKeys);
    layer["gathered_rows_computed"] =
        int64_t(group.selection.gatheredRowsComputed);
    layer["gathered_rows"] = int64_t(group.selection.gatheredRows);
    layers.push_back(std::move(layer));
  }
  object["layers"] = std::move(layers);
  llvm::json::Array assumptions;
  for (const std::string &assumption : result.sim.assumptions)
    assumptions.push_back(assumption);
  object["assumptions"] = std::move(assumptions);
  return object;
}

} // namespace

llvm::json::Value lapa::run::comparisonToJSON(const Comparison &comparison) {
  llvm::json::Object root;
  root["model"] = comparison.model;
  root["tokens"] = int64_t(comparison.tokens);
  root["input"] = comparison.inputDescription;
  root["timing_only"] = comparison.timingOnly;
  if (comparison.timingOnly)
    root["needed_fraction"] = comparison.neededFraction;
  root["model_ops"] = int64_t(comparison.modelOps);
  root["lapa_design"] = comparison.lapaDesign;
  root["dense_design"] = comparison.denseDesign;

  llvm::json::Array designs;
  for (const DesignResult &result : comparison.designs)
    designs.push_back(resultToJSON(result, designMetrics()));
  root["designs"] = std::move(designs);

  if (comparison.sweep) {
    llvm::json::Array points;
    for (const DesignResult &point : comparison.sweep->points) {
      llvm::json::Object object = resultToJSON(point, designMetrics());
      object["value"] = llvm::StringRef(point.label).split('=').second;
      points.push_back(std::move(object));
    }
    root["sweep"] = llvm::json::Object{
        {"parameter", comparison.sweep->parameter},
        {"design", comparison.sweep->design},
        {"points", std::move(points)}};
  }

  llvm::json::Array notes;
  for (const std::string &note : comparison.notes)
    notes.push_back(note);
  root["notes"] = std::move(notes);
  return llvm::json::Value(std::move(root));
}

void lapa::run::writeComparisonCSV(llvm::raw_ostream &os,
                                   const Comparison &comparison) {
  os << "design,metric,value\n";
  auto writeRows = [&](llvm::StringRef label, const DesignResult &result) {
    for (const Metric &metric : designMetrics()) {
      std::optional<double> value = metric.value(result);
      if (!value)
        continue;
      os << label << "," << metric.key << ",";
      if (metric.format == Format::Integer)
        os << int64_t(std::llround(*value));
      else
        os << llvm::formatv("{0}", llvm::format("%.9g", *value));
      os << "\n";
    }
  };
  for (const DesignResult &result : comparison.designs)
    writeRows(result.label, result);
  if (comparison.sweep)
    for (const DesignResult &point : comparison.sweep->points)
      writeRows("sweep:" + point.label, point);
}
