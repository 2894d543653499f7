//===- SimTestSupport.h - Building small streams for simulator tests ------===//
//
// Helpers that build instruction streams in memory for the reference
// configuration examples/hw/lapa-28nm.yaml. Its buffers in canonical
// (name-sorted) order are kv_buffer (0), speculation_buffer (1),
// temp_buffer (2), token_buffer (3) and weight_buffer (4).
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_UNITTESTS_SIM_SIMTESTSUPPORT_H
#define LAPA_UNITTESTS_SIM_SIMTESTSUPPORT_H

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Sim/Simulator.h"
#include "lapa/Target/Stream/Stream.h"

#include <gtest/gtest.h>

#include <cstring>

namespace lapa::sim::test {

constexpr uint8_t kKvBuffer = 0;
constexpr uint8_t kSpeculationBuffer = 1;
constexpr uint8_t kTempBuffer = 2;
constexpr uint8_t kTokenBuffer = 3;
constexpr uint8_t kWeightBuffer = 4;

inline hardware::HardwareConfig loadReferenceConfig() {
  llvm::Expected<hardware::HardwareConfig> config =
      hardware::loadHardwareConfig(LAPA_SOURCE_DIR
                                   "/examples/hw/lapa-28nm.yaml");
  EXPECT_TRUE(bool(config)) << llvm::toString(config.takeError());
  return *config;
}

inline uint32_t ref(uint8_t buffer, uint32_t offset) {
  return isa::BufRef{buffer, offset}.pack();
}

inline uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

inline uint8_t unitBit(isa::Unit unit) { return uint8_t(1u << unsigned(unit)); }

/// Builds a stream for one configuration.
class StreamBuilder {
public:
  explicit StreamBuilder(const hardware::HardwareConfig &config) {
    stream.configFingerprint = config.fingerprint();
    stream.configName = config.name;
  }

  /// Adds a DRAM tensor; `bytes` non-empty makes it a constant.
  void tensor(const std::string &name, isa::TensorRole role,
              isa::ElementType type, std::vector<uint64_t> shape,
              uint64_t address, const std::vector<uint8_t> &bytes = {}) {
    isa::TensorInfo info;
    info.name = name;
    info.role = role;
    info.type = type;
    info.shape = std::move(shape);
    info.dramAddress = address;
    if (!bytes.empty()) {
      info.constantOffset = stream.constants.size();
      stream.constants.insert(stream.constants.end(), bytes.begin(),
                              bytes.end());
    }
    stream.tensors.push_back(info);
  }

  /// Appends an instruction; `operands` are words 1, 2, ...
  isa::Instruction &add(isa::Opcode op, std::vector<uint32_t> operands,
                        uint8_t flags = 0, uint8_t wait = 0,
                        uint8_t signal = 0) {
    isa::Instruction inst;
    inst.setHeader(op, wait, signal, flags);
    for (size_t i = 0; i < operands.size(); ++i)
      inst.words[i + 1] = operands[i];
    stream.instructions.push_back(inst);
    return stream.instructions.back();
  }

  /// Appends a load or store of rows x rowBytes between DRAM and a buffer.
  void load(uint64_t address, uint32_t bufRef, uint32_t rows,
            uint32_t rowBytes, uint8_t wait = 0, uint8_t signal = 0,
            isa::Opcode op = isa::Opcode::Load) {
    add(op,
        {uint32_t(address), uint32_t(address >> 32), bufRef, rows, rowBytes,
         rowBytes, rowBytes},
        0, wait, signal);
  }

  isa::StreamFile stream;
};

template <typename T> std::vector<uint8_t> toBytes(const std::vector<T> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <typename T>
std::vector<T> fromBytes(const std::vector<uint8_t> &bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

/// Runs a stream; returns the result or fails the test.
inline llvm::Expected<SimResult>
runStream(const isa::StreamFile &stream, const hardware::HardwareConfig &config,
          const TensorBindings &bindings = {},
          std::vector<support::TensorData> *outputs = nullptr,
          SimOptions options = SimOptions()) {
  options.keepTimeline = true;
  BandwidthDramModel dram(config);
  return simulate(stream, config, bindings, options, dram, outputs);
}

} // namespace lapa::sim::test

#endif // LAPA_UNITTESTS_SIM_SIMTESTSUPPORT_H
