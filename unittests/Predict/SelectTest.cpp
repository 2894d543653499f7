//===- SelectTest.cpp - Final selection, ties, causality and output forms -===//
//
// The keep-count rule, lower-index tie breaking, causal visibility with a
// query offset, SOFA's segmented top-k and feasible range, the softmax
// threshold, and the CSR / bitmap / needed-token forms.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Select.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lapa::predict;

namespace {

TEST(KeepCount, CeilOfRatioTimesVisible) {
  EXPECT_EQ(keepCount(0.25, 0), 0u);
  EXPECT_EQ(keepCount(0.25, 1), 1u); // ceil(0.25) = 1
  EXPECT_EQ(keepCount(0.25, 4), 1u);
  EXPECT_EQ(keepCount(0.25, 5), 2u); // ceil(1.25) = 2
  EXPECT_EQ(keepCount(0.1, 10), 1u);
  EXPECT_EQ(keepCount(0.1, 128), 13u); // ceil(12.8)
  EXPECT_EQ(keepCount(0.5, 127), 64u); // ceil(63.5)
  EXPECT_EQ(keepCount(1.0, 7), 7u);
  // 0.29 * 100 is 29.000000000000004 in binary; the rule gives 29.
  EXPECT_EQ(keepCount(0.29, 100), 29u);
  EXPECT_EQ(keepCount(1e-6, 3), 1u);
}

TEST(TopK, TiesBreakByLowerIndex) {
  std::vector<double> scores = {5, 7, 7, 7, 1};
  OpCounts counts;
  EXPECT_EQ(topKCandidates(scores, {0, 1, 2, 3, 4}, 2, counts),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(topKCandidates(scores, {0, 2, 3, 4}, 1, counts),
            (std::vector<uint32_t>{2}));
  // k = 2 over 5 candidates: ceil(log2 3) = 2 comparisons each, then k = 1
  // over 4: 1 each.
  EXPECT_EQ(counts.comparisons, 5u * 2 + 4u * 1);
}

TEST(TileShape, CausalVisibility) {
  TileShape shape;
  shape.queryRows = 3;
  shape.keyRows = 10;
  shape.queryOffset = 4;
  // Rows sit at positions 4, 5, 6 and see 5, 6, 7 keys.
  EXPECT_EQ(shape.visibleKeys(0), 5u);
  EXPECT_EQ(shape.visibleKeys(2), 7u);
  EXPECT_EQ(shape.visiblePairs(), 18u);
  shape.queryOffset = 20;
  EXPECT_EQ(shape.visibleKeys(0), 10u);
  shape.causal = false;
  shape.queryOffset = 0;
  EXPECT_EQ(shape.visibleKeys(0), 10u);
}

TEST(SelectRow, TopKUsesVisibleCount) {
  // The row sees 8 keys; k = ceil(0.25 * 8) = 2, even though a filter left
  // only 3 candidates.
  std::vector<double> scores = {0, 9, 0, 4, 0, 6, 0, 0};
  SelectParams select;
  select.keepRatio = 0.25;
  OpCounts counts;
  EXPECT_EQ(selectRow(select, scores, {1, 3, 5}, 8, counts),
            (std::vector<uint32_t>{1, 5}));
  // With one candidate left, only it is kept.
  EXPECT_EQ(selectRow(select, scores, {3}, 8, counts),
            (std::vector<uint32_t>{3}));
}

TEST(SelectRow, SegmentedTopK) {
  // 10 visible keys in 4 segments of sizes 3, 3, 2, 2 ([0,3) [3,6) [6,8)
  // [8,10)); k = ceil(0.5 * 10) = 5, quotas 2, 1, 1, 1.
  std::vector<double> scores = {1, 5, 3, 9, 8, 7, 0, 2, 6, 4};
  SelectParams select;
  select.keepRatio = 0.5;
  select.segments = 4;
  OpCounts counts;
  // Segment 0 keeps {1, 2}, segment 1 keeps {3}, segment 2 {7}, segment 3
  // {8}. A plain top-5 would be {3, 4, 5, 8, 1}.
  EXPECT_EQ(selectRow(select, scores, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10,
                      counts),
            (std::vector<uint32_t>{1, 2, 3, 7, 8}));
}

TEST(SelectRow, FeasibleRangeClipsBeforeTopK) {
  // max = 9, radius 2.5: only 9 and 7 (key 1 and 3) are within range.
  std::vector<double> scores = {1, 9, 6, 7};
  SelectParams select;
  select.keepRatio = 0.75;
  select.clipRadius = 2.5;
  OpCounts counts;
  EXPECT_EQ(selectRow(select, scores, {0, 1, 2, 3}, 4, counts),
            (std::vector<uint32_t>{1, 3}));
}

TEST(SelectRow, ProbabilityThreshold) {
  // Logits (scale 1) [0, ln 2, ln 7]: weights 1, 2, 7 of 10, so the
  // probabilities are 0.1, 0.2, 0.7. Threshold 0.15 keeps keys 1 and 2;
  // threshold 0.1 keeps all three (0.1 >= 0.1).
  std::vector<double> scores = {0.0, std::log(2.0), std::log(7.0)};
  SelectParams select;
  select.mode = SelectMode::Threshold;
  select.threshold = 0.15;
  OpCounts counts;
  EXPECT_EQ(selectRow(select, scores, {0, 1, 2}, 3, counts),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(counts.exponentials, 3u);
  select.threshold = 0.0999999;
  EXPECT_EQ(selectRow(select, scores, {0, 1, 2}, 3, counts),
            (std::vector<uint32_t>{0, 1, 2}));
  // Scale 2 squares the weights: 1, 4, 49 of 54; 4/54 = 0.074 < 0.1.
  select.threshold = 0.1;
  select.logitScale = 2.0;
  EXPECT_EQ(selectRow(select, scores, {0, 1, 2}, 3, counts),
            (std::vector<uint32_t>{2}));
}

TEST(Selection, ThreeForms) {
  Selection selection = makeSelection(2, 70, {{65, 3}, {}});
  EXPECT_EQ(selection.row(0).vec(), (std::vector<uint32_t>{3, 65}));
  EXPECT_TRUE(selection.row(1).empty());
  EXPECT_TRUE(selection.mask.test(0, 65));
  EXPECT_FALSE(selection.mask.test(1, 65));
  EXPECT_EQ(selection.mask.countRow(0), 2u);
  // Key 65 lives in bit 1 of the second word of row 0.
  EXPECT_EQ(selection.mask.rowWords(0)[1], 2u);
  EXPECT_EQ(selection.neededTokens.count(), 2u);
}

} // namespace
