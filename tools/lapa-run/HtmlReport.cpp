//===- HtmlReport.cpp - The HTML form of a lapa-run comparison ------------===//
//
// One self-contained page: the comparison table, the energy of each design
// by stage as stacked bars, the cycles of each layer per design as grouped
// bars, and the sweep as accuracy against energy. Charts are inline SVG
// drawn here; the page loads no script, style sheet or font.
//
//===----------------------------------------------------------------------===//

#include "Comparison.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace lapa;
using namespace lapa::run;

namespace {

const char *const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                "#9c755f", "#bab0ac"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

std::string escape(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// Returns a round axis maximum at or above `value`: 1, 2 or 5 times a
/// power of ten.
double niceMaximum(double value) {
  if (!(value > 0))
    return 1;
  double power = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0})
    if (step * power >= value)
      return step * power;
  return 10 * power;
}

std::string number(double value) {
  if (value != 0 && (std::fabs(value) >= 1e6 || std::fabs(value) < 1e-2))
    return llvm::formatv("{0:e1}", value).str();
  if (std::fabs(value) >= 100)
    return llvm::formatv("{0:f0}", value).str();
  return llvm::formatv("{0:f2}", value).str();
}

void writeTable(llvm::raw_ostream &os, const Comparison &comparison) {
  os << "<table>\n<tr><th>metric</th>";
  for (const DesignResult &result : comparison.designs)
    os << "<th>" << escape(result.label) << "</th>";
  os << "</tr>\n";
  for (const Metric &metric : designMetrics()) {
    bool any = false;
    for (const DesignResult &result : comparison.designs)
      any |= metric.value(result).has_value();
    if (!any)
      continue;
    os << "<tr><td>" << escape(llvm::StringRef(metric.label).trim())
       << "</td>";
    for (const DesignResult &result : comparison.designs)
      os << "<td class=\"n\">"
         << escape(formatMetric(metric, metric.value(result))) << "</td>";
    os << "</tr>\n";
  }
  os << "</table>\n";
}

void writeLegend(llvm::raw_ostream &os, double x, double y,
                 const std::vector<std::string> &names) {
  for (size_t i = 0; i < names.size(); ++i) {
    double top = y + double(i) * 18;
    os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"12\" "
                        "height=\"12\" fill=\"{2}\"/>",
                        x, top, kPalette[i % kPaletteSize])
       << llvm::formatv("<text x=\"{0}\" y=\"{1}\">{2}</text>\n", x + 18,
                        top + 11, escape(names[i]));
  }
}

/// Stacked horizontal bars: one per design, one segment per stage.
void writeEnergyChart(llvm::raw_ostream &os, const Comparison &comparison) {
  const double left = 110, barHeight = 22, gap = 10, plotWidth = 520;
  const double height = 40 + comparison.designs.size() * (barHeight + gap) + 30;
  double maximum = 0;
  for (const DesignResult &result : comparison.designs)
    maximum = std::max(maximum, result.sim.totalEnergyPj() * 1e-6);
  maximum = niceMaximum(maximum);
  std::vector<std::string> segments = stageNames();
  segments.push_back("leakage");

  os << llvm::formatv("<svg width=\"{0}\" height=\"{1}\" role=\"img\" "
                      "aria-label=\"energy by stage\">\n",
                      left + plotWidth + 160, height);
  for (size_t d = 0; d < comparison.designs.size(); ++d) {
    const DesignResult &result = comparison.designs[d];
    double top = 20 + d * (barHeight + gap);
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">{2}"
                        "</text>\n",
                        left - 8, top + barHeight * 0.7, escape(result.label));
    double x = left;
    for (size_t s = 0; s < segments.size(); ++s) {
      double microjoules =
          segments[s] == "leakage"
              ? result.sim.totalLeakagePj * 1e-6
              : result.stageEnergyPj.count(segments[s])
                    ? result.stageEnergyPj.at(segments[s]) * 1e-6
                    : 0;
      double width = microjoules / maximum * plotWidth;
      if (width <= 0)
        continue;
      os << llvm::formatv("<rect x=\"{0:f2}\" y=\"{1}\" width=\"{2:f2}\" "
                          "height=\"{3}\" fill=\"{4}\"><title>{5} {6}: {7} "
                          "uJ</title></rect>\n",
                          x, top, width, barHeight,
                          kPalette[s % kPaletteSize], escape(result.label),
                          segments[s], number(microjoules));
      x += width;
    }
    os << llvm::formatv("<text x=\"{0:f2}\" y=\"{1}\">{2} uJ</text>\n", x + 4,
                        top + barHeight * 0.7,
                        number(result.sim.totalEnergyPj() * 1e-6));
  }
  double axisY = 20 + comparison.designs.size() * (barHeight + gap);
  os << llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                      "stroke=\"#333\"/>\n",
                      left, axisY, left + plotWidth);
  for (int tick = 0; tick <= 4; ++tick) {
    double x = left + plotWidth * tick / 4;
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">{2}"
                        "</text>\n",
                        x, axisY + 16, number(maximum * tick / 4));
  }
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">"
                      "energy (uJ)</text>\n",
                      left + plotWidth / 2, axisY + 30);
  writeLegend(os, left + plotWidth + 70, 20, segments);
  os << "</svg>\n";
}

/// Grouped vertical bars: one group per layer, one bar per design.
void writeLayerChart(llvm::raw_ostream &os, const Comparison &comparison) {
  std::vector<int32_t> layers;
  for (const DesignResult &result : comparison.designs)
    for (const sim::GroupStats &group : result.sim.layers)
      if (group.layer >= 0 &&
          std::find(layers.begin(), layers.end(), group.layer) == layers.end())
        layers.push_back(group.layer);
  std::sort(layers.begin(), layers.end());
  if (layers.empty()) {
    os << "<p>The streams have no layer ranges.</p>\n";
    return;
  }
  auto spanOf = [](const DesignResult &result, int32_t layer) -> double {
    for (const sim::GroupStats &group : result.sim.layers)
      if (group.layer == layer && group.lastCycle > group.firstCycle)
        return double(group.lastCycle - group.firstCycle);
    return 0;
  };
  double maximum = 0;
  for (const DesignResult &result : comparison.designs)
    for (int32_t layer : layers)
      maximum = std::max(maximum, spanOf(result, layer));
  maximum = niceMaximum(maximum);

  const double left = 80, top = 20, plotHeight = 220, barWidth = 14;
  const double groupWidth =
      comparison.designs.size() * barWidth + 20;
  const double plotWidth = std::max(300.0, layers.size() * groupWidth);
  os << llvm::formatv("<svg width=\"{0}\" height=\"{1}\" role=\"img\" "
                      "aria-label=\"cycles per layer\">\n",
                      left + plotWidth + 160, top + plotHeight + 50);
  for (int tick = 0; tick <= 4; ++tick) {
    double y = top + plotHeight - plotHeight * tick / 4;
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1:f2}\" x2=\"{2}\" "
                        "y2=\"{1:f2}\" stroke=\"#ddd\"/>"
                        "<text x=\"{3}\" y=\"{4:f2}\" text-anchor=\"end\">{5}"
                        "</text>\n",
                        left, y, left + plotWidth, left - 6, y + 4,
                        number(maximum * tick / 4));
  }
  for (size_t l = 0; l < layers.size(); ++l) {
    double groupLeft = left + 10 + l * groupWidth;
    for (size_t d = 0; d < comparison.designs.size(); ++d) {
      double cycles = spanOf(comparison.designs[d], layers[l]);
      double height = cycles / maximum * plotHeight;
      os << llvm::formatv("<rect x=\"{0:f2}\" y=\"{1:f2}\" width=\"{2}\" "
                          "height=\"{3:f2}\" fill=\"{4}\"><title>{5} layer "
                          "{6}: {7} cycles</title></rect>\n",
                          groupLeft + d * barWidth,
                          top + plotHeight - height, barWidth - 2, height,
                          kPalette[d % kPaletteSize],
                          escape(comparison.designs[d].label), layers[l],
                          uint64_t(cycles));
    }
    os << llvm::formatv("<text x=\"{0:f2}\" y=\"{1}\" text-anchor=\"middle\">"
                        "{2}</text>\n",
                        groupLeft + comparison.designs.size() * barWidth / 2,
                        top + plotHeight + 16, layers[l]);
  }
  os << llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                      "stroke=\"#333\"/>\n",
                      left, top + plotHeight, left + plotWidth);
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">"
                      "layer (span in cycles)</text>\n",
                      left + plotWidth / 2, top + plotHeight + 36);
  std::vector<std::string> names;
  for (const DesignResult &result : comparison.designs)
    names.push_back(result.label);
  writeLegend(os, left + plotWidth + 20, top, names);
  os << "</svg>\n";
}

/// Scatter of accuracy against energy: the sweep points joined by a line,
/// and the designs of the comparison as separate markers.
void writeSweepChart(llvm::raw_ostream &os, const Comparison &comparison) {
  const SweepResult &sweep = *comparison.sweep;
  // Cross-entropy when the runs were scored, else nothing to plot.
  auto accuracyOf = [](const DesignResult &result) -> std::optional<double> {
    if (result.accuracy.score)
      return result.accuracy.score->crossEntropy;
    return std::nullopt;
  };
  struct Point {
    double energy;
    double accuracy;
    std::string label;
    bool sweep;
  };
  std::vector<Point> points;
  for (const DesignResult &point : sweep.points)
    if (std::optional<double> accuracy = accuracyOf(point))
      points.push_back({point.sim.totalEnergyPj() * 1e-6, *accuracy,
                        point.label, true});
  for (const DesignResult &result : comparison.designs)
    if (std::optional<double> accuracy = accuracyOf(result))
      points.push_back({result.sim.totalEnergyPj() * 1e-6, *accuracy,
                        result.label, false});
  if (points.empty()) {
    os << "<p>The sweep ran without data, so it has no accuracy to "
          "plot; the table above lists its energy.</p>\n";
    return;
  }
  double minEnergy = points[0].energy, maxEnergy = points[0].energy;
  double minAccuracy = points[0].accuracy, maxAccuracy = points[0].accuracy;
  for (const Point &point : points) {
    minEnergy = std::min(minEnergy, point.energy);
    maxEnergy = std::max(maxEnergy, point.energy);
    minAccuracy = std::min(minAccuracy, point.accuracy);
    maxAccuracy = std::max(maxAccuracy, point.accuracy);
  }
  double energyPad = std::max((maxEnergy - minEnergy) * 0.1, 1e-3);
  double accuracyPad = std::max((maxAccuracy - minAccuracy) * 0.1, 1e-3);
  minEnergy -= energyPad;
  maxEnergy += energyPad;
  minAccuracy -= accuracyPad;
  maxAccuracy += accuracyPad;

  const double left = 80, top = 20, plotWidth = 520, plotHeight = 260;
  auto xOf = [&](double energy) {
    return left + (energy - minEnergy) / (maxEnergy - minEnergy) * plotWidth;
  };
  auto yOf = [&](double accuracy) {
    return top + plotHeight -
           (accuracy - minAccuracy) / (maxAccuracy - minAccuracy) * plotHeight;
  };
  os << llvm::formatv("<svg width=\"{0}\" height=\"{1}\" role=\"img\" "
                      "aria-label=\"sweep: cross-entropy against energy\">\n",
                      left + plotWidth + 40, top + plotHeight + 50);
  for (int tick = 0; tick <= 4; ++tick) {
    double energy = minEnergy + (maxEnergy - minEnergy) * tick / 4;
    double accuracy = minAccuracy + (maxAccuracy - minAccuracy) * tick / 4;
    os << llvm::formatv("<text x=\"{0:f2}\" y=\"{1}\" text-anchor=\"middle\">"
                        "{2}</text>\n",
                        xOf(energy), top + plotHeight + 16, number(energy));
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1:f2}\" x2=\"{2}\" "
                        "y2=\"{1:f2}\" stroke=\"#ddd\"/><text x=\"{3}\" "
                        "y=\"{4:f2}\" text-anchor=\"end\">{5}</text>\n",
                        left, yOf(accuracy), left + plotWidth, left - 6,
                        yOf(accuracy) + 4,
                        llvm::formatv("{0:f3}", accuracy).str());
  }
  os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" "
                      "fill=\"none\" stroke=\"#333\"/>\n",
                      left, top, plotWidth, plotHeight);
  std::string path;
  for (const Point &point : points)
    if (point.sweep)
      path += llvm::formatv("{0}{1:f2},{2:f2} ", path.empty() ? "M" : "L",
                            xOf(point.energy), yOf(point.accuracy))
                  .str();
  if (!path.empty())
    os << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << kPalette[0]
       << "\"/>\n";
  for (const Point &point : points) {
    const char *color = point.sweep ? kPalette[0] : kPalette[1];
    os << llvm::formatv("<circle cx=\"{0:f2}\" cy=\"{1:f2}\" r=\"4\" "
                        "fill=\"{2}\"><title>{3}: {4} uJ, {5} nats</title>"
                        "</circle><text x=\"{6:f2}\" y=\"{7:f2}\">{3}</text>\n",
                        xOf(point.energy), yOf(point.accuracy), color,
                        escape(point.label), number(point.energy),
                        llvm::formatv("{0:f4}", point.accuracy).str(),
                        xOf(point.energy) + 6, yOf(point.accuracy) - 6);
  }
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">"
                      "energy (uJ)</text>\n",
                      left + plotWidth / 2, top + plotHeight + 36);
  os << llvm::formatv("<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 "
                      "{0})\" text-anchor=\"middle\">cross-entropy (nats)"
                      "</text>\n",
                      top + plotHeight / 2);
  os << "</svg>\n";
}

void writeSweepTable(llvm::raw_ostream &os, const SweepResult &sweep) {
  os << "<table>\n<tr><th>" << escape(sweep.parameter) << "</th>";
  for (const Metric &metric : sweepMetrics())
    os << "<th>" << escape(metric.label) << "</th>";
  os << "</tr>\n";
  for (const DesignResult &point : sweep.points) {
    os << "<tr><td>" << escape(llvm::StringRef(point.label).split('=').second)
       << "</td>";
    for (const Metric &metric : sweepMetrics())
      os << "<td class=\"n\">"
         << escape(formatMetric(metric, metric.value(point))) << "</td>";
    os << "</tr>\n";
  }
  os << "</table>\n";
}

} // namespace

void lapa::run::writeComparisonHtml(llvm::raw_ostream &os,
                                    const Comparison &comparison) {
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
        "\n<title>lapa-run: "
     << escape(comparison.model) << "</title>\n<style>\n"
     << "body { font-family: sans-serif; margin: 2em; color: #222; }\n"
        "table { border-collapse: collapse; margin: 1em 0; }\n"
        "td, th { border: 1px solid #ccc; padding: 3px 8px; }\n"
        "td.n { text-align: right; font-family: monospace; }\n"
        "svg text { font-size: 12px; font-family: sans-serif; }\n"
        "</style>\n</head>\n<body>\n";
  os << "<h1>lapa-run: " << escape(comparison.model) << "</h1>\n<p>";
  if (comparison.tokens)
    os << comparison.tokens << " tokens";
  if (!comparison.inputDescription.empty())
    os << (comparison.tokens ? " (" : "") << escape(comparison.inputDescription)
       << (comparison.tokens ? ")" : "");
  if (comparison.timingOnly)
    os << llvm::formatv(", timing-only with needed fraction {0}",
                        llvm::format("%g", comparison.neededFraction));
  os << ".</p>\n<h2>Designs</h2>\n<ul>\n";
  for (const DesignResult &result : comparison.designs)
    os << "<li><b>" << escape(result.label) << "</b>: "
       << escape(result.configName) << " (" << escape(result.hwPath)
       << "), predictor <code>" << escape(result.predictorText)
       << "</code></li>\n";
  os << "</ul>\n<h2>Comparison</h2>\n";
  writeTable(os, comparison);
  os << "<h2>Energy by stage</h2>\n";
  writeEnergyChart(os, comparison);
  os << "<h2>Cycles per layer</h2>\n";
  writeLayerChart(os, comparison);
  if (comparison.sweep) {
    os << "<h2>Sweep of " << escape(comparison.sweep->parameter)
       << " on design " << escape(comparison.sweep->design) << "</h2>\n";
    writeSweepTable(os, *comparison.sweep);
    writeSweepChart(os, comparison);
  }
  if (!comparison.notes.empty()) {
    os << "<h2>Notes</h2>\n<ul>\n";
    for (const std::string &note : comparison.notes)
      os << "<li>" << escape(note) << "</li>\n";
    os << "</ul>\n";
  }
  os << "</body>\n</html>\n";
}
