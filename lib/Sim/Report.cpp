//===- Report.cpp - Reports of a simulation run ---------------------------===//

#include "lapa/Sim/Report.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace lapa;
using namespace lapa::sim;

namespace {

double utilization(uint64_t busy, uint64_t total) {
  return total ? double(busy) / double(total) : 0.0;
}

std::string groupName(const GroupStats &group) {
  if (group.stage == "all")
    return group.layer < 0 ? "outside layers"
                           : llvm::formatv("layer {0}", group.layer).str();
  if (group.layer < 0)
    return group.stage;
  return llvm::formatv("layer {0} {1}", group.layer, group.stage).str();
}

uint64_t dramBytes(const ActionCounts &actions) {
  return actions.dramReadBytes + actions.dramWriteBytes;
}

void printGroups(llvm::raw_ostream &os, llvm::StringRef title,
                 const std::vector<GroupStats> &groups) {
  os << "\n" << title << "\n";
  os << llvm::formatv("  {0,-24} {1,12} {2,14} {3,14} {4,14} {5,14}\n", "group",
                      "instructions", "busy cycles", "span cycles",
                      "energy (uJ)", "DRAM bytes");
  for (const GroupStats &group : groups) {
    uint64_t span = group.lastCycle > group.firstCycle
                        ? group.lastCycle - group.firstCycle
                        : 0;
    os << llvm::formatv("  {0,-24} {1,12} {2,14} {3,14} {4,14:f3} {5,14}\n",
                        groupName(group), group.instructions, group.busyCycles,
                        span, group.energyPj * 1e-6, dramBytes(group.actions));
  }
}

llvm::json::Object actionsToJSON(const ActionCounts &actions,
                                 const hardware::HardwareConfig &config) {
  llvm::json::Object buffers;
  for (size_t b = 0; b < config.buffers.size(); ++b)
    buffers[config.buffers[b].name] = llvm::json::Object{
        {"read_bytes", int64_t(b < actions.bufferReadBytes.size()
                                   ? actions.bufferReadBytes[b]
                                   : 0)},
        {"write_bytes", int64_t(b < actions.bufferWriteBytes.size()
                                    ? actions.bufferWriteBytes[b]
                                    : 0)}};
  return llvm::json::Object{{"macs", int64_t(actions.macs)},
                            {"shift_adds", int64_t(actions.shiftAdds)},
                            {"encodes", int64_t(actions.encodes)},
                            {"compares", int64_t(actions.compares)},
                            {"exps", int64_t(actions.exps)},
                            {"divides", int64_t(actions.divides)},
                            {"vector_ops", int64_t(actions.vectorOps)},
                            {"dram_read_bytes", int64_t(actions.dramReadBytes)},
                            {"dram_write_bytes",
                             int64_t(actions.dramWriteBytes)},
                            {"buffers", std::move(buffers)}};
}

llvm::json::Array groupsToJSON(const std::vector<GroupStats> &groups,
                               const hardware::HardwareConfig &config) {
  llvm::json::Array array;
  for (const GroupStats &group : groups)
    array.push_back(llvm::json::Object{
        {"stage", group.stage},
        {"layer", group.layer},
        {"instructions", int64_t(group.instructions)},
        {"busy_cycles", int64_t(group.busyCycles)},
        {"first_cycle",
         int64_t(group.instructions ? group.firstCycle : 0)},
        {"last_cycle", int64_t(group.lastCycle)},
        {"energy_pj", group.energyPj},
        {"actions", actionsToJSON(group.actions, config)}});
  return array;
}

} // namespace

void lapa::sim::printSummary(llvm::raw_ostream &os, const SimResult &result,
                             const hardware::HardwareConfig &config) {
  os << "lapa-sim: " << result.instructions << " instructions on '"
     << config.name << "' at " << config.clockMhz << " MHz\n\n";
  os << llvm::formatv("  {0,-30} {1}\n", "cycles", result.totalCycles);
  os << llvm::formatv("  {0,-30} {1:f3} us\n", "time", result.seconds * 1e6);
  os << llvm::formatv("  {0,-30} {1:f3} uJ ({2:f3} dynamic, {3:f3} leakage)\n",
                      "energy", result.totalEnergyPj() * 1e-6,
                      result.totalDynamicPj * 1e-6,
                      result.totalLeakagePj * 1e-6);
  os << llvm::formatv("  {0,-30} {1:f3} W\n", "average power",
                      result.averagePowerWatts());
  os << llvm::formatv("  {0,-30} {1}\n", "dense-equivalent ops",
                      result.denseOps);
  os << llvm::formatv("  {0,-30} {1:f1}\n", "effective GOPS",
                      result.effectiveGops());
  os << llvm::formatv("  {0,-30} {1:f1}\n", "GOPS/W", result.gopsPerWatt());
  os << llvm::formatv("  {0,-30} {1} read, {2} written\n", "DRAM bytes",
                      result.actions.dramReadBytes,
                      result.actions.dramWriteBytes);
  os << llvm::formatv("  {0,-30} {1} cycles busy, {2} with the MAC array\n",
                      "prediction units", result.predictionBusyCycles,
                      result.predictionMacOverlapCycles);

  os << "\nunits\n";
  os << llvm::formatv("  {0,-10} {1,12} {2,14} {3,14} {4,12}\n", "unit",
                      "instructions", "busy cycles", "stall cycles",
                      "utilization");
  for (unsigned u = 0; u < isa::kNumUnits; ++u) {
    const UnitStats &unit = result.units[u];
    os << llvm::formatv("  {0,-10} {1,12} {2,14} {3,14} {4,11:f1}%\n",
                        isa::unitName(isa::Unit(u)), unit.instructions,
                        unit.busyCycles, unit.stallCycles,
                        100.0 * utilization(unit.busyCycles,
                                            result.totalCycles));
  }

  os << "\nenergy by component\n";
  std::map<std::string, std::pair<double, double>> components;
  for (const auto &[name, pj] : result.dynamicEnergyPj)
    components[name].first = pj;
  for (const auto &[name, pj] : result.leakageEnergyPj)
    components[name].second = pj;
  os << llvm::formatv("  {0,-22} {1,14} {2,14} {3,8}\n", "component",
                      "dynamic (uJ)", "leakage (uJ)", "share");
  for (const auto &[name, energy] : components)
    os << llvm::formatv("  {0,-22} {1,14:f3} {2,14:f3} {3,7:f1}%\n", name,
                        energy.first * 1e-6, energy.second * 1e-6,
                        100.0 * (energy.first + energy.second) /
                            std::max(result.totalEnergyPj(), 1e-30));

  printGroups(os, "stages", result.stages);
  printGroups(os, "layers", result.layers);
  if (!result.assumptions.empty()) {
    os << "\nassumptions\n";
    for (const std::string &assumption : result.assumptions)
      os << "  " << assumption << "\n";
  }
}

llvm::json::Value lapa::sim::resultToJSON(const SimResult &result,
                                          const hardware::HardwareConfig
                                              &config) {
  llvm::json::Array units;
  for (unsigned u = 0; u < isa::kNumUnits; ++u) {
    const UnitStats &unit = result.units[u];
    units.push_back(llvm::json::Object{
        {"unit", std::string(isa::unitName(isa::Unit(u)))},
        {"instructions", int64_t(unit.instructions)},
        {"busy_cycles", int64_t(unit.busyCycles)},
        {"stall_cycles", int64_t(unit.stallCycles)},
        {"utilization", utilization(unit.busyCycles, result.totalCycles)}});
  }
  llvm::json::Object dynamic, leakage;
  for (const auto &[name, pj] : result.dynamicEnergyPj)
    dynamic[name] = pj;
  for (const auto &[name, pj] : result.leakageEnergyPj)
    leakage[name] = pj;
  llvm::json::Array assumptions;
  for (const std::string &assumption : result.assumptions)
    assumptions.push_back(assumption);
  return llvm::json::Object{
      {"config", config.name},
      {"clock_mhz", config.clockMhz},
      {"instructions", int64_t(result.instructions)},
      {"cycles", int64_t(result.totalCycles)},
      {"seconds", result.seconds},
      {"energy_pj",
       llvm::json::Object{{"total", result.totalEnergyPj()},
                          {"dynamic", result.totalDynamicPj},
                          {"leakage", result.totalLeakagePj},
                          {"dynamic_by_component", std::move(dynamic)},
                          {"leakage_by_component", std::move(leakage)}}},
      {"average_power_w", result.averagePowerWatts()},
      {"dense_ops", int64_t(result.denseOps)},
      {"effective_gops", result.effectiveGops()},
      {"gops_per_watt", result.gopsPerWatt()},
      {"prediction_busy_cycles", int64_t(result.predictionBusyCycles)},
      {"prediction_mac_overlap_cycles",
       int64_t(result.predictionMacOverlapCycles)},
      {"units", std::move(units)},
      {"actions", actionsToJSON(result.actions, config)},
      {"stages", groupsToJSON(result.stages, config)},
      {"layers", groupsToJSON(result.layers, config)},
      {"layer_stages", groupsToJSON(result.layerStages, config)},
      {"assumptions", std::move(assumptions)}};
}

void lapa::sim::writeCSV(llvm::raw_ostream &os, const SimResult &result,
                         const hardware::HardwareConfig &config) {
  os << "section,name,metric,value\n";
  auto row = [&](llvm::StringRef section, llvm::StringRef name,
                 llvm::StringRef metric, const llvm::Twine &value) {
    os << section << "," << name << "," << metric << "," << value << "\n";
  };
  // Enough digits to read back the same double; formatv's default keeps
  // two decimals, which rounds a run of microseconds to 0.00 seconds.
  auto real = [](double value) { return llvm::formatv("{0:g17}", value).str(); };
  row("total", config.name, "cycles", llvm::Twine(result.totalCycles));
  row("total", config.name, "seconds", real(result.seconds));
  row("total", config.name, "energy_pj", real(result.totalEnergyPj()));
  row("total", config.name, "dynamic_energy_pj", real(result.totalDynamicPj));
  row("total", config.name, "leakage_energy_pj", real(result.totalLeakagePj));
  row("total", config.name, "dense_ops", llvm::Twine(result.denseOps));
  row("total", config.name, "effective_gops", real(result.effectiveGops()));
  row("total", config.name, "gops_per_watt", real(result.gopsPerWatt()));
  row("total", config.name, "dram_read_bytes",
      llvm::Twine(result.actions.dramReadBytes));
  row("total", config.name, "dram_write_bytes",
      llvm::Twine(result.actions.dramWriteBytes));
  row("total", config.name, "prediction_busy_cycles",
      llvm::Twine(result.predictionBusyCycles));
  row("total", config.name, "prediction_mac_overlap_cycles",
      llvm::Twine(result.predictionMacOverlapCycles));
  for (unsigned u = 0; u < isa::kNumUnits; ++u) {
    std::string name(isa::unitName(isa::Unit(u)));
    const UnitStats &unit = result.units[u];
    row("unit", name, "instructions", llvm::Twine(unit.instructions));
    row("unit", name, "busy_cycles", llvm::Twine(unit.busyCycles));
    row("unit", name, "stall_cycles", llvm::Twine(unit.stallCycles));
    row("unit", name, "utilization",
        real(utilization(unit.busyCycles, result.totalCycles)));
  }
  for (const auto &[name, pj] : result.dynamicEnergyPj)
    row("energy", name, "dynamic_pj", real(pj));
  for (const auto &[name, pj] : result.leakageEnergyPj)
    row("energy", name, "leakage_pj", real(pj));
  for (const auto *groups : {&result.stages, &result.layers}) {
    llvm::StringRef section = groups == &result.stages ? "stage" : "layer";
    for (const GroupStats &group : *groups) {
      std::string name = groupName(group);
      row(section, name, "instructions", llvm::Twine(group.instructions));
      row(section, name, "busy_cycles", llvm::Twine(group.busyCycles));
      row(section, name, "energy_pj", real(group.energyPj));
      row(section, name, "dram_bytes", llvm::Twine(dramBytes(group.actions)));
    }
  }
}

void lapa::sim::writeChromeTrace(llvm::raw_ostream &os,
                                 const isa::StreamFile &stream,
                                 const SimResult &result,
                                 const hardware::HardwareConfig &config) {
  const double cyclesPerMicrosecond = double(config.clockMhz);
  llvm::json::OStream json(os);
  json.object([&] {
    json.attribute("displayTimeUnit", "ns");
    json.attributeArray("traceEvents", [&] {
      for (unsigned u = 0; u < isa::kNumUnits; ++u)
        json.object([&] {
          json.attribute("name", "thread_name");
          json.attribute("ph", "M");
          json.attribute("pid", 1);
          json.attribute("tid", int64_t(u));
          json.attributeObject("args", [&] {
            json.attribute("name", std::string(isa::unitName(isa::Unit(u))));
          });
        });
      for (size_t i = 0; i < result.timeline.size(); ++i) {
        const isa::Instruction &inst = stream.instructions[i];
        const TimelineEntry &entry = result.timeline[i];
        json.object([&] {
          json.attribute("name", std::string(isa::opcodeName(inst.opcode())));
          json.attribute("ph", "X");
          json.attribute("pid", 1);
          json.attribute("tid", int64_t(isa::opcodeUnit(inst.opcode())));
          json.attribute("ts", double(entry.start) / cyclesPerMicrosecond);
          json.attribute("dur", double(entry.end - entry.start) /
                                    cyclesPerMicrosecond);
          json.attributeObject("args", [&] {
            json.attribute("index", int64_t(i));
            json.attribute("start_cycle", int64_t(entry.start));
            json.attribute("cycles", int64_t(entry.end - entry.start));
            json.attribute("wait", int64_t(inst.waitMask()));
            json.attribute("signal", int64_t(inst.signalMask()));
          });
        });
      }
    });
  });
}
