//===- PeerPredictors.cpp - FACT, Sanger, Energon, SpAtten, oracle, dense -===//
//
// The peer predictors behind the common `predict` interface. Each computes
// its scores for the visible keys of every row, optionally filters, and
// hands the scores to the shared final selection, so that ties, causality
// and the output forms are the same for every scheme. The formulas are
// listed in Predictor.h; operation counts are stated at each loop.
//
//===----------------------------------------------------------------------===//

#include "PeerPredictors.h"

#include "lapa/Predict/Aloc.h"
#include "lapa/Predict/Filter.h"
#include "lapa/Predict/LogCode.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <numeric>

using namespace lapa::predict;
using namespace lapa::predict::detail;

namespace {

// Smallest signed width that can represent any sum of `terms` products
// whose magnitude is below 2^productBits: productBits + ceil(log2 terms) + 1.
unsigned sumWidth(unsigned productBits, unsigned terms) {
  unsigned growth = 0;
  while ((1u << growth) < terms)
    ++growth;
  return productBits + growth + 1;
}

std::vector<uint32_t> visibleKeys(unsigned visible) {
  std::vector<uint32_t> keys(visible);
  std::iota(keys.begin(), keys.end(), 0u);
  return keys;
}

double integerLogitScale(const PredictorInput &input) {
  return input.queryStep * input.keyStep /
         std::sqrt(double(input.shape.headDim));
}

} // namespace

llvm::Expected<PredictionResult>
lapa::predict::detail::predictFact(const PredictorConfig &config,
                                   const PredictorInput &input) {
  const TileShape &shape = input.shape;
  const unsigned bits = config.activationBits;
  const unsigned d = shape.headDim;
  if (llvm::Error error = checkQueryAndKeyRanges(input, bits, "activation_bits"))
    return std::move(error);
  std::vector<LogCode> queryCodes(input.query.size());
  std::vector<LogCode> keyCodes(input.keys.size());
  for (size_t i = 0; i < queryCodes.size(); ++i)
    queryCodes[i] = makeLogCode(input.query[i]);
  for (size_t i = 0; i < keyCodes.size(); ++i)
    keyCodes[i] = makeLogCode(input.keys[i]);

  PredictionResult result;
  OpCounts &coding = result.cost.stage("log coding");
  coding.leadingOneDetections[bits] +=
      uint64_t(queryCodes.size()) + keyCodes.size();
  coding.bitsRead += (uint64_t(queryCodes.size()) + keyCodes.size()) * bits;
  coding.bitsWritten +=
      (uint64_t(queryCodes.size()) + keyCodes.size()) * logCodeBits(bits);
  OpCounts &round = result.cost.stage("score round 1");
  OpCounts &selectCounts = result.cost.stage("select");
  const unsigned exponentBits = logExponentBits(bits) + 1;

  // A-hat[i, j] = sum_c s(q) s(k) 2^(LO(q) + LO(k)): an exponent addition
  // and a 1-bit shift-add per lane, accumulated in key_accumulator_bits.
  std::vector<std::vector<uint32_t>> rows(shape.queryRows);
  std::vector<double> rowScores(shape.keyRows);
  for (unsigned i = 0; i < shape.queryRows; ++i) {
    unsigned visible = shape.visibleKeys(i);
    for (unsigned j = 0; j < visible; ++j) {
      int64_t sum = 0;
      for (unsigned c = 0; c < d; ++c) {
        sum += symmetricLogProduct(queryCodes[size_t(i) * d + c],
                                   keyCodes[size_t(j) * d + c]);
        if (!fitsSigned(sum, config.keyAccumulatorBits))
          return accumulatorOverflowError(
              sum, config.keyAccumulatorBits,
              llvm::formatv("fact score (query row {0}, key {1}, after lane "
                            "{2})",
                            i, j, c),
              "key_accumulator_bits");
      }
      rowScores[j] = static_cast<double>(sum);
    }
    round.additions[exponentBits] += uint64_t(visible) * d;
    round.shiftAdds[1] += uint64_t(visible) * d;
    round.bitsRead +=
        (uint64_t(visible) + 1) * d * logCodeBits(bits);
    round.bitsWritten += uint64_t(visible) * config.keyAccumulatorBits;
    rows[i] = selectRow(SelectParams::fromConfig(config,
                                                 integerLogitScale(input)),
                        rowScores, visibleKeys(visible), visible,
                        selectCounts);
  }
  result.selection =
      makeSelection(shape.queryRows, shape.keyRows, std::move(rows));
  result.rounds = {fullRound(shape)};
  return result;
}

llvm::Expected<PredictionResult>
lapa::predict::detail::predictSanger(const PredictorConfig &config,
                                     const PredictorInput &input) {
  const TileShape &shape = input.shape;
  const unsigned bits = config.scoreBits;
  const unsigned d = shape.headDim;
  if (llvm::Error error = checkQueryAndKeyRanges(input, bits, "score_bits"))
    return std::move(error);

  PredictionResult result;
  OpCounts &round = result.cost.stage("score round 1");
  OpCounts &selectCounts = result.cost.stage("select");
  // A product of two symmetric b-bit values is below 2^(2b-2) in magnitude.
  const unsigned adderBits = sumWidth(2 * bits - 2, d);
  const SelectParams select =
      SelectParams::fromConfig(config, integerLogitScale(input));

  // Low-precision Q.K^T: d multiplies at score_bits and d additions per
  // visible pair; the scores then go through the softmax threshold.
  std::vector<std::vector<uint32_t>> rows(shape.queryRows);
  std::vector<double> rowScores(shape.keyRows);
  for (unsigned i = 0; i < shape.queryRows; ++i) {
    unsigned visible = shape.visibleKeys(i);
    for (unsigned j = 0; j < visible; ++j) {
      int64_t sum = 0;
      for (unsigned c = 0; c < d; ++c)
        sum += int64_t(input.query[size_t(i) * d + c]) *
               input.keys[size_t(j) * d + c];
      rowScores[j] = static_cast<double>(sum);
    }
    round.multiplies[bits] += uint64_t(visible) * d;
    round.additions[adderBits] += uint64_t(visible) * d;
    round.bitsRead += (uint64_t(visible) + 1) * d * bits;
    round.bitsWritten += uint64_t(visible) * adderBits;
    rows[i] = selectRow(select, rowScores, visibleKeys(visible), visible,
                        selectCounts);
  }
  result.selection =
      makeSelection(shape.queryRows, shape.keyRows, std::move(rows));
  result.rounds = {fullRound(shape)};
  return result;
}

llvm::Expected<PredictionResult>
lapa::predict::detail::predictEnergon(const PredictorConfig &config,
                                      const PredictorInput &input) {
  const TileShape &shape = input.shape;
  const unsigned bits = config.queryBits;
  const unsigned d = shape.headDim;
  if (llvm::Error error = checkQueryAndKeyRanges(input, bits, "query_bits"))
    return std::move(error);

  const std::vector<unsigned> &roundBits = config.roundBits;
  const unsigned numRounds = roundBits.size();
  PredictionResult result;
  result.rounds.resize(numRounds);
  for (unsigned r = 0; r < numRounds; ++r) {
    result.cost.stage(llvm::formatv("score round {0}", r + 1).str());
    if (r + 1 < numRounds && config.filter != FilterRule::None)
      result.cost.stage(llvm::formatv("filter {0}", r + 1).str());
  }
  OpCounts &selectCounts = result.cost.stage("select");
  const FilterParams filter = FilterParams::fromConfig(config);
  const SelectParams select =
      SelectParams::fromConfig(config, integerLogitScale(input));

  // Truncate to the b most significant bits: floor(v / 2^(bits - b)).
  auto truncate = [&](int32_t value, unsigned b) -> int64_t {
    int64_t divisor = int64_t{1} << (bits - b);
    int64_t quotient = value / divisor;
    if (value % divisor != 0 && value < 0)
      --quotient;
    return quotient;
  };

  std::vector<std::vector<uint32_t>> rows(shape.queryRows);
  std::vector<int64_t> scores(shape.keyRows);
  std::vector<double> rowScores(shape.keyRows);
  for (unsigned i = 0; i < shape.queryRows; ++i) {
    unsigned visible = shape.visibleKeys(i);
    std::vector<uint32_t> candidates = visibleKeys(visible);
    for (unsigned r = 0; r < numRounds; ++r) {
      OpCounts &counts =
          result.cost.stage(llvm::formatv("score round {0}", r + 1).str());
      const unsigned b = roundBits[r];
      // A b-bit product is below 2^(2b-2) in magnitude; the sum is scaled
      // back to full-precision units by 2^(2 (bits - b)).
      const unsigned adderBits = sumWidth(2 * b - 2, d);
      const int64_t scale = int64_t{1} << (2 * (bits - b));
      result.rounds[r].candidates += candidates.size();
      for (uint32_t j : candidates) {
        int64_t sum = 0;
        for (unsigned c = 0; c < d; ++c)
          sum += truncate(input.query[size_t(i) * d + c], b) *
                 truncate(input.keys[size_t(j) * d + c], b);
        scores[j] = sum * scale;
      }
      // Recomputation from scratch: d multiplies at b bits per candidate.
      counts.multiplies[b] += uint64_t(candidates.size()) * d;
      counts.additions[adderBits] += uint64_t(candidates.size()) * d;
      counts.bitsRead += (uint64_t(candidates.size()) + 1) * d * b;
      counts.bitsWritten += uint64_t(candidates.size()) * adderBits;
      if (r + 1 < numRounds && config.filter != FilterRule::None) {
        OpCounts &filterStage =
            result.cost.stage(llvm::formatv("filter {0}", r + 1).str());
        candidates = filterRow(filter, select, scores, candidates, visible,
                               /*dmin=*/0, /*dmax=*/0, adderBits, filterStage);
      }
      result.rounds[r].survivors += candidates.size();
    }
    for (uint32_t j : candidates)
      rowScores[j] = static_cast<double>(scores[j]);
    rows[i] = selectRow(select, rowScores, candidates, visible, selectCounts);
  }
  result.selection =
      makeSelection(shape.queryRows, shape.keyRows, std::move(rows));
  return result;
}

llvm::Expected<PredictionResult>
lapa::predict::detail::predictSpatten(const PredictorConfig &config,
                                      const PredictorInput &input) {
  const TileShape &shape = input.shape;
  PredictionResult result;
  OpCounts &importanceCounts = result.cost.stage("importance");
  OpCounts &selectCounts = result.cost.stage("select");
  OpCounts &fetchCounts = result.cost.stage("progressive fetch");
  const bool firstLayer = input.importance.empty();
  SelectParams select;
  select.mode = SelectMode::TopK;
  select.keepRatio = config.keepRatio;

  // SpAtten has a 12-bit datapath and fetches msb_bits of each key first.
  // A row whose maximum probability is below requant_threshold fetches the
  // remaining bits and recomputes.
  constexpr unsigned kDatapathBits = 12;
  std::vector<std::vector<uint32_t>> rows(shape.queryRows);
  std::vector<double> rowScores(shape.keyRows);
  for (unsigned i = 0; i < shape.queryRows; ++i) {
    unsigned visible = shape.visibleKeys(i);
    if (firstLayer) {
      rows[i] = visibleKeys(visible);
    } else {
      for (unsigned j = 0; j < visible; ++j)
        rowScores[j] = input.importance[size_t(i) * shape.keyRows + j];
      // One addition per visible probability folds this row into the
      // running importance.
      importanceCounts.additions[16] += visible;
      importanceCounts.bitsRead += uint64_t(visible) * 16;
      rows[i] = topKCandidates(rowScores, visibleKeys(visible),
                               keepCount(select.keepRatio, visible),
                               selectCounts);
    }
    uint64_t keyBits = uint64_t(rows[i].size()) * shape.headDim;
    fetchCounts.bitsRead += keyBits * config.msbBits;
    if (!input.rowMaxProbability.empty() &&
        input.rowMaxProbability[i] < config.requantThreshold)
      fetchCounts.bitsRead += keyBits * (kDatapathBits - config.msbBits);
  }
  result.selection =
      makeSelection(shape.queryRows, shape.keyRows, std::move(rows));
  result.rounds = {fullRound(shape)};
  return result;
}

llvm::Expected<PredictionResult>
lapa::predict::detail::predictOracle(const PredictorConfig &config,
                                     const PredictorInput &input) {
  const TileShape &shape = input.shape;
  PredictionResult result;
  OpCounts &round = result.cost.stage("score round 1");
  OpCounts &selectCounts = result.cost.stage("select");
  // The scores are already logits, so the threshold mode uses scale 1.
  const SelectParams select = SelectParams::fromConfig(config, 1.0);
  std::vector<std::vector<uint32_t>> rows(shape.queryRows);
  std::vector<double> rowScores(shape.keyRows);
  for (unsigned i = 0; i < shape.queryRows; ++i) {
    unsigned visible = shape.visibleKeys(i);
    for (unsigned j = 0; j < visible; ++j)
      rowScores[j] = input.scores[size_t(i) * shape.keyRows + j];
    // The exact float score: d float multiplies and additions per pair.
    round.multiplies[32] += uint64_t(visible) * shape.headDim;
    round.additions[32] += uint64_t(visible) * shape.headDim;
    rows[i] = selectRow(select, rowScores, visibleKeys(visible), visible,
                        selectCounts);
  }
  result.selection =
      makeSelection(shape.queryRows, shape.keyRows, std::move(rows));
  result.rounds = {fullRound(shape)};
  return result;
}

llvm::Expected<PredictionResult>
lapa::predict::detail::predictDense(const PredictorInput &input) {
  const TileShape &shape = input.shape;
  PredictionResult result;
  std::vector<std::vector<uint32_t>> rows(shape.queryRows);
  for (unsigned i = 0; i < shape.queryRows; ++i)
    rows[i] = visibleKeys(shape.visibleKeys(i));
  result.selection =
      makeSelection(shape.queryRows, shape.keyRows, std::move(rows));
  result.rounds = {fullRound(shape)};
  return result;
}
