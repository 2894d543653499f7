//===- Accuracy.cpp - Comparing simulator outputs with a reference --------===//

#include "lapa/Sim/Accuracy.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>

using namespace lapa;
using namespace lapa::sim;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

} // namespace

llvm::Expected<TensorComparison>
lapa::sim::compareTensors(llvm::StringRef outputName,
                          llvm::ArrayRef<float> output,
                          llvm::StringRef referenceName,
                          llvm::ArrayRef<float> reference) {
  if (output.size() != reference.size())
    return makeError(llvm::formatv(
        "cannot compare output '{0}' ({1} elements) with reference '{2}' ({3} "
        "elements); pair tensors of the same size",
        outputName, output.size(), referenceName, reference.size()));
  TensorComparison comparison;
  comparison.output = outputName.str();
  comparison.reference = referenceName.str();
  comparison.elements = output.size();
  double sumError = 0, dot = 0, outputNorm = 0, referenceNorm = 0;
  for (size_t i = 0; i < output.size(); ++i) {
    double a = output[i], b = reference[i];
    double error = std::fabs(a - b);
    comparison.maxAbsError = std::max(comparison.maxAbsError, error);
    sumError += error;
    dot += a * b;
    outputNorm += a * a;
    referenceNorm += b * b;
  }
  if (!output.empty())
    comparison.meanAbsError = sumError / double(output.size());
  if (outputNorm == 0 && referenceNorm == 0)
    comparison.cosine = 1.0;
  else if (outputNorm > 0 && referenceNorm > 0)
    comparison.cosine = dot / (std::sqrt(outputNorm) * std::sqrt(referenceNorm));
  return comparison;
}

llvm::Expected<LanguageModelScore> lapa::sim::scoreLanguageModel(
    llvm::ArrayRef<float> logits, uint64_t positions, uint64_t vocabulary,
    llvm::ArrayRef<int32_t> tokens, llvm::ArrayRef<float> referenceLogits) {
  if (logits.size() != positions * vocabulary)
    return makeError(llvm::formatv(
        "logits have {0} elements, not {1} positions x {2} vocabulary entries",
        logits.size(), positions, vocabulary));
  if (tokens.size() != positions)
    return makeError(llvm::formatv(
        "{0} tokens for {1} positions of logits; give one token per position",
        tokens.size(), positions));
  if (!referenceLogits.empty() && referenceLogits.size() != logits.size())
    return makeError(llvm::formatv(
        "reference logits have {0} elements, the output {1}",
        referenceLogits.size(), logits.size()));
  for (size_t t = 0; t < tokens.size(); ++t)
    if (tokens[t] < 0 || uint64_t(tokens[t]) >= vocabulary)
      return makeError(llvm::formatv(
          "token {0} at position {1} is outside the vocabulary [0, {2})",
          tokens[t], t, vocabulary));

  auto argMax = [&](llvm::ArrayRef<float> row) {
    size_t best = 0;
    for (size_t v = 1; v < row.size(); ++v)
      if (row[v] > row[best])
        best = v;
    return best;
  };
  LanguageModelScore score;
  double total = 0;
  uint64_t agree = 0;
  for (uint64_t t = 0; t + 1 < positions; ++t) {
    llvm::ArrayRef<float> row = logits.slice(t * vocabulary, vocabulary);
    double maxLogit = row[0];
    for (float value : row)
      maxLogit = std::max(maxLogit, double(value));
    double sum = 0;
    for (float value : row)
      sum += std::exp(double(value) - maxLogit);
    double logProbability =
        double(row[tokens[t + 1]]) - maxLogit - std::log(sum);
    total -= logProbability;
    ++score.positions;
    if (!referenceLogits.empty() &&
        argMax(row) ==
            argMax(referenceLogits.slice(t * vocabulary, vocabulary)))
      ++agree;
  }
  if (score.positions) {
    score.crossEntropy = total / double(score.positions);
    score.perplexity = std::exp(score.crossEntropy);
  }
  if (!referenceLogits.empty())
    score.top1Agreement = agree;
  return score;
}

llvm::Expected<std::vector<float>>
lapa::sim::tensorAsFloats(const support::TensorData &tensor) {
  std::vector<float> values;
  if (tensor.dtype == support::DType::F32) {
    values.resize(tensor.bytes.size() / 4);
    std::memcpy(values.data(), tensor.bytes.data(), values.size() * 4);
    return values;
  }
  if (tensor.dtype == support::DType::I32) {
    values.resize(tensor.bytes.size() / 4);
    for (size_t i = 0; i < values.size(); ++i) {
      int32_t value;
      std::memcpy(&value, tensor.bytes.data() + i * 4, 4);
      values[i] = float(value);
    }
    return values;
  }
  return makeError(llvm::formatv("tensor '{0}' has dtype {1}; only F32 and "
                                 "I32 tensors can be compared",
                                 tensor.name,
                                 support::dtypeName(tensor.dtype)));
}

llvm::json::Value lapa::sim::toJSON(const TensorComparison &comparison) {
  return llvm::json::Object{{"output", comparison.output},
                            {"reference", comparison.reference},
                            {"elements", int64_t(comparison.elements)},
                            {"max_abs_error", comparison.maxAbsError},
                            {"mean_abs_error", comparison.meanAbsError},
                            {"cosine", comparison.cosine}};
}

llvm::json::Value lapa::sim::toJSON(const LanguageModelScore &score) {
  llvm::json::Object object{{"positions", int64_t(score.positions)},
                            {"cross_entropy_nats", score.crossEntropy},
                            {"perplexity", score.perplexity}};
  if (score.top1Agreement)
    object["top1_agreement"] = int64_t(*score.top1Agreement);
  return object;
}
