//===- Validate.cpp - Range and reference checks of a configuration ------===//
//
// Every rule that a parsed or hand-built configuration must satisfy. The
// rules cover value ranges, widths that must fit each other, power-of-two
// bank counts, buffer reader and writer names and the smallest tile each
// buffer must hold. The energy table must be complete, and each of its
// components must be declared in the same configuration. Each failure is
// one ConfigError naming the key path, the value, the limit and the fix.
// docs/hardware-config.md lists the same ranges.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <set>

using namespace llvm;

namespace lapa::hardware {

namespace {

using detail::formatNumber;
using detail::joinNames;

// Limits shared by several keys. They reject typing mistakes (an extra
// zero, bits for bytes) rather than describe any real design's bounds.
constexpr int64_t kMaxArrayDim = 4096;
constexpr int64_t kMaxLanes = 4096;
constexpr int64_t kMaxAccumulatorBits = 64;
constexpr int64_t kMaxBufferBytes = int64_t(1) << 32;
constexpr double kMaxEnergy = 1e6;

Error fail(std::string keyPath, const Twine &message) {
  return make_error<ConfigError>(std::move(keyPath), message.str());
}

/// Checks an integer against [min, max]. `what` describes the value ("the
/// number of PE rows"); negative and zero values get their own wording
/// because they are the usual mistakes.
Error checkRange(const std::string &path, int64_t value, int64_t min,
                 int64_t max, StringRef what) {
  if (value >= min && value <= max)
    return Error::success();
  std::string range = std::to_string(min) + " to " + std::to_string(max);
  if (value < 0 && min >= 0)
    return fail(path, path + " is " + Twine(value) + ", but " + what +
                          " cannot be negative; set it to an integer from " +
                          range);
  if (value == 0 && min > 0)
    return fail(path, path + " is 0, but " + what + " must be at least " +
                          Twine(min) + "; set it to an integer from " + range);
  return fail(path, path + " is " + Twine(value) + ", outside the valid range " +
                        range + " for " + what + "; set it within that range");
}

/// Checks a number against (0, max].
Error checkPositive(const std::string &path, double value, double max,
                    StringRef what) {
  if (std::isfinite(value) && value > 0 && value <= max)
    return Error::success();
  std::string valueText = formatNumber(value);
  if (value < 0)
    return fail(path, path + " is " + valueText + ", but " + what +
                          " cannot be negative; set it to a positive number "
                          "up to " +
                          formatNumber(max));
  if (value == 0)
    return fail(path, path + " is 0, but " + what +
                          " must be positive; set it to a number above 0 and "
                          "up to " +
                          formatNumber(max));
  return fail(path, path + " is " + valueText + ", above the limit " +
                        formatNumber(max) + " for " + what +
                        "; check the unit and set it within that limit");
}

/// Checks that a name can stand in the file and in reports without quoting:
/// it starts with a letter or digit and contains only letters, digits, '.',
/// '-' and '_'.
bool isPlainName(StringRef name) {
  if (name.empty() || !isAlnum(name.front()))
    return false;
  return all_of(name, [](char c) {
    return isAlnum(c) || c == '.' || c == '-' || c == '_';
  });
}

/// Checks that a buffer name is a lower-case identifier.
bool isIdentifier(StringRef name) {
  if (name.empty() || !isLower(name.front()))
    return false;
  return all_of(name, [](char c) {
    return isLower(c) || isDigit(c) || c == '_';
  });
}

/// Returns whether `name` is the fixed name of a unit kind or "dram",
/// whether or not this configuration declares that unit.
bool isUnitName(StringRef name) {
  for (ComponentKind kind :
       {ComponentKind::Dma, ComponentKind::ShiftArray,
        ComponentKind::LeadingOneEncoders, ComponentKind::MultiplierArray,
        ComponentKind::Filter, ComponentKind::MacArray, ComponentKind::Softmax,
        ComponentKind::Vector, ComponentKind::Dram})
    if (componentKindName(kind) == name)
      return true;
  return false;
}

/// Returns the powers of two around `value` for a fix suggestion.
std::string nearestPowersOfTwo(int64_t value) {
  uint64_t magnitude = static_cast<uint64_t>(std::max<int64_t>(value, 1));
  uint64_t below = bit_floor(magnitude);
  uint64_t above = below == magnitude ? below : below * 2;
  if (below == above)
    return std::to_string(below);
  return std::to_string(below) + " or " + std::to_string(above);
}

class Validator {
public:
  explicit Validator(const HardwareConfig &config) : config(config) {}

  Error run() {
    if (Error error = checkTop())
      return error;
    if (Error error = checkDma())
      return error;
    if (config.speculationUnit)
      if (Error error = checkSpeculationUnit(*config.speculationUnit))
        return error;
    if (Error error = checkExecutionUnit())
      return error;
    if (Error error = checkBuffers())
      return error;
    if (Error error = checkUnitConnections())
      return error;
    if (Error error = checkDram())
      return error;
    return checkEnergy();
  }

private:
  Error checkTop() {
    if (!isPlainName(config.name))
      return fail("name", "name is '" + config.name +
                              "', but a configuration name must start with a "
                              "letter or digit and contain only letters, "
                              "digits, '.', '-' and '_'; rename it, for "
                              "example lapa-28nm");
    if (config.name.size() > 64)
      return fail("name", "name is " + Twine(config.name.size()) +
                              " characters long, above the limit of 64; "
                              "shorten it");
    if (Error error = checkRange("technology_nm", config.technologyNm, 1, 1000,
                                 "the process node in nm"))
      return error;
    if (Error error = checkRange("clock_mhz", config.clockMhz, 1, 10000,
                                 "the clock frequency in MHz"))
      return error;
    if (config.areaMm2)
      if (Error error = checkPositive("area_mm2", *config.areaMm2, 10000,
                                      "the silicon area in mm^2"))
        return error;
    return Error::success();
  }

  Error checkDma() {
    if (Error error = checkRange("dma.engines", config.dma.engines, 1, 256,
                                 "the number of DMA engines"))
      return error;
    return checkRange("dma.bytes_per_cycle", config.dma.bytesPerCycle, 1, 4096,
                      "the bytes each DMA engine moves per cycle");
  }

  Error checkArrayShape(StringRef path, int64_t rows, int64_t cols) {
    if (Error error = checkRange((path + ".rows").str(), rows, 1, kMaxArrayDim,
                                 "the number of PE rows"))
      return error;
    return checkRange((path + ".cols").str(), cols, 1, kMaxArrayDim,
                      "the number of PE columns");
  }

  /// Checks an accumulator that sums products of two `operandBits`-wide
  /// operands: it must hold one full product.
  Error checkProductAccumulator(StringRef path, int64_t accumulatorBits,
                                int64_t operandBits) {
    std::string accumulatorPath = (path + ".accumulator_bits").str();
    int64_t productBits = 2 * operandBits;
    if (accumulatorBits < productBits && accumulatorBits >= 0)
      return fail(accumulatorPath,
                  accumulatorPath + " is " + Twine(accumulatorBits) +
                      ", narrower than one product of two " +
                      Twine(operandBits) + "-bit operands (" +
                      Twine(productBits) + " bits); set it to at least " +
                      Twine(productBits));
    return checkRange(accumulatorPath, accumulatorBits, 2,
                      kMaxAccumulatorBits, "the accumulator width in bits");
  }

  Error checkShiftArray(const ShiftArrayConfig &array) {
    const std::string path = "speculation_unit.shift_array";
    if (Error error = checkArrayShape(path, array.rows, array.cols))
      return error;

    std::string shiftedPath = path + ".shifted_operand_bits";
    if (array.product == LogProduct::Asymmetric && !array.shiftedOperandBits)
      return fail(shiftedPath,
                  "missing required key 'shifted_operand_bits' in " + path +
                      "; an asymmetric product shifts an integer operand, "
                      "so give its width, for example 8");
    if (array.product == LogProduct::Symmetric && array.shiftedOperandBits)
      return fail(shiftedPath,
                  shiftedPath + " is given, but a symmetric product "
                                "log-codes both operands and shifts no "
                                "integer; remove the key or set product: "
                                "asymmetric");
    int64_t shiftedBits = array.shiftedOperandBits.value_or(1);
    if (array.shiftedOperandBits)
      if (Error error = checkRange(shiftedPath, shiftedBits, 2, 32,
                                   "the width of the shifted operand"))
        return error;
    if (Error error = checkRange(path + ".log_code_bits", array.logCodeBits, 2,
                                 8, "the width of a log code"))
      return error;

    std::string roundsPath = path + ".accumulator_bits";
    if (array.accumulatorBits.empty() || array.accumulatorBits.size() > 8)
      return fail(roundsPath,
                  roundsPath + " lists " + Twine(array.accumulatorBits.size()) +
                      " widths, but it needs one per MRSA round, from 1 to 8 "
                      "rounds; write for example [26, 30]");
    for (size_t i = 0; i < array.accumulatorBits.size(); ++i)
      if (Error error = checkShiftAccumulator(
              roundsPath + "[" + std::to_string(i) + "]",
              array.accumulatorBits[i], shiftedBits))
        return error;
    return checkShiftAccumulator(path + ".key_accumulator_bits",
                                 array.keyAccumulatorBits, shiftedBits);
  }

  /// A shift-add accumulator must at least hold the unshifted operand.
  Error checkShiftAccumulator(const std::string &path, int64_t bits,
                              int64_t shiftedBits) {
    if (bits >= 0 && bits < shiftedBits)
      return fail(path, path + " is " + Twine(bits) +
                            ", narrower than the " + Twine(shiftedBits) +
                            "-bit shifted operand; set it to at least " +
                            Twine(shiftedBits));
    return checkRange(path, bits, 2, kMaxAccumulatorBits,
                      "the accumulator width in bits");
  }

  Error checkSpeculationUnit(const SpeculationUnitConfig &unit) {
    if (!unit.shiftArray && !unit.leadingOneEncoders &&
        !unit.multiplierArray && !unit.filter)
      return fail("speculation_unit",
                  "speculation_unit declares no unit; declare at least one of "
                  "shift_array, leading_one_encoders, multiplier_array, "
                  "filter, or remove it for an accelerator without "
                  "prediction hardware");
    if (unit.shiftArray)
      if (Error error = checkShiftArray(*unit.shiftArray))
        return error;

    if (const std::optional<LeadingOneEncodersConfig> &encoders =
            unit.leadingOneEncoders) {
      const std::string path = "speculation_unit.leading_one_encoders";
      if (Error error = checkRange(path + ".count", encoders->count, 1,
                                   kMaxLanes, "the number of encoders"))
        return error;
      if (Error error = checkRange(path + ".input_bits", encoders->inputBits, 2,
                                   32, "the encoder input width"))
        return error;
    }

    if (const std::optional<MultiplierArrayConfig> &array =
            unit.multiplierArray) {
      const std::string path = "speculation_unit.multiplier_array";
      if (Error error = checkArrayShape(path, array->rows, array->cols))
        return error;
      if (Error error = checkRange(path + ".operand_bits", array->operandBits,
                                   1, 16, "the predictor operand width"))
        return error;
      if (Error error = checkProductAccumulator(path, array->accumulatorBits,
                                                array->operandBits))
        return error;
    }

    if (const std::optional<FilterConfig> &filter = unit.filter) {
      const std::string path = "speculation_unit.filter";
      if (Error error = checkRange(path + ".lanes", filter->lanes, 1,
                                   kMaxLanes, "the number of filter lanes"))
        return error;
      if (Error error = checkRange(path + ".comparisons_per_cycle",
                                   filter->comparisonsPerCycle, 1, 1024,
                                   "the comparisons per lane per cycle"))
        return error;
    }
    return Error::success();
  }

  Error checkExecutionUnit() {
    const ExecutionUnitConfig &unit = config.executionUnit;
    const std::string macPath = "execution_unit.mac_array";
    if (Error error = checkArrayShape(macPath, unit.macArray.rows,
                                      unit.macArray.cols))
      return error;
    if (Error error = checkRange(macPath + ".operand_bits",
                                 unit.macArray.operandBits, 1, 32,
                                 "the MAC operand width"))
      return error;
    if (Error error = checkProductAccumulator(
            macPath, unit.macArray.accumulatorBits, unit.macArray.operandBits))
      return error;
    if (unit.macArray.dataflows.empty())
      return fail(macPath + ".dataflows",
                  macPath + ".dataflows is empty; list at least one dataflow, "
                            "for example [weight_stationary]");
    std::set<Dataflow> seen;
    for (size_t i = 0; i < unit.macArray.dataflows.size(); ++i) {
      Dataflow dataflow = unit.macArray.dataflows[i];
      if (!seen.insert(dataflow).second)
        return fail(macPath + ".dataflows[" + std::to_string(i) + "]",
                    macPath + ".dataflows lists " + dataflowName(dataflow) +
                        " twice; remove the repeat");
    }

    const std::string softmaxPath = "execution_unit.softmax";
    if (Error error = checkRange(softmaxPath + ".exp_lanes",
                                 unit.softmax.expLanes, 1, kMaxLanes,
                                 "the number of exponent lanes"))
      return error;
    if (Error error = checkRange(softmaxPath + ".divide_lanes",
                                 unit.softmax.divideLanes, 1, kMaxLanes,
                                 "the number of divide lanes"))
      return error;
    if (Error error = checkRange(softmaxPath + ".latency_cycles",
                                 unit.softmax.latencyCycles, 1, 10000,
                                 "the softmax latency in cycles"))
      return error;
    return checkRange("execution_unit.vector.lanes", unit.vector.lanes, 1,
                      kMaxLanes, "the number of vector lanes");
  }

  /// Checks a reader or writer list: every name is a unit declared here and
  /// appears once.
  Error checkUnitList(const std::string &path, StringRef bufferName,
                      ArrayRef<std::string> units, StringRef role) {
    if (units.empty())
      return fail(path, path + " of buffer '" + bufferName +
                            "' is empty; list the units that " + role +
                            " it, for example [dma]");
    StringSet<> seen;
    for (size_t i = 0; i < units.size(); ++i) {
      std::string itemPath = path + "[" + std::to_string(i) + "]";
      std::optional<ComponentKind> kind = config.componentKind(units[i]);
      if (!kind || *kind == ComponentKind::Buffer ||
          *kind == ComponentKind::Dram)
        return fail(itemPath, path + " of buffer '" + bufferName +
                                  "' names '" + units[i] +
                                  "', which is not a unit declared in this "
                                  "configuration; valid units are " +
                                  joinNames(declaredUnits()));
      if (!seen.insert(units[i]).second)
        return fail(itemPath, path + " of buffer '" + bufferName +
                                  "' lists '" + units[i] +
                                  "' twice; remove the repeat");
    }
    return Error::success();
  }

  std::vector<std::string> declaredUnits() const {
    std::vector<std::string> units;
    for (const std::string &name : config.componentNames()) {
      std::optional<ComponentKind> kind = config.componentKind(name);
      if (kind && *kind != ComponentKind::Buffer &&
          *kind != ComponentKind::Dram)
        units.push_back(name);
    }
    return units;
  }

  Error checkBuffer(const BufferConfig &buffer, const std::string &path) {
    if (!isIdentifier(buffer.name))
      return fail(path + ".name",
                  path + ".name is '" + buffer.name +
                      "', but a buffer name must be a lower-case identifier "
                      "(letters, digits and '_', starting with a letter), "
                      "for example token_buffer");
    if (isUnitName(buffer.name))
      return fail(path + ".name",
                  path + ".name is '" + buffer.name +
                      "', which is the name of a unit; give the buffer its "
                      "own name, for example " +
                      buffer.name + "_buffer");
    std::string named = "buffer '" + buffer.name + "'";

    if (Error error = checkRange(path + ".bytes", buffer.bytes, 1,
                                 kMaxBufferBytes, "the size in bytes of " +
                                                      named))
      return error;
    if (Error error = checkRange(path + ".banks", buffer.banks, 1, 1024,
                                 "the number of banks of " + named))
      return error;
    if (!isPowerOf2_64(static_cast<uint64_t>(buffer.banks)))
      return fail(path + ".banks",
                  path + ".banks is " + Twine(buffer.banks) + ", but the bank "
                      "count of " + named + " must be a power of two so that "
                      "the low address bits select the bank; use " +
                      nearestPowersOfTwo(buffer.banks));
    if (Error error = checkRange(path + ".ports", buffer.ports, 1, 2,
                                 "the ports per bank of " + named))
      return error;
    if (Error error = checkRange(path + ".word_bits", buffer.wordBits, 8, 1024,
                                 "the word width of " + named))
      return error;
    if (!isPowerOf2_64(static_cast<uint64_t>(buffer.wordBits)))
      return fail(path + ".word_bits",
                  path + ".word_bits is " + Twine(buffer.wordBits) +
                      ", but the word width of " + named +
                      " must be a power of two from 8 to 1024; use " +
                      nearestPowersOfTwo(buffer.wordBits));

    int64_t rowBytes = buffer.banks * buffer.wordBits / 8;
    if (buffer.bytes % rowBytes != 0)
      return fail(path + ".bytes",
                  path + ".bytes is " + Twine(buffer.bytes) + ", not a "
                      "multiple of banks x word bytes = " +
                      Twine(buffer.banks) + " x " +
                      Twine(buffer.wordBits / 8) + " = " + Twine(rowBytes) +
                      ", so the banks of " + named +
                      " cannot hold whole words; round it to a multiple of " +
                      Twine(rowBytes));

    if (Error error = checkUnitList(path + ".readers", buffer.name,
                                    buffer.readers, "read"))
      return error;
    if (Error error = checkUnitList(path + ".writers", buffer.name,
                                    buffer.writers, "write"))
      return error;

    // The smallest tile: an array reading the buffer must find at least one
    // rows x cols tile of its widest input there.
    for (const std::string &reader : buffer.readers) {
      int64_t tileBytes = config.smallestTileBytes(reader);
      if (buffer.bytes < tileBytes)
        return fail(path + ".bytes",
                    path + ".bytes is " + Twine(buffer.bytes) + ", too small "
                        "for the smallest tile of its reader " + reader +
                        " (one rows x cols tile of its widest operand, " +
                        Twine(tileBytes) + " bytes); enlarge " + named +
                        " to at least " + Twine(tileBytes) +
                        " bytes or remove " + reader + " from its readers");
    }
    return Error::success();
  }

  Error checkBuffers() {
    if (config.buffers.empty())
      return fail("buffers", "buffers is empty; declare at least one on-chip "
                             "buffer");
    StringSet<> names;
    for (size_t i = 0; i < config.buffers.size(); ++i) {
      std::string path = "buffers[" + std::to_string(i) + "]";
      const BufferConfig &buffer = config.buffers[i];
      if (Error error = checkBuffer(buffer, path))
        return error;
      if (!names.insert(buffer.name).second)
        return fail(path + ".name", path + ".name '" + buffer.name +
                                        "' is declared twice; give each "
                                        "buffer its own name");
    }
    return Error::success();
  }

  /// Every unit must read its operands from some buffer, and the DMA
  /// engines must also write one, since they are the only way data reaches
  /// the chip.
  Error checkUnitConnections() {
    for (const std::string &unit : declaredUnits()) {
      bool reads = any_of(config.buffers, [&](const BufferConfig &buffer) {
        return is_contained(buffer.readers, unit);
      });
      if (!reads)
        return fail("buffers", "unit " + unit +
                                   " reads no buffer, so it has no operands; "
                                   "add it to the readers of the buffer it "
                                   "reads from");
    }
    bool dmaWrites = any_of(config.buffers, [](const BufferConfig &buffer) {
      return is_contained(buffer.writers, "dma");
    });
    if (!dmaWrites)
      return fail("buffers", "no buffer lists dma among its writers, so no "
                             "data can be loaded from DRAM; add dma to the "
                             "writers of the buffers it fills");
    return Error::success();
  }

  Error checkDram() {
    if (Error error = checkRange("dram.channels", config.dram.channels, 1, 128,
                                 "the number of DRAM channels"))
      return error;
    if (Error error =
            checkPositive("dram.bandwidth_gb_per_s",
                          config.dram.bandwidthGBPerSecond, 100000,
                          "the DRAM bandwidth in GB/s"))
      return error;
    return checkPositive("dram.latency_ns", config.dram.latencyNs, 100000,
                         "the DRAM latency in ns");
  }

  Error checkEnergyEntry(const EnergyEntry &entry, const std::string &path) {
    std::optional<ComponentKind> kind = config.componentKind(entry.component);
    if (!kind)
      return fail(path + ".component",
                  path + ".component is '" + entry.component +
                      "', which is not a unit, buffer or dram declared in "
                      "this configuration; valid components are " +
                      joinNames(config.componentNames()));

    std::vector<StringRef> actions = validActions(*kind);
    if (!is_contained(actions, StringRef(entry.action)))
      return fail(path + ".action",
                  path + ".action is '" + entry.action +
                      "', which is not an action of " + entry.component +
                      "; valid actions are " + joinNames(actions));

    EnergyQuantity expected = actionQuantity(entry.action);
    std::string valuePath =
        path + "." + energyQuantityKey(entry.quantity).str();
    if (entry.quantity != expected)
      return fail(valuePath,
                  path + " (" + entry.component + " " + entry.action +
                      ") gives " + energyQuantityKey(entry.quantity) +
                      ", but this action is measured by " +
                      energyQuantityKey(expected) + "; rename the key to " +
                      energyQuantityKey(expected));

    if (!std::isfinite(entry.value) || entry.value < 0 ||
        entry.value > kMaxEnergy)
      return fail(valuePath,
                  valuePath + " is " + formatNumber(entry.value) + " for " +
                      entry.component + " " + entry.action +
                      ", outside the valid range 0 to " +
                      formatNumber(kMaxEnergy) + "; write 0 if the energy is "
                      "counted in another entry");
    return Error::success();
  }

  Error checkEnergy() {
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 0; i < config.energy.size(); ++i) {
      std::string path = "energy[" + std::to_string(i) + "]";
      const EnergyEntry &entry = config.energy[i];
      if (Error error = checkEnergyEntry(entry, path))
        return error;
      if (!seen.insert({entry.component, entry.action}).second)
        return fail(path, path + " repeats " + entry.component + " " +
                              entry.action + "; keep one entry per "
                              "component and action");
    }

    // Every action of every declared component needs a figure, so that the
    // simulator never charges a silent zero. `leak` is optional.
    for (const std::string &component : config.componentNames()) {
      ComponentKind kind = *config.componentKind(component);
      for (StringRef action : requiredActions(kind))
        if (!seen.count({component, action.str()}))
          return fail("energy",
                      "energy has no entry for action " + action + " of " +
                          component + "; add {component: " + component +
                          ", action: " + action + ", " +
                          energyQuantityKey(actionQuantity(action)) +
                          ": ...}, or 0 with a comment if another entry "
                          "already counts it");
    }
    return Error::success();
  }

  const HardwareConfig &config;
};

} // namespace

Error HardwareConfig::validate() const { return Validator(*this).run(); }

} // namespace lapa::hardware
