//===- lapa-sim.cpp - The lapa simulator and evaluation driver ------------===//
//
// Entry point of lapa-sim. Each mode of the tool is an llvm::cl subcommand
// with its own options: `run` (simulation) and `eval-predictor`. main()
// therefore only parses the command line and dispatches.
//
//===----------------------------------------------------------------------===//

#include "EvalPredictor.h"
#include "Run.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // The top level has no options of its own; hiding the unrelated ones
  // keeps the options that linked LLVM libraries register out of --help.
  static llvm::cl::OptionCategory topLevelCategory("lapa-sim options");
  llvm::cl::HideUnrelatedOptions(topLevelCategory);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "lapa-sim: simulator and predictor evaluation for the LAPA "
      "accelerator\n\n"
      "Run 'lapa-sim <subcommand> --help' for the options of a subcommand.\n");

  if (lapa::sim::evalPredictorCommand)
    return lapa::sim::runEvalPredictor();
  if (lapa::sim::runCommand)
    return lapa::sim::runSimulation();

  llvm::WithColor::error(llvm::errs(), "lapa-sim")
      << "no subcommand given; use 'lapa-sim run STREAM --config=FILE', "
         "'lapa-sim eval-predictor --reference=FILE' or see 'lapa-sim "
         "--help'\n";
  return 1;
}
