//===- LlamaImporter.h - Import a Llama model as linalg ---------*- C++ -*-===//
//
// Reads a Llama-style decoder (config.json plus model.safetensors, in the
// layout of examples/tinyllama-kjv) and builds a module that computes the
// whole model, token ids to logits, in upstream func, arith, math, tensor
// and linalg ops. The graph is written in the style of PyTorch front ends
// such as torch-mlir: decomposed RMSNorm, softmax and SiLU, matmuls with
// transposed weights, heads split by reshape and transpose. That way lapa's
// raising passes, not the importer, find the attention in it. Every input
// is validated first, and a problem becomes one error diagnostic that names
// the file, the field or tensor, the value found and the value expected.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TARGET_IMPORT_LLAMAIMPORTER_H
#define LAPA_TARGET_IMPORT_LLAMAIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace mlir::lapa {

/// Storage of the model's weights in the imported module.
enum class LlamaWeightMode {
  /// Each weight is a `dense_resource` constant inside @forward, and its
  /// bytes are stored in the module's resource section.
  Embedded,
  /// Each weight is an argument of @forward after the token ids, tagged
  /// with `{lapa.weight = "<tensor name>"}`, to be bound at run time.
  Arguments,
};

struct LlamaImportOptions {
  LlamaWeightMode weights = LlamaWeightMode::Embedded;
  /// Sequence length T of the static token tensor `tensor<1xTxi64>`: at
  /// least 1 and at most the config's `max_seq_len` and 65,536.
  int64_t seqLen = 128;
  /// Requires config.json's "dtype" to be "float32". When false, the field
  /// may be missing or name another type, and only the tensors' own dtype
  /// (which must be F32) is checked.
  bool checkDType = true;
  /// When set, also emits `func.func @main()` that calls @forward on these
  /// token ids (exactly seqLen of them) and prints the logits with
  /// `printMemrefF32`, ready for `mlir-runner`. Needs embedded weights.
  std::optional<std::vector<int64_t>> mainTokens;
};

/// The fields of config.json that the importer reads, after validation.
struct LlamaConfig {
  int64_t dim = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t headDim = 0;
  int64_t ffnHidden = 0;
  int64_t vocabSize = 0;
  int64_t maxSeqLen = 0;
  double ropeTheta = 0.0;
  double normEps = 0.0;
  /// The output head reuses `tok_embeddings.weight`; there is no
  /// `output.weight`.
  bool tiedEmbedding = false;
};

/// Parses and validates the text of a config.json, including the dtype
/// check and `options.seqLen` against its max_seq_len. `configPath` names
/// the file in error messages, which are emitted on `context`.
FailureOr<LlamaConfig> parseLlamaConfig(MLIRContext &context,
                                        StringRef configPath,
                                        StringRef configText,
                                        const LlamaImportOptions &options);

/// Imports the model in `modelDir`, which must contain config.json and
/// model.safetensors. Errors are emitted on `context`.
FailureOr<OwningOpRef<ModuleOp>> importLlama(MLIRContext &context,
                                             StringRef modelDir,
                                             const LlamaImportOptions &options);

/// Imports a model whose config.json text is already in memory; the
/// weights are read from model.safetensors in the folder of `configPath`.
FailureOr<OwningOpRef<ModuleOp>>
importLlamaFromConfig(MLIRContext &context, StringRef configPath,
                      StringRef configText, const LlamaImportOptions &options);

/// Registers the `--import-llama` translation and its options
/// (`--weights`, `--seq-len`, `--check-dtype`, `--main-tokens`) with
/// MLIR's translation registry.
void registerImportLlamaTranslation();

} // namespace mlir::lapa

#endif // LAPA_TARGET_IMPORT_LLAMAIMPORTER_H
