//===- ReferenceData.h - Reference activations for predictor evaluation ---===//
//
// Loads the per-window, per-layer attention activations of a safetensors
// reference file (the tinyllama-kjv layout: w{w}.layer{l}.q, .k, .probs and
// .h, w{w}.tokens) and, for projection mode, the embedding, RMSNorm gain and
// W_K / W_Q of a model file. It checks every name and shape up front, so a
// wrong or damaged file fails before any evaluation starts.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TOOLS_LAPA_SIM_REFERENCEDATA_H
#define LAPA_TOOLS_LAPA_SIM_REFERENCEDATA_H

#include "lapa/Support/Safetensors.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace lapa::sim {

/// Dimensions found in a reference file.
struct ReferenceLayout {
  std::vector<unsigned> windows;
  unsigned layers = 0;
  unsigned heads = 0;
  unsigned length = 0;
  unsigned headDim = 0;
  /// Width of the hidden states w{w}.layer{l}.h (0 if absent).
  unsigned hidden = 0;
};

/// Float activations of one window and layer, all heads.
struct LayerActivations {
  /// [heads x length x headDim]
  std::vector<float> query;
  std::vector<float> key;
  /// [heads x length x length]
  std::vector<float> probs;
};

/// The weights projection mode reads for one layer.
struct LayerWeights {
  /// [length x hidden] RMSNorm output: the input of the attention block.
  std::vector<float> layerInput;
  /// [out x in] nn.Linear weights of W_K and W_Q.
  std::vector<float> keyWeight;
  std::vector<float> queryWeight;
};

/// A reference file and, optionally, its model.
class ReferenceData {
public:
  /// Opens the reference file and checks its layout.
  static llvm::Expected<ReferenceData> open(llvm::StringRef referencePath);
  /// Opens the model file and checks that its shapes fit the reference.
  llvm::Error openModel(llvm::StringRef modelPath);

  const ReferenceLayout &layout() const { return shape; }
  bool hasModel() const { return model != nullptr; }

  llvm::Expected<LayerActivations> readLayer(unsigned window,
                                             unsigned layer) const;
  /// Builds the layer input (embeddings or the previous layer's hidden
  /// state, then RMSNorm with `normEps`) and reads W_K and W_Q.
  llvm::Expected<LayerWeights> readWeights(unsigned window, unsigned layer,
                                           double normEps) const;

private:
  ReferenceData() = default;
  std::unique_ptr<support::SafetensorsFile> reference;
  std::unique_ptr<support::SafetensorsFile> model;
  ReferenceLayout shape;
};

} // namespace lapa::sim

#endif // LAPA_TOOLS_LAPA_SIM_REFERENCEDATA_H
