//===- Predictor.h - One interface for LAPA and the peer predictors -*- C++ -*-===//
//
// `predict` runs any scheme of PredictorConfig on one tile and returns the
// selection, the keys that entered each round and the operation counts.
// Each scheme reads only the inputs it needs:
//
//   lapa     Q at query_bits (log-coded here, at run time) and K-hat at
//            key_bits; ALOC score prediction over R MRSA rounds with the DDF
//            filter between them, then top-k or threshold.
//   sofa     the same one-operand log product in one round on a 16-bit
//            K-hat, then SOFA's segmented top-k (`segments`) with an optional
//            feasible range max - filter_radius.
//   fact     Q and K at activation_bits, both log-coded:
//            A-hat = sum_c s(q) s(k) 2^(LO(q) + LO(k)), accumulated in
//            key_accumulator_bits.
//   sanger   Q and K at score_bits (Sanger uses 4): integer Q.K^T, then the
//            softmax probability of score * logitScale against `threshold`.
//   energon  Q and K at query_bits (16). Round r keeps the round_bits[r]
//            most significant bits, q_r = floor(q / 2^(16 - b_r)), and
//            recomputes sum_c q_r k_r from scratch; the filter runs on the
//            scores (in full-precision units) after every round but the
//            last, whose scores feed the final selection.
//   spatten  `importance`: per query row, the attention probability that
//            each key received in earlier layers, summed over heads and over
//            the query rows up to this one. Top-k by importance; with no
//            earlier layer (empty importance) every key is kept.
//   oracle   `scores`: the float scores Q.K^T / sqrt(d); exact top-k.
//   dense    nothing; every visible key.
//
// Integer inputs must lie in the symmetric range of their width (see
// queryOperandBits and keyOperandBits); an element outside it is an error.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_PREDICTOR_H
#define LAPA_PREDICT_PREDICTOR_H

#include "lapa/Predict/Mrsa.h"
#include "lapa/Predict/OpCounts.h"
#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Predict/Select.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace lapa::predict {

/// The operands of one tile; which fields a scheme reads is listed above.
struct PredictorInput {
  TileShape shape;
  /// [queryRows x headDim] integers at queryOperandBits(config).
  llvm::ArrayRef<int32_t> query;
  /// [keyRows x headDim] integers at keyOperandBits(config).
  llvm::ArrayRef<int32_t> keys;
  /// Real value of one integer unit of `query` and of `keys`.
  double queryStep = 1.0;
  double keyStep = 1.0;
  /// oracle: [queryRows x keyRows] float scores.
  llvm::ArrayRef<float> scores;
  /// spatten: [queryRows x keyRows] accumulated importance.
  llvm::ArrayRef<float> importance;
  /// spatten (optional): [queryRows] maximum attention probability of each
  /// row, for the progressive-quantization refetch count.
  llvm::ArrayRef<float> rowMaxProbability;
};

/// The output of one prediction.
struct PredictionResult {
  Selection selection;
  /// Keys scored in each round and passed on by its filter.
  std::vector<RoundStats> rounds;
  PredictionCost cost;
};

/// Width of the query integers a scheme reads, or 0 if it reads none.
unsigned queryOperandBits(const PredictorConfig &config);
/// Width of the key integers a scheme reads, or 0 if it reads none.
unsigned keyOperandBits(const PredictorConfig &config);

/// Validates `config` and runs its scheme on one tile.
llvm::Expected<PredictionResult> predict(const PredictorConfig &config,
                                         const PredictorInput &input);

/// Adds the cost of writing a selection (the T x S mask and the kept
/// indices at ceil(log2 S) bits each) to `counts`.
void countSelectionOutput(const Selection &selection, OpCounts &counts);

} // namespace lapa::predict

#endif // LAPA_PREDICT_PREDICTOR_H
