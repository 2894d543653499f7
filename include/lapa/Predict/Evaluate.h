//===- Evaluate.h - Accuracy of a predictor on float activations -*- C++ -*-===//
//
// Runs a predictor on the float activations of one attention head (a model's
// reference Q, K and attention probabilities, or its layer input X and
// weights) and measures the selection against the exact attention:
//
//   recall     sum over rows |selected_i  intersect  topk_i| / sum_i k_i,
//              where topk_i is the exact top-k of the float scores
//              Q.K^T / sqrt(d) of row i (causal, ties to the lower index)
//              with the same k as the predictor: ceil(keep_ratio * (i + 1))
//              in top-k mode, the row's selected count in threshold mode;
//   mass       mean over rows of the reference probability of the selected
//              keys;
//   needed     fraction of the tokens that some row selects.
//
// Input modes:
//   reference   the predictors read the reference Q and K (after RoPE),
//               quantized per tensor with max-abs calibration: lapa and sofa
//               log-code Q at query_bits and use K as K-hat at key_bits.
//   projection  lapa, sofa and fact predict K-hat from the layer input X
//               (per-tensor, activation_bits) and W_K (per output channel,
//               weight_bits) with the ALOC (or, for fact, symmetric) product.
//               K-hat is dequantized with the two steps, rotated by RoPE in
//               float, and requantized per tensor to the key width. RoPE on
//               K-hat is a float step that LAPA's published description
//               leaves open. It is charged as 2 multiplies and 1 addition at
//               16 bits per element, plus 1 multiply for the requantization.
//               The query is the formal Q, or, with query_source = aloc (and
//               always for fact), Q-hat predicted the same way from W_Q. The
//               other schemes read the reference Q and K in both modes;
//               HeadEvaluation::usedProjection says which was used.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_EVALUATE_H
#define LAPA_PREDICT_EVALUATE_H

#include "lapa/Predict/Predictor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace lapa::predict {

/// Source of the predictors' Q and K.
enum class InputMode { Reference, Projection };

/// The float activations of one head of one sequence (queries = keys =
/// sequenceLength, causal).
struct HeadData {
  unsigned sequenceLength = 0;
  unsigned headDim = 0;
  /// [S x d] reference Q and K, after RoPE.
  llvm::ArrayRef<float> query;
  llvm::ArrayRef<float> key;
  /// [S x S] reference attention probabilities (0 beyond the diagonal).
  llvm::ArrayRef<float> probs;

  /// Projection mode: [S x H] layer input after RMSNorm, and the head's
  /// [H x d] weight slices W[t][c].
  unsigned hiddenSize = 0;
  llvm::ArrayRef<float> layerInput;
  llvm::ArrayRef<float> keyWeight;
  llvm::ArrayRef<float> queryWeight;
  double ropeTheta = 10000.0;

  /// spatten: [S x S] accumulated importance from earlier layers, or empty.
  llvm::ArrayRef<float> importance;
};

/// Counts behind the accuracy metrics; sums over rows, heads and windows.
struct SelectionQuality {
  uint64_t rows = 0;
  uint64_t exactKeys = 0;
  uint64_t recalledKeys = 0;
  double probabilityMass = 0.0;
  uint64_t selectedKeys = 0;
  uint64_t visibleKeys = 0;
  uint64_t neededTokens = 0;
  uint64_t tokens = 0;

  void accumulate(const SelectionQuality &other);
  double recall() const;
  double meanMass() const;
  double selectedFraction() const;
  double neededFraction() const;
};

/// The evaluation of one head.
struct HeadEvaluation {
  SelectionQuality quality;
  std::vector<RoundStats> rounds;
  PredictionCost cost;
  /// Whether the predictor read X and the weights (projection mode).
  bool usedProjection = false;
};

/// Returns the [S x S] float scores Q.K^T / sqrt(d) (entries beyond the
/// diagonal are 0 and never read).
std::vector<float> exactScores(llvm::ArrayRef<float> query,
                               llvm::ArrayRef<float> key, unsigned length,
                               unsigned headDim);

/// Measures `selection` against the exact top-k of `scores` and the
/// reference `probs`. With a keep ratio, row i's k is keepCount(ratio, n_i);
/// without one, k is the row's selected count.
SelectionQuality measureSelection(const Selection &selection,
                                  llvm::ArrayRef<float> scores,
                                  llvm::ArrayRef<float> probs,
                                  const TileShape &shape,
                                  std::optional<double> keepRatio);

/// Runs `config` on one head in `mode` and measures it.
llvm::Expected<HeadEvaluation> evaluateHead(const PredictorConfig &config,
                                            InputMode mode,
                                            const HeadData &head);

/// RMSNorm of each row: x / sqrt(mean(x^2) + eps) * gain, in double.
std::vector<float> rmsNorm(llvm::ArrayRef<float> x, unsigned rows,
                           unsigned cols, llvm::ArrayRef<float> gain,
                           double eps);

/// Rotates each row t of an [S x d] matrix by RoPE with interleaved pairs
/// (2i, 2i+1) at position t: angle = t * theta^(-2i/d), with cos and sin
/// computed in double and rounded to float.
void applyRope(llvm::MutableArrayRef<float> x, unsigned rows,
               unsigned headDim, double theta);

/// Returns the [in x d] slice W[t][c] = weight[head * d + c][t] of an
/// nn.Linear weight stored [out x in].
std::vector<float> headWeightSlice(llvm::ArrayRef<float> weight,
                                   unsigned inFeatures, unsigned head,
                                   unsigned headDim);

/// Returns the float product [rows x inner] . [inner x cols], in double.
std::vector<float> matmul(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b,
                          unsigned rows, unsigned inner, unsigned cols);

/// Adds SpAtten importance: importance[t][j] += sum_{i <= t} probs[i][j] for
/// an [S x S] probability matrix.
void accumulateImportance(llvm::ArrayRef<float> probs, unsigned length,
                          llvm::MutableArrayRef<float> importance);

} // namespace lapa::predict

#endif // LAPA_PREDICT_EVALUATE_H
