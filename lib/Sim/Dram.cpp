//===- Dram.cpp - The bandwidth and latency DRAM model --------------------===//

#include "lapa/Sim/Dram.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace lapa::sim;

DramModel::~DramModel() = default;

BandwidthDramModel::BandwidthDramModel(const hardware::HardwareConfig &config,
                                       uint64_t interleaveBytes)
    : interleave(std::max<uint64_t>(interleaveBytes, 1)) {
  latency = uint64_t(
      std::ceil(config.dram.latencyNs * double(config.clockMhz) / 1000.0));
  channels = std::max<int64_t>(config.dram.channels, 1);
  dramBytesPerCycle = config.dramBytesPerCycle();
  dmaBytesPerCycle = double(config.dmaBytesPerCycle());
}

uint64_t BandwidthDramModel::touchedChannels(const DramRequest &request) const {
  if (request.indexed || request.rows == 0 || request.bytesPerRow == 0)
    return channels;
  // Count distinct channels over the blocks of every row, stopping as soon
  // as all are touched.
  std::vector<bool> touched(channels, false);
  uint64_t count = 0;
  for (uint64_t row = 0; row < request.rows && count < channels; ++row) {
    uint64_t begin = request.address + row * request.strideBytes;
    uint64_t firstBlock = begin / interleave;
    uint64_t lastBlock = (begin + request.bytesPerRow - 1) / interleave;
    if (lastBlock - firstBlock + 1 >= channels)
      return channels;
    for (uint64_t block = firstBlock; block <= lastBlock; ++block) {
      uint64_t channel = block % channels;
      if (!touched[channel]) {
        touched[channel] = true;
        ++count;
      }
    }
  }
  return count;
}

uint64_t BandwidthDramModel::transferCycles(const DramRequest &request,
                                            uint64_t) {
  uint64_t bytes = request.totalBytes();
  if (bytes == 0)
    return latency;
  double channelShare = double(touchedChannels(request)) / double(channels);
  double bandwidth =
      std::min(dmaBytesPerCycle, channelShare * dramBytesPerCycle);
  return latency + uint64_t(std::ceil(double(bytes) / bandwidth));
}

std::string BandwidthDramModel::describe() const {
  return llvm::formatv("bandwidth model: {0} cycles latency, {1} channels "
                       "interleaved every {2} bytes, {3:f2} DRAM bytes/cycle, "
                       "{4:f0} DMA bytes/cycle",
                       latency, channels, interleave, dramBytesPerCycle,
                       dmaBytesPerCycle)
      .str();
}
