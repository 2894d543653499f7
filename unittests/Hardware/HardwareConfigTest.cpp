//===- HardwareConfigTest.cpp - Parsing, checks and figures of configs ---===//
//
// Covers the shipped configurations: they load, and the LAPA file holds the
// numbers of the reconstructed reference design. Derived figures are
// checked against hand arithmetic. Each error class gets one case with its
// message, key path and position. The fingerprint's stability and the
// canonical form close the file. Expected values are written out here from
// the algorithm reference or by hand, never copied from the library's output.
//
//===----------------------------------------------------------------------===//

#include "lapa/Hardware/HardwareConfig.h"

#include "llvm/ADT/StringRef.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace lapa::hardware;
using llvm::StringRef;

namespace {

/// A small valid configuration that the error tests edit one line at a time.
const char *const kTinyConfig = R"yaml(# A tiny accelerator for tests.
name: tiny
technology_nm: 28
clock_mhz: 1000
dma:
  engines: 2
  bytes_per_cycle: 16
speculation_unit:
  shift_array:
    rows: 4
    cols: 8
    product: asymmetric
    shifted_operand_bits: 8
    log_code_bits: 4
    accumulator_bits: [26, 30]
    key_accumulator_bits: 32
  filter:
    lanes: 2
    comparisons_per_cycle: 4
execution_unit:
  mac_array:
    rows: 2
    cols: 3
    operand_bits: 8
    accumulator_bits: 32
    dataflows: [weight_stationary]
  softmax:
    exp_lanes: 1
    divide_lanes: 1
    latency_cycles: 10
  vector:
    lanes: 1
buffers:
  - name: main_buffer
    bytes: 4096
    banks: 4
    ports: 1
    word_bits: 32
    readers: [dma, shift_array, filter, mac_array, softmax, vector]
    writers: [dma, mac_array]
dram:
  kind: DDR4
  channels: 1
  bandwidth_gb_per_s: 25.6
  latency_ns: 50
energy:
  - {component: shift_array, action: shift_add, energy_pj: 0.0071}
  - {component: filter, action: compare, energy_pj: 0.073}
  - {component: mac_array, action: mac, energy_pj: 0.087}
  - {component: softmax, action: exp, energy_pj: 1.3}
  - {component: softmax, action: divide, energy_pj: 1.3}
  - {component: vector, action: op, energy_pj: 0.087}
  - {component: main_buffer, action: read, energy_pj_per_bit: 0.062}
  - {component: main_buffer, action: write, energy_pj_per_bit: 0.062}
  - {component: dram, action: read, energy_pj_per_bit: 5.1}
  - {component: dram, action: write, energy_pj_per_bit: 5.1}
)yaml";

/// Returns kTinyConfig with the first occurrence of `from` replaced by `to`.
/// Fails the test if `from` does not occur, so that a typo in a test cannot
/// turn it into a test of the unchanged file.
std::string editTiny(StringRef from, StringRef to) {
  std::string text = kTinyConfig;
  size_t at = text.find(from.str());
  EXPECT_NE(at, std::string::npos) << "'" << from.str() << "' not in config";
  if (at != std::string::npos)
    text.replace(at, from.size(), to.str());
  return text;
}

/// Returns `text` with every occurrence of `from` replaced by `to`.
std::string replaceAll(std::string text, StringRef from, StringRef to) {
  size_t at = 0;
  while ((at = text.find(from.str(), at)) != std::string::npos) {
    text.replace(at, from.size(), to.str());
    at += to.size();
  }
  return text;
}

/// Returns the 1-based line of the first occurrence of `needle`.
unsigned lineOf(StringRef text, StringRef needle) {
  size_t at = text.find(needle);
  EXPECT_NE(at, StringRef::npos) << "'" << needle.str() << "' not in text";
  return 1 + text.take_front(at).count('\n');
}

/// Returns the 1-based column of the first occurrence of `needle`.
unsigned columnOf(StringRef text, StringRef needle) {
  size_t at = text.find(needle);
  size_t lineStart = text.take_front(at).rfind('\n');
  return lineStart == StringRef::npos ? at + 1 : at - lineStart;
}

/// The parts of a ConfigError, copied out of the llvm::Error.
struct ErrorParts {
  bool failed = false;
  std::string keyPath;
  std::string message;
  std::string text;
  unsigned line = 0;
  unsigned column = 0;
};

ErrorParts takeError(llvm::Error error) {
  ErrorParts parts;
  parts.failed = static_cast<bool>(error);
  llvm::handleAllErrors(std::move(error), [&](const ConfigError &configError) {
    parts.keyPath = configError.getKeyPath().str();
    parts.message = configError.getMessage().str();
    parts.line = configError.getLine();
    parts.column = configError.getColumn();
    std::string text;
    llvm::raw_string_ostream os(text);
    configError.log(os);
    parts.text = text;
  });
  return parts;
}

/// Parses `text` and returns the error it must produce.
ErrorParts parseFailure(StringRef text) {
  llvm::Expected<HardwareConfig> config = parseHardwareConfig(text, "test.yaml");
  if (config) {
    ADD_FAILURE() << "the configuration was accepted";
    return {};
  }
  return takeError(config.takeError());
}

HardwareConfig parseOrDie(StringRef text) {
  llvm::Expected<HardwareConfig> config = parseHardwareConfig(text, "test.yaml");
  if (!config) {
    ADD_FAILURE() << llvm::toString(config.takeError());
    return {};
  }
  return std::move(*config);
}

std::string examplePath(StringRef file) {
  return std::string(LAPA_SOURCE_DIR) + "/examples/hw/" + file.str();
}

HardwareConfig loadExample(StringRef file) {
  llvm::Expected<HardwareConfig> config = loadHardwareConfig(examplePath(file));
  if (!config) {
    ADD_FAILURE() << llvm::toString(config.takeError());
    return {};
  }
  return std::move(*config);
}

const std::vector<std::string> kExampleFiles = {
    "lapa-28nm.yaml", "spatten.yaml", "sanger.yaml",    "fact.yaml",
    "sofa.yaml",      "energon.yaml", "dense-28nm.yaml"};

//===----------------------------------------------------------------------===//
// Shipped configurations
//===----------------------------------------------------------------------===//

TEST(ExampleConfigs, EveryFileLoadsAndValidates) {
  for (const std::string &file : kExampleFiles) {
    llvm::Expected<HardwareConfig> config =
        loadHardwareConfig(examplePath(file));
    ASSERT_TRUE(static_cast<bool>(config))
        << file << ": " << llvm::toString(config.takeError());
    EXPECT_FALSE(static_cast<bool>(config->validate())) << file;
  }
}

TEST(ExampleConfigs, NamesAreDistinct) {
  std::vector<std::string> names;
  for (const std::string &file : kExampleFiles)
    names.push_back(loadExample(file).name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

// The reconstructed reference design runs at 1 GHz. Its speculation unit has
// 64 x 64 shift PEs (8-bit shifted operands, 4-bit codes), 64 16-bit
// leading-one encoders and 64 filter lanes. Its execution unit has 32 x 16
// INT8 MACs and 32 exp and 32 divide lanes. It has 128 + 96 + 64 + 32 KiB of
// buffers plus 64 KiB of speculation buffers, and HBM2 with 16 channels.
TEST(LapaReference, MatchesReferenceDesign) {
  HardwareConfig config = loadExample("lapa-28nm.yaml");
  EXPECT_EQ(config.technologyNm, 28);
  EXPECT_EQ(config.clockMhz, 1000);
  ASSERT_TRUE(config.areaMm2.has_value());
  EXPECT_DOUBLE_EQ(*config.areaMm2, 3.208);

  ASSERT_TRUE(config.speculationUnit.has_value());
  ASSERT_TRUE(config.speculationUnit->shiftArray.has_value());
  const ShiftArrayConfig &shift = *config.speculationUnit->shiftArray;
  EXPECT_EQ(shift.rows, 64);
  EXPECT_EQ(shift.cols, 64);
  EXPECT_EQ(shift.product, LogProduct::Asymmetric);
  EXPECT_EQ(shift.shiftedOperandBits, std::optional<int64_t>(8));
  EXPECT_EQ(shift.logCodeBits, 4);
  EXPECT_EQ(shift.accumulatorBits, (std::vector<int64_t>{26, 30}));
  ASSERT_TRUE(config.speculationUnit->leadingOneEncoders.has_value());
  EXPECT_EQ(config.speculationUnit->leadingOneEncoders->count, 64);
  EXPECT_EQ(config.speculationUnit->leadingOneEncoders->inputBits, 16);
  ASSERT_TRUE(config.speculationUnit->filter.has_value());
  EXPECT_EQ(config.speculationUnit->filter->lanes, 64);
  EXPECT_FALSE(config.speculationUnit->multiplierArray.has_value());

  const ExecutionUnitConfig &execution = config.executionUnit;
  EXPECT_EQ(execution.macArray.rows, 32);
  EXPECT_EQ(execution.macArray.cols, 16);
  EXPECT_EQ(execution.macArray.operandBits, 8);
  EXPECT_EQ(execution.softmax.expLanes, 32);
  EXPECT_EQ(execution.softmax.divideLanes, 32);

  const std::pair<const char *, int64_t> buffers[] = {
      {"token_buffer", 128 * 1024}, {"weight_buffer", 96 * 1024},
      {"kv_buffer", 64 * 1024},     {"temp_buffer", 32 * 1024},
      {"speculation_buffer", 64 * 1024}};
  for (const auto &[name, bytes] : buffers) {
    const BufferConfig *buffer = config.findBuffer(name);
    ASSERT_NE(buffer, nullptr) << name;
    EXPECT_EQ(buffer->bytes, bytes) << name;
  }

  EXPECT_EQ(config.dram.kind, DramKind::HBM2);
  EXPECT_EQ(config.dram.channels, 16);
}

// The energy table reproduces the derivations from SOFA's 28 nm module
// power at 1 GHz and full activity.
TEST(LapaReference, EnergiesMatchSofaDerivation) {
  HardwareConfig config = loadExample("lapa-28nm.yaml");

  // 29.05 mW over 128 x 32 shift PEs at 1 GHz: 29.05e-3 / 4096e9 J.
  const EnergyEntry *shiftAdd = config.findEnergy("shift_array", "shift_add");
  ASSERT_NE(shiftAdd, nullptr);
  EXPECT_NEAR(shiftAdd->value, 29.05e-3 / 4096e9 * 1e12, 0.0001);
  EXPECT_EQ(shiftAdd->quantity, EnergyQuantity::PerAction);

  // HBM2: (1.92 W + 0.53 W) / (59.8 GB/s x 8 bits) = 5.12 pJ/bit.
  const EnergyEntry *dramRead = config.findEnergy("dram", "read");
  ASSERT_NE(dramRead, nullptr);
  EXPECT_NEAR(dramRead->value, (1.92 + 0.53) / (59.8e9 * 8) * 1e12, 0.05);
  EXPECT_EQ(dramRead->quantity, EnergyQuantity::PerBit);

  // 146.21 mW over 512 16-bit PEs is 0.286 pJ; an 8-bit MAC is 0.25-0.35 of it.
  const EnergyEntry *mac = config.findEnergy("mac_array", "mac");
  ASSERT_NE(mac, nullptr);
  double mac16 = 146.21e-3 / 512e9 * 1e12;
  EXPECT_GE(mac->value, 0.25 * mac16);
  EXPECT_LE(mac->value, 0.35 * mac16);

  EXPECT_EQ(config.findEnergy("shift_array", "leak"), nullptr);
  EXPECT_EQ(config.leakagePowerMw("shift_array"), 0.0);
}

TEST(DenseConfig, HasNoSpeculationUnit) {
  HardwareConfig config = loadExample("dense-28nm.yaml");
  EXPECT_FALSE(config.speculationUnit.has_value());
  EXPECT_EQ(config.peakShiftAddsPerCycle(), 0);
  ASSERT_TRUE(config.areaMm2.has_value());
  EXPECT_DOUBLE_EQ(*config.areaMm2, 3.208);
}

//===----------------------------------------------------------------------===//
// Derived figures
//===----------------------------------------------------------------------===//

TEST(DerivedFigures, LapaReference) {
  HardwareConfig config = loadExample("lapa-28nm.yaml");
  // 64 x 64 shift PEs; at 1 GHz that is 4,096 G shift-adds per second.
  EXPECT_EQ(config.peakShiftAddsPerCycle(), 64 * 64);
  EXPECT_DOUBLE_EQ(config.peakGigaShiftAddsPerSecond(), 4096.0);
  // 32 x 16 MACs, 2 operations each, at 1 GHz: 1,024 GOPS.
  EXPECT_EQ(config.peakMacsPerCycle(), 512);
  EXPECT_DOUBLE_EQ(config.peakGops(), 1024.0);
  // 512 GB/s at 1 GHz is 512 bytes per cycle; 16 engines x 32 bytes too.
  EXPECT_DOUBLE_EQ(config.dramBytesPerCycle(), 512.0);
  EXPECT_EQ(config.dmaBytesPerCycle(), 512);
  // 128 + 96 + 64 + 32 + 64 KiB.
  EXPECT_EQ(config.totalSramBytes(), (128 + 96 + 64 + 32 + 64) * 1024);
  // 16 banks x 2 ports x 64 bits / 8.
  ASSERT_NE(config.findBuffer("token_buffer"), nullptr);
  EXPECT_EQ(config.findBuffer("token_buffer")->peakBytesPerCycle(), 256);
  // One 32 x 16 tile of INT8 operands; one 64 x 64 tile of 8-bit operands.
  EXPECT_EQ(config.smallestTileBytes("mac_array"), 512);
  EXPECT_EQ(config.smallestTileBytes("shift_array"), 4096);
  EXPECT_EQ(config.smallestTileBytes("softmax"), 0);
}

TEST(DerivedFigures, FactAtHalfGigahertz) {
  HardwareConfig config = loadExample("fact.yaml");
  // 512 multipliers x 2 operations at 0.5 GHz.
  EXPECT_DOUBLE_EQ(config.peakGops(), 512.0);
  // 4,096 shift PEs at 0.5 GHz.
  EXPECT_DOUBLE_EQ(config.peakGigaShiftAddsPerSecond(), 2048.0);
  // 512 GB/s at 0.5 GHz is 1,024 bytes per cycle.
  EXPECT_DOUBLE_EQ(config.dramBytesPerCycle(), 1024.0);
  // A symmetric product shifts no operand, so the tile is of 4-bit codes:
  // 64 x 64 x 4 / 8.
  EXPECT_EQ(config.smallestTileBytes("shift_array"), 2048);
}

// SOFA's 1,024 16-bit PEs and Sanger's 64 x 16 PEs are both published as a
// 2,048 GOPS dense peak at 1 GHz.
TEST(DerivedFigures, PeersMatchPublishedDensePeak) {
  EXPECT_DOUBLE_EQ(loadExample("sofa.yaml").peakGops(), 2048.0);
  EXPECT_DOUBLE_EQ(loadExample("sanger.yaml").peakGops(), 2048.0);
  EXPECT_EQ(loadExample("sofa.yaml").peakShiftAddsPerCycle(), 128 * 32);
}

TEST(DerivedFigures, PredictionMultiplierArray) {
  HardwareConfig sanger = loadExample("sanger.yaml");
  EXPECT_EQ(sanger.peakPredictionMacsPerCycle(), 64 * 16);
  // 64 x 16 4-bit operands.
  EXPECT_EQ(sanger.smallestTileBytes("multiplier_array"), 512);
  EXPECT_EQ(loadExample("lapa-28nm.yaml").peakPredictionMacsPerCycle(), 0);
}

TEST(DerivedFigures, TinyConfig) {
  HardwareConfig config = parseOrDie(kTinyConfig);
  EXPECT_EQ(config.peakMacsPerCycle(), 6);
  EXPECT_DOUBLE_EQ(config.peakGops(), 12.0);
  EXPECT_EQ(config.peakShiftAddsPerCycle(), 32);
  EXPECT_DOUBLE_EQ(config.peakGigaShiftAddsPerSecond(), 32.0);
  // 25.6 GB/s at 1 GHz.
  EXPECT_DOUBLE_EQ(config.dramBytesPerCycle(), 25.6);
  EXPECT_EQ(config.dmaBytesPerCycle(), 32);
  EXPECT_EQ(config.totalSramBytes(), 4096);
  // 4 banks x 1 port x 32 bits / 8.
  EXPECT_EQ(config.buffers[0].peakBytesPerCycle(), 16);
  // 2 x 3 INT8 operands; 4 x 8 operands of 8 bits.
  EXPECT_EQ(config.smallestTileBytes("mac_array"), 6);
  EXPECT_EQ(config.smallestTileBytes("shift_array"), 32);
}

//===----------------------------------------------------------------------===//
// Lookups
//===----------------------------------------------------------------------===//

TEST(Lookups, ComponentKinds) {
  HardwareConfig config = parseOrDie(kTinyConfig);
  EXPECT_EQ(config.componentKind("shift_array"), ComponentKind::ShiftArray);
  EXPECT_EQ(config.componentKind("main_buffer"), ComponentKind::Buffer);
  EXPECT_EQ(config.componentKind("dram"), ComponentKind::Dram);
  EXPECT_EQ(config.componentKind("dma"), ComponentKind::Dma);
  // A known unit kind that this configuration does not declare.
  EXPECT_EQ(config.componentKind("leading_one_encoders"), std::nullopt);
  EXPECT_EQ(config.componentKind("no_such_unit"), std::nullopt);
  EXPECT_EQ(config.componentNames(),
            (std::vector<std::string>{"dma", "shift_array", "filter",
                                      "mac_array", "softmax", "vector",
                                      "main_buffer", "dram"}));
}

TEST(Lookups, EnergyAndLeakage) {
  HardwareConfig config = parseOrDie(editTiny(
      "energy:\n", "energy:\n  - {component: dram, action: leak, "
                   "power_mw: 12.5}\n"));
  EXPECT_DOUBLE_EQ(config.leakagePowerMw("dram"), 12.5);
  EXPECT_DOUBLE_EQ(config.leakagePowerMw("mac_array"), 0.0);
  const EnergyEntry *leak = config.findEnergy("dram", "leak");
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->quantity, EnergyQuantity::LeakagePower);
  EXPECT_EQ(config.findEnergy("dram", "refresh"), nullptr);
}

TEST(Lookups, ActionTables) {
  EXPECT_EQ(validActions(ComponentKind::Softmax),
            (std::vector<StringRef>{"exp", "divide", "leak"}));
  EXPECT_EQ(validActions(ComponentKind::Dma),
            (std::vector<StringRef>{"leak"}));
  EXPECT_EQ(actionQuantity("read"), EnergyQuantity::PerBit);
  EXPECT_EQ(actionQuantity("leak"), EnergyQuantity::LeakagePower);
  EXPECT_EQ(actionQuantity("shift_add"), EnergyQuantity::PerAction);
}

//===----------------------------------------------------------------------===//
// Errors: keys and structure
//===----------------------------------------------------------------------===//

TEST(ConfigErrors, UnknownKeyListsValidKeys) {
  std::string text = editTiny("    log_code_bits: 4", "    log_code_bitz: 4");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "speculation_unit.shift_array.log_code_bitz");
  EXPECT_EQ(error.message,
            "unknown key 'log_code_bitz' in speculation_unit.shift_array; did "
            "you mean 'log_code_bits'? valid keys are rows, cols, product, "
            "shifted_operand_bits, log_code_bits, accumulator_bits, "
            "key_accumulator_bits");
  EXPECT_EQ(error.line, lineOf(text, "log_code_bitz"));
  EXPECT_EQ(error.column, 5u);
  EXPECT_EQ(error.text.rfind("test.yaml:" + std::to_string(error.line) +
                                 ":5: unknown key",
                             0),
            0u)
      << error.text;
}

TEST(ConfigErrors, UnknownKeySuggestsClosest) {
  ErrorParts error = parseFailure(editTiny("  mac_array:", "  marray:"));
  EXPECT_EQ(error.message,
            "unknown key 'marray' in execution_unit; did you mean "
            "'mac_array'? valid keys are mac_array, softmax, vector");
}

TEST(ConfigErrors, UnknownTopLevelKey) {
  ErrorParts error = parseFailure(editTiny("clock_mhz:", "clock:"));
  EXPECT_EQ(error.keyPath, "clock");
  EXPECT_NE(error.message.find("unknown key 'clock' at the top level; valid"),
            std::string::npos)
      << error.message;
  // Four edits from clock_mhz, too far for a suggestion.
  EXPECT_EQ(error.message.find("did you mean"), std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("valid keys are name, technology_nm, "
                               "clock_mhz, area_mm2, dma, speculation_unit, "
                               "execution_unit, buffers, dram, energy"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, MissingKeyNamed) {
  ErrorParts error = parseFailure(editTiny("    cols: 8\n", ""));
  EXPECT_EQ(error.keyPath, "speculation_unit.shift_array.cols");
  EXPECT_NE(error.message.find(
                "missing required key 'cols' in speculation_unit.shift_array"),
            std::string::npos)
      << error.message;
  EXPECT_GT(error.line, 0u);
}

TEST(ConfigErrors, MissingSectionNamed) {
  std::string text = editTiny("dram:\n  kind: DDR4\n  channels: 1\n"
                              "  bandwidth_gb_per_s: 25.6\n  latency_ns: 50\n",
                              "");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "dram");
  EXPECT_NE(error.message.find("missing required key 'dram' at the top level"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, DuplicateKey) {
  std::string text = editTiny("    rows: 4\n", "    rows: 4\n    rows: 5\n");
  ErrorParts error = parseFailure(text);
  EXPECT_NE(error.message.find("duplicate key 'rows' (first given at line " +
                               std::to_string(lineOf(text, "rows: 4")) + ")"),
            std::string::npos)
      << error.message;
  EXPECT_EQ(error.line, lineOf(text, "rows: 5"));
}

TEST(ConfigErrors, EmptySpeculationUnit) {
  std::string text = kTinyConfig;
  size_t begin = text.find("speculation_unit:");
  size_t end = text.find("execution_unit:");
  text.replace(begin, end - begin, "speculation_unit: {}\n");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "speculation_unit");
  EXPECT_NE(error.message.find("speculation_unit is empty"), std::string::npos)
      << error.message;
}

//===----------------------------------------------------------------------===//
// Errors: value types and malformed YAML
//===----------------------------------------------------------------------===//

TEST(ConfigErrors, StringWhereNumberExpected) {
  std::string text = editTiny("    rows: 4", "    rows: sixty-four");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "speculation_unit.shift_array.rows");
  EXPECT_EQ(error.message,
            "speculation_unit.shift_array.rows must be an integer, but it is "
            "the text 'sixty-four'; write a number such as 64");
  EXPECT_EQ(error.line, lineOf(text, "sixty-four"));
  EXPECT_EQ(error.column, columnOf(text, "sixty-four"));
}

TEST(ConfigErrors, QuotedNumberRejected) {
  ErrorParts error = parseFailure(editTiny("    rows: 4", "    rows: \"4\""));
  EXPECT_NE(error.message.find("the quoted string \"4\"; remove the quotes"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, FractionWhereIntegerExpected) {
  ErrorParts error = parseFailure(editTiny("    rows: 4", "    rows: 4.5"));
  EXPECT_NE(error.message.find("must be a whole number"), std::string::npos)
      << error.message;
}

TEST(ConfigErrors, IntegerOverflowRejected) {
  ErrorParts error = parseFailure(
      editTiny("    rows: 4", "    rows: 99999999999999999999999"));
  EXPECT_EQ(error.keyPath, "speculation_unit.shift_array.rows");
  EXPECT_NE(error.message.find("must be a whole number"), std::string::npos)
      << error.message;
}

TEST(ConfigErrors, NonFiniteNumberRejected) {
  for (StringRef bad : {"inf", "nan", "0x1p4", "fast", "1e999"}) {
    ErrorParts error = parseFailure(editTiny(
        "bandwidth_gb_per_s: 25.6", ("bandwidth_gb_per_s: " + bad).str()));
    EXPECT_EQ(error.keyPath, "dram.bandwidth_gb_per_s") << bad.str();
    EXPECT_NE(error.message.find("must be a finite decimal number"),
              std::string::npos)
        << error.message;
  }
}

TEST(ConfigErrors, EmptyValue) {
  ErrorParts error = parseFailure(editTiny("    rows: 4", "    rows:"));
  EXPECT_EQ(error.message,
            "speculation_unit.shift_array.rows must be an integer, but it is "
            "empty; write a number such as 64");
}

TEST(ConfigErrors, ScalarWhereMappingExpected) {
  std::string text = editTiny("  vector:\n    lanes: 1\n", "  vector: 1\n");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "execution_unit.vector");
  EXPECT_NE(error.message.find("execution_unit.vector must be a mapping of "
                               "keys to values, but it is a single value"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, MappingWhereListExpected) {
  ErrorParts error = parseFailure(
      editTiny("accumulator_bits: [26, 30]", "accumulator_bits: {a: 1}"));
  EXPECT_EQ(error.keyPath, "speculation_unit.shift_array.accumulator_bits");
  EXPECT_NE(error.message.find("must be a list such as [26, 30], but it is a "
                               "mapping"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, RootNotMapping) {
  ErrorParts error = parseFailure("- 1\n- 2\n");
  EXPECT_NE(error.message.find("the configuration must be a mapping of keys "
                               "to values, but it is a list"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, UnknownEnumValue) {
  ErrorParts kind = parseFailure(editTiny("kind: DDR4", "kind: DDR3"));
  EXPECT_EQ(kind.keyPath, "dram.kind");
  EXPECT_EQ(kind.message,
            "dram.kind is 'DDR3', which is not a known DRAM kind; valid values "
            "are HBM2, HBM2E, HBM3, DDR4, DDR5, LPDDR4, LPDDR5");

  ErrorParts dataflow = parseFailure(
      editTiny("[weight_stationary]", "[weight_stationary, row_stationary]"));
  EXPECT_EQ(dataflow.keyPath, "execution_unit.mac_array.dataflows[1]");
  EXPECT_NE(dataflow.message.find("'row_stationary', which is not a known "
                                  "dataflow"),
            std::string::npos)
      << dataflow.message;
}

TEST(ConfigErrors, MalformedYamlUnclosedBracket) {
  std::string text = editTiny("[26, 30]", "[26, 30");
  ErrorParts error = parseFailure(text);
  EXPECT_TRUE(error.failed);
  EXPECT_EQ(error.keyPath, "");
  EXPECT_EQ(error.message.rfind("invalid YAML: ", 0), 0u) << error.message;
  EXPECT_GT(error.line, 0u);
}

TEST(ConfigErrors, MalformedYamlTabIndent) {
  ErrorParts error =
      parseFailure(editTiny("    rows: 4\n", "\trows: 4\n"));
  EXPECT_EQ(error.message.rfind("invalid YAML: ", 0), 0u) << error.message;
}

TEST(ConfigErrors, MalformedYamlUnclosedQuote) {
  ErrorParts error = parseFailure(editTiny("name: tiny", "name: \"tiny"));
  EXPECT_EQ(error.message.rfind("invalid YAML: ", 0), 0u) << error.message;
}

TEST(ConfigErrors, EmptyAndMultipleDocuments) {
  ErrorParts empty = parseFailure("");
  EXPECT_NE(empty.message.find("the configuration is empty"),
            std::string::npos)
      << empty.message;

  ErrorParts comments = parseFailure("# only a comment\n");
  EXPECT_TRUE(comments.failed);

  ErrorParts twoDocuments =
      parseFailure(std::string(kTinyConfig) + "---\nname: other\n");
  EXPECT_NE(twoDocuments.message.find("more than one YAML document"),
            std::string::npos)
      << twoDocuments.message;
}

TEST(ConfigErrors, AliasRejected) {
  std::string text = editTiny("    rows: 4", "    rows: &four 4");
  text = replaceAll(text, "    cols: 8", "    cols: *four");
  ErrorParts error = parseFailure(text);
  EXPECT_NE(error.message.find("YAML aliases (*name) are not supported"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, MissingFile) {
  llvm::Expected<HardwareConfig> config =
      loadHardwareConfig("/nonexistent/lapa/hw.yaml");
  ASSERT_FALSE(static_cast<bool>(config));
  ErrorParts error = takeError(config.takeError());
  EXPECT_EQ(error.message.rfind("cannot read hardware configuration "
                                "'/nonexistent/lapa/hw.yaml': ",
                                0),
            0u)
      << error.message;
}

//===----------------------------------------------------------------------===//
// Errors: value ranges
//===----------------------------------------------------------------------===//

TEST(ConfigErrors, NegativeSize) {
  std::string text = editTiny("bytes: 4096", "bytes: -4096");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "buffers[0].bytes");
  EXPECT_EQ(error.message,
            "buffers[0].bytes is -4096, but the size in bytes of buffer "
            "'main_buffer' cannot be negative; set it to an integer from 1 to "
            "4294967296");
  EXPECT_EQ(error.line, lineOf(text, "-4096"));
  EXPECT_EQ(error.column, columnOf(text, "-4096"));
}

TEST(ConfigErrors, ZeroSize) {
  ErrorParts error = parseFailure(editTiny("    rows: 4", "    rows: 0"));
  EXPECT_EQ(error.keyPath, "speculation_unit.shift_array.rows");
  EXPECT_EQ(error.message,
            "speculation_unit.shift_array.rows is 0, but the number of PE rows "
            "must be at least 1; set it to an integer from 1 to 4096");
}

TEST(ConfigErrors, ValueAboveRange) {
  ErrorParts error = parseFailure(editTiny("clock_mhz: 1000",
                                           "clock_mhz: 1000000"));
  EXPECT_EQ(error.keyPath, "clock_mhz");
  EXPECT_EQ(error.message,
            "clock_mhz is 1000000, outside the valid range 1 to 10000 for the "
            "clock frequency in MHz; set it within that range");
}

TEST(ConfigErrors, NegativeBandwidth) {
  ErrorParts error = parseFailure(editTiny("bandwidth_gb_per_s: 25.6",
                                           "bandwidth_gb_per_s: -25.6"));
  EXPECT_EQ(error.keyPath, "dram.bandwidth_gb_per_s");
  EXPECT_NE(error.message.find("is -25.6, but the DRAM bandwidth in GB/s "
                               "cannot be negative"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, BankCountNotPowerOfTwo) {
  ErrorParts error = parseFailure(editTiny("banks: 4", "banks: 3"));
  EXPECT_EQ(error.keyPath, "buffers[0].banks");
  EXPECT_NE(error.message.find("must be a power of two so that the low "
                               "address bits select the bank; use 2 or 4"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, BufferNotWholeWords) {
  // 4 banks x 4-byte words need a multiple of 16 bytes.
  ErrorParts error = parseFailure(editTiny("bytes: 4096", "bytes: 4100"));
  EXPECT_EQ(error.keyPath, "buffers[0].bytes");
  EXPECT_NE(error.message.find("not a multiple of banks x word bytes = 4 x 4 "
                               "= 16"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, WidthOutOfRange) {
  ErrorParts error = parseFailure(editTiny("    operand_bits: 8",
                                           "    operand_bits: 64"));
  EXPECT_EQ(error.keyPath, "execution_unit.mac_array.operand_bits");
  EXPECT_NE(error.message.find("is 64, outside the valid range 1 to 32"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, AccumulatorNarrowerThanProduct) {
  std::string text = editTiny("    accumulator_bits: 32\n    dataflows",
                              "    accumulator_bits: 12\n    dataflows");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "execution_unit.mac_array.accumulator_bits");
  EXPECT_NE(error.message.find("narrower than one product of two 8-bit "
                               "operands (16 bits); set it to at least 16"),
            std::string::npos)
      << error.message;
  EXPECT_EQ(error.line, lineOf(text, "accumulator_bits: 12"));
}

TEST(ConfigErrors, ShiftAccumulatorNarrowerThanOperand) {
  ErrorParts error = parseFailure(editTiny("[26, 30]", "[26, 6]"));
  EXPECT_EQ(error.keyPath, "speculation_unit.shift_array.accumulator_bits[1]");
  EXPECT_NE(error.message.find("narrower than the 8-bit shifted operand"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, TooManyRounds) {
  ErrorParts error = parseFailure(
      editTiny("[26, 30]", "[20, 20, 20, 20, 20, 20, 20, 20, 20]"));
  EXPECT_NE(error.message.find("lists 9 widths, but it needs one per MRSA "
                               "round, from 1 to 8 rounds"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, ShiftedOperandAndProductForm) {
  ErrorParts symmetric = parseFailure(
      editTiny("product: asymmetric", "product: symmetric"));
  EXPECT_EQ(symmetric.keyPath,
            "speculation_unit.shift_array.shifted_operand_bits");
  EXPECT_NE(symmetric.message.find("a symmetric product log-codes both "
                                   "operands"),
            std::string::npos)
      << symmetric.message;

  ErrorParts asymmetric =
      parseFailure(editTiny("    shifted_operand_bits: 8\n", ""));
  EXPECT_EQ(asymmetric.keyPath,
            "speculation_unit.shift_array.shifted_operand_bits");
  EXPECT_NE(asymmetric.message.find("missing required key "
                                    "'shifted_operand_bits'"),
            std::string::npos)
      << asymmetric.message;
}

TEST(ConfigErrors, BufferTooSmallForTile) {
  // A 64 x 64 shift array of 8-bit operands needs 4,096 bytes per tile.
  std::string text = editTiny("    rows: 4\n    cols: 8",
                              "    rows: 64\n    cols: 64");
  text = replaceAll(text, "bytes: 4096", "bytes: 2048");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "buffers[0].bytes");
  EXPECT_NE(error.message.find("too small for the smallest tile of its reader "
                               "shift_array (one rows x cols tile of its "
                               "widest operand, 4096 bytes)"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, BufferNamedLikeUnit) {
  std::string text = replaceAll(kTinyConfig, "main_buffer", "vector");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "buffers[0].name");
  EXPECT_NE(error.message.find("which is the name of a unit"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, DuplicateBufferName) {
  std::string text = editTiny(
      "dram:\n", "  - name: main_buffer\n    bytes: 16\n    banks: 1\n"
                 "    ports: 1\n    word_bits: 8\n    readers: [dma]\n"
                 "    writers: [dma]\ndram:\n");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "buffers[1].name");
  EXPECT_NE(error.message.find("'main_buffer' is declared twice"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, ReaderNotDeclared) {
  ErrorParts error = parseFailure(editTiny("writers: [dma, mac_array]",
                                           "writers: [dma, multiplier_array]"));
  EXPECT_EQ(error.keyPath, "buffers[0].writers[1]");
  EXPECT_NE(error.message.find("names 'multiplier_array', which is not a unit "
                               "declared in this configuration; valid units "
                               "are dma, shift_array, filter, mac_array, "
                               "softmax, vector"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, UnitReadsNoBuffer) {
  ErrorParts error = parseFailure(
      editTiny("readers: [dma, shift_array, filter,", "readers: [dma, shift_array,"));
  EXPECT_EQ(error.keyPath, "buffers");
  EXPECT_NE(error.message.find("unit filter reads no buffer"),
            std::string::npos)
      << error.message;
}

//===----------------------------------------------------------------------===//
// Errors: energy table
//===----------------------------------------------------------------------===//

TEST(ConfigErrors, UnknownEnergyComponent) {
  std::string text = editTiny("{component: shift_array,",
                              "{component: shift_arrey,");
  ErrorParts error = parseFailure(text);
  EXPECT_EQ(error.keyPath, "energy[0].component");
  EXPECT_EQ(error.message,
            "energy[0].component is 'shift_arrey', which is not a unit, buffer "
            "or dram declared in this configuration; valid components are "
            "dma, shift_array, filter, mac_array, softmax, vector, "
            "main_buffer, dram");
  EXPECT_EQ(error.line, lineOf(text, "shift_arrey"));
  EXPECT_EQ(error.column, columnOf(text, "shift_arrey"));
}

// A unit kind that the library defines but this file does not declare is
// rejected like a misspelled one.
TEST(ConfigErrors, EnergyComponentNotDeclared) {
  ErrorParts error = parseFailure(editTiny(
      "energy:\n",
      "energy:\n  - {component: leading_one_encoders, action: encode, "
      "energy_pj: 0}\n"));
  EXPECT_EQ(error.keyPath, "energy[0].component");
  EXPECT_NE(error.message.find("'leading_one_encoders', which is not a unit, "
                               "buffer or dram declared"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, UnknownEnergyAction) {
  ErrorParts error = parseFailure(editTiny("action: mac,", "action: mac_int8,"));
  EXPECT_EQ(error.keyPath, "energy[2].action");
  EXPECT_EQ(error.message,
            "energy[2].action is 'mac_int8', which is not an action of "
            "mac_array; valid actions are mac, leak");
}

TEST(ConfigErrors, EnergyQuantityMismatch) {
  ErrorParts error = parseFailure(
      editTiny("{component: dram, action: read, energy_pj_per_bit: 5.1}",
               "{component: dram, action: read, energy_pj: 5.1}"));
  EXPECT_EQ(error.keyPath, "energy[8].energy_pj");
  EXPECT_NE(error.message.find("gives energy_pj, but this action is measured "
                               "by energy_pj_per_bit"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, EnergyValueKeyCount) {
  ErrorParts none = parseFailure(
      editTiny("action: op, energy_pj: 0.087}", "action: op}"));
  EXPECT_NE(none.message.find("(vector op) has no value; add energy_pj"),
            std::string::npos)
      << none.message;

  ErrorParts two = parseFailure(editTiny(
      "action: op, energy_pj: 0.087}", "action: op, energy_pj: 0.087, "
                                       "power_mw: 1}"));
  EXPECT_NE(two.message.find("gives energy_pj, power_mw; keep only one"),
            std::string::npos)
      << two.message;
}

TEST(ConfigErrors, NegativeEnergy) {
  ErrorParts error = parseFailure(
      editTiny("energy_pj: 0.0071", "energy_pj: -0.0071"));
  EXPECT_EQ(error.keyPath, "energy[0].energy_pj");
  EXPECT_NE(error.message.find("is -0.0071 for shift_array shift_add, outside "
                               "the valid range 0 to 1000000"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, MissingEnergyEntry) {
  ErrorParts error = parseFailure(editTiny(
      "  - {component: vector, action: op, energy_pj: 0.087}\n", ""));
  EXPECT_EQ(error.keyPath, "energy");
  EXPECT_NE(error.message.find("energy has no entry for action op of vector; "
                               "add {component: vector, action: op, "
                               "energy_pj: ...}"),
            std::string::npos)
      << error.message;
}

TEST(ConfigErrors, DuplicateEnergyEntry) {
  ErrorParts error = parseFailure(editTiny(
      "energy:\n",
      "energy:\n  - {component: dram, action: read, energy_pj_per_bit: 4}\n"));
  EXPECT_EQ(error.keyPath, "energy[9]");
  EXPECT_NE(error.message.find("repeats dram read"), std::string::npos)
      << error.message;
}

//===----------------------------------------------------------------------===//
// Robustness: damaged files fail with a message, never a crash
//===----------------------------------------------------------------------===//

/// Parses `text` and checks that it either succeeds or fails with one
/// ConfigError that has a message.
void expectParsesOrFailsCleanly(const std::string &text,
                                const std::string &what) {
  llvm::Expected<HardwareConfig> config = parseHardwareConfig(text, "t.yaml");
  if (config)
    return;
  bool sawConfigError = false;
  llvm::handleAllErrors(
      config.takeError(),
      [&](const ConfigError &error) {
        sawConfigError = true;
        EXPECT_FALSE(error.getMessage().empty()) << what;
      },
      [&](const llvm::ErrorInfoBase &other) {
        ADD_FAILURE() << what << ": unexpected error " << other.message();
      });
  EXPECT_TRUE(sawConfigError) << what;
}

TEST(Robustness, EveryPrefix) {
  std::string text = kTinyConfig;
  for (size_t length = 0; length < text.size(); ++length)
    expectParsesOrFailsCleanly(text.substr(0, length),
                               "prefix of " + std::to_string(length));
}

TEST(Robustness, EverySingleCharacterDeleted) {
  std::string text = kTinyConfig;
  for (size_t at = 0; at < text.size(); ++at) {
    std::string damaged = text;
    damaged.erase(at, 1);
    expectParsesOrFailsCleanly(damaged, "deleted offset " + std::to_string(at));
  }
}

TEST(Robustness, DeepNestingRejected) {
  std::string text = "name: " + std::string(10000, '[') + "\n";
  ErrorParts error = parseFailure(text);
  EXPECT_TRUE(error.failed);
  std::string mappings = "name: tiny\ndma:";
  for (int depth = 0; depth < 40; ++depth)
    mappings += " {a:";
  mappings += " 1" + std::string(40, '}') + "\n";
  ErrorParts nested = parseFailure(mappings);
  EXPECT_NE(nested.message.find("the YAML nesting is deeper than 32 levels"),
            std::string::npos)
      << nested.message;
}

//===----------------------------------------------------------------------===//
// Validation of a configuration built in code
//===----------------------------------------------------------------------===//

TEST(Validate, HandBuiltConfigHasNoPosition) {
  HardwareConfig config = parseOrDie(kTinyConfig);
  EXPECT_FALSE(static_cast<bool>(config.validate()));

  config.executionUnit.macArray.rows = -2;
  ErrorParts error = takeError(config.validate());
  EXPECT_EQ(error.keyPath, "execution_unit.mac_array.rows");
  EXPECT_EQ(error.line, 0u);
  EXPECT_EQ(error.text,
            "execution_unit.mac_array.rows is -2, but the number of PE rows "
            "cannot be negative; set it to an integer from 1 to 4096");
}

TEST(Validate, BadNames) {
  HardwareConfig config = parseOrDie(kTinyConfig);
  config.name = "has space";
  EXPECT_EQ(takeError(config.validate()).keyPath, "name");

  config = parseOrDie(kTinyConfig);
  config.buffers[0].name = "Main";
  EXPECT_EQ(takeError(config.validate()).keyPath, "buffers[0].name");
}

//===----------------------------------------------------------------------===//
// Fingerprint
//===----------------------------------------------------------------------===//

/// 64-bit FNV-1a written out from its definition, checked against the
/// published test vectors below.
uint64_t fnv1a64(StringRef bytes) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  }
  return hash;
}

TEST(Fingerprint, IsFnv1aOfCanonicalForm) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);

  HardwareConfig config = parseOrDie(kTinyConfig);
  EXPECT_EQ(config.fingerprint(), fnv1a64(config.toYaml()));
}

TEST(Fingerprint, StableAcrossCommentsAndOrder) {
  HardwareConfig base = parseOrDie(kTinyConfig);

  // Sections moved, keys reordered, comments added, flow lists written as
  // block lists, energy entries reordered, and numbers spelled differently.
  const char *reordered = R"yaml(
dram:   # memory first
  latency_ns: 5e1
  kind: DDR4
  bandwidth_gb_per_s: 2.56e1
  channels: 1
energy:
  - {action: write, component: dram, energy_pj_per_bit: 5.10}
  - {component: dram, action: read, energy_pj_per_bit: 5.1}
  - {component: main_buffer, action: write, energy_pj_per_bit: 0.062}
  - component: main_buffer
    action: read
    energy_pj_per_bit: 6.2e-2
  - {component: vector, action: op, energy_pj: 0.087}
  - {component: softmax, action: divide, energy_pj: 1.3}
  - {component: softmax, action: exp, energy_pj: 1.3}
  - {component: mac_array, action: mac, energy_pj: 0.087}
  - {component: filter, action: compare, energy_pj: 0.073}
  - {component: shift_array, action: shift_add, energy_pj: 0.0071}
execution_unit:
  vector: {lanes: 1}
  softmax:
    latency_cycles: 10
    divide_lanes: 1
    exp_lanes: 1
  mac_array:
    dataflows:
      - weight_stationary
    accumulator_bits: 32
    operand_bits: 8
    cols: 3
    rows: 2
name: 'tiny'
clock_mhz: 1000
technology_nm: 28
buffers:
  - writers: [mac_array, dma]
    readers: [vector, softmax, mac_array, filter, shift_array, dma]
    word_bits: 32
    ports: 1
    banks: 4
    bytes: 4096
    name: main_buffer
speculation_unit:
  filter: {comparisons_per_cycle: 4, lanes: 2}
  shift_array:
    key_accumulator_bits: 32
    accumulator_bits:
      - 26
      - 30
    log_code_bits: 4
    shifted_operand_bits: 8
    product: asymmetric
    cols: 8
    rows: 4
dma: {bytes_per_cycle: 16, engines: 2}
)yaml";
  HardwareConfig other = parseOrDie(reordered);
  EXPECT_EQ(other.fingerprint(), base.fingerprint());
  EXPECT_TRUE(other == base);
}

TEST(Fingerprint, ChangesWithEveryValue) {
  uint64_t base = parseOrDie(kTinyConfig).fingerprint();
  const std::pair<const char *, const char *> edits[] = {
      {"name: tiny", "name: tiny2"},
      {"clock_mhz: 1000", "clock_mhz: 500"},
      {"    rows: 4", "    rows: 8"},
      {"[26, 30]", "[26, 31]"},
      {"product: asymmetric\n    shifted_operand_bits: 8\n",
       "product: symmetric\n"},
      {"comparisons_per_cycle: 4", "comparisons_per_cycle: 5"},
      {"[weight_stationary]", "[weight_stationary, output_stationary]"},
      {"latency_cycles: 10", "latency_cycles: 11"},
      {"ports: 1", "ports: 2"},
      {"writers: [dma, mac_array]", "writers: [dma, mac_array, vector]"},
      {"kind: DDR4", "kind: DDR5"},
      {"latency_ns: 50", "latency_ns: 50.5"},
      {"energy_pj: 0.087}\n  - {component: softmax",
       "energy_pj: 0.088}\n  - {component: softmax"},
      {"energy:\n", "energy:\n  - {component: dma, action: leak, "
                    "power_mw: 0}\n"},
      {"technology_nm: 28\n", "technology_nm: 28\narea_mm2: 1.5\n"},
  };
  for (const auto &[from, to] : edits) {
    HardwareConfig edited = parseOrDie(editTiny(from, to));
    EXPECT_NE(edited.fingerprint(), base) << from << " -> " << to;
  }
}

//===----------------------------------------------------------------------===//
// Canonical form
//===----------------------------------------------------------------------===//

TEST(CanonicalForm, TinyConfigText) {
  // Written by hand from the documented order: top-level keys, units, then
  // buffers and reader lists by name, energy by component and action.
  const char *expected = R"yaml(name: tiny
technology_nm: 28
clock_mhz: 1000
dma:
  engines: 2
  bytes_per_cycle: 16
speculation_unit:
  shift_array:
    rows: 4
    cols: 8
    product: asymmetric
    shifted_operand_bits: 8
    log_code_bits: 4
    accumulator_bits: [26, 30]
    key_accumulator_bits: 32
  filter:
    lanes: 2
    comparisons_per_cycle: 4
execution_unit:
  mac_array:
    rows: 2
    cols: 3
    operand_bits: 8
    accumulator_bits: 32
    dataflows: [weight_stationary]
  softmax:
    exp_lanes: 1
    divide_lanes: 1
    latency_cycles: 10
  vector:
    lanes: 1
buffers:
  - name: main_buffer
    bytes: 4096
    banks: 4
    ports: 1
    word_bits: 32
    readers: [dma, filter, mac_array, shift_array, softmax, vector]
    writers: [dma, mac_array]
dram:
  kind: DDR4
  channels: 1
  bandwidth_gb_per_s: 25.6
  latency_ns: 50
energy:
  - {component: dram, action: read, energy_pj_per_bit: 5.1}
  - {component: dram, action: write, energy_pj_per_bit: 5.1}
  - {component: filter, action: compare, energy_pj: 0.073}
  - {component: mac_array, action: mac, energy_pj: 0.087}
  - {component: main_buffer, action: read, energy_pj_per_bit: 0.062}
  - {component: main_buffer, action: write, energy_pj_per_bit: 0.062}
  - {component: shift_array, action: shift_add, energy_pj: 0.0071}
  - {component: softmax, action: divide, energy_pj: 1.3}
  - {component: softmax, action: exp, energy_pj: 1.3}
  - {component: vector, action: op, energy_pj: 0.087}
)yaml";
  EXPECT_EQ(parseOrDie(kTinyConfig).toYaml(), expected);
}

TEST(CanonicalForm, NumbersInShortestForm) {
  HardwareConfig config = parseOrDie(kTinyConfig);
  config.areaMm2 = 1e-7;
  config.dram.bandwidthGBPerSecond = 1.0 / 3.0;
  config.dram.latencyNs = 2e20;
  std::string text = config.toYaml();
  EXPECT_NE(text.find("area_mm2: 1e-07\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bandwidth_gb_per_s: 0.3333333333333333\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("latency_ns: 2e+20\n"), std::string::npos) << text;
}

TEST(CanonicalForm, NumbersReadBackExactly) {
  HardwareConfig config = parseOrDie(kTinyConfig);
  config.areaMm2 = 1e-7;
  config.dram.bandwidthGBPerSecond = 1.0 / 3.0;
  HardwareConfig reread = parseOrDie(config.toYaml());
  EXPECT_EQ(reread.areaMm2, std::optional<double>(1e-7));
  EXPECT_EQ(reread.dram.bandwidthGBPerSecond, 1.0 / 3.0);
}

TEST(CanonicalForm, ExamplesRoundTrip) {
  for (const std::string &file : kExampleFiles) {
    HardwareConfig config = loadExample(file);
    std::string canonical = config.toYaml();
    llvm::Expected<HardwareConfig> reread =
        parseHardwareConfig(canonical, file + " (canonical)");
    ASSERT_TRUE(static_cast<bool>(reread))
        << file << ": " << llvm::toString(reread.takeError());
    EXPECT_TRUE(*reread == config) << file;
    EXPECT_EQ(reread->toYaml(), canonical) << file;
    EXPECT_EQ(reread->fingerprint(), config.fingerprint()) << file;
  }
}

TEST(CanonicalForm, FingerprintsDifferAcrossExamples) {
  std::vector<uint64_t> fingerprints;
  for (const std::string &file : kExampleFiles)
    fingerprints.push_back(loadExample(file).fingerprint());
  std::sort(fingerprints.begin(), fingerprints.end());
  EXPECT_EQ(std::adjacent_find(fingerprints.begin(), fingerprints.end()),
            fingerprints.end());
}

} // namespace
