//===- Filter.cpp - DDF, the filter between MRSA rounds -------------------===//
//
// The safe bound, max-mean and radius rules of Filter.h, with their
// operation counts:
//
//   safe     2n additions (both bounds), n * ceil(log2(k + 1)) comparisons
//            for the k-th largest lower bound, n comparisons for the test
//   maxmean  n additions for the sum, n - 1 comparisons for the maximum,
//            2 multiplies by the constants at 16 bits, n additions for the
//            upper bounds and n comparisons for the test
//   radius   n - 1 comparisons for the maximum, n additions and n
//            comparisons
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Filter.h"

#include <algorithm>
#include <cmath>
#include <functional>

using namespace lapa::predict;

namespace {

uint64_t insertionDepth(unsigned k) {
  uint64_t depth = 0;
  while ((uint64_t{1} << depth) < uint64_t(k) + 1)
    ++depth;
  return depth;
}

} // namespace

std::vector<uint32_t> lapa::predict::filterRow(
    const FilterParams &filter, const SelectParams &select,
    llvm::ArrayRef<int64_t> partial, llvm::ArrayRef<uint32_t> candidates,
    unsigned visible, int64_t dmin, int64_t dmax, unsigned adderBits,
    OpCounts &counts) {
  const uint64_t n = candidates.size();
  std::vector<uint32_t> all(candidates.begin(), candidates.end());
  if (filter.rule == FilterRule::None || n == 0)
    return all;

  int64_t maxPartial = partial[candidates.front()];
  for (uint32_t key : candidates)
    maxPartial = std::max(maxPartial, partial[key]);

  // Every rule compares P[j] + dmax with theta in long double, which is
  // exact for 64-bit integers on x86-64 (64-bit mantissa) and has at least
  // double precision elsewhere.
  long double theta = 0;
  switch (filter.rule) {
  case FilterRule::None:
    return all;

  case FilterRule::SafeBound: {
    counts.additions[adderBits] += 2 * n;
    counts.comparisons += n;
    if (select.mode == SelectMode::Threshold) {
      int64_t maxLower = maxPartial + dmin;
      counts.comparisons += n;
      theta = static_cast<long double>(maxLower) +
              std::log(select.threshold) / select.logitScale;
      break;
    }
    unsigned k = keepCount(select.keepRatio, visible);
    counts.comparisons += n * insertionDepth(k);
    if (n <= k)
      return all;
    std::vector<int64_t> lower;
    lower.reserve(n);
    for (uint32_t key : candidates)
      lower.push_back(partial[key] + dmin);
    std::nth_element(lower.begin(), lower.begin() + (k - 1), lower.end(),
                     std::greater<int64_t>());
    theta = static_cast<long double>(lower[k - 1]);
    break;
  }

  case FilterRule::MaxMean: {
    long double sum = 0;
    for (uint32_t key : candidates)
      sum += static_cast<long double>(partial[key]);
    long double mean = sum / static_cast<long double>(n);
    theta = filter.alpha * static_cast<long double>(maxPartial) +
            (1.0L - filter.alpha) * mean;
    counts.additions[adderBits] += 2 * n;
    counts.comparisons += 2 * n - 1;
    counts.multiplies[16] += 2;
    break;
  }

  case FilterRule::Radius:
    theta = static_cast<long double>(maxPartial) - filter.radius;
    counts.additions[adderBits] += n;
    counts.comparisons += 2 * n - 1;
    break;
  }

  std::vector<uint32_t> survivors;
  for (uint32_t key : candidates)
    if (static_cast<long double>(partial[key] + dmax) >= theta)
      survivors.push_back(key);
  return survivors;
}
