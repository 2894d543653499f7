//===- SimInternal.h - Shared parts of the simulator passes -----*- C++ -*-===//
//
// Private to lib/Sim: the data-dependent sizes the functional pass measures
// (or timing-only mode estimates), the cost model that turns them into
// cycles and actions, the functional executor and the timing scheduler.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_SIM_SIMINTERNAL_H
#define LAPA_LIB_SIM_SIMINTERNAL_H

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Sim/Simulator.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace lapa::sim::detail {

/// The sizes of one instruction that depend on data.
struct DataSizes {
  /// gemm: rows computed (all M without Gather).
  uint64_t activeRows = 0;
  /// sddmm, spmm: index entries that are not kNoIndex. softmax: entries
  /// that are not INT32_MIN.
  uint64_t validEntries = 0;
  /// shift_accumulate: (query, key) pairs accumulated. filter, topk: scores
  /// taken in by the filter lanes.
  uint64_t candidates = 0;
  /// predict: score products and comparisons of the peer scheme.
  uint64_t predictProducts = 0;
  uint64_t predictCompares = 0;
  /// sddmm, spmm: (query, key) pairs a dense attention computes for the same
  /// rows, or 0 when unknown.
  uint64_t densePairs = 0;
  /// topk, predict: key indices kept, and keys visible to the same rows.
  uint64_t selectedKeys = 0;
  uint64_t visibleKeys = 0;
};

/// Cycles and actions of one instruction.
struct InstructionCost {
  uint64_t cycles = 0;
  ActionCounts actions;
  /// Dense-equivalent operations (two per multiply-accumulate).
  uint64_t denseOps = 0;
};

/// Computes the cycles (for all but the DMA opcodes, whose cycles the DRAM
/// model gives in the timing pass) and the compute actions of `inst`.
/// Buffer and DRAM bytes are not touched.
void computeCost(const isa::Instruction &inst, const DataSizes &sizes,
                 const hardware::HardwareConfig &config, InstructionCost &cost);

/// Returns whether an opcode runs on the DMA unit.
bool isDmaOpcode(isa::Opcode op);
/// Returns the DRAM request of a DMA instruction.
DramRequest dramRequest(const isa::Instruction &inst);

/// Returns "instruction I (opcode): MESSAGE" as an error.
llvm::Error instructionError(uint64_t index, const isa::Instruction &inst,
                             const llvm::Twine &message);

/// A read-after-write dependency between units that the timing must order.
struct Dependency {
  uint32_t reader = 0;
  uint32_t writer = 0;
  uint8_t buffer = 0;
  uint64_t offset = 0;
};

/// The functional model: memory, bindings and the semantics of every
/// opcode. Defined in Execute.cpp.
class Executor {
public:
  Executor(const isa::StreamFile &stream,
           const hardware::HardwareConfig &config,
           std::vector<predict::PredictorConfig> records, bool checkRaces);
  ~Executor();

  /// Allocates DRAM and the buffers, copies constants and binds tensors.
  llvm::Error initialize(const TensorBindings &bindings);
  /// Executes instruction `index`; fills `sizes` and the byte counts of
  /// `actions`.
  llvm::Error execute(uint64_t index, DataSizes &sizes, ActionCounts &actions);
  /// Returns the final bytes of every buffer.
  std::vector<std::vector<uint8_t>> bufferContents() const;
  /// Reads the output tensors after the run.
  llvm::Error collectOutputs(std::vector<support::TensorData> &outputs);

  const std::vector<Dependency> &dependencies() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Estimates the sizes of one instruction without data (timing-only mode).
/// Keeps the selection sizes that topk and predict produce so that the
/// sddmm, spmm and softmax instructions that read them get the same counts.
class SizeEstimator {
public:
  SizeEstimator(const isa::StreamFile &stream,
                std::vector<predict::PredictorConfig> records,
                const SimOptions &options);
  void estimate(const isa::Instruction &inst, DataSizes &sizes);

private:
  struct SelectionSizes {
    uint64_t kept = 0;
    uint64_t visible = 0;
  };
  std::vector<predict::PredictorConfig> records;
  const SimOptions &options;
  /// Selection sizes by the packed BufRef of the index list or score matrix.
  llvm::DenseMap<uint32_t, SelectionSizes> selections;
  /// Selection sizes of key lists stored to DRAM (spilled when a head
  /// group's lists do not fit on chip), by DRAM address, so that the load
  /// that brings them back carries them to the sddmm and spmm.
  llvm::DenseMap<uint64_t, SelectionSizes> spilledSelections;
};

/// The timing pass's inputs and outputs.
struct ScheduleInput {
  const isa::StreamFile *stream = nullptr;
  /// Cycles of each instruction; ignored for DMA opcodes.
  const std::vector<uint64_t> *cycles = nullptr;
  DramModel *dram = nullptr;
  const SimOptions *options = nullptr;
};

struct ScheduleOutput {
  std::vector<TimelineEntry> timeline;
  std::array<UnitStats, isa::kNumUnits> units{};
  uint64_t totalCycles = 0;
  uint64_t predictionBusyCycles = 0;
  uint64_t predictionMacOverlapCycles = 0;
};

/// Issues every unit's instructions in order with the token rules of
/// Isa.h. Errors: a deadlock, listing each blocked unit's next
/// instruction.
llvm::Error schedule(const ScheduleInput &input, ScheduleOutput &output);

} // namespace lapa::sim::detail

#endif // LAPA_LIB_SIM_SIMINTERNAL_H
