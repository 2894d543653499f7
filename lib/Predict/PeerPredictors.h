//===- PeerPredictors.h - Entry points of the peer schemes -----*- C++ -*-===//
//
// Internal to LapaPredict: the per-scheme functions that `predict` dispatches
// to after it has validated the configuration and the input shapes.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_PREDICT_PEERPREDICTORS_H
#define LAPA_LIB_PREDICT_PEERPREDICTORS_H

#include "lapa/Predict/Predictor.h"

namespace lapa::predict::detail {

llvm::Expected<PredictionResult> predictFact(const PredictorConfig &config,
                                             const PredictorInput &input);
llvm::Expected<PredictionResult> predictSanger(const PredictorConfig &config,
                                               const PredictorInput &input);
llvm::Expected<PredictionResult> predictEnergon(const PredictorConfig &config,
                                                const PredictorInput &input);
llvm::Expected<PredictionResult> predictSpatten(const PredictorConfig &config,
                                                const PredictorInput &input);
llvm::Expected<PredictionResult> predictOracle(const PredictorConfig &config,
                                               const PredictorInput &input);
llvm::Expected<PredictionResult> predictDense(const PredictorInput &input);

/// Returns an error unless every element of `values` lies in the symmetric
/// `bits`-bit range; `what` names the operand and `parameter` its width.
llvm::Error checkSymmetricRange(llvm::ArrayRef<int32_t> values, unsigned bits,
                                llvm::StringRef what,
                                llvm::StringRef parameter);

/// Returns an error unless the query and the keys of `input` both lie in the
/// symmetric `bits`-bit range named by `parameter`.
llvm::Error checkQueryAndKeyRanges(const PredictorInput &input, unsigned bits,
                                   llvm::StringRef parameter);

/// One round in which every visible key is a candidate and survives.
RoundStats fullRound(const TileShape &shape);

} // namespace lapa::predict::detail

#endif // LAPA_LIB_PREDICT_PEERPREDICTORS_H
