//===- Dram.h - The DRAM timing interface of the simulator ------*- C++ -*-===//
//
// A DramModel returns how long one DMA transfer takes. The simulator
// calls it in the timing pass with the cycle at which the transfer starts,
// so a cycle-level DRAM simulator (bank state, refresh, row hits) can
// implement the same interface later. BandwidthDramModel is the simple
// model that docs/simulator.md describes: a fixed latency plus the bytes
// over the bandwidth of the channels the transfer touches, capped by the
// DMA engines.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SIM_DRAM_H
#define LAPA_SIM_DRAM_H

#include "lapa/Hardware/HardwareConfig.h"

#include <cstdint>
#include <string>

namespace lapa::sim {

/// One 2-D DMA transfer between DRAM and a buffer.
struct DramRequest {
  /// Address of row 0. For an indexed load (load_rows) the row addresses
  /// are data-dependent and `indexed` is set.
  uint64_t address = 0;
  uint64_t rows = 0;
  uint64_t bytesPerRow = 0;
  /// Distance between row starts in DRAM, in bytes.
  uint64_t strideBytes = 0;
  bool write = false;
  bool indexed = false;

  uint64_t totalBytes() const { return rows * bytesPerRow; }
};

/// The DRAM timing interface.
class DramModel {
public:
  virtual ~DramModel();
  /// Returns the cycles from the start of `request` at `startCycle` until
  /// its last byte has arrived. Called once per DMA instruction, in the
  /// order the DMA unit issues them.
  virtual uint64_t transferCycles(const DramRequest &request,
                                  uint64_t startCycle) = 0;
  /// Returns a one-line description for reports.
  virtual std::string describe() const = 0;
};

/// Latency plus bytes over bandwidth. The address space is interleaved over
/// the channels in blocks of `interleaveBytes`. A transfer gets the
/// bandwidth of the channels its blocks touch (all of them for an indexed
/// load), capped by the DMA engines:
///
///   cycles = ceil(latency_ns x clock_MHz / 1000)
///          + ceil(bytes / min(dma bytes/cycle, touched / channels x DRAM
///                                                 bytes/cycle))
class BandwidthDramModel : public DramModel {
public:
  static constexpr uint64_t kDefaultInterleaveBytes = 256;

  explicit BandwidthDramModel(const hardware::HardwareConfig &config,
                              uint64_t interleaveBytes =
                                  kDefaultInterleaveBytes);
  uint64_t transferCycles(const DramRequest &request,
                          uint64_t startCycle) override;
  std::string describe() const override;

  uint64_t latencyCycles() const { return latency; }
  /// Returns the number of channels a transfer touches.
  uint64_t touchedChannels(const DramRequest &request) const;

private:
  uint64_t latency = 0;
  uint64_t channels = 1;
  uint64_t interleave = kDefaultInterleaveBytes;
  double dramBytesPerCycle = 1;
  double dmaBytesPerCycle = 1;
};

} // namespace lapa::sim

#endif // LAPA_SIM_DRAM_H
