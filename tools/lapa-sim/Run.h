//===- Run.h - The run subcommand of lapa-sim -----------------------------===//
//
// `lapa-sim run` simulates a binary instruction stream on a hardware
// configuration and reports cycles, energy and accuracy.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TOOLS_LAPA_SIM_RUN_H
#define LAPA_TOOLS_LAPA_SIM_RUN_H

#include "llvm/Support/CommandLine.h"

namespace lapa::sim {

extern llvm::cl::SubCommand runCommand;

/// Runs the subcommand with the parsed options; returns the exit code.
int runSimulation();

} // namespace lapa::sim

#endif // LAPA_TOOLS_LAPA_SIM_RUN_H
