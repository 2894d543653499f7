//===- LlamaWeights.h - The tensors a Llama model reads ---------*- C++ -*-===//
//
// The tensors that a Llama model with a given config reads from
// model.safetensors and the shape each must have. The file also declares
// the check of a safetensors file against that list, and the grouping of
// the weight values by layer that the graph builder uses.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_TARGET_IMPORT_LLAMAWEIGHTS_H
#define LAPA_LIB_TARGET_IMPORT_LLAMAWEIGHTS_H

#include "lapa/Support/Safetensors.h"
#include "lapa/Target/Import/LlamaImporter.h"

#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace mlir::lapa::import {

/// One tensor of model.safetensors: its name, its shape, and the config
/// fields that shape comes from (for error messages), e.g. "[dim, dim]".
struct WeightSpec {
  std::string name;
  SmallVector<int64_t> shape;
  std::string shapeFields;
};

/// Returns the tensors a model with `config` reads, in the order in which
/// @forward takes them as arguments: the embedding table, then per layer
/// the attention norm, wq, wk, wv, wo, the FFN norm, w1, w3, w2, then the
/// final norm and the output head (absent with a tied embedding).
std::vector<WeightSpec> expectedWeights(const LlamaConfig &config);

/// Returns the tensors of `expectedWeights(config)` after checking that
/// `file` contains each of them as F32 with the listed shape, and no tensor
/// beyond them. Emits one error on `context` for the first problem.
FailureOr<std::vector<WeightSpec>>
checkWeights(MLIRContext &context, const ::lapa::support::SafetensorsFile &file,
             const LlamaConfig &config);

/// The weights of one decoder layer as values of @forward.
struct LayerWeights {
  Value attentionNorm, wq, wk, wv, wo;
  Value ffnNorm, w1, w3, w2;
};

/// All weights of the model as values of @forward.
struct ModelWeights {
  Value embeddings;
  SmallVector<LayerWeights> layers;
  Value norm;
  /// The output head; the embedding table when the embedding is tied.
  Value output;
};

/// Groups `values`, given in the order of `expectedWeights(config)`, by
/// layer.
ModelWeights groupWeights(const LlamaConfig &config, ArrayRef<Value> values);

} // namespace mlir::lapa::import

#endif // LAPA_LIB_TARGET_IMPORT_LLAMAWEIGHTS_H
