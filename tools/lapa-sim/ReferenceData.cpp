//===- ReferenceData.cpp - Reference activations for predictor evaluation -===//
//
// Discovers the windows and layers of a reference file from its tensor
// names, checks that every window has every layer with consistent shapes,
// and reads one layer at a time.
//
//===----------------------------------------------------------------------===//

#include "ReferenceData.h"

#include "lapa/Predict/Evaluate.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <set>

using namespace lapa::sim;
using lapa::support::SafetensorsFile;
using lapa::support::TensorInfo;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

std::string layerName(unsigned window, unsigned layer, llvm::StringRef what) {
  return llvm::formatv("w{0}.layer{1}.{2}", window, layer, what).str();
}

} // namespace

llvm::Expected<ReferenceData>
ReferenceData::open(llvm::StringRef referencePath) {
  llvm::Expected<SafetensorsFile> file = SafetensorsFile::open(referencePath);
  if (!file)
    return file.takeError();
  ReferenceData data;
  data.reference = std::make_unique<SafetensorsFile>(std::move(*file));

  // Names of the form w<window>.layer<layer>.q give the windows and layers.
  std::set<unsigned> windows;
  unsigned layers = 0;
  for (const TensorInfo &tensor : data.reference->tensors()) {
    unsigned window = 0, layer = 0;
    llvm::StringRef name = tensor.name;
    if (!name.consume_front("w") || name.consumeInteger(10, window) ||
        !name.consume_front(".layer") || name.consumeInteger(10, layer) ||
        name != ".q")
      continue;
    windows.insert(window);
    layers = std::max(layers, layer + 1);
  }
  if (windows.empty())
    return makeError(referencePath +
                     ": no tensor named w<window>.layer<layer>.q; this is not "
                     "a reference-activation file (see "
                     "examples/tinyllama-kjv/README.md for the layout)");
  data.shape.windows.assign(windows.begin(), windows.end());
  data.shape.layers = layers;

  const TensorInfo *first =
      data.reference->find(layerName(data.shape.windows.front(), 0, "q"));
  if (!first || first->shape.size() != 3)
    return makeError(referencePath + ": tensor " +
                     layerName(data.shape.windows.front(), 0, "q") +
                     " must have shape [heads, length, head_dim]");
  data.shape.heads = first->shape[0];
  data.shape.length = first->shape[1];
  data.shape.headDim = first->shape[2];
  if (data.shape.heads == 0 || data.shape.length == 0 ||
      data.shape.headDim == 0)
    return makeError(referencePath + ": tensor " + first->name + " has shape " +
                     first->shapeString() + " with an empty dimension");

  const std::vector<uint64_t> rowsShape = {data.shape.heads, data.shape.length,
                                           data.shape.headDim};
  const std::vector<uint64_t> probsShape = {
      data.shape.heads, data.shape.length, data.shape.length};
  for (unsigned window : data.shape.windows)
    for (unsigned layer = 0; layer < layers; ++layer)
      for (auto [what, expected] :
           {std::pair<const char *, const std::vector<uint64_t> *>{
                "q", &rowsShape},
            {"k", &rowsShape},
            {"probs", &probsShape}}) {
        std::string name = layerName(window, layer, what);
        const TensorInfo *tensor = data.reference->find(name);
        if (!tensor)
          return makeError(referencePath + ": tensor '" + name +
                           "' not found; every window needs q, k and probs "
                           "for every layer");
        if (tensor->dtype != support::DType::F32 || tensor->shape != *expected)
          return makeError(
              llvm::formatv("{0}: tensor '{1}' has dtype {2} and shape {3}, "
                            "expected F32 and {4}",
                            referencePath, name, dtypeName(tensor->dtype),
                            tensor->shapeString(),
                            TensorInfo{"", support::DType::F32, *expected, 0,
                                       0}
                                .shapeString()));
      }
  if (const TensorInfo *hidden = data.reference->find(
          layerName(data.shape.windows.front(), 0, "h")))
    if (hidden->shape.size() == 2)
      data.shape.hidden = hidden->shape[1];
  return std::move(data);
}

llvm::Error ReferenceData::openModel(llvm::StringRef modelPath) {
  llvm::Expected<SafetensorsFile> file = SafetensorsFile::open(modelPath);
  if (!file)
    return file.takeError();
  model = std::make_unique<SafetensorsFile>(std::move(*file));

  const TensorInfo *embeddings = model->find("tok_embeddings.weight");
  if (!embeddings || embeddings->shape.size() != 2)
    return makeError(modelPath +
                     ": tensor 'tok_embeddings.weight' [vocab, hidden] not "
                     "found; projection mode needs a Llama-layout model file");
  unsigned hidden = embeddings->shape[1];
  if (shape.hidden != 0 && shape.hidden != hidden)
    return makeError(llvm::formatv(
        "{0}: hidden size {1} does not match the reference file's hidden "
        "states of width {2}; use the model that produced the reference",
        modelPath, hidden, shape.hidden));
  shape.hidden = hidden;
  const uint64_t projected = uint64_t(shape.heads) * shape.headDim;
  for (unsigned layer = 0; layer < shape.layers; ++layer) {
    for (const char *name : {"wk", "wq"}) {
      std::string tensorName =
          llvm::formatv("layers.{0}.attention.{1}.weight", layer, name).str();
      const TensorInfo *weight = model->find(tensorName);
      if (!weight ||
          weight->shape != std::vector<uint64_t>{projected, hidden})
        return makeError(llvm::formatv(
            "{0}: tensor '{1}' must exist with shape [{2}, {3}] (heads x "
            "head_dim, hidden) to match the reference file",
            modelPath, tensorName, projected, hidden));
    }
    std::string gainName =
        llvm::formatv("layers.{0}.attention_norm.weight", layer).str();
    const TensorInfo *gain = model->find(gainName);
    if (!gain || gain->shape != std::vector<uint64_t>{hidden})
      return makeError(llvm::formatv("{0}: tensor '{1}' must exist with "
                                     "shape [{2}]",
                                     modelPath, gainName, hidden));
  }
  return llvm::Error::success();
}

llvm::Expected<LayerActivations>
ReferenceData::readLayer(unsigned window, unsigned layer) const {
  LayerActivations activations;
  const std::vector<uint64_t> rowsShape = {shape.heads, shape.length,
                                           shape.headDim};
  const std::vector<uint64_t> probsShape = {shape.heads, shape.length,
                                            shape.length};
  llvm::Expected<std::vector<float>> query =
      reference->readF32(layerName(window, layer, "q"), rowsShape);
  if (!query)
    return query.takeError();
  llvm::Expected<std::vector<float>> key =
      reference->readF32(layerName(window, layer, "k"), rowsShape);
  if (!key)
    return key.takeError();
  llvm::Expected<std::vector<float>> probs =
      reference->readF32(layerName(window, layer, "probs"), probsShape);
  if (!probs)
    return probs.takeError();
  activations.query = std::move(*query);
  activations.key = std::move(*key);
  activations.probs = std::move(*probs);
  return activations;
}

llvm::Expected<LayerWeights>
ReferenceData::readWeights(unsigned window, unsigned layer,
                           double normEps) const {
  if (!model)
    return makeError("projection mode needs --model=FILE with the weights "
                     "of the model that produced the reference");
  const unsigned hidden = shape.hidden;
  const uint64_t length = shape.length;

  // The attention block's input: token embeddings for layer 0, else the
  // residual stream after the previous layer, then RMSNorm.
  std::vector<float> residual;
  if (layer == 0) {
    llvm::Expected<std::vector<int32_t>> tokens = reference->readI32(
        llvm::formatv("w{0}.tokens", window).str(), {length});
    if (!tokens)
      return tokens.takeError();
    llvm::Expected<std::vector<float>> embeddings =
        model->readF32("tok_embeddings.weight");
    if (!embeddings)
      return embeddings.takeError();
    const uint64_t vocab = embeddings->size() / hidden;
    residual.resize(length * hidden);
    for (uint64_t t = 0; t < length; ++t) {
      int32_t token = (*tokens)[t];
      if (token < 0 || uint64_t(token) >= vocab)
        return makeError(llvm::formatv(
            "token {0} at position {1} of window {2} is outside the "
            "vocabulary [0, {3})",
            token, t, window, vocab));
      std::copy_n(embeddings->begin() + uint64_t(token) * hidden, hidden,
                  residual.begin() + t * hidden);
    }
  } else {
    llvm::Expected<std::vector<float>> previous = reference->readF32(
        layerName(window, layer - 1, "h"), {length, hidden});
    if (!previous)
      return previous.takeError();
    residual = std::move(*previous);
  }
  llvm::Expected<std::vector<float>> gain = model->readF32(
      llvm::formatv("layers.{0}.attention_norm.weight", layer).str());
  if (!gain)
    return gain.takeError();

  LayerWeights weights;
  weights.layerInput =
      predict::rmsNorm(residual, length, hidden, *gain, normEps);
  llvm::Expected<std::vector<float>> keyWeight = model->readF32(
      llvm::formatv("layers.{0}.attention.wk.weight", layer).str());
  if (!keyWeight)
    return keyWeight.takeError();
  llvm::Expected<std::vector<float>> queryWeight = model->readF32(
      llvm::formatv("layers.{0}.attention.wq.weight", layer).str());
  if (!queryWeight)
    return queryWeight.takeError();
  weights.keyWeight = std::move(*keyWeight);
  weights.queryWeight = std::move(*queryWeight);
  return weights;
}
