//===- Filter.h - DDF, the filter between MRSA rounds ---------*- C++ -*-===//
//
// After round r < R, each query row has a partial score P[j] per candidate
// key j and a data-dependent interval [dmin, dmax] (dmin <= 0 <= dmax) that
// bounds what the remaining rounds can still add. A key survives when its
// optimistic bound reaches a per-row threshold theta:
//
//   keep j  <=>  P[j] + dmax >= theta
//
//   safe     theta = k-th largest of (P[i] + dmin) over the candidates, with
//            the row's final k. No key of the unfiltered prediction's top-k
//            is ever dropped: k keys have final scores >= theta > a dropped
//            key's final score. With fewer than k candidates all survive.
//            In threshold mode theta = max_i (P[i] + dmin) + ln(tau) / s,
//            where s converts scores to logits; a dropped key's probability
//            is below tau = exp(s * (upper_j - max_i lower_i)) in any case.
//   maxmean  theta = alpha * max P + (1 - alpha) * mean P
//   radius   theta = max P - radius
//
// The statistics are taken over the row's current candidates. Scores are in
// the unit of the final integer score (not shifted down by the slice
// offset), so a radius means the same thing in every round. Thresholds are
// computed and compared in long double. Its 64-bit mantissa on x86-64
// represents every partial score of up to 64 bits exactly.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_FILTER_H
#define LAPA_PREDICT_FILTER_H

#include "lapa/Predict/OpCounts.h"
#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Predict/Select.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace lapa::predict {

/// The DDF rule and its constants.
struct FilterParams {
  FilterRule rule = FilterRule::SafeBound;
  double alpha = 0.5;
  double radius = 0.0;

  static FilterParams fromConfig(const PredictorConfig &config) {
    return {config.filter, config.filterAlpha, config.filterRadius};
  }
};

/// Filters one row. `partial` is indexed by key index; `candidates` lists
/// the keys still in the race (ascending); `visible` is the number of keys
/// the row sees (it sets k); `select` gives k or the threshold. Returns the
/// survivors in ascending order and adds the filter's work to `counts`,
/// with additions at `adderBits`.
std::vector<uint32_t> filterRow(const FilterParams &filter,
                                const SelectParams &select,
                                llvm::ArrayRef<int64_t> partial,
                                llvm::ArrayRef<uint32_t> candidates,
                                unsigned visible, int64_t dmin, int64_t dmax,
                                unsigned adderBits, OpCounts &counts);

} // namespace lapa::predict

#endif // LAPA_PREDICT_FILTER_H
