//===- HardwareConfig.cpp - Names, derived figures and lookups -----------===//
//
// The spellings of the enumerations, the table of components and their
// energy-table actions, the derived figures that the compiler and the
// simulator size their work by, and the error type of the library.
//
//===----------------------------------------------------------------------===//

#include "lapa/Hardware/HardwareConfig.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <array>
#include <utility>

using namespace llvm;

namespace lapa::hardware {

namespace {

constexpr std::array<std::pair<LogProduct, StringRef>, 2> kLogProductNames = {{
    {LogProduct::Asymmetric, "asymmetric"},
    {LogProduct::Symmetric, "symmetric"},
}};

constexpr std::array<std::pair<Dataflow, StringRef>, 5> kDataflowNames = {{
    {Dataflow::WeightStationary, "weight_stationary"},
    {Dataflow::OutputStationary, "output_stationary"},
    {Dataflow::InputStationary, "input_stationary"},
    {Dataflow::ScoreStationary, "score_stationary"},
    {Dataflow::ReductionTree, "reduction_tree"},
}};

constexpr std::array<std::pair<DramKind, StringRef>, 7> kDramKindNames = {{
    {DramKind::HBM2, "HBM2"},
    {DramKind::HBM2E, "HBM2E"},
    {DramKind::HBM3, "HBM3"},
    {DramKind::DDR4, "DDR4"},
    {DramKind::DDR5, "DDR5"},
    {DramKind::LPDDR4, "LPDDR4"},
    {DramKind::LPDDR5, "LPDDR5"},
}};

template <typename Enum, size_t N>
StringRef lookupName(const std::array<std::pair<Enum, StringRef>, N> &table,
                     Enum value) {
  for (const auto &[entry, name] : table)
    if (entry == value)
      return name;
  return "unknown";
}

template <typename Enum, size_t N>
std::optional<Enum>
lookupValue(const std::array<std::pair<Enum, StringRef>, N> &table,
            StringRef name) {
  for (const auto &[entry, entryName] : table)
    if (entryName == name)
      return entry;
  return std::nullopt;
}

/// Units in canonical order, with the fixed names they have in the file.
constexpr std::array<std::pair<ComponentKind, StringRef>, 9> kComponentNames =
    {{
        {ComponentKind::Dma, "dma"},
        {ComponentKind::ShiftArray, "shift_array"},
        {ComponentKind::LeadingOneEncoders, "leading_one_encoders"},
        {ComponentKind::MultiplierArray, "multiplier_array"},
        {ComponentKind::Filter, "filter"},
        {ComponentKind::MacArray, "mac_array"},
        {ComponentKind::Softmax, "softmax"},
        {ComponentKind::Vector, "vector"},
        {ComponentKind::Dram, "dram"},
    }};

/// Returns whether the configuration declares the unit of this kind. Buffers
/// are looked up by name instead.
bool isDeclared(const HardwareConfig &config, ComponentKind kind) {
  const std::optional<SpeculationUnitConfig> &speculation =
      config.speculationUnit;
  switch (kind) {
  case ComponentKind::Dma:
  case ComponentKind::MacArray:
  case ComponentKind::Softmax:
  case ComponentKind::Vector:
  case ComponentKind::Dram:
    return true;
  case ComponentKind::ShiftArray:
    return speculation && speculation->shiftArray.has_value();
  case ComponentKind::LeadingOneEncoders:
    return speculation && speculation->leadingOneEncoders.has_value();
  case ComponentKind::MultiplierArray:
    return speculation && speculation->multiplierArray.has_value();
  case ComponentKind::Filter:
    return speculation && speculation->filter.has_value();
  case ComponentKind::Buffer:
    return false;
  }
  return false;
}

} // namespace

StringRef logProductName(LogProduct product) {
  return lookupName(kLogProductNames, product);
}
std::optional<LogProduct> parseLogProduct(StringRef name) {
  return lookupValue(kLogProductNames, name);
}
StringRef dataflowName(Dataflow dataflow) {
  return lookupName(kDataflowNames, dataflow);
}
std::optional<Dataflow> parseDataflow(StringRef name) {
  return lookupValue(kDataflowNames, name);
}
StringRef dramKindName(DramKind kind) {
  return lookupName(kDramKindNames, kind);
}
std::optional<DramKind> parseDramKind(StringRef name) {
  return lookupValue(kDramKindNames, name);
}

StringRef energyQuantityKey(EnergyQuantity quantity) {
  switch (quantity) {
  case EnergyQuantity::PerAction:
    return "energy_pj";
  case EnergyQuantity::PerBit:
    return "energy_pj_per_bit";
  case EnergyQuantity::LeakagePower:
    return "power_mw";
  }
  return "energy_pj";
}

StringRef componentKindName(ComponentKind kind) {
  if (kind == ComponentKind::Buffer)
    return "";
  return lookupName(kComponentNames, kind);
}

ArrayRef<StringRef> requiredActions(ComponentKind kind) {
  static const StringRef shiftAdd[] = {"shift_add"};
  static const StringRef encode[] = {"encode"};
  static const StringRef mac[] = {"mac"};
  static const StringRef compare[] = {"compare"};
  static const StringRef softmax[] = {"exp", "divide"};
  static const StringRef vectorOp[] = {"op"};
  static const StringRef memory[] = {"read", "write"};
  switch (kind) {
  case ComponentKind::Dma:
    // The DMA engines only steer transfers. The energy of moving the data
    // is charged to the DRAM and buffer reads and writes it causes.
    return {};
  case ComponentKind::ShiftArray:
    return shiftAdd;
  case ComponentKind::LeadingOneEncoders:
    return encode;
  case ComponentKind::MultiplierArray:
  case ComponentKind::MacArray:
    return mac;
  case ComponentKind::Filter:
    return compare;
  case ComponentKind::Softmax:
    return softmax;
  case ComponentKind::Vector:
    return vectorOp;
  case ComponentKind::Buffer:
  case ComponentKind::Dram:
    return memory;
  }
  return {};
}

std::vector<StringRef> validActions(ComponentKind kind) {
  std::vector<StringRef> actions(requiredActions(kind).begin(),
                                 requiredActions(kind).end());
  actions.push_back("leak");
  return actions;
}

EnergyQuantity actionQuantity(StringRef action) {
  if (action == "leak")
    return EnergyQuantity::LeakagePower;
  if (action == "read" || action == "write")
    return EnergyQuantity::PerBit;
  return EnergyQuantity::PerAction;
}

//===----------------------------------------------------------------------===//
// Derived figures
//===----------------------------------------------------------------------===//

int64_t HardwareConfig::peakMacsPerCycle() const {
  return executionUnit.macArray.rows * executionUnit.macArray.cols;
}

int64_t HardwareConfig::peakShiftAddsPerCycle() const {
  if (!speculationUnit || !speculationUnit->shiftArray)
    return 0;
  return speculationUnit->shiftArray->rows * speculationUnit->shiftArray->cols;
}

int64_t HardwareConfig::peakPredictionMacsPerCycle() const {
  if (!speculationUnit || !speculationUnit->multiplierArray)
    return 0;
  return speculationUnit->multiplierArray->rows *
         speculationUnit->multiplierArray->cols;
}

double HardwareConfig::peakGops() const {
  return 2.0 * static_cast<double>(peakMacsPerCycle()) *
         static_cast<double>(clockMhz) / 1000.0;
}

double HardwareConfig::peakGigaShiftAddsPerSecond() const {
  return static_cast<double>(peakShiftAddsPerCycle()) *
         static_cast<double>(clockMhz) / 1000.0;
}

double HardwareConfig::dramBytesPerCycle() const {
  if (clockMhz <= 0)
    return 0;
  return dram.bandwidthGBPerSecond * 1000.0 / static_cast<double>(clockMhz);
}

int64_t HardwareConfig::dmaBytesPerCycle() const {
  return dma.engines * dma.bytesPerCycle;
}

int64_t HardwareConfig::totalSramBytes() const {
  int64_t total = 0;
  for (const BufferConfig &buffer : buffers)
    total += buffer.bytes;
  return total;
}

int64_t HardwareConfig::smallestTileBytes(StringRef component) const {
  // A tile of N elements of B bits takes ceil(N * B / 8) bytes.
  auto tileBytes = [](int64_t rows, int64_t cols, int64_t bits) {
    return (rows * cols * bits + 7) / 8;
  };
  if (component == "mac_array") {
    const MacArrayConfig &array = executionUnit.macArray;
    return tileBytes(array.rows, array.cols, array.operandBits);
  }
  if (!speculationUnit)
    return 0;
  if (component == "shift_array" && speculationUnit->shiftArray) {
    const ShiftArrayConfig &array = *speculationUnit->shiftArray;
    int64_t widest = std::max(array.shiftedOperandBits.value_or(0),
                              array.logCodeBits);
    return tileBytes(array.rows, array.cols, widest);
  }
  if (component == "multiplier_array" && speculationUnit->multiplierArray) {
    const MultiplierArrayConfig &array = *speculationUnit->multiplierArray;
    return tileBytes(array.rows, array.cols, array.operandBits);
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Lookups
//===----------------------------------------------------------------------===//

const BufferConfig *HardwareConfig::findBuffer(StringRef bufferName) const {
  for (const BufferConfig &buffer : buffers)
    if (buffer.name == bufferName)
      return &buffer;
  return nullptr;
}

std::optional<ComponentKind>
HardwareConfig::componentKind(StringRef component) const {
  if (std::optional<ComponentKind> kind =
          lookupValue(kComponentNames, component)) {
    if (isDeclared(*this, *kind))
      return kind;
    return std::nullopt;
  }
  if (findBuffer(component))
    return ComponentKind::Buffer;
  return std::nullopt;
}

std::vector<std::string> HardwareConfig::componentNames() const {
  std::vector<std::string> names;
  for (const auto &[kind, kindName] : kComponentNames)
    if (kind != ComponentKind::Dram && isDeclared(*this, kind))
      names.push_back(kindName.str());
  for (const BufferConfig &buffer : buffers)
    names.push_back(buffer.name);
  names.push_back("dram");
  return names;
}

const EnergyEntry *HardwareConfig::findEnergy(StringRef component,
                                              StringRef action) const {
  for (const EnergyEntry &entry : energy)
    if (entry.component == component && entry.action == action)
      return &entry;
  return nullptr;
}

double HardwareConfig::leakagePowerMw(StringRef component) const {
  const EnergyEntry *entry = findEnergy(component, "leak");
  return entry ? entry->value : 0.0;
}

std::string HardwareConfig::toYaml() const {
  std::string text;
  raw_string_ostream os(text);
  print(os);
  return text;
}

//===----------------------------------------------------------------------===//
// Equality
//===----------------------------------------------------------------------===//

namespace {

bool equal(const ShiftArrayConfig &a, const ShiftArrayConfig &b) {
  return a.rows == b.rows && a.cols == b.cols && a.product == b.product &&
         a.shiftedOperandBits == b.shiftedOperandBits &&
         a.logCodeBits == b.logCodeBits &&
         a.accumulatorBits == b.accumulatorBits &&
         a.keyAccumulatorBits == b.keyAccumulatorBits;
}

bool equal(const LeadingOneEncodersConfig &a,
           const LeadingOneEncodersConfig &b) {
  return a.count == b.count && a.inputBits == b.inputBits;
}

bool equal(const MultiplierArrayConfig &a, const MultiplierArrayConfig &b) {
  return a.rows == b.rows && a.cols == b.cols &&
         a.operandBits == b.operandBits &&
         a.accumulatorBits == b.accumulatorBits;
}

bool equal(const FilterConfig &a, const FilterConfig &b) {
  return a.lanes == b.lanes && a.comparisonsPerCycle == b.comparisonsPerCycle;
}

bool equal(const SpeculationUnitConfig &a, const SpeculationUnitConfig &b);

template <typename T>
bool equalOptional(const std::optional<T> &a, const std::optional<T> &b) {
  if (a.has_value() != b.has_value())
    return false;
  return !a || equal(*a, *b);
}

bool equal(const SpeculationUnitConfig &a, const SpeculationUnitConfig &b) {
  return equalOptional(a.shiftArray, b.shiftArray) &&
         equalOptional(a.leadingOneEncoders, b.leadingOneEncoders) &&
         equalOptional(a.multiplierArray, b.multiplierArray) &&
         equalOptional(a.filter, b.filter);
}

bool equal(const ExecutionUnitConfig &a, const ExecutionUnitConfig &b) {
  const MacArrayConfig &macA = a.macArray;
  const MacArrayConfig &macB = b.macArray;
  return macA.rows == macB.rows && macA.cols == macB.cols &&
         macA.operandBits == macB.operandBits &&
         macA.accumulatorBits == macB.accumulatorBits &&
         macA.dataflows == macB.dataflows &&
         a.softmax.expLanes == b.softmax.expLanes &&
         a.softmax.divideLanes == b.softmax.divideLanes &&
         a.softmax.latencyCycles == b.softmax.latencyCycles &&
         a.vector.lanes == b.vector.lanes;
}

bool equal(const BufferConfig &a, const BufferConfig &b) {
  return a.name == b.name && a.bytes == b.bytes && a.banks == b.banks &&
         a.ports == b.ports && a.wordBits == b.wordBits &&
         a.readers == b.readers && a.writers == b.writers;
}

bool equal(const EnergyEntry &a, const EnergyEntry &b) {
  return a.component == b.component && a.action == b.action &&
         a.quantity == b.quantity && a.value == b.value;
}

template <typename T>
bool equalLists(const std::vector<T> &a, const std::vector<T> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!equal(a[i], b[i]))
      return false;
  return true;
}

} // namespace

bool operator==(const HardwareConfig &lhs, const HardwareConfig &rhs) {
  return lhs.name == rhs.name && lhs.technologyNm == rhs.technologyNm &&
         lhs.clockMhz == rhs.clockMhz && lhs.areaMm2 == rhs.areaMm2 &&
         lhs.dma.engines == rhs.dma.engines &&
         lhs.dma.bytesPerCycle == rhs.dma.bytesPerCycle &&
         equalOptional(lhs.speculationUnit, rhs.speculationUnit) &&
         equal(lhs.executionUnit, rhs.executionUnit) &&
         equalLists(lhs.buffers, rhs.buffers) &&
         lhs.dram.kind == rhs.dram.kind &&
         lhs.dram.channels == rhs.dram.channels &&
         lhs.dram.bandwidthGBPerSecond == rhs.dram.bandwidthGBPerSecond &&
         lhs.dram.latencyNs == rhs.dram.latencyNs &&
         equalLists(lhs.energy, rhs.energy);
}

//===----------------------------------------------------------------------===//
// ConfigError
//===----------------------------------------------------------------------===//

char ConfigError::ID = 0;

void ConfigError::log(raw_ostream &os) const {
  if (!bufferName.empty()) {
    os << bufferName << ":";
    if (line != 0) {
      os << line << ":";
      if (column != 0)
        os << column << ":";
    }
    os << " ";
  }
  os << message;
}

std::error_code ConfigError::convertToErrorCode() const {
  return std::make_error_code(std::errc::invalid_argument);
}

} // namespace lapa::hardware
