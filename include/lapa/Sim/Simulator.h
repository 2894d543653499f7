//===- Simulator.h - Functional, timing and energy simulation ---*- C++ -*-===//
//
// Runs an instruction stream (lapa/Target/Stream) on a hardware
// configuration (lapa/Hardware) in three steps:
//
//   1. The functional pass executes the instructions in program order on a
//      DRAM image and one byte array per buffer, with the semantics of
//      Isa.h. It tracks which bytes were written and rejects a read of
//      uninitialized memory, an out-of-range address or index and an
//      accumulator overflow. In timing-only mode it reads no data and takes
//      data-dependent sizes from SimOptions instead.
//   2. The timing pass issues each unit's instructions in order, with the
//      counting tokens of Isa.h, and gives total cycles, busy and stall
//      cycles per unit, and the overlap of prediction and MAC work. It
//      reports a deadlock and, optionally, a read that races a write.
//   3. Energy is the action counts times the configuration's energy table
//      plus leakage power times the run time.
//
// docs/simulator.md gives every latency formula and the f32 arithmetic.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SIM_SIMULATOR_H
#define LAPA_SIM_SIMULATOR_H

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Sim/Dram.h"
#include "lapa/Support/Safetensors.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lapa::sim {

struct SimOptions {
  /// Skip the data: no bindings, no outputs, sizes from the fields below.
  bool timingOnly = false;
  /// Timing-only: fraction of the rows of a gathered GEMM that are computed.
  double neededFraction = 1.0;
  /// Timing-only: fraction of a row's visible keys that enter each MRSA
  /// round after the first (and the final top-k).
  double survivorFraction = 1.0;
  /// Check that a read of bytes another unit wrote starts after that write
  /// finished (functional mode only).
  bool checkRaces = true;
  /// Keep the start and end cycle of every instruction (for a trace).
  bool keepTimeline = false;
  /// Keep the buffers' final bytes (functional mode, for tests).
  bool keepBuffers = false;
  /// Dense-equivalent operation count for the effective GOPS; 0 derives it
  /// from the stream (see docs/simulator.md).
  uint64_t denseOps = 0;
  /// Called now and then with (instructions done, total) in each pass.
  std::function<void(llvm::StringRef pass, uint64_t done, uint64_t total)>
      progress;
  /// Receives one line per phase when set.
  llvm::raw_ostream *log = nullptr;
};

/// Counts of the actions the energy table prices.
struct ActionCounts {
  uint64_t macs = 0;
  uint64_t shiftAdds = 0;
  uint64_t encodes = 0;
  uint64_t compares = 0;
  uint64_t exps = 0;
  uint64_t divides = 0;
  uint64_t vectorOps = 0;
  uint64_t dramReadBytes = 0;
  uint64_t dramWriteBytes = 0;
  /// Bytes read from and written to each buffer, by buffer index.
  std::vector<uint64_t> bufferReadBytes;
  std::vector<uint64_t> bufferWriteBytes;

  void accumulate(const ActionCounts &other);
};

/// Attention sparsity that the selection instructions achieved.
struct SelectionCounts {
  /// Key indices that topk and predict kept, summed over their query rows.
  uint64_t selectedKeys = 0;
  /// Keys visible to the same rows: all N keys, or keys j <= the row's
  /// query index with flag Causal.
  uint64_t visibleKeys = 0;
  /// Rows of gathered GEMMs (flag Gather) that were computed, and all their
  /// rows. Their ratio is the needed-token fraction of the projections that
  /// prediction prunes.
  uint64_t gatheredRowsComputed = 0;
  uint64_t gatheredRows = 0;

  void accumulate(const SelectionCounts &other);
};

struct UnitStats {
  uint64_t instructions = 0;
  /// Cycles the unit executed an instruction.
  uint64_t busyCycles = 0;
  /// Cycles the unit had its next instruction but waited for a token or for
  /// room in a full token queue.
  uint64_t stallCycles = 0;
};

/// The totals of one stage of one layer, one stage over all layers, or one
/// layer over all stages.
struct GroupStats {
  std::string stage;
  /// Layer index, or -1 for instructions outside the layers or for a
  /// stage's total over all layers.
  int32_t layer = -1;
  uint64_t instructions = 0;
  /// Busy cycles summed over the units.
  uint64_t busyCycles = 0;
  /// First start and last end cycle of the group's instructions.
  uint64_t firstCycle = UINT64_MAX;
  uint64_t lastCycle = 0;
  /// Dynamic energy in pJ.
  double energyPj = 0;
  ActionCounts actions;
  SelectionCounts selection;
};

/// One instruction's place in time.
struct TimelineEntry {
  uint64_t start = 0;
  uint64_t end = 0;
};

struct SimResult {
  std::string configName;
  uint64_t instructions = 0;
  uint64_t totalCycles = 0;
  double seconds = 0;
  std::array<UnitStats, isa::kNumUnits> units{};
  /// Cycles at least one prediction unit (shift, encode, filter) is busy,
  /// and cycles one of them and the MAC array are busy together.
  uint64_t predictionBusyCycles = 0;
  uint64_t predictionMacOverlapCycles = 0;

  ActionCounts actions;
  SelectionCounts selection;
  /// Dynamic energy per component name, in pJ.
  std::map<std::string, double> dynamicEnergyPj;
  /// Leakage energy per component name, in pJ.
  std::map<std::string, double> leakageEnergyPj;
  double totalDynamicPj = 0;
  double totalLeakagePj = 0;
  double totalEnergyPj() const { return totalDynamicPj + totalLeakagePj; }

  /// Per layer and stage; per stage over all layers; per layer.
  std::vector<GroupStats> layerStages;
  std::vector<GroupStats> stages;
  std::vector<GroupStats> layers;

  uint64_t denseOps = 0;
  double effectiveGops() const;
  double averagePowerWatts() const;
  double gopsPerWatt() const;

  /// Statements a reader must know to trust the numbers (timing-only sizes,
  /// the DRAM model).
  std::vector<std::string> assumptions;
  /// Start and end per instruction when SimOptions::keepTimeline is set.
  std::vector<TimelineEntry> timeline;
  /// Final bytes of each buffer when SimOptions::keepBuffers is set.
  std::vector<std::vector<uint8_t>> finalBuffers;
};

/// Tensors bound to the stream's inputs and run-time weights, by name.
using TensorBindings = std::map<std::string, const support::TensorData *>;

/// Runs `stream` on `config`. In functional mode, `bindings` supplies every
/// input tensor and every weight without constants, and `outputs` (if not
/// null) receives the output tensors in memory-map order. The stream must
/// match the configuration's fingerprint. Every problem is returned as an
/// error that names the instruction index, the opcode and the value.
llvm::Expected<SimResult> simulate(const isa::StreamFile &stream,
                                   const hardware::HardwareConfig &config,
                                   const TensorBindings &bindings,
                                   const SimOptions &options,
                                   DramModel &dram,
                                   std::vector<support::TensorData> *outputs);

/// Returns the safetensors dtype that stores a stream element type.
support::DType dtypeOf(isa::ElementType type);

} // namespace lapa::sim

#endif // LAPA_SIM_SIMULATOR_H
