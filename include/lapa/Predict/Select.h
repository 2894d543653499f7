//===- Select.h - Final key selection and its output forms ----*- C++ -*-===//
//
// The last step of every predictor: choose, per query row, which keys the
// sparse attention computes, and emit that choice in the three forms the
// compiler and the simulator consume:
//
//   1. a per-row list of kept key indices, ascending (CSR: rowOffsets and
//      keyIndices), which drives SDDMM and SpMM;
//   2. a bitmap M in {0,1}^{T x S};
//   3. the needed tokens c[j] = OR_i M[i, j], which drive on-demand K and V
//      generation.
//
// Causality: query row i sits at sequence position queryOffset + i and sees
// keys 0 .. queryOffset + i only. Top-k keeps k = ceil(keep_ratio * n) keys
// of a row that sees n keys (at least 1). Ties break by the lower key index.
// The threshold mode keeps the keys whose softmax probability, computed over
// the row's candidates from score * logitScale, reaches the threshold.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_SELECT_H
#define LAPA_PREDICT_SELECT_H

#include "lapa/Predict/OpCounts.h"
#include "lapa/Predict/PredictorConfig.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace lapa::predict {

/// The shape of one prediction tile: queryRows queries against keyRows keys
/// of head dimension headDim.
struct TileShape {
  unsigned queryRows = 0;
  unsigned keyRows = 0;
  unsigned headDim = 0;
  /// Sequence position of query row 0.
  unsigned queryOffset = 0;
  /// Whether row i sees only keys 0 .. queryOffset + i.
  bool causal = true;

  /// Number of keys row `row` sees.
  unsigned visibleKeys(unsigned row) const {
    if (!causal)
      return keyRows;
    uint64_t last = uint64_t(queryOffset) + row + 1;
    return last < keyRows ? unsigned(last) : keyRows;
  }
  /// Sum of visibleKeys over all rows.
  uint64_t visiblePairs() const;
};

/// A dense bit matrix, 64 bits per word, rows padded to whole words.
class Bitmap {
public:
  Bitmap() = default;
  Bitmap(unsigned rows, unsigned cols);
  unsigned rows() const { return numRows; }
  unsigned cols() const { return numCols; }
  void set(unsigned row, unsigned col);
  bool test(unsigned row, unsigned col) const;
  uint64_t countRow(unsigned row) const;
  uint64_t count() const;
  /// The packed words of one row; bit (col % 64) of word (col / 64).
  llvm::ArrayRef<uint64_t> rowWords(unsigned row) const;

private:
  unsigned numRows = 0;
  unsigned numCols = 0;
  unsigned wordsPerRow = 0;
  std::vector<uint64_t> words;
};

/// The selection of one tile in its three forms.
struct Selection {
  unsigned queryRows = 0;
  unsigned keyRows = 0;
  /// CSR row pointers: row i's keys are keyIndices[rowOffsets[i] ..
  /// rowOffsets[i + 1]).
  std::vector<uint32_t> rowOffsets;
  /// Kept key indices, ascending within each row.
  std::vector<uint32_t> keyIndices;
  /// M[i, j] = 1 when row i keeps key j.
  Bitmap mask;
  /// c[j] = 1 when any row keeps key j (a 1 x keyRows bitmap).
  Bitmap neededTokens;

  llvm::ArrayRef<uint32_t> row(unsigned i) const {
    return llvm::ArrayRef<uint32_t>(keyIndices)
        .slice(rowOffsets[i], rowOffsets[i + 1] - rowOffsets[i]);
  }
  uint64_t selectedCount() const { return keyIndices.size(); }
};

/// Builds the three forms from per-row key lists (sorted here).
Selection makeSelection(unsigned queryRows, unsigned keyRows,
                        std::vector<std::vector<uint32_t>> rows);

/// The k of a row that sees `visible` keys: ceil(keepRatio * visible),
/// clamped to [1, visible], and 0 when visible is 0. It applies
/// PredictorConfig::keptKeys, whose relative tolerance of 1e-9 makes a
/// ratio such as 0.29 times 100 (29.000000000000004 in binary) keep 29.
unsigned keepCount(double keepRatio, unsigned visible);

/// The rule of the final selection from the scores.
struct SelectParams {
  SelectMode mode = SelectMode::TopK;
  double keepRatio = 0.25;
  /// Probability threshold of SelectMode::Threshold.
  double threshold = 0.0;
  /// Converts a score to a softmax logit (for integer scores: the product of
  /// the operand steps divided by sqrt(headDim)).
  double logitScale = 1.0;
  /// SOFA's segmented top-k: the visible keys are cut into this many
  /// contiguous segments and each keeps its share of k. 1 = plain top-k.
  unsigned segments = 1;
  /// SOFA's feasible range: when > 0, keys scoring below max - clipRadius are
  /// removed before the top-k.
  double clipRadius = 0.0;

  /// Reads the selection fields of a predictor configuration.
  static SelectParams fromConfig(const PredictorConfig &config,
                                 double logitScale);
};

/// Returns the `k` highest-scoring candidates, ties to the lower index, in
/// ascending index order. `scores` is indexed by key index. Adds
/// n * ceil(log2(k + 1)) comparisons (insertion into a sorted k-entry list).
std::vector<uint32_t> topKCandidates(llvm::ArrayRef<double> scores,
                                     llvm::ArrayRef<uint32_t> candidates,
                                     unsigned k, OpCounts &counts);

/// Runs the final selection of one row over `candidates` (ascending key
/// indices), where the row sees `visible` keys. Counts go to `counts`.
std::vector<uint32_t> selectRow(const SelectParams &params,
                                llvm::ArrayRef<double> scores,
                                llvm::ArrayRef<uint32_t> candidates,
                                unsigned visible, OpCounts &counts);

} // namespace lapa::predict

#endif // LAPA_PREDICT_SELECT_H
