//===- Predictor.cpp - One interface for LAPA and the peer predictors -----===//
//
// Validates a configuration and the tile's inputs, runs LAPA and SOFA (the
// same ALOC score prediction, with R rounds or one) and dispatches the other
// schemes to PeerPredictors.cpp.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Predictor.h"

#include "PeerPredictors.h"

#include "lapa/Predict/LogCode.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace lapa::predict;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

llvm::Error checkSize(size_t actual, size_t expected, llvm::StringRef what,
                      llvm::StringRef layout) {
  if (actual == expected)
    return llvm::Error::success();
  return makeError(llvm::formatv("{0} has {1} elements but the tile needs {2} "
                                 "({3})",
                                 what, actual, expected, layout));
}

// LAPA and SOFA: log-code the query at run time, then MRSA.
llvm::Expected<PredictionResult> predictAloc(const PredictorConfig &config,
                                             const PredictorInput &input) {
  const TileShape &shape = input.shape;
  if (llvm::Error error = detail::checkSymmetricRange(
          input.query, config.queryBits, "query", "query_bits"))
    return std::move(error);
  llvm::Expected<std::vector<LogCode>> codes =
      encodeLogCodes(input.query, config.queryBits);
  if (!codes)
    return codes.takeError();

  double logitScale =
      input.queryStep * input.keyStep / std::sqrt(double(shape.headDim));
  llvm::Expected<ScorePrediction> scores = predictScoresMrsa(
      *codes, input.keys, shape, MrsaParams::fromConfig(config),
      FilterParams::fromConfig(config),
      SelectParams::fromConfig(config, logitScale));
  if (!scores)
    return scores.takeError();

  PredictionResult result;
  OpCounts &coding = result.cost.stage("query log coding");
  uint64_t elements = uint64_t(shape.queryRows) * shape.headDim;
  coding.leadingOneDetections[config.queryBits] += elements;
  coding.bitsRead += elements * config.queryBits;
  coding.bitsWritten += elements * logCodeBits(config.queryBits);
  result.cost.accumulate(scores->cost);
  result.selection = std::move(scores->selection);
  result.rounds = std::move(scores->rounds);
  return result;
}

} // namespace

llvm::Error lapa::predict::detail::checkSymmetricRange(
    llvm::ArrayRef<int32_t> values, unsigned bits, llvm::StringRef what,
    llvm::StringRef parameter) {
  int64_t limit = (int64_t{1} << (bits - 1)) - 1;
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i] > limit || values[i] < -limit)
      return makeError(llvm::formatv(
          "{0} element {1} is {2}, outside the symmetric range [{3}, {4}] of "
          "{5} = {6}; quantize the {0} to that width",
          what, i, values[i], -limit, limit, parameter, bits));
  return llvm::Error::success();
}

llvm::Error lapa::predict::detail::checkQueryAndKeyRanges(
    const PredictorInput &input, unsigned bits, llvm::StringRef parameter) {
  if (llvm::Error error =
          checkSymmetricRange(input.query, bits, "query", parameter))
    return error;
  return checkSymmetricRange(input.keys, bits, "keys", parameter);
}

RoundStats lapa::predict::detail::fullRound(const TileShape &shape) {
  RoundStats stats;
  stats.candidates = shape.visiblePairs();
  stats.survivors = stats.candidates;
  return stats;
}

unsigned lapa::predict::queryOperandBits(const PredictorConfig &config) {
  switch (config.scheme) {
  case Scheme::Lapa:
  case Scheme::Sofa:
  case Scheme::Energon:
    return config.queryBits;
  case Scheme::Fact:
    return config.activationBits;
  case Scheme::Sanger:
    return config.scoreBits;
  case Scheme::Spatten:
  case Scheme::Oracle:
  case Scheme::Dense:
    return 0;
  }
  return 0;
}

unsigned lapa::predict::keyOperandBits(const PredictorConfig &config) {
  switch (config.scheme) {
  case Scheme::Lapa:
  case Scheme::Sofa:
    return config.keyBits;
  case Scheme::Energon:
    return config.queryBits;
  case Scheme::Fact:
    return config.activationBits;
  case Scheme::Sanger:
    return config.scoreBits;
  case Scheme::Spatten:
  case Scheme::Oracle:
  case Scheme::Dense:
    return 0;
  }
  return 0;
}

void lapa::predict::countSelectionOutput(const Selection &selection,
                                         OpCounts &counts) {
  unsigned indexBits = 1;
  while ((uint64_t{1} << indexBits) < selection.keyRows)
    ++indexBits;
  counts.bitsWritten += uint64_t(selection.queryRows) * selection.keyRows +
                        selection.selectedCount() * indexBits;
}

llvm::Expected<PredictionResult>
lapa::predict::predict(const PredictorConfig &config,
                       const PredictorInput &input) {
  std::string problem = config.validate();
  if (!problem.empty())
    return makeError("invalid predictor configuration: " + problem);

  const TileShape &shape = input.shape;
  if (shape.queryRows == 0 || shape.keyRows == 0 || shape.headDim == 0)
    return makeError(llvm::formatv(
        "tile shape [{0} queries, {1} keys, head dimension {2}] is empty; "
        "every dimension must be at least 1",
        shape.queryRows, shape.keyRows, shape.headDim));

  const size_t queryElements = size_t(shape.queryRows) * shape.headDim;
  const size_t keyElements = size_t(shape.keyRows) * shape.headDim;
  const size_t pairElements = size_t(shape.queryRows) * shape.keyRows;
  if (queryOperandBits(config) != 0) {
    if (llvm::Error error = checkSize(input.query.size(), queryElements,
                                      "query", "queries x head dimension"))
      return std::move(error);
    if (llvm::Error error = checkSize(input.keys.size(), keyElements, "keys",
                                      "keys x head dimension"))
      return std::move(error);
  }
  if (config.scheme == Scheme::Oracle)
    if (llvm::Error error = checkSize(input.scores.size(), pairElements,
                                      "scores", "queries x keys"))
      return std::move(error);
  if (config.scheme == Scheme::Spatten) {
    if (!input.importance.empty())
      if (llvm::Error error =
              checkSize(input.importance.size(), pairElements, "importance",
                        "queries x keys, or empty for the first layer"))
        return std::move(error);
    if (!input.rowMaxProbability.empty())
      if (llvm::Error error =
              checkSize(input.rowMaxProbability.size(), shape.queryRows,
                        "row maximum probabilities", "one per query row"))
        return std::move(error);
  }

  llvm::Expected<PredictionResult> result = [&]() {
    switch (config.scheme) {
    case Scheme::Lapa:
    case Scheme::Sofa:
      return predictAloc(config, input);
    case Scheme::Fact:
      return detail::predictFact(config, input);
    case Scheme::Sanger:
      return detail::predictSanger(config, input);
    case Scheme::Energon:
      return detail::predictEnergon(config, input);
    case Scheme::Spatten:
      return detail::predictSpatten(config, input);
    case Scheme::Oracle:
      return detail::predictOracle(config, input);
    case Scheme::Dense:
      return detail::predictDense(input);
    }
    return llvm::Expected<PredictionResult>(makeError("unknown scheme"));
  }();
  if (!result)
    return result.takeError();
  countSelectionOutput(result->selection, result->cost.stage("select"));
  return result;
}
