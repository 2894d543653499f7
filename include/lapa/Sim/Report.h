//===- Report.h - Reports of a simulation run -------------------*- C++ -*-===//
//
// The same numbers in four forms: a terminal table, JSON, CSV (one row per
// metric and group) and a Chrome trace (one track per unit, one span per
// instruction) that chrome://tracing and Perfetto open.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SIM_REPORT_H
#define LAPA_SIM_REPORT_H

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Sim/Simulator.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace lapa::sim {

/// Writes the summary table: totals, units, energy by component, stages and
/// layers.
void printSummary(llvm::raw_ostream &os, const SimResult &result,
                  const hardware::HardwareConfig &config);

/// Returns every number of the summary as JSON.
llvm::json::Value resultToJSON(const SimResult &result,
                               const hardware::HardwareConfig &config);

/// Writes `section,name,metric,value` rows with the numbers of the JSON.
void writeCSV(llvm::raw_ostream &os, const SimResult &result,
              const hardware::HardwareConfig &config);

/// Writes a Chrome trace event file. Needs SimResult::timeline; times are
/// in microseconds at the configuration's clock.
void writeChromeTrace(llvm::raw_ostream &os, const isa::StreamFile &stream,
                      const SimResult &result,
                      const hardware::HardwareConfig &config);

} // namespace lapa::sim

#endif // LAPA_SIM_REPORT_H
