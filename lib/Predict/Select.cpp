//===- Select.cpp - Final key selection and its output forms --------------===//
//
// Top-k with lower-index tie breaking, SOFA's segmented top-k with its
// feasible-range clipping, the softmax-probability threshold, and the CSR,
// bitmap and needed-token forms of a selection.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Select.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace lapa::predict;

uint64_t TileShape::visiblePairs() const {
  uint64_t pairs = 0;
  for (unsigned row = 0; row < queryRows; ++row)
    pairs += visibleKeys(row);
  return pairs;
}

Bitmap::Bitmap(unsigned rows, unsigned cols)
    : numRows(rows), numCols(cols), wordsPerRow((cols + 63) / 64),
      words(size_t(rows) * wordsPerRow, 0) {}

void Bitmap::set(unsigned row, unsigned col) {
  assert(row < numRows && "bit row out of range");
  assert(col < numCols && "bit column out of range");
  words[size_t(row) * wordsPerRow + col / 64] |= uint64_t{1} << (col % 64);
}

bool Bitmap::test(unsigned row, unsigned col) const {
  assert(row < numRows && "bit row out of range");
  assert(col < numCols && "bit column out of range");
  return (words[size_t(row) * wordsPerRow + col / 64] >> (col % 64)) & 1;
}

uint64_t Bitmap::countRow(unsigned row) const {
  uint64_t count = 0;
  for (uint64_t word : rowWords(row))
    count += __builtin_popcountll(word);
  return count;
}

uint64_t Bitmap::count() const {
  uint64_t total = 0;
  for (uint64_t word : words)
    total += __builtin_popcountll(word);
  return total;
}

llvm::ArrayRef<uint64_t> Bitmap::rowWords(unsigned row) const {
  return llvm::ArrayRef<uint64_t>(words).slice(size_t(row) * wordsPerRow,
                                               wordsPerRow);
}

Selection
lapa::predict::makeSelection(unsigned queryRows, unsigned keyRows,
                             std::vector<std::vector<uint32_t>> rows) {
  assert(rows.size() == queryRows && "one key list per query row");
  Selection selection;
  selection.queryRows = queryRows;
  selection.keyRows = keyRows;
  selection.mask = Bitmap(queryRows, keyRows);
  selection.neededTokens = Bitmap(1, keyRows);
  selection.rowOffsets.reserve(queryRows + 1);
  selection.rowOffsets.push_back(0);
  for (unsigned i = 0; i < queryRows; ++i) {
    std::vector<uint32_t> &keys = rows[i];
    std::sort(keys.begin(), keys.end());
    for (uint32_t key : keys) {
      selection.keyIndices.push_back(key);
      selection.mask.set(i, key);
      selection.neededTokens.set(0, key);
    }
    selection.rowOffsets.push_back(selection.keyIndices.size());
  }
  return selection;
}

unsigned lapa::predict::keepCount(double keepRatio, unsigned visible) {
  // One rule for the whole project: PredictorConfig::keptKeys.
  PredictorConfig config;
  config.keepRatio = keepRatio;
  return config.keptKeys(visible);
}

SelectParams SelectParams::fromConfig(const PredictorConfig &config,
                                      double logitScale) {
  SelectParams params;
  params.mode = config.select;
  params.keepRatio = config.keepRatio;
  params.threshold = config.threshold.value_or(0.0);
  params.logitScale = logitScale;
  if (config.scheme == Scheme::Sofa) {
    params.segments = config.segments;
    params.clipRadius = config.filterRadius;
  }
  return params;
}

namespace {

// ceil(log2(k + 1)): the depth of a binary search into a k-entry list.
uint64_t insertionDepth(unsigned k) {
  uint64_t depth = 0;
  while ((uint64_t{1} << depth) < uint64_t(k) + 1)
    ++depth;
  return depth;
}

// The keys of `candidates` in [begin, end).
std::vector<uint32_t> candidatesInRange(llvm::ArrayRef<uint32_t> candidates,
                                        uint32_t begin, uint32_t end) {
  std::vector<uint32_t> inRange;
  for (uint32_t key : candidates)
    if (key >= begin && key < end)
      inRange.push_back(key);
  return inRange;
}

// SOFA's segmented top-k over the visible keys [0, visible): m segments of
// balanced sizes (the first visible % m are one key longer) with balanced
// quotas (the first k % m take one key more). Each quota fits its segment,
// because floor(k / m) <= floor(visible / m), and a larger quota falls on a
// larger segment or on one where floor(visible / m) > floor(k / m).
std::vector<uint32_t> segmentedTopK(llvm::ArrayRef<double> scores,
                                    llvm::ArrayRef<uint32_t> candidates,
                                    unsigned visible, unsigned k,
                                    unsigned segments, OpCounts &counts) {
  unsigned m = std::min(segments, visible);
  std::vector<uint32_t> kept;
  uint32_t begin = 0;
  for (unsigned s = 0; s < m; ++s) {
    uint32_t size = visible / m + (s < visible % m ? 1 : 0);
    unsigned quota = k / m + (s < k % m ? 1 : 0);
    std::vector<uint32_t> inSegment =
        candidatesInRange(candidates, begin, begin + size);
    std::vector<uint32_t> part =
        topKCandidates(scores, inSegment, quota, counts);
    kept.insert(kept.end(), part.begin(), part.end());
    begin += size;
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

} // namespace

std::vector<uint32_t>
lapa::predict::topKCandidates(llvm::ArrayRef<double> scores,
                              llvm::ArrayRef<uint32_t> candidates, unsigned k,
                              OpCounts &counts) {
  counts.comparisons += uint64_t(candidates.size()) * insertionDepth(k);
  if (candidates.size() <= k)
    return std::vector<uint32_t>(candidates.begin(), candidates.end());
  std::vector<uint32_t> order(candidates.begin(), candidates.end());
  auto better = [&](uint32_t a, uint32_t b) {
    if (scores[a] != scores[b])
      return scores[a] > scores[b];
    return a < b;
  };
  std::nth_element(order.begin(), order.begin() + (k - 1), order.end(),
                   better);
  order.resize(k);
  std::sort(order.begin(), order.end());
  return order;
}

std::vector<uint32_t> lapa::predict::selectRow(
    const SelectParams &params, llvm::ArrayRef<double> scores,
    llvm::ArrayRef<uint32_t> candidates, unsigned visible, OpCounts &counts) {
  if (candidates.empty())
    return {};
  std::vector<uint32_t> pool(candidates.begin(), candidates.end());

  if (params.clipRadius > 0.0) {
    // Feasible range [max - radius, max]: one pass for the maximum, one for
    // the test.
    double maxScore = scores[pool.front()];
    for (uint32_t key : pool)
      maxScore = std::max(maxScore, scores[key]);
    std::vector<uint32_t> inRange;
    for (uint32_t key : pool)
      if (scores[key] >= maxScore - params.clipRadius)
        inRange.push_back(key);
    counts.comparisons += 2 * uint64_t(pool.size());
    pool = std::move(inRange);
  }

  if (params.mode == SelectMode::TopK) {
    unsigned k = keepCount(params.keepRatio, visible);
    if (params.segments > 1)
      return segmentedTopK(scores, pool, visible, k, params.segments, counts);
    return topKCandidates(scores, pool, k, counts);
  }

  // Threshold mode: p_j = exp(l_j - l_max) / sum_i exp(l_i - l_max) over the
  // candidates, with l = score * logitScale; keep p_j >= threshold.
  double maxLogit = scores[pool.front()] * params.logitScale;
  for (uint32_t key : pool)
    maxLogit = std::max(maxLogit, scores[key] * params.logitScale);
  double sum = 0.0;
  std::vector<double> weights(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) {
    weights[i] = std::exp(scores[pool[i]] * params.logitScale - maxLogit);
    sum += weights[i];
  }
  std::vector<uint32_t> kept;
  for (size_t i = 0; i < pool.size(); ++i)
    if (weights[i] >= params.threshold * sum)
      kept.push_back(pool[i]);
  counts.exponentials += pool.size();
  counts.additions[32] += pool.size();
  counts.comparisons += 2 * uint64_t(pool.size());
  return kept;
}
