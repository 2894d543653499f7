//===- HardwareConfig.h - The accelerator configuration file ------*- C++ -*-===//
//
// The description of one accelerator that the compiler and the simulator
// both read: clock, DMA engines, the speculation unit (prediction), the
// execution unit (formal compute), on-chip buffers, DRAM and the per-action
// energy table. One YAML file holds it, and docs/hardware-config.md lists
// every key. This library is the file's only reader. The parser, the
// validity rules, the derived figures and the fingerprint that ties an
// instruction stream to its configuration therefore have a single home. The
// library depends on LLVM Support only.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_HARDWARE_HARDWARECONFIG_H
#define LAPA_HARDWARE_HARDWARECONFIG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lapa::hardware {

//===----------------------------------------------------------------------===//
// Enumerations and their spellings in the file
//===----------------------------------------------------------------------===//

/// The form of the approximate product in the speculation unit's shift array.
enum class LogProduct {
  /// One operand is log-coded and the other, an integer, is shifted by its
  /// leading-one position: x * w ~ s(w) * (x << LO(w)). LAPA's ALOC and
  /// SOFA's DLZS.
  Asymmetric,
  /// Both operands are log-coded and the product is 2^(LO(x) + LO(w)), an
  /// exponent add. FACT's eager prediction.
  Symmetric,
};

/// A dataflow the MAC array supports.
enum class Dataflow {
  WeightStationary,
  OutputStationary,
  InputStationary,
  /// Sanger's reconfigurable array, which keeps each score in its PE.
  ScoreStationary,
  /// Multipliers feeding adder trees with no operand held in the PEs, as in
  /// SpAtten.
  ReductionTree,
};

/// The DRAM standard.
enum class DramKind { HBM2, HBM2E, HBM3, DDR4, DDR5, LPDDR4, LPDDR5 };

/// The quantity an energy-table entry gives, chosen by its action.
enum class EnergyQuantity {
  /// Picojoules per action (`energy_pj`): shift_add, mac, compare, ...
  PerAction,
  /// Picojoules per bit moved (`energy_pj_per_bit`): buffer and DRAM reads
  /// and writes.
  PerBit,
  /// Static power in milliwatts (`power_mw`): the `leak` action.
  LeakagePower,
};

llvm::StringRef logProductName(LogProduct product);
std::optional<LogProduct> parseLogProduct(llvm::StringRef name);
llvm::StringRef dataflowName(Dataflow dataflow);
std::optional<Dataflow> parseDataflow(llvm::StringRef name);
llvm::StringRef dramKindName(DramKind kind);
std::optional<DramKind> parseDramKind(llvm::StringRef name);
/// Returns the YAML key of an energy quantity: energy_pj, energy_pj_per_bit
/// or power_mw.
llvm::StringRef energyQuantityKey(EnergyQuantity quantity);

//===----------------------------------------------------------------------===//
// Sections of the file
//===----------------------------------------------------------------------===//
//
// Counts, sizes and widths are int64_t so that a negative value set in code
// reaches `validate` and gets the same message as one read from a file.

/// The DMA engines that move data between DRAM and the buffers.
struct DmaConfig {
  int64_t engines = 0;
  /// Bytes each engine moves per cycle.
  int64_t bytesPerCycle = 0;
};

/// The shift-add PE array of the speculation unit (ALOC and MRSA).
struct ShiftArrayConfig {
  int64_t rows = 0;
  int64_t cols = 0;
  LogProduct product = LogProduct::Asymmetric;
  /// Width of the integer operand that is shifted. Only an asymmetric
  /// product has one.
  std::optional<int64_t> shiftedOperandBits;
  /// Width of a log code: sign, leading-one position and zero flag.
  int64_t logCodeBits = 0;
  /// Accumulator width of each MRSA round of the score prediction; the list
  /// length is the number of rounds the hardware supports.
  std::vector<int64_t> accumulatorBits;
  /// Accumulator width of the key prediction K-hat = X . W_K (one round).
  int64_t keyAccumulatorBits = 0;
};

/// Leading-one encoders that log-code an operand at run time (formal Q).
struct LeadingOneEncodersConfig {
  int64_t count = 0;
  /// Widest input an encoder accepts.
  int64_t inputBits = 0;
};

/// A low-precision multiplier array for predictors that quantize instead of
/// log-coding (Sanger's 4-bit Q.K, Energon's multi-round filter).
struct MultiplierArrayConfig {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t operandBits = 0;
  int64_t accumulatorBits = 0;
};

/// The filter and top-k lanes: the DDF threshold test between rounds and the
/// final top-k or threshold selection.
struct FilterConfig {
  int64_t lanes = 0;
  /// Candidate scores one lane takes in per cycle (threshold test plus
  /// top-k insertion).
  int64_t comparisonsPerCycle = 0;
};

/// The prediction hardware. Every part is optional, but a declared
/// speculation unit has at least one.
struct SpeculationUnitConfig {
  std::optional<ShiftArrayConfig> shiftArray;
  std::optional<LeadingOneEncodersConfig> leadingOneEncoders;
  std::optional<MultiplierArrayConfig> multiplierArray;
  std::optional<FilterConfig> filter;
};

/// The MAC array of the execution unit.
struct MacArrayConfig {
  int64_t rows = 0;
  int64_t cols = 0;
  /// Width of both multiplier operands.
  int64_t operandBits = 0;
  int64_t accumulatorBits = 0;
  /// Dataflows the array supports, in enumeration order once parsed.
  std::vector<Dataflow> dataflows;
};

struct SoftmaxConfig {
  int64_t expLanes = 0;
  int64_t divideLanes = 0;
  /// Cycles from a row's first score entering to its first probability
  /// leaving.
  int64_t latencyCycles = 0;
};

/// The vector unit for element-wise work (requantization, residual adds,
/// normalization).
struct VectorConfig {
  int64_t lanes = 0;
};

struct ExecutionUnitConfig {
  MacArrayConfig macArray;
  SoftmaxConfig softmax;
  VectorConfig vector;
};

/// One on-chip SRAM buffer.
struct BufferConfig {
  std::string name;
  int64_t bytes = 0;
  /// Number of banks, a power of two so that the low address bits select
  /// the bank.
  int64_t banks = 0;
  /// Access ports per bank: 1 allows one read or write per cycle, 2 allows
  /// a read and a write.
  int64_t ports = 0;
  /// Width of one bank word.
  int64_t wordBits = 0;
  /// Units that read from and write to the buffer (component names such as
  /// "mac_array" or "dma").
  std::vector<std::string> readers;
  std::vector<std::string> writers;

  /// Returns the peak bandwidth of all banks and ports together.
  int64_t peakBytesPerCycle() const { return banks * ports * wordBits / 8; }
};

struct DramConfig {
  DramKind kind = DramKind::HBM2;
  int64_t channels = 0;
  /// Peak bandwidth of all channels together, in GB/s (10^9 bytes/s).
  double bandwidthGBPerSecond = 0;
  /// Latency of an isolated read, in nanoseconds.
  double latencyNs = 0;
};

/// One row of the energy table, in Accelergy's vocabulary: a component (a
/// unit, a buffer or "dram"), one of its actions, and the energy of one
/// action, of one bit, or the leakage power.
struct EnergyEntry {
  std::string component;
  std::string action;
  EnergyQuantity quantity = EnergyQuantity::PerAction;
  double value = 0;
};

//===----------------------------------------------------------------------===//
// The whole configuration
//===----------------------------------------------------------------------===//

/// Kinds of component that the energy table and the buffer reader and writer
/// lists can name.
enum class ComponentKind {
  Dma,
  ShiftArray,
  LeadingOneEncoders,
  MultiplierArray,
  Filter,
  MacArray,
  Softmax,
  Vector,
  Buffer,
  Dram,
};

/// Returns the fixed component name of a unit kind ("shift_array", ...). A
/// buffer has no fixed name and returns "".
llvm::StringRef componentKindName(ComponentKind kind);
/// Returns the actions of a component kind that the energy table must give,
/// in canonical order.
llvm::ArrayRef<llvm::StringRef> requiredActions(ComponentKind kind);
/// Returns every action of a component kind: the required ones and `leak`.
std::vector<llvm::StringRef> validActions(ComponentKind kind);
/// Returns the quantity an action is measured in: leak is a power, read and
/// write are per bit, every other action is per action.
EnergyQuantity actionQuantity(llvm::StringRef action);

struct HardwareConfig {
  /// Short identifier used in reports: letters, digits, '.', '-', '_'.
  std::string name;
  /// Process node the area and energy figures describe, in nm.
  int64_t technologyNm = 0;
  int64_t clockMhz = 0;
  /// Silicon area in mm^2, used only for area efficiency in reports.
  std::optional<double> areaMm2;
  DmaConfig dma;
  /// Absent for an accelerator without prediction hardware.
  std::optional<SpeculationUnitConfig> speculationUnit;
  ExecutionUnitConfig executionUnit;
  std::vector<BufferConfig> buffers;
  DramConfig dram;
  std::vector<EnergyEntry> energy;

  // --- Derived figures --------------------------------------------------

  /// Returns rows x cols of the execution unit's MAC array.
  int64_t peakMacsPerCycle() const;
  /// Returns rows x cols of the shift array, or 0 without one.
  int64_t peakShiftAddsPerCycle() const;
  /// Returns rows x cols of the speculation multiplier array, or 0.
  int64_t peakPredictionMacsPerCycle() const;
  /// Returns the dense peak of the MAC array in GOPS, counting a MAC as two
  /// operations: 2 x MACs per cycle x clock in GHz.
  double peakGops() const;
  /// Returns the shift array's peak in 10^9 shift-adds per second.
  double peakGigaShiftAddsPerSecond() const;
  /// Returns DRAM bytes per cycle at the clock: GB/s x 1000 / MHz.
  double dramBytesPerCycle() const;
  /// Returns engines x bytes per cycle of the DMA engines.
  int64_t dmaBytesPerCycle() const;
  /// Returns the sum of all buffer sizes in bytes.
  int64_t totalSramBytes() const;
  /// Returns the bytes of the smallest tile that a buffer read by the
  /// component must hold: one rows x cols tile of the widest input operand
  /// of an array. Returns 0 for a component that is not an array.
  int64_t smallestTileBytes(llvm::StringRef component) const;

  // --- Lookups -----------------------------------------------------------

  const BufferConfig *findBuffer(llvm::StringRef name) const;
  /// Returns the kind of a component declared in this configuration, or
  /// nothing if the name is not declared here.
  std::optional<ComponentKind> componentKind(llvm::StringRef name) const;
  /// Returns every component name declared here: units in canonical order,
  /// then the buffers in the order of `buffers` (sorted by name once
  /// parsed), then "dram".
  std::vector<std::string> componentNames() const;
  /// Returns the energy-table entry of an action, or nullptr.
  const EnergyEntry *findEnergy(llvm::StringRef component,
                                llvm::StringRef action) const;
  /// Returns the leakage power of a component in mW, or 0 when the table has
  /// no `leak` entry for it (its static power is then taken as included in
  /// the per-action energies).
  double leakagePowerMw(llvm::StringRef component) const;

  // --- Validity, canonical form and fingerprint ---------------------------

  /// Checks every value against its range and every name against the
  /// declared units and buffers. On failure returns a ConfigError whose key
  /// path names the offending value (no line and column: the parser adds
  /// them for a configuration read from a file).
  llvm::Error validate() const;

  /// Writes the canonical YAML form: every key in the documented order,
  /// numbers in their shortest exact form, buffers sorted by name and the
  /// energy table sorted by component and action. Parsing the output gives
  /// back an equal configuration.
  void print(llvm::raw_ostream &os) const;
  std::string toYaml() const;

  /// Returns the 64-bit FNV-1a hash of the canonical form. Comments, key
  /// order, buffer order and the spelling of a number value (50 versus
  /// 5e1) do not change it, and any change of a value does. It also changes
  /// if a later version of this library changes the canonical form.
  uint64_t fingerprint() const;
};

bool operator==(const HardwareConfig &lhs, const HardwareConfig &rhs);
inline bool operator!=(const HardwareConfig &lhs, const HardwareConfig &rhs) {
  return !(lhs == rhs);
}

//===----------------------------------------------------------------------===//
// Errors and loading
//===----------------------------------------------------------------------===//

/// An invalid configuration. The error carries the key path of the offending
/// value, for example "speculation_unit.shift_array.rows" ("" for the file
/// as a whole). Its message names the value, the limit and the fix, and the
/// position in the file is kept when there is one.
class ConfigError : public llvm::ErrorInfo<ConfigError> {
public:
  static char ID;

  ConfigError(std::string keyPath, std::string message)
      : keyPath(std::move(keyPath)), message(std::move(message)) {}

  /// Writes "FILE:LINE:COLUMN: MESSAGE", leaving out the parts that are
  /// unknown. A tool adds its own "error:" prefix.
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

  llvm::StringRef getKeyPath() const { return keyPath; }
  llvm::StringRef getMessage() const { return message; }
  llvm::StringRef getBufferName() const { return bufferName; }
  /// 1-based line and column, or 0 when unknown.
  unsigned getLine() const { return line; }
  unsigned getColumn() const { return column; }

  void setLocation(std::string buffer, unsigned lineNumber,
                   unsigned columnNumber) {
    bufferName = std::move(buffer);
    line = lineNumber;
    column = columnNumber;
  }

private:
  std::string keyPath;
  std::string message;
  std::string bufferName;
  unsigned line = 0;
  unsigned column = 0;
};

/// Parses and validates a configuration from YAML text. `bufferName` names
/// the text in error messages (usually the file path).
llvm::Expected<HardwareConfig> parseHardwareConfig(llvm::StringRef yamlText,
                                                   llvm::StringRef bufferName);

/// Reads, parses and validates the configuration file at `path`.
llvm::Expected<HardwareConfig> loadHardwareConfig(llvm::StringRef path);

} // namespace lapa::hardware

#endif // LAPA_HARDWARE_HARDWARECONFIG_H
