//===- Mrsa.h - Mixed-precision multi-round shifting accumulation -*- C++ -*-===//
//
// The score prediction of LAPA (and, with one round, of SOFA):
//
//   A-hat[i, j] = sum_{c < d} s(Q[i,c]) * (K-hat[j,c] << LO(Q[i,c]))
//
// with Q log-coded and K-hat a signed keyBits-bit integer. MRSA splits K-hat
// into R bit slices, most significant first, with widths w_1 .. w_R and
// offsets b_r = w_{r+1} + ... + w_R:
//
//   y_1 = K-hat >> b_1                       (arithmetic shift, signed)
//   y_r = (K-hat >> b_r) & (2^{w_r} - 1)     (unsigned, r > 1)
//   K-hat = sum_r y_r * 2^{b_r}
//
// Round r adds its slice to the previous partial sum, only for the keys that
// survived the filter after round r - 1:
//
//   P^(r)[i,j] = P^(r-1)[i,j] + sum_c s(Q[i,c]) * ((y_{r,c} << b_r) << LO(Q[i,c]))
//
// Round r's accumulator stores P^(r) / 2^{b_r} (exact, since every term so
// far is a multiple of 2^{b_r}) in accumulator_bits[r] signed bits. The
// range is checked after every lane's addition, in lane order c = 0 .. d-1;
// an overflow is an error naming the round, the row, the key and the value.
// Arithmetic is in int64, so widths up to 64 bits are exact.
//
// The bound on what rounds r+1 .. R can still add depends only on the
// query's codes, so it is computed once per row:
//
//   dmax_r = + sum_{s > r} sum_{c: Q[i,c] > 0} (2^{w_s} - 1) * 2^{b_s + LO(Q[i,c])}
//   dmin_r = - sum_{s > r} sum_{c: Q[i,c] < 0} (2^{w_s} - 1) * 2^{b_s + LO(Q[i,c])}
//
// The default (key_bits 8, slices [4, 4], accumulator_bits [26, 30]) cannot
// overflow for d <= 128 and a 16-bit query: a round-1 term is at most
// 8 << 14 = 2^17 in magnitude, 128 of them 2^24 (26 signed bits suffice),
// and the full score at most 128 * 128 * 2^14 = 2^28 (30 bits).
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_MRSA_H
#define LAPA_PREDICT_MRSA_H

#include "lapa/Predict/Filter.h"
#include "lapa/Predict/LogCode.h"
#include "lapa/Predict/OpCounts.h"
#include "lapa/Predict/Select.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace lapa::predict {

/// The slicing and accumulator widths of the rounds.
struct MrsaParams {
  unsigned keyBits = 8;
  std::vector<unsigned> sliceWidths = {4, 4};
  std::vector<unsigned> accumulatorBits = {26, 30};
  /// Width of the query before log coding (sets the code width read).
  unsigned queryBits = 16;

  static MrsaParams fromConfig(const PredictorConfig &config) {
    return {config.keyBits, config.sliceWidths, config.accumulatorBits,
            config.queryBits};
  }
  /// Offset b_r of each slice.
  std::vector<unsigned> sliceOffsets() const;
};

/// Checks the slice and accumulator widths: one of each per round, slices
/// that sum to keyBits (2..32), accumulators of 2..64 bits and a query of
/// 2..32 bits.
llvm::Error checkMrsaParams(const MrsaParams &params);

/// Splits `value` into the slices y_1 .. y_R described above.
std::vector<int32_t> sliceKey(int32_t value,
                              llvm::ArrayRef<unsigned> sliceWidths);
/// Returns slice y_{round + 1} of `value`, the scalar form of sliceKey;
/// `sliceOffsets` is MrsaParams::sliceOffsets().
int32_t keySlice(int32_t value, llvm::ArrayRef<unsigned> sliceWidths,
                 llvm::ArrayRef<unsigned> sliceOffsets, unsigned round);

/// The interval of what rounds after `round` (0-based) can still add.
struct RemainingBound {
  int64_t lower = 0;
  int64_t upper = 0;
};

/// Computes dmin and dmax after round `round` (0-based) for one query row.
RemainingBound remainingBound(llvm::ArrayRef<LogCode> queryRow,
                              const MrsaParams &params, unsigned round);

/// Keys entering and leaving one round.
struct RoundStats {
  /// Keys scored in this round (over all rows).
  uint64_t candidates = 0;
  /// Keys that passed the filter after this round; equals `candidates` for
  /// the last round.
  uint64_t survivors = 0;
};

/// The output of a score prediction.
struct ScorePrediction {
  Selection selection;
  /// [queryRows x keyRows] scores: the final A-hat for keys that ran every
  /// round, the partial sum of the last round run for dropped keys, and 0
  /// for keys the row does not see.
  std::vector<int64_t> scores;
  /// [queryRows x keyRows] number of rounds each key went through.
  std::vector<uint8_t> roundsRun;
  std::vector<RoundStats> rounds;
  PredictionCost cost;
};

// The three steps of one query row, which predictScoresMrsa runs in turn and
// the simulator runs one instruction at a time. `partial` is indexed by key
// and contains P^(r) in units of the final integer score, and `candidates`
// lists the keys still in the race, ascending.

/// Adds round `round`'s (0-based) slice of every candidate key to its
/// partial score, checking accumulator_bits[round] after each lane.
/// `queryRow` is the row's headDim codes and `keys` the keyRows x headDim
/// K-hat integers (already range-checked). `queryRowIndex` only names the
/// row in the overflow error. Adds the round's work to `counts`.
llvm::Error accumulateMrsaRound(llvm::ArrayRef<LogCode> queryRow,
                                llvm::ArrayRef<int32_t> keys,
                                const MrsaParams &params, unsigned round,
                                llvm::ArrayRef<uint32_t> candidates,
                                llvm::MutableArrayRef<int64_t> partial,
                                unsigned queryRowIndex, OpCounts &counts);

/// Applies the DDF filter after round `round` (0-based) to one row and
/// returns the survivors; with FilterRule::None every candidate survives
/// and nothing is counted. `visible` is the number of keys the row sees.
std::vector<uint32_t>
filterMrsaRound(llvm::ArrayRef<LogCode> queryRow, const MrsaParams &params,
                unsigned round, const FilterParams &filter,
                const SelectParams &select, llvm::ArrayRef<int64_t> partial,
                llvm::ArrayRef<uint32_t> candidates, unsigned visible,
                OpCounts &counts);

/// Runs the final top-k or threshold selection of one row over the
/// candidates that went through every round.
std::vector<uint32_t> selectMrsaKeys(const SelectParams &select,
                                     llvm::ArrayRef<int64_t> partial,
                                     llvm::ArrayRef<uint32_t> candidates,
                                     unsigned visible, OpCounts &counts);

/// Runs the rounds, the filter between them and the final selection for one
/// tile. `query` is [queryRows x headDim] codes, `keys` [keyRows x headDim]
/// signed keyBits-bit integers. Errors: shape or width mismatch, a key out of
/// range, or an accumulator overflow.
llvm::Expected<ScorePrediction>
predictScoresMrsa(llvm::ArrayRef<LogCode> query, llvm::ArrayRef<int32_t> keys,
                  const TileShape &shape, const MrsaParams &params,
                  const FilterParams &filter, const SelectParams &select);

} // namespace lapa::predict

#endif // LAPA_PREDICT_MRSA_H
