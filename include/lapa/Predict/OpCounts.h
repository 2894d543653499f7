//===- OpCounts.h - Operation counts of a prediction ----------*- C++ -*-===//
//
// The work a predictor does, per stage (key prediction, each MRSA round, each
// filter, the final selection), in the actions an energy model charges:
//
//   shiftAdds    barrel shift of an integer operand by a log code, then an add
//                into the accumulator; keyed by the shifted operand's width
//   multiplies   integer (or, for the oracle, float) multiplies; keyed by the
//                operand width
//   additions    plain additions or subtractions; keyed by the adder width
//   leadingOneDetections  run-time log coding of an integer (a leading-one
//                detector); keyed by the input width
//   comparisons  magnitude comparisons (filters, top-k, thresholds)
//   exponentials softmax exponentials (Sanger's probability threshold)
//   bitsRead     operand bits fetched from on-chip buffers
//   bitsWritten  result bits written back (partial scores, codes, masks)
//
// Matrix products (key prediction) count each operand as read once, as a
// stationary array reads it. Score rounds assume no reuse of a key across
// query rows: each row streams the key slices of its candidates. That is an
// upper bound; the simulator applies its dataflow's reuse on top.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_OPCOUNTS_H
#define LAPA_PREDICT_OPCOUNTS_H

#include "llvm/Support/JSON.h"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace lapa::predict {

/// Counts of one stage of a prediction.
struct OpCounts {
  std::string stage;
  std::map<unsigned, uint64_t> shiftAdds;
  std::map<unsigned, uint64_t> multiplies;
  std::map<unsigned, uint64_t> additions;
  std::map<unsigned, uint64_t> leadingOneDetections;
  uint64_t comparisons = 0;
  uint64_t exponentials = 0;
  uint64_t bitsRead = 0;
  uint64_t bitsWritten = 0;

  /// Adds every count of `other` into this one (the stage name is kept).
  void accumulate(const OpCounts &other);
  /// Sums a width-keyed map.
  static uint64_t total(const std::map<unsigned, uint64_t> &byWidth);
  bool empty() const;
  llvm::json::Object toJSON() const;
};

/// The stages of one prediction, in execution order. A deque, so that a
/// reference returned by `stage` stays valid when later stages are added.
struct PredictionCost {
  std::deque<OpCounts> stages;

  /// Returns the stage named `name`, appending an empty one if needed.
  OpCounts &stage(const std::string &name);
  /// Adds `other` stage by stage, matching stages by name.
  void accumulate(const PredictionCost &other);
  /// Returns the sum over all stages, named "total".
  OpCounts total() const;
  llvm::json::Array toJSON() const;
};

} // namespace lapa::predict

#endif // LAPA_PREDICT_OPCOUNTS_H
