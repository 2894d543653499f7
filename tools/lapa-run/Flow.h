//===- Flow.h - Import, compile, emit and simulate in one process -*- C++ -*-===//
//
// The stages of the lapa flow that the separate tools run one by one:
//
//   import    lapa-translate --import-llama, or parsing an MLIR file
//   raise     lapa-opt --lapa-raise-attention --lapa-annotate-layers
//   compile   lapa-opt --lapa-compile (raising again, prediction insertion,
//             lowering to lapa_isa) for one design
//   emit      lapa-translate --emit-stream: lapa_isa.program to a stream
//   simulate  lapa-sim run
//
// A failing stage returns a StageError that names the stage, the design,
// the reason and an intermediate file with the command that reproduces the
// failure with the separate tools.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TOOLS_LAPA_RUN_FLOW_H
#define LAPA_TOOLS_LAPA_RUN_FLOW_H

#include "Designs.h"

#include "lapa/Sim/Simulator.h"
#include "lapa/Support/Safetensors.h"
#include "lapa/Target/Stream/Stream.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lapa::run {

enum class Stage { Import, Raise, Compile, Emit, Simulate };
llvm::StringRef stageName(Stage stage);

/// A failure of one stage, with the file and command that reproduce it.
class StageError : public llvm::ErrorInfo<StageError> {
public:
  static char ID;
  StageError(Stage stage, std::string design, std::string reason,
             std::string reproducerPath, std::string command)
      : stage(stage), design(std::move(design)), reason(std::move(reason)),
        reproducerPath(std::move(reproducerPath)),
        command(std::move(command)) {}

  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

  Stage stage;
  /// Design the stage ran for, or "" for the model stages.
  std::string design;
  std::string reason;
  /// Input of the failing stage, or "" when the user's own file is it.
  std::string reproducerPath;
  /// Command line that reruns the stage with the separate tools.
  std::string command;
};

struct FlowOptions {
  /// Model folder (config.json and model.safetensors) or MLIR file.
  std::string modelPath;
  /// Sequence length of an imported folder model.
  int64_t seqLen = 128;
  /// lapa-randomize-weights mode for an MLIR graph: "auto" (if-stripped),
  /// "all" or "off".
  std::string randomWeights = "auto";
  uint64_t weightSeed = 1;
  /// Safetensors file that binds the weight arguments of an MLIR graph, or "".
  std::string weightsPath;
  /// Sizes of the dynamic argument dimensions of an MLIR graph (empty: none).
  std::vector<int64_t> dynamicSizes;
  /// NAME=VALUE entries for lapa-bind-inputs.
  std::vector<std::string> bindInputs;
  /// lapa-compile's row-tile, col-tile and inner-tile (0 chooses).
  int64_t rowTile = 0, colTile = 0, innerTile = 0;
  /// Folder for the imported and raised IR and each design's lapa_isa IR
  /// and stream, or "".
  std::string saveIrDir;
  /// Folder of the separate tools, for the reproducer commands.
  std::string toolDir;
  /// Receives one line per stage when set.
  llvm::raw_ostream *log = nullptr;
};

/// The simulation of one design.
struct SimRun {
  sim::SimResult result;
  /// Output tensors in memory-map order (empty in timing-only mode).
  std::vector<support::TensorData> outputs;
};

struct SimRequest {
  /// Token ids bound to the stream's one input tensor (functional mode).
  std::vector<int32_t> tokens;
  /// Seed of the hidden states bound to an f32 input tensor (an encoder
  /// block without an embedding), used when `tokens` is empty.
  std::optional<uint32_t> hiddenSeed;
  /// Hidden states bound to an f32 input instead of the seeded ones
  /// (--input); empty when not given.
  std::vector<float> hiddenStates;
  bool timingOnly = false;
  double neededFraction = 1.0;
  /// Dense-equivalent operation count for the effective GOPS; 0 derives it.
  uint64_t denseOps = 0;
  bool keepTimeline = false;
  std::function<void(llvm::StringRef, uint64_t, uint64_t)> progress;
};

class Flow {
public:
  explicit Flow(FlowOptions options);
  ~Flow();

  /// Imports or parses the model and checks that its attention raises.
  llvm::Error loadModel();

  /// Returns the model's name: the folder or file name without extension.
  std::string modelName() const;
  /// Returns whether the model is a folder imported from config.json.
  bool isImportedModel() const { return imported; }
  /// Returns how many projection weights and biases got random values.
  int64_t randomizedConstants() const { return randomized; }
  /// Returns how many dynamic argument dimensions --dynamic-sizes bounded.
  int64_t boundDimensions() const { return bounded; }
  /// Returns the vocabulary size of an imported model, or 0.
  int64_t vocabularySize() const { return vocabulary; }

  /// Compiles the model for `design` and emits its stream.
  llvm::Expected<isa::StreamFile> compile(const Design &design);

  /// Simulates `stream` on the design's configuration.
  llvm::Expected<SimRun> simulate(const Design &design,
                                  const isa::StreamFile &stream,
                                  const SimRequest &request);

private:
  /// Returns the path of a file in the temporary folder, creating the
  /// folder on first use.
  std::string temporaryPath(llvm::StringRef fileName);
  /// Writes the imported module to the temporary folder once; returns its
  /// path or "" when it cannot be written.
  std::string importedModuleFile();
  std::string tool(llvm::StringRef name) const;
  /// The tile options for a reproducer command, with a leading space, or "".
  std::string tileText() const;

  FlowOptions options;
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  bool imported = false;
  int64_t vocabulary = 0;
  int64_t randomized = 0;
  int64_t bounded = 0;
  std::string temporaryDir;
  std::string importedFile;
};

/// Returns whether a stream has weights without constants, which must be
/// bound at run time.
bool hasRuntimeWeights(const isa::StreamFile &stream);

} // namespace lapa::run

#endif // LAPA_TOOLS_LAPA_RUN_FLOW_H
