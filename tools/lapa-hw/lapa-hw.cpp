//===- lapa-hw.cpp - Check and print hardware configuration files ---------===//
//
// A small command-line front end to the Hardware library, so that a user can
// check a configuration file before handing it to the compiler or the
// simulator. `lapa-hw check FILE` validates the file and prints a summary
// with the derived figures; `lapa-hw print FILE` writes its canonical YAML
// form. Both exit with 1 and one error message on an invalid file.
//
//===----------------------------------------------------------------------===//

#include "lapa/Hardware/HardwareConfig.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace lapa::hardware;

namespace {

cl::SubCommand checkCommand(
    "check", "Validate a hardware configuration file and print a summary of "
             "its units, buffers and derived figures");
cl::SubCommand printCommand(
    "print", "Validate a hardware configuration file and print it in "
             "canonical YAML form");

cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                               cl::desc("<configuration file>"),
                               cl::sub(checkCommand), cl::sub(printCommand));

/// Formats a number with up to six significant digits and no trailing
/// zeros: 1024, 0.5, 3.208.
std::string formatFigure(double value) {
  std::string text;
  raw_string_ostream os(text);
  os << format("%g", value);
  return text;
}

std::string joinList(ArrayRef<std::string> items) {
  std::string joined;
  for (const std::string &item : items) {
    if (!joined.empty())
      joined += ", ";
    joined += item;
  }
  return joined;
}

void printRow(raw_ostream &os, StringRef label, const Twine &value) {
  os << "  " << left_justify(label, 30) << value << "\n";
}

void printSpeculationUnit(raw_ostream &os, const HardwareConfig &config) {
  os << "speculation unit\n";
  if (!config.speculationUnit) {
    printRow(os, "(none)", "no prediction hardware");
    return;
  }
  const SpeculationUnitConfig &unit = *config.speculationUnit;
  if (const std::optional<ShiftArrayConfig> &array = unit.shiftArray) {
    std::string operand =
        array->shiftedOperandBits
            ? formatv("{0}-bit shifted operand, ", *array->shiftedOperandBits)
                  .str()
            : std::string();
    printRow(os, "shift array",
             formatv("{0} x {1} PEs, {2} product, {3}{4}-bit log code",
                     array->rows, array->cols, logProductName(array->product),
                     operand, array->logCodeBits));
    std::vector<std::string> widths;
    for (int64_t bits : array->accumulatorBits)
      widths.push_back(std::to_string(bits));
    printRow(os, "MRSA round accumulators",
             formatv("{0} bits ({1} rounds); key accumulator {2} bits",
                     joinList(widths), array->accumulatorBits.size(),
                     array->keyAccumulatorBits));
  }
  if (const std::optional<LeadingOneEncodersConfig> &encoders =
          unit.leadingOneEncoders)
    printRow(os, "leading-one encoders",
             formatv("count {0}, {1}-bit input", encoders->count,
                     encoders->inputBits));
  if (const std::optional<MultiplierArrayConfig> &array = unit.multiplierArray)
    printRow(os, "multiplier array",
             formatv("{0} x {1}, {2}-bit operands, {3}-bit accumulator",
                     array->rows, array->cols, array->operandBits,
                     array->accumulatorBits));
  if (const std::optional<FilterConfig> &filter = unit.filter)
    printRow(os, "filter",
             formatv("lanes {0}, {1} comparisons per cycle each",
                     filter->lanes, filter->comparisonsPerCycle));
}

void printExecutionUnit(raw_ostream &os, const HardwareConfig &config) {
  const ExecutionUnitConfig &unit = config.executionUnit;
  std::vector<std::string> dataflows;
  for (Dataflow dataflow : unit.macArray.dataflows)
    dataflows.push_back(dataflowName(dataflow).str());
  os << "execution unit\n";
  printRow(os, "MAC array",
           formatv("{0} x {1} MACs, {2}-bit operands, {3}-bit accumulator",
                   unit.macArray.rows, unit.macArray.cols,
                   unit.macArray.operandBits, unit.macArray.accumulatorBits));
  printRow(os, "dataflows", joinList(dataflows));
  printRow(os, "softmax",
           formatv("exp lanes {0}, divide lanes {1}, latency {2} cycles",
                   unit.softmax.expLanes, unit.softmax.divideLanes,
                   unit.softmax.latencyCycles));
  printRow(os, "vector", formatv("lanes {0}", unit.vector.lanes));
}

void printBuffers(raw_ostream &os, const HardwareConfig &config) {
  os << "buffers\n";
  os << formatv("  {0,-20} {1,9} {2,5} {3,5} {4,9} {5,11}  {6}\n", "name",
                "bytes", "banks", "ports", "word bits", "bytes/cycle",
                "readers; writers");
  for (const BufferConfig &buffer : config.buffers)
    os << formatv("  {0,-20} {1,9} {2,5} {3,5} {4,9} {5,11}  {6}; {7}\n",
                  buffer.name, buffer.bytes, buffer.banks, buffer.ports,
                  buffer.wordBits, buffer.peakBytesPerCycle(),
                  joinList(buffer.readers), joinList(buffer.writers));
}

void printDerivedFigures(raw_ostream &os, const HardwareConfig &config) {
  os << "derived figures\n";
  printRow(os, "peak MACs per cycle", Twine(config.peakMacsPerCycle()));
  printRow(os, "peak GOPS (2 ops per MAC)", formatFigure(config.peakGops()));
  printRow(os, "peak shift-adds per cycle",
           Twine(config.peakShiftAddsPerCycle()));
  printRow(os, "peak shift-adds (G/s)",
           formatFigure(config.peakGigaShiftAddsPerSecond()));
  printRow(os, "prediction MACs per cycle",
           Twine(config.peakPredictionMacsPerCycle()));
  printRow(os, "DRAM bytes per cycle",
           formatFigure(config.dramBytesPerCycle()));
  printRow(os, "DMA bytes per cycle", Twine(config.dmaBytesPerCycle()));
  printRow(os, "total SRAM bytes",
           formatv("{0} ({1} KiB)", config.totalSramBytes(),
                   formatFigure(config.totalSramBytes() / 1024.0)));
}

void printSummary(raw_ostream &os, const HardwareConfig &config) {
  os << "configuration " << config.name << " is valid\n";
  printRow(os, "fingerprint", formatv("{0:x16}", config.fingerprint()));
  printRow(os, "technology", formatv("{0} nm", config.technologyNm));
  printRow(os, "clock", formatv("{0} MHz", config.clockMhz));
  printRow(os, "area", config.areaMm2
                           ? formatFigure(*config.areaMm2) + " mm^2"
                           : std::string("not given"));
  printRow(os, "DMA",
           formatv("engines {0}, {1} bytes per cycle each",
                   config.dma.engines, config.dma.bytesPerCycle));
  printRow(os, "DRAM",
           formatv("{0}, channels {1}, {2} GB/s, latency {3} ns",
                   dramKindName(config.dram.kind), config.dram.channels,
                   formatFigure(config.dram.bandwidthGBPerSecond),
                   formatFigure(config.dram.latencyNs)));
  printSpeculationUnit(os, config);
  printExecutionUnit(os, config);
  printBuffers(os, config);
  printDerivedFigures(os, config);
  os << "energy table\n";
  printRow(os, "entries", Twine(config.energy.size()));
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  // The top level has no options of its own; hiding the unrelated ones
  // keeps the options that linked LLVM libraries register out of --help.
  static cl::OptionCategory topLevelCategory("lapa-hw options");
  cl::HideUnrelatedOptions(topLevelCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "lapa-hw: check and print LAPA hardware configuration files\n\n"
      "  lapa-hw check FILE   validate FILE and print a summary\n"
      "  lapa-hw print FILE   validate FILE and print its canonical YAML\n");

  if (!checkCommand && !printCommand) {
    WithColor::error(errs(), "lapa-hw")
        << "no subcommand given; use 'lapa-hw check FILE' or 'lapa-hw print "
           "FILE'\n";
    return 1;
  }

  Expected<HardwareConfig> config = loadHardwareConfig(inputPath);
  if (!config) {
    WithColor::error(errs(), "lapa-hw") << toString(config.takeError())
                                        << "\n";
    return 1;
  }

  if (checkCommand)
    printSummary(outs(), *config);
  else
    config->print(outs());
  return 0;
}
