//===- Simulator.cpp - The three passes and the energy model --------------===//

#include "lapa/Sim/Simulator.h"

#include "SimInternal.h"

#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Target/Stream/StreamVerify.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SwapByteOrder.h"

#include <chrono>
#include <map>

using namespace lapa;
using namespace lapa::sim;
using namespace lapa::sim::detail;

support::DType lapa::sim::dtypeOf(isa::ElementType type) {
  switch (type) {
  case isa::ElementType::I8:
    return support::DType::I8;
  case isa::ElementType::I16:
    return support::DType::I16;
  case isa::ElementType::I32:
    return support::DType::I32;
  case isa::ElementType::F32:
    return support::DType::F32;
  case isa::ElementType::U8:
    return support::DType::U8;
  case isa::ElementType::U16:
    return support::DType::U16;
  }
  return support::DType::U8;
}

void ActionCounts::accumulate(const ActionCounts &other) {
  macs += other.macs;
  shiftAdds += other.shiftAdds;
  encodes += other.encodes;
  compares += other.compares;
  exps += other.exps;
  divides += other.divides;
  vectorOps += other.vectorOps;
  dramReadBytes += other.dramReadBytes;
  dramWriteBytes += other.dramWriteBytes;
  if (bufferReadBytes.size() < other.bufferReadBytes.size())
    bufferReadBytes.resize(other.bufferReadBytes.size(), 0);
  if (bufferWriteBytes.size() < other.bufferWriteBytes.size())
    bufferWriteBytes.resize(other.bufferWriteBytes.size(), 0);
  for (size_t b = 0; b < other.bufferReadBytes.size(); ++b)
    bufferReadBytes[b] += other.bufferReadBytes[b];
  for (size_t b = 0; b < other.bufferWriteBytes.size(); ++b)
    bufferWriteBytes[b] += other.bufferWriteBytes[b];
}

void SelectionCounts::accumulate(const SelectionCounts &other) {
  selectedKeys += other.selectedKeys;
  visibleKeys += other.visibleKeys;
  gatheredRowsComputed += other.gatheredRowsComputed;
  gatheredRows += other.gatheredRows;
}

double SimResult::effectiveGops() const {
  return seconds > 0 ? double(denseOps) / seconds / 1e9 : 0.0;
}
double SimResult::averagePowerWatts() const {
  return seconds > 0 ? totalEnergyPj() * 1e-12 / seconds : 0.0;
}
double SimResult::gopsPerWatt() const {
  double watts = averagePowerWatts();
  return watts > 0 ? effectiveGops() / watts : 0.0;
}

namespace {

/// Adds the dynamic energy of `counts` per component to `energy` (pJ).
double addDynamicEnergy(const ActionCounts &counts,
                        const hardware::HardwareConfig &config,
                        std::map<std::string, double> &energy) {
  double total = 0;
  auto charge = [&](llvm::StringRef component, llvm::StringRef action,
                    double quantity) {
    if (quantity == 0)
      return;
    const hardware::EnergyEntry *entry = config.findEnergy(component, action);
    if (!entry)
      return;
    double picojoules = entry->value * quantity;
    energy[component.str()] += picojoules;
    total += picojoules;
  };
  using hardware::ComponentKind;
  charge(hardware::componentKindName(ComponentKind::MacArray), "mac",
         double(counts.macs));
  charge(hardware::componentKindName(ComponentKind::ShiftArray), "shift_add",
         double(counts.shiftAdds));
  charge(hardware::componentKindName(ComponentKind::LeadingOneEncoders),
         "encode", double(counts.encodes));
  charge(hardware::componentKindName(ComponentKind::Filter), "compare",
         double(counts.compares));
  charge(hardware::componentKindName(ComponentKind::Softmax), "exp",
         double(counts.exps));
  charge(hardware::componentKindName(ComponentKind::Softmax), "divide",
         double(counts.divides));
  charge(hardware::componentKindName(ComponentKind::Vector), "op",
         double(counts.vectorOps));
  for (size_t b = 0; b < config.buffers.size(); ++b) {
    const std::string &name = config.buffers[b].name;
    if (b < counts.bufferReadBytes.size())
      charge(name, "read", 8.0 * double(counts.bufferReadBytes[b]));
    if (b < counts.bufferWriteBytes.size())
      charge(name, "write", 8.0 * double(counts.bufferWriteBytes[b]));
  }
  charge(hardware::componentKindName(ComponentKind::Dram), "read",
         8.0 * double(counts.dramReadBytes));
  charge(hardware::componentKindName(ComponentKind::Dram), "write",
         8.0 * double(counts.dramWriteBytes));
  return total;
}

/// Adds the declared byte ranges of `inst` to `actions` (timing-only mode,
/// which does not run the accesses).
void countDeclaredBytes(const isa::Instruction &inst, ActionCounts &actions) {
  for (const isa::BufferAccess &access : isa::bufferAccesses(inst)) {
    if (access.buffer >= actions.bufferReadBytes.size())
      continue;
    uint64_t bytes = access.end - access.begin;
    if (access.read)
      actions.bufferReadBytes[access.buffer] += bytes;
    if (access.write)
      actions.bufferWriteBytes[access.buffer] += bytes;
  }
  if (isDmaOpcode(inst.opcode())) {
    uint64_t bytes = uint64_t(inst.words[4]) * inst.words[5];
    if (inst.opcode() == isa::Opcode::Store)
      actions.dramWriteBytes += bytes;
    else
      actions.dramReadBytes += bytes;
  }
}

void resetCounts(ActionCounts &counts, size_t buffers) {
  counts = ActionCounts();
  counts.bufferReadBytes.assign(buffers, 0);
  counts.bufferWriteBytes.assign(buffers, 0);
}

} // namespace

llvm::Expected<SimResult>
lapa::sim::simulate(const isa::StreamFile &stream,
                    const hardware::HardwareConfig &config,
                    const TensorBindings &bindings, const SimOptions &options,
                    DramModel &dram,
                    std::vector<support::TensorData> *outputs) {
  auto log = [&](const llvm::Twine &line) {
    if (options.log)
      *options.log << "lapa-sim: " << line << "\n";
  };
  if (llvm::sys::IsBigEndianHost)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the simulator needs a little-endian host");
  if (stream.instructions.size() >= UINT32_MAX)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("the stream has {0} instructions, more than the "
                      "simulator's limit of {1}",
                      stream.instructions.size(), UINT32_MAX - 1)
            .str());

  log("checking the stream against configuration '" + config.name + "'");
  if (llvm::Error error = isa::checkStream(stream))
    return std::move(error);
  if (llvm::Error error = isa::verifyAgainstConfig(stream, config))
    return std::move(error);
  std::vector<predict::PredictorConfig> records;
  for (size_t r = 0; r < stream.predictors.size(); ++r) {
    llvm::Expected<predict::PredictorConfig> record =
        predict::parsePredictorConfig(stream.predictors[r]);
    if (!record)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("predictor record {0} ('{1}'): {2}", r,
                        stream.predictors[r],
                        llvm::toString(record.takeError()))
              .str());
    records.push_back(*record);
  }

  // Groups by (stage, layer); instructions outside every range are "other".
  const size_t count = stream.instructions.size();
  SimResult result;
  result.configName = config.name;
  result.instructions = count;
  std::map<std::pair<std::string, int32_t>, uint32_t> groupIndex;
  auto groupOf = [&](const std::string &stage, int32_t layer) {
    auto [it, inserted] =
        groupIndex.try_emplace({stage, layer}, result.layerStages.size());
    if (inserted) {
      GroupStats group;
      group.stage = stage;
      group.layer = layer;
      result.layerStages.push_back(group);
    }
    return it->second;
  };
  std::vector<uint32_t> instructionGroup(count, UINT32_MAX);
  for (const isa::StageRange &range : stream.stages) {
    uint32_t group = groupOf(range.stage, range.layer);
    for (uint32_t i = range.first; i < range.end && i < count; ++i)
      if (instructionGroup[i] == UINT32_MAX)
        instructionGroup[i] = group;
  }
  for (size_t i = 0; i < count; ++i)
    if (instructionGroup[i] == UINT32_MAX)
      instructionGroup[i] = groupOf("other", -1);
  const size_t bufferCount = config.buffers.size();
  for (GroupStats &group : result.layerStages)
    resetCounts(group.actions, bufferCount);

  // Pass 1: functional execution, or size estimates without data.
  std::unique_ptr<Executor> executor;
  if (!options.timingOnly) {
    log("functional pass: binding inputs and copying constants");
    executor = std::make_unique<Executor>(stream, config, records,
                                          options.checkRaces);
    if (llvm::Error error = executor->initialize(bindings))
      return std::move(error);
  } else {
    log("timing-only pass: estimating data-dependent sizes");
  }
  SizeEstimator estimator(stream, records, options);
  std::vector<uint64_t> cycles(count, 0);
  auto passStart = std::chrono::steady_clock::now();
  InstructionCost cost;
  uint64_t denseOps = 0;
  for (size_t i = 0; i < count; ++i) {
    const isa::Instruction &inst = stream.instructions[i];
    DataSizes sizes;
    resetCounts(cost.actions, bufferCount);
    cost.denseOps = 0;
    if (executor) {
      if (llvm::Error error = executor->execute(i, sizes, cost.actions))
        return std::move(error);
      // The estimator only tracks selection sizes here, for the dense
      // equivalent of sddmm and spmm.
      DataSizes estimate;
      estimator.estimate(inst, estimate);
      sizes.densePairs = estimate.densePairs;
    } else {
      estimator.estimate(inst, sizes);
      countDeclaredBytes(inst, cost.actions);
    }
    computeCost(inst, sizes, config, cost);
    cycles[i] = cost.cycles;
    denseOps += cost.denseOps;
    GroupStats &group = result.layerStages[instructionGroup[i]];
    ++group.instructions;
    group.actions.accumulate(cost.actions);
    group.selection.selectedKeys += sizes.selectedKeys;
    group.selection.visibleKeys += sizes.visibleKeys;
    if (inst.opcode() == isa::Opcode::Gemm && inst.hasFlag(isa::Gather)) {
      group.selection.gatheredRowsComputed += sizes.activeRows;
      group.selection.gatheredRows += inst.words[4];
    }
    if (options.progress && (i & 0xffff) == 0xffff)
      options.progress(executor ? "functional" : "sizes", i + 1, count);
  }
  {
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - passStart)
                         .count();
    uint64_t macs = 0;
    for (const GroupStats &group : result.layerStages)
      macs += group.actions.macs;
    log(llvm::formatv("{0} pass: {1} instructions in {2:F3} s ({3} MACs)",
                      executor ? "functional" : "size", count, seconds, macs)
            .str());
  }
  if (outputs && executor)
    if (llvm::Error error = executor->collectOutputs(*outputs))
      return std::move(error);
  if (options.keepBuffers && executor)
    result.finalBuffers = executor->bufferContents();

  // Pass 2: timing.
  log("timing pass: issuing " + llvm::Twine(count) + " instructions on " +
      llvm::Twine(isa::kNumUnits) + " unit queues");
  ScheduleInput scheduleInput{&stream, &cycles, &dram, &options};
  ScheduleOutput schedule;
  if (llvm::Error error = detail::schedule(scheduleInput, schedule))
    return std::move(error);
  result.totalCycles = schedule.totalCycles;
  result.seconds = double(result.totalCycles) / (double(config.clockMhz) * 1e6);
  result.units = schedule.units;
  result.predictionBusyCycles = schedule.predictionBusyCycles;
  result.predictionMacOverlapCycles = schedule.predictionMacOverlapCycles;

  if (executor && options.checkRaces) {
    log("race check: " + llvm::Twine(executor->dependencies().size()) +
        " cross-unit reads");
    for (const Dependency &dependency : executor->dependencies()) {
      const TimelineEntry &reader = schedule.timeline[dependency.reader];
      const TimelineEntry &writer = schedule.timeline[dependency.writer];
      if (writer.end <= reader.start)
        continue;
      const isa::Instruction &readInst =
          stream.instructions[dependency.reader];
      const isa::Instruction &writeInst =
          stream.instructions[dependency.writer];
      isa::Unit readUnit = isa::opcodeUnit(readInst.opcode());
      isa::Unit writeUnit = isa::opcodeUnit(writeInst.opcode());
      return instructionError(
          dependency.reader, readInst,
          llvm::formatv("race: it reads byte {0} of buffer {1}, which "
                        "instruction {2} ({3}) on unit {4} writes, but starts "
                        "at cycle {5} before that write ends at cycle {6}; "
                        "make it wait for a token from {4}",
                        dependency.offset,
                        config.buffers[dependency.buffer].name,
                        dependency.writer, isa::opcodeName(writeInst.opcode()),
                        isa::unitName(writeUnit), reader.start, writer.end)
              .str() +
              (readUnit == writeUnit ? "" : ""));
    }
  }

  // Group spans and busy cycles.
  for (size_t i = 0; i < count; ++i) {
    GroupStats &group = result.layerStages[instructionGroup[i]];
    const TimelineEntry &entry = schedule.timeline[i];
    group.busyCycles += entry.end - entry.start;
    group.firstCycle = std::min(group.firstCycle, entry.start);
    group.lastCycle = std::max(group.lastCycle, entry.end);
  }

  // Energy: dynamic per group and in total, then leakage over the run time.
  log("energy: pricing action counts with the configuration's table");
  std::map<std::string, GroupStats> byStage;
  std::map<int32_t, GroupStats> byLayer;
  resetCounts(result.actions, bufferCount);
  for (GroupStats &group : result.layerStages) {
    std::map<std::string, double> scratch;
    group.energyPj = addDynamicEnergy(group.actions, config, scratch);
    result.actions.accumulate(group.actions);
    result.selection.accumulate(group.selection);
    for (GroupStats *total : {&byStage[group.stage], &byLayer[group.layer]}) {
      total->instructions += group.instructions;
      total->busyCycles += group.busyCycles;
      total->firstCycle = std::min(total->firstCycle, group.firstCycle);
      total->lastCycle = std::max(total->lastCycle, group.lastCycle);
      total->energyPj += group.energyPj;
      total->actions.accumulate(group.actions);
      total->selection.accumulate(group.selection);
    }
  }
  for (auto &[stage, group] : byStage) {
    group.stage = stage;
    group.layer = -1;
    result.stages.push_back(group);
  }
  for (auto &[layer, group] : byLayer) {
    group.stage = "all";
    group.layer = layer;
    result.layers.push_back(group);
  }
  result.totalDynamicPj =
      addDynamicEnergy(result.actions, config, result.dynamicEnergyPj);
  for (const std::string &component : config.componentNames()) {
    double milliwatts = config.leakagePowerMw(component);
    if (milliwatts <= 0)
      continue;
    // mW x s = mJ = 1e9 pJ.
    double picojoules = milliwatts * result.seconds * 1e9;
    result.leakageEnergyPj[component] = picojoules;
    result.totalLeakagePj += picojoules;
  }

  result.denseOps = options.denseOps ? options.denseOps : denseOps;
  result.assumptions.push_back("DRAM: " + dram.describe());
  if (options.timingOnly) {
    result.assumptions.push_back(
        "timing-only: no data; top-k keeps keep_ratio of each row's visible "
        "keys (causal aware) per the predictor record");
    result.assumptions.push_back(
        llvm::formatv("timing-only: gathered GEMMs compute the fraction {0} "
                      "of their rows (--needed-fraction)",
                      options.neededFraction)
            .str());
    result.assumptions.push_back(
        llvm::formatv("timing-only: {0} of each row's visible keys enter "
                      "every MRSA round after the first and the final top-k "
                      "(--survivor-fraction)",
                      options.survivorFraction)
            .str());
    result.assumptions.push_back(
        "timing-only: buffer traffic is each operand's declared byte range");
  }
  if (options.keepTimeline)
    result.timeline = std::move(schedule.timeline);
  log("done: " + llvm::Twine(result.totalCycles) + " cycles");
  return result;
}
