//===- Print.cpp - Canonical YAML form and the configuration fingerprint -===//
//
// Writes a configuration in one canonical YAML form and hashes that form.
// The fingerprint is computed from the parsed values, not from the file
// bytes, so comments, key order and number spelling do not change it, and
// the simulator can reject an instruction stream compiled for a different
// configuration.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace llvm;

namespace lapa::hardware {

namespace detail {

std::string formatNumber(double value) {
  if (value == 0)
    return "0";

  // Find the fewest significant digits that read back exactly.
  char text[64];
  int precision = 1;
  for (; precision < 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*e", precision - 1, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  std::snprintf(text, sizeof(text), "%.*e", precision - 1, value);

  double magnitude = std::fabs(value);
  if (magnitude < 1e-6 || magnitude >= 1e15)
    return text;

  // Rewrite d.ddde[+-]X as a fixed-point number with the same digits.
  int exponent = std::atoi(std::strchr(text, 'e') + 1);
  int decimals = std::max(0, precision - 1 - exponent);
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

std::string joinNames(ArrayRef<StringRef> names) {
  std::string joined;
  for (StringRef name : names) {
    if (!joined.empty())
      joined += ", ";
    joined += name.str();
  }
  return joined;
}

std::string joinNames(ArrayRef<std::string> names) {
  std::vector<StringRef> refs(names.begin(), names.end());
  return joinNames(ArrayRef<StringRef>(refs));
}

void canonicalize(HardwareConfig &config) {
  llvm::sort(config.buffers, [](const BufferConfig &a, const BufferConfig &b) {
    return a.name < b.name;
  });
  for (BufferConfig &buffer : config.buffers) {
    llvm::sort(buffer.readers);
    llvm::sort(buffer.writers);
  }
  llvm::sort(config.executionUnit.macArray.dataflows);
  llvm::sort(config.energy, [](const EnergyEntry &a, const EnergyEntry &b) {
    if (a.component != b.component)
      return a.component < b.component;
    return a.action < b.action;
  });
}

} // namespace detail

namespace {

using detail::formatNumber;

/// Writes "[a, b, c]".
template <typename Range, typename Format>
void printFlowList(raw_ostream &os, const Range &items, Format format) {
  os << "[";
  bool first = true;
  for (const auto &item : items) {
    if (!first)
      os << ", ";
    first = false;
    os << format(item);
  }
  os << "]";
}

void printSpeculationUnit(raw_ostream &os, const SpeculationUnitConfig &unit) {
  os << "speculation_unit:\n";
  if (const std::optional<ShiftArrayConfig> &array = unit.shiftArray) {
    os << "  shift_array:\n";
    os << "    rows: " << array->rows << "\n";
    os << "    cols: " << array->cols << "\n";
    os << "    product: " << logProductName(array->product) << "\n";
    if (array->shiftedOperandBits)
      os << "    shifted_operand_bits: " << *array->shiftedOperandBits << "\n";
    os << "    log_code_bits: " << array->logCodeBits << "\n";
    os << "    accumulator_bits: ";
    printFlowList(os, array->accumulatorBits,
                  [](int64_t bits) { return bits; });
    os << "\n";
    os << "    key_accumulator_bits: " << array->keyAccumulatorBits << "\n";
  }
  if (const std::optional<LeadingOneEncodersConfig> &encoders =
          unit.leadingOneEncoders) {
    os << "  leading_one_encoders:\n";
    os << "    count: " << encoders->count << "\n";
    os << "    input_bits: " << encoders->inputBits << "\n";
  }
  if (const std::optional<MultiplierArrayConfig> &array =
          unit.multiplierArray) {
    os << "  multiplier_array:\n";
    os << "    rows: " << array->rows << "\n";
    os << "    cols: " << array->cols << "\n";
    os << "    operand_bits: " << array->operandBits << "\n";
    os << "    accumulator_bits: " << array->accumulatorBits << "\n";
  }
  if (const std::optional<FilterConfig> &filter = unit.filter) {
    os << "  filter:\n";
    os << "    lanes: " << filter->lanes << "\n";
    os << "    comparisons_per_cycle: " << filter->comparisonsPerCycle << "\n";
  }
}

void printExecutionUnit(raw_ostream &os, const ExecutionUnitConfig &unit) {
  const MacArrayConfig &array = unit.macArray;
  os << "execution_unit:\n";
  os << "  mac_array:\n";
  os << "    rows: " << array.rows << "\n";
  os << "    cols: " << array.cols << "\n";
  os << "    operand_bits: " << array.operandBits << "\n";
  os << "    accumulator_bits: " << array.accumulatorBits << "\n";
  os << "    dataflows: ";
  printFlowList(os, array.dataflows,
                [](Dataflow dataflow) { return dataflowName(dataflow); });
  os << "\n";
  os << "  softmax:\n";
  os << "    exp_lanes: " << unit.softmax.expLanes << "\n";
  os << "    divide_lanes: " << unit.softmax.divideLanes << "\n";
  os << "    latency_cycles: " << unit.softmax.latencyCycles << "\n";
  os << "  vector:\n";
  os << "    lanes: " << unit.vector.lanes << "\n";
}

void printBuffers(raw_ostream &os, ArrayRef<BufferConfig> buffers) {
  auto name = [](const std::string &component) { return component; };
  os << "buffers:\n";
  for (const BufferConfig &buffer : buffers) {
    os << "  - name: " << buffer.name << "\n";
    os << "    bytes: " << buffer.bytes << "\n";
    os << "    banks: " << buffer.banks << "\n";
    os << "    ports: " << buffer.ports << "\n";
    os << "    word_bits: " << buffer.wordBits << "\n";
    os << "    readers: ";
    printFlowList(os, buffer.readers, name);
    os << "\n";
    os << "    writers: ";
    printFlowList(os, buffer.writers, name);
    os << "\n";
  }
}

} // namespace

void HardwareConfig::print(raw_ostream &os) const {
  HardwareConfig canonical = *this;
  detail::canonicalize(canonical);

  os << "name: " << canonical.name << "\n";
  os << "technology_nm: " << canonical.technologyNm << "\n";
  os << "clock_mhz: " << canonical.clockMhz << "\n";
  if (canonical.areaMm2)
    os << "area_mm2: " << formatNumber(*canonical.areaMm2) << "\n";

  os << "dma:\n";
  os << "  engines: " << canonical.dma.engines << "\n";
  os << "  bytes_per_cycle: " << canonical.dma.bytesPerCycle << "\n";

  if (canonical.speculationUnit)
    printSpeculationUnit(os, *canonical.speculationUnit);
  printExecutionUnit(os, canonical.executionUnit);
  printBuffers(os, canonical.buffers);

  os << "dram:\n";
  os << "  kind: " << dramKindName(canonical.dram.kind) << "\n";
  os << "  channels: " << canonical.dram.channels << "\n";
  os << "  bandwidth_gb_per_s: "
     << formatNumber(canonical.dram.bandwidthGBPerSecond) << "\n";
  os << "  latency_ns: " << formatNumber(canonical.dram.latencyNs) << "\n";

  os << "energy:\n";
  for (const EnergyEntry &entry : canonical.energy)
    os << "  - {component: " << entry.component << ", action: " << entry.action
       << ", " << energyQuantityKey(entry.quantity) << ": "
       << formatNumber(entry.value) << "}\n";
}

uint64_t HardwareConfig::fingerprint() const {
  // 64-bit FNV-1a: offset basis 14695981039346656037, prime 2^40 + 2^8 +
  // 0xb3, as the FNV specification defines them.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char byte : toYaml()) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

} // namespace lapa::hardware
