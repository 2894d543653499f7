//===- Designs.h - The designs lapa-run compares ----------------*- C++ -*-===//
//
// A design is a named pair of a hardware configuration and a predictor,
// given on the command line as `NAME=HW.yaml:PREDICTOR`. This file parses
// those specifications and defines the default comparison set. It also
// finds the repository's examples folder, which contains the default
// configurations and the bundled model.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TOOLS_LAPA_RUN_DESIGNS_H
#define LAPA_TOOLS_LAPA_RUN_DESIGNS_H

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Predict/PredictorConfig.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace lapa::run {

/// One design of a comparison, with its configuration loaded and its
/// predictor parsed.
struct Design {
  std::string name;
  /// Path of the hardware configuration, as resolved.
  std::string hwPath;
  /// Predictor in the one-line text form that lapa-compile takes.
  std::string predictorText;
  predict::PredictorConfig predictor;
  hardware::HardwareConfig config;
};

/// The unresolved form of a design: name, configuration path as written and
/// predictor text.
struct DesignSpec {
  std::string name;
  std::string hwPath;
  std::string predictorText;
};

/// Parses `NAME=HW.yaml:PREDICTOR`. The predictor is the text after the last
/// ':', so the path may not contain one after its last folder.
llvm::Expected<DesignSpec> parseDesignSpec(llvm::StringRef text);

/// Returns the default comparison set: lapa, dense, sanger, fact, energon
/// and spatten on their configurations in examples/hw.
std::vector<DesignSpec> defaultDesignSpecs();

/// Loads the configuration and parses the predictor of `spec`. A relative
/// configuration path that does not exist from the working directory is
/// looked up in `hwDir`.
llvm::Expected<Design> resolveDesign(const DesignSpec &spec,
                                     llvm::StringRef hwDir);

/// Returns the examples folder of the repository lapa-run was built from:
/// beside the build folder of the executable (`<repo>/build/bin`), under an
/// install prefix (`<prefix>/share/lapa/examples`), or the source folder
/// recorded at build time. Returns "" when none of them has `hw/`.
std::string findExamplesDir(const char *argv0);

/// Returns `text` with parameter `name` set to `value`: an existing
/// `name=...` word is replaced, else the word is appended.
std::string withParameter(llvm::StringRef predictorText, llvm::StringRef name,
                          llvm::StringRef value);

} // namespace lapa::run

#endif // LAPA_TOOLS_LAPA_RUN_DESIGNS_H
