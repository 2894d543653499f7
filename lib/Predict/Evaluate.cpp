//===- Evaluate.cpp - Accuracy of a predictor on float activations --------===//
//
// Quantizes a head's float activations for the chosen scheme, predicts K-hat
// (and Q-hat) from X and the weights in projection mode, runs the predictor
// and measures recall, probability mass and needed tokens. Definitions and
// the quantization scheme are in Evaluate.h.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Evaluate.h"

#include "lapa/Predict/Aloc.h"
#include "lapa/Predict/LogCode.h"
#include "lapa/Predict/Quantize.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace lapa::predict;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

// A quantized operand of the predictor.
struct Operand {
  std::vector<int32_t> values;
  double step = 1.0;
};

Operand quantizeOperand(llvm::ArrayRef<float> values, unsigned bits) {
  QuantizedTensor tensor = quantizePerTensor(values, bits);
  return {std::move(tensor.values), tensor.steps.front()};
}

// Predicts one head's projection (K-hat or Q-hat) from X and a [H x d]
// weight slice, rotates it and requantizes it to `outputBits`.
llvm::Expected<Operand> predictProjection(const PredictorConfig &config,
                                          const HeadData &head,
                                          llvm::ArrayRef<float> weight,
                                          unsigned outputBits,
                                          const std::string &stage,
                                          PredictionCost &cost) {
  const unsigned S = head.sequenceLength;
  const unsigned H = head.hiddenSize;
  const unsigned d = head.headDim;

  QuantizedTensor x = quantizePerTensor(head.layerInput, config.activationBits);
  // Per-output-channel weight steps: quantize the transposed [d x H] slice
  // row by row, then transpose back to [H x d].
  std::vector<float> transposed(size_t(d) * H);
  for (unsigned t = 0; t < H; ++t)
    for (unsigned c = 0; c < d; ++c)
      transposed[size_t(c) * H + t] = weight[size_t(t) * d + c];
  QuantizedTensor wRows = quantizePerRow(transposed, d, H, config.weightBits);
  std::vector<int32_t> w(size_t(H) * d);
  for (unsigned t = 0; t < H; ++t)
    for (unsigned c = 0; c < d; ++c)
      w[size_t(t) * d + c] = wRows.values[size_t(c) * H + t];

  AlocMatmulShape shape;
  shape.rows = S;
  shape.inner = H;
  shape.cols = d;
  shape.accumulatorBits = config.keyAccumulatorBits;
  shape.stage = stage;
  auto codesOf = [](llvm::ArrayRef<int32_t> values) {
    std::vector<LogCode> codes(values.size());
    for (size_t i = 0; i < values.size(); ++i)
      codes[i] = makeLogCode(values[i]);
    return codes;
  };
  auto computeProduct = [&]() -> llvm::Expected<AlocMatmulResult> {
    if (config.scheme == Scheme::Fact) {
      shape.shiftedBits = config.activationBits;
      shape.codedBits = config.weightBits;
      return symmetricLogMatmul(codesOf(x.values), codesOf(w), shape);
    }
    if (config.keyLogCoded == LogCodedOperand::Weight) {
      shape.shiftedBits = config.activationBits;
      shape.codedBits = config.weightBits;
      return alocMatmulLogWeight(x.values, codesOf(w), shape);
    }
    shape.shiftedBits = config.weightBits;
    shape.codedBits = config.activationBits;
    return alocMatmulLogActivation(codesOf(x.values), w, shape);
  };
  llvm::Expected<AlocMatmulResult> product = computeProduct();
  if (!product)
    return product.takeError();
  cost.stage(stage).accumulate(product->counts);

  // Dequantize with the X step and the channel's weight step, rotate, and
  // requantize per tensor.
  std::vector<float> real(size_t(S) * d);
  for (unsigned j = 0; j < S; ++j)
    for (unsigned c = 0; c < d; ++c)
      real[size_t(j) * d + c] = static_cast<float>(
          double(product->values[size_t(j) * d + c]) * x.steps.front() *
          wRows.steps[c]);
  applyRope(real, S, d, head.ropeTheta);
  // RoPE: 2 multiplies and 1 addition per element; requantization: 1
  // multiply per element.
  OpCounts &rotation = cost.stage(stage + " RoPE and requantization");
  rotation.multiplies[16] += 3 * uint64_t(S) * d;
  rotation.additions[16] += uint64_t(S) * d;
  rotation.bitsRead += uint64_t(S) * d * config.keyAccumulatorBits;
  rotation.bitsWritten += uint64_t(S) * d * outputBits;
  return quantizeOperand(real, outputBits);
}

} // namespace

void SelectionQuality::accumulate(const SelectionQuality &other) {
  rows += other.rows;
  exactKeys += other.exactKeys;
  recalledKeys += other.recalledKeys;
  probabilityMass += other.probabilityMass;
  selectedKeys += other.selectedKeys;
  visibleKeys += other.visibleKeys;
  neededTokens += other.neededTokens;
  tokens += other.tokens;
}

double SelectionQuality::recall() const {
  return exactKeys ? double(recalledKeys) / double(exactKeys) : 1.0;
}
double SelectionQuality::meanMass() const {
  return rows ? probabilityMass / double(rows) : 0.0;
}
double SelectionQuality::selectedFraction() const {
  return visibleKeys ? double(selectedKeys) / double(visibleKeys) : 0.0;
}
double SelectionQuality::neededFraction() const {
  return tokens ? double(neededTokens) / double(tokens) : 0.0;
}

std::vector<float> lapa::predict::exactScores(llvm::ArrayRef<float> query,
                                              llvm::ArrayRef<float> key,
                                              unsigned length,
                                              unsigned headDim) {
  std::vector<float> scores(size_t(length) * length, 0.0f);
  const double scale = 1.0 / std::sqrt(double(headDim));
  for (unsigned i = 0; i < length; ++i)
    for (unsigned j = 0; j <= i; ++j) {
      double dot = 0.0;
      for (unsigned c = 0; c < headDim; ++c)
        dot += double(query[size_t(i) * headDim + c]) *
               double(key[size_t(j) * headDim + c]);
      scores[size_t(i) * length + j] = static_cast<float>(dot * scale);
    }
  return scores;
}

SelectionQuality lapa::predict::measureSelection(
    const Selection &selection, llvm::ArrayRef<float> scores,
    llvm::ArrayRef<float> probs, const TileShape &shape,
    std::optional<double> keepRatio) {
  SelectionQuality quality;
  std::vector<double> rowScores(shape.keyRows);
  OpCounts unused;
  for (unsigned i = 0; i < shape.queryRows; ++i) {
    unsigned visible = shape.visibleKeys(i);
    llvm::ArrayRef<uint32_t> selected = selection.row(i);
    unsigned k = keepRatio ? keepCount(*keepRatio, visible)
                           : static_cast<unsigned>(selected.size());
    std::vector<uint32_t> all(visible);
    std::iota(all.begin(), all.end(), 0u);
    for (unsigned j = 0; j < visible; ++j)
      rowScores[j] = scores[size_t(i) * shape.keyRows + j];
    std::vector<uint32_t> exact = topKCandidates(rowScores, all, k, unused);
    std::vector<uint32_t> common;
    std::set_intersection(exact.begin(), exact.end(), selected.begin(),
                          selected.end(), std::back_inserter(common));

    quality.rows += 1;
    quality.exactKeys += exact.size();
    quality.recalledKeys += common.size();
    double mass = 0.0;
    for (uint32_t j : selected)
      mass += probs[size_t(i) * shape.keyRows + j];
    quality.probabilityMass += mass;
    quality.selectedKeys += selected.size();
    quality.visibleKeys += visible;
  }
  quality.neededTokens = selection.neededTokens.count();
  quality.tokens = shape.keyRows;
  return quality;
}

llvm::Expected<HeadEvaluation>
lapa::predict::evaluateHead(const PredictorConfig &config, InputMode mode,
                            const HeadData &head) {
  const unsigned S = head.sequenceLength;
  const unsigned d = head.headDim;
  const size_t rowElements = size_t(S) * d;
  if (S == 0 || d == 0)
    return makeError("head has an empty sequence or head dimension");
  if (head.query.size() != rowElements || head.key.size() != rowElements ||
      head.probs.size() != size_t(S) * S)
    return makeError(llvm::formatv(
        "head data sizes (query {0}, key {1}, probs {2}) do not match "
        "sequence length {3} and head dimension {4}",
        head.query.size(), head.key.size(), head.probs.size(), S, d));

  TileShape shape;
  shape.queryRows = S;
  shape.keyRows = S;
  shape.headDim = d;
  std::vector<float> scores = exactScores(head.query, head.key, S, d);

  const bool canProject = config.scheme == Scheme::Lapa ||
                          config.scheme == Scheme::Sofa ||
                          config.scheme == Scheme::Fact;
  HeadEvaluation evaluation;
  evaluation.usedProjection = mode == InputMode::Projection && canProject;
  if (evaluation.usedProjection &&
      (head.hiddenSize == 0 ||
       head.layerInput.size() != size_t(S) * head.hiddenSize ||
       head.keyWeight.size() != size_t(head.hiddenSize) * d ||
       head.queryWeight.size() != size_t(head.hiddenSize) * d))
    return makeError(llvm::formatv(
        "projection mode needs the layer input [{0} x H] and the [H x {1}] "
        "weight slices of W_K and W_Q; got hidden size {2} with {3}, {4} and "
        "{5} elements",
        S, d, head.hiddenSize, head.layerInput.size(), head.keyWeight.size(),
        head.queryWeight.size()));

  PredictorInput input;
  input.shape = shape;
  Operand query, keys;
  std::vector<float> rowMax;
  const unsigned queryBits = queryOperandBits(config);
  const unsigned keyBits = keyOperandBits(config);
  if (queryBits != 0) {
    if (evaluation.usedProjection) {
      llvm::Expected<Operand> predictedKeys = predictProjection(
          config, head, head.keyWeight, keyBits, "key prediction",
          evaluation.cost);
      if (!predictedKeys)
        return predictedKeys.takeError();
      keys = std::move(*predictedKeys);
      if (config.scheme == Scheme::Fact ||
          config.querySource == QuerySource::Aloc) {
        llvm::Expected<Operand> predictedQuery = predictProjection(
            config, head, head.queryWeight, queryBits, "query prediction",
            evaluation.cost);
        if (!predictedQuery)
          return predictedQuery.takeError();
        query = std::move(*predictedQuery);
      } else {
        query = quantizeOperand(head.query, queryBits);
      }
    } else {
      query = quantizeOperand(head.query, queryBits);
      keys = quantizeOperand(head.key, keyBits);
    }
    input.query = query.values;
    input.keys = keys.values;
    input.queryStep = query.step;
    input.keyStep = keys.step;
  }
  if (config.scheme == Scheme::Oracle)
    input.scores = scores;
  if (config.scheme == Scheme::Spatten) {
    input.importance = head.importance;
    rowMax.resize(S);
    for (unsigned i = 0; i < S; ++i) {
      llvm::ArrayRef<float> row = head.probs.slice(size_t(i) * S, S);
      rowMax[i] = *std::max_element(row.begin(), row.end());
    }
    input.rowMaxProbability = rowMax;
  }

  llvm::Expected<PredictionResult> result = predict(config, input);
  if (!result)
    return result.takeError();
  evaluation.cost.accumulate(result->cost);
  evaluation.rounds = std::move(result->rounds);

  std::optional<double> keepRatio;
  if (config.select == SelectMode::TopK || config.scheme == Scheme::Spatten ||
      config.scheme == Scheme::Dense)
    keepRatio = config.scheme == Scheme::Dense ? 1.0 : config.keepRatio;
  evaluation.quality =
      measureSelection(result->selection, scores, head.probs, shape, keepRatio);
  return evaluation;
}

std::vector<float> lapa::predict::rmsNorm(llvm::ArrayRef<float> x,
                                          unsigned rows, unsigned cols,
                                          llvm::ArrayRef<float> gain,
                                          double eps) {
  std::vector<float> out(size_t(rows) * cols);
  for (unsigned r = 0; r < rows; ++r) {
    double sumSquares = 0.0;
    for (unsigned c = 0; c < cols; ++c) {
      double v = x[size_t(r) * cols + c];
      sumSquares += v * v;
    }
    double inverse = 1.0 / std::sqrt(sumSquares / cols + eps);
    for (unsigned c = 0; c < cols; ++c)
      out[size_t(r) * cols + c] = static_cast<float>(
          double(x[size_t(r) * cols + c]) * inverse * double(gain[c]));
  }
  return out;
}

void lapa::predict::applyRope(llvm::MutableArrayRef<float> x, unsigned rows,
                              unsigned headDim, double theta) {
  for (unsigned t = 0; t < rows; ++t)
    for (unsigned i = 0; i < headDim / 2; ++i) {
      double frequency = std::pow(theta, -2.0 * i / headDim);
      double angle = double(t) * frequency;
      double cosine = static_cast<float>(std::cos(angle));
      double sine = static_cast<float>(std::sin(angle));
      float &even = x[size_t(t) * headDim + 2 * i];
      float &odd = x[size_t(t) * headDim + 2 * i + 1];
      double a = even, b = odd;
      even = static_cast<float>(a * cosine - b * sine);
      odd = static_cast<float>(a * sine + b * cosine);
    }
}

std::vector<float> lapa::predict::headWeightSlice(llvm::ArrayRef<float> weight,
                                                  unsigned inFeatures,
                                                  unsigned head,
                                                  unsigned headDim) {
  std::vector<float> slice(size_t(inFeatures) * headDim);
  for (unsigned t = 0; t < inFeatures; ++t)
    for (unsigned c = 0; c < headDim; ++c)
      slice[size_t(t) * headDim + c] =
          weight[size_t(head * headDim + c) * inFeatures + t];
  return slice;
}

std::vector<float> lapa::predict::matmul(llvm::ArrayRef<float> a,
                                         llvm::ArrayRef<float> b,
                                         unsigned rows, unsigned inner,
                                         unsigned cols) {
  std::vector<float> out(size_t(rows) * cols);
  for (unsigned r = 0; r < rows; ++r)
    for (unsigned c = 0; c < cols; ++c) {
      double sum = 0.0;
      for (unsigned t = 0; t < inner; ++t)
        sum += double(a[size_t(r) * inner + t]) *
               double(b[size_t(t) * cols + c]);
      out[size_t(r) * cols + c] = static_cast<float>(sum);
    }
  return out;
}

void lapa::predict::accumulateImportance(
    llvm::ArrayRef<float> probs, unsigned length,
    llvm::MutableArrayRef<float> importance) {
  std::vector<double> running(length, 0.0);
  for (unsigned t = 0; t < length; ++t)
    for (unsigned j = 0; j < length; ++j) {
      running[j] += probs[size_t(t) * length + j];
      importance[size_t(t) * length + j] += static_cast<float>(running[j]);
    }
}
