//===- LlamaWeights.cpp - The tensors a Llama model reads -----------------===//
//
// Lists the tensors of a Llama model in the layout of tinyllama-kjv, whose
// nn.Linear weights have the PyTorch shape [out_features, in_features].
// A safetensors file is checked against that list before any tensor data is
// read. A wrong shape or dtype is reported with the tensor name and the
// config fields that determine the expected shape.
//
//===----------------------------------------------------------------------===//

#include "LlamaWeights.h"

#include "ImportDiagnostics.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::lapa;
using namespace mlir::lapa::import;

namespace {

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [index, size] : llvm::enumerate(shape)) {
    if (index)
      text += ", ";
    text += std::to_string(size);
  }
  return text + "]";
}

} // namespace

std::vector<WeightSpec>
mlir::lapa::import::expectedWeights(const LlamaConfig &config) {
  std::vector<WeightSpec> specs;
  auto add = [&](std::string name, SmallVector<int64_t> shape,
                 std::string fields) {
    specs.push_back({std::move(name), std::move(shape), std::move(fields)});
  };
  int64_t dim = config.dim;
  add("tok_embeddings.weight", {config.vocabSize, dim}, "[vocab_size, dim]");
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    std::string prefix = "layers." + std::to_string(layer) + ".";
    add(prefix + "attention_norm.weight", {dim}, "[dim]");
    for (const char *projection : {"wq", "wk", "wv", "wo"})
      add(prefix + "attention." + projection + ".weight", {dim, dim},
          "[dim, dim]");
    add(prefix + "ffn_norm.weight", {dim}, "[dim]");
    add(prefix + "feed_forward.w1.weight", {config.ffnHidden, dim},
        "[ffn_hidden, dim]");
    add(prefix + "feed_forward.w3.weight", {config.ffnHidden, dim},
        "[ffn_hidden, dim]");
    add(prefix + "feed_forward.w2.weight", {dim, config.ffnHidden},
        "[dim, ffn_hidden]");
  }
  add("norm.weight", {dim}, "[dim]");
  if (!config.tiedEmbedding)
    add("output.weight", {config.vocabSize, dim}, "[vocab_size, dim]");
  return specs;
}

FailureOr<std::vector<WeightSpec>>
mlir::lapa::import::checkWeights(MLIRContext &context,
                                 const ::lapa::support::SafetensorsFile &file,
                                 const LlamaConfig &config) {
  llvm::StringRef path = file.displayName();

  // Compare the counts first when a whole layer or more is missing: the
  // list of expected tensors grows with n_layers, which may be as large as
  // 2^31 - 1 in a damaged config. Fewer missing tensors are named below.
  int64_t perLayer = 9;
  int64_t needed = perLayer * config.numLayers + (config.tiedEmbedding ? 2 : 3);
  int64_t present = static_cast<int64_t>(file.tensors().size());
  if (needed >= present + perLayer)
    return emitImportError(
        context, path,
        llvm::formatv("contains {0} tensors, but a Llama model with n_layers "
                      "= {1} reads {2} ({3} per layer, the embedding table, "
                      "the final norm{4}); check n_layers in config.json",
                      present, config.numLayers, needed, perLayer,
                      config.tiedEmbedding ? "" : " and the output head"));

  std::vector<WeightSpec> specs = expectedWeights(config);
  llvm::StringSet<> expected;
  for (const WeightSpec &spec : specs) {
    expected.insert(spec.name);
    const ::lapa::support::TensorInfo *tensor = file.find(spec.name);
    if (!tensor)
      return emitImportError(
          context, path,
          llvm::formatv("tensor '{0}' not found; a Llama model with "
                        "n_layers = {1} needs it with shape {2} ({3} from "
                        "config.json)",
                        spec.name, config.numLayers, formatShape(spec.shape),
                        spec.shapeFields));
    if (tensor->dtype != ::lapa::support::DType::F32)
      return emitImportError(
          context, path,
          llvm::formatv("tensor '{0}' has dtype {1}; the importer reads only "
                        "F32 weights, so convert the model to float32 first",
                        spec.name, ::lapa::support::dtypeName(tensor->dtype)));
    bool sameShape = tensor->shape.size() == spec.shape.size();
    for (size_t i = 0; sameShape && i < spec.shape.size(); ++i)
      sameShape = tensor->shape[i] == static_cast<uint64_t>(spec.shape[i]);
    if (!sameShape)
      return emitImportError(
          context, path,
          llvm::formatv("tensor '{0}' has shape {1}; expected {2} ({3} from "
                        "config.json)",
                        spec.name, tensor->shapeString(),
                        formatShape(spec.shape), spec.shapeFields));
  }

  // A tensor the model does not read usually means that config.json does
  // not describe this file (too few layers, a tied embedding that is not).
  for (const ::lapa::support::TensorInfo &tensor : file.tensors()) {
    if (expected.contains(tensor.name))
      continue;
    std::string reason;
    if (tensor.name == "output.weight" && config.tiedEmbedding)
      reason = "config.json sets tied_embedding to true, so the output "
               "head reuses tok_embeddings.weight";
    else
      reason = llvm::formatv("a Llama model with n_layers = {0} does not "
                             "read it; check n_layers and the tensor names",
                             config.numLayers)
                   .str();
    return emitImportError(
        context, path, "tensor '" + tensor.name + "' is not used: " + reason);
  }
  return specs;
}

ModelWeights mlir::lapa::import::groupWeights(const LlamaConfig &config,
                                              ArrayRef<Value> values) {
  ModelWeights weights;
  size_t next = 0;
  weights.embeddings = values[next++];
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    LayerWeights layerWeights;
    for (Value *slot :
         {&layerWeights.attentionNorm, &layerWeights.wq, &layerWeights.wk,
          &layerWeights.wv, &layerWeights.wo, &layerWeights.ffnNorm,
          &layerWeights.w1, &layerWeights.w3, &layerWeights.w2})
      *slot = values[next++];
    weights.layers.push_back(layerWeights);
  }
  weights.norm = values[next++];
  weights.output = config.tiedEmbedding ? weights.embeddings : values[next++];
  return weights;
}
