//===- PeerPredictorTest.cpp - Hand-worked cases of every scheme ----------===//
//
// One small tile per scheme through the common `predict` interface, with the
// scores and selections worked out by hand in the comments, plus the errors
// for invalid configurations and inputs.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Evaluate.h"
#include "lapa/Predict/Predictor.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace lapa::predict;

namespace {

// One query at position 2 (sees keys 0..2) or the given shape.
TileShape oneQuery(unsigned keys, unsigned dim) {
  TileShape shape;
  shape.queryRows = 1;
  shape.keyRows = keys;
  shape.headDim = dim;
  shape.queryOffset = keys - 1;
  return shape;
}

TEST(FactPredictor, SymmetricLogScores) {
  // q = [23, -6, 41, 3]: codes (+,4) (-,2) (+,5) (+,1).
  //   k0 = [12, -30, 25, 7]:  2^7 + 2^6 + 2^9 + 2^3          = 712
  //   k1 = [-40, 8, -15, 2]: -2^9 - 2^5 - 2^8 + 2^2          = -796
  //   k2 = [33, 5, 60, -9]:   2^9 - 2^4 + 2^10 - 2^4          = 1504
  // Top-2 of 3 (keep ratio 0.5): keys 2 and 0.
  PredictorConfig config = PredictorConfig::defaults(Scheme::Fact);
  config.keepRatio = 0.5;
  std::vector<int32_t> query = {23, -6, 41, 3};
  std::vector<int32_t> keys = {12, -30, 25, 7, -40, 8,  -15, 2,
                               33, 5,   60, -9};
  PredictorInput input;
  input.shape = oneQuery(3, 4);
  input.query = query;
  input.keys = keys;
  llvm::Expected<PredictionResult> result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{0, 2}));
  // 3 keys x 4 lanes: one exponent addition (4 bits) and one 1-bit
  // shift-add each; 4 + 12 run-time leading-one detections of INT8 values.
  const OpCounts &round = result->cost.stage("score round 1");
  EXPECT_EQ(round.additions.at(4), 12u);
  EXPECT_EQ(round.shiftAdds.at(1), 12u);
  EXPECT_EQ(result->cost.stage("log coding").leadingOneDetections.at(8), 16u);

  // Keep ratio 1/3: only key 2 (1504).
  config.keepRatio = 1.0 / 3.0;
  result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{2}));
}

TEST(SangerPredictor, ProbabilityThreshold) {
  // 4-bit q = [7, -3]; keys [7, 0], [1, 7], [-7, -7]: scores 49, -14, -28.
  // With logit scale ln(2) / 7 (query step 1, key step sqrt(2) ln(2) / 7,
  // d = 2) the logits are 7 ln 2, -2 ln 2, -4 ln 2: weights 128, 1/4, 1/16,
  // sum 128.3125, probabilities 0.99756, 0.00195, 0.00049.
  PredictorConfig config = PredictorConfig::defaults(Scheme::Sanger);
  std::vector<int32_t> query = {7, -3};
  std::vector<int32_t> keys = {7, 0, 1, 7, -7, -7};
  PredictorInput input;
  input.shape = oneQuery(3, 2);
  input.query = query;
  input.keys = keys;
  input.queryStep = 1.0;
  input.keyStep = std::sqrt(2.0) * std::log(2.0) / 7.0;

  // The default threshold 2e-3 keeps only key 0 (0.00195 < 0.002).
  llvm::Expected<PredictionResult> result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{0}));
  // 3 keys x 2 lanes of 4-bit multiplies; 3 exponentials.
  EXPECT_EQ(result->cost.stage("score round 1").multiplies.at(4), 6u);
  EXPECT_EQ(result->cost.stage("select").exponentials, 3u);

  config.threshold = 1e-3;
  result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{0, 1}));
}

TEST(EnergonPredictor, RisingPrecisionRounds) {
  // 16-bit q = [20000, -9000]. Two bits: floor(q / 2^14) = [1, -1]; four
  // bits: floor(q / 2^12) = [4, -3].
  //   key              2-bit     4-bit     round 1   round 2
  //   [30000, 0]       [1, 0]    [7, 0]    1         28
  //   [-20000, 10000]  [-2, 0]   [-5, 2]   -2        -
  //   [10000, -16384]  [0, -1]   [2, -4]   1         20
  //   [5000, 5000]     [0, 0]    [1, 1]    0         -
  // Round 1 max-mean (alpha 0.5): max 1, mean 0, theta 0.5 (all in units
  // of 2^28), so keys 1 and 3 are dropped. Top-2 of 4 from round 2: {0, 2}.
  PredictorConfig config = PredictorConfig::defaults(Scheme::Energon);
  config.keepRatio = 0.5;
  std::vector<int32_t> query = {20000, -9000};
  std::vector<int32_t> keys = {30000, 0,     -20000, 10000,
                               10000, -16384, 5000,  5000};
  PredictorInput input;
  input.shape = oneQuery(4, 2);
  input.query = query;
  input.keys = keys;
  llvm::Expected<PredictionResult> result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{0, 2}));
  ASSERT_EQ(result->rounds.size(), 2u);
  EXPECT_EQ(result->rounds[0].candidates, 4u);
  EXPECT_EQ(result->rounds[0].survivors, 2u);
  EXPECT_EQ(result->rounds[1].candidates, 2u);
  EXPECT_EQ(result->cost.stage("score round 1").multiplies.at(2), 8u);
  EXPECT_EQ(result->cost.stage("score round 2").multiplies.at(4), 4u);

  // Keep ratio 0.25: the single best key, 0 (28 > 20).
  config.keepRatio = 0.25;
  result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{0}));
}

TEST(SpattenPredictor, CascadeImportance) {
  // Earlier-layer probabilities [[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.1, 0.7]]
  // give the running column sums per row: [1, 0, 0], [1.5, 0.5, 0],
  // [1.7, 0.6, 0.7]. Keep ratio 0.5: k = 1, 1, 2, so rows keep {0}, {0},
  // {0, 2} (0.7 > 0.6).
  std::vector<float> probs = {1, 0, 0, 0.5f, 0.5f, 0, 0.2f, 0.1f, 0.7f};
  std::vector<float> importance(9, 0.0f);
  accumulateImportance(probs, 3, importance);
  EXPECT_FLOAT_EQ(importance[7], 0.6f);

  PredictorConfig config = PredictorConfig::defaults(Scheme::Spatten);
  config.keepRatio = 0.5;
  PredictorInput input;
  input.shape.queryRows = 3;
  input.shape.keyRows = 3;
  input.shape.headDim = 2;
  input.importance = importance;
  // Row 1's maximum probability 0.05 is below requant_threshold 0.1.
  std::vector<float> rowMax = {1.0f, 0.05f, 0.7f};
  input.rowMaxProbability = rowMax;
  llvm::Expected<PredictionResult> result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{0}));
  EXPECT_EQ(result->selection.row(1).vec(), (std::vector<uint32_t>{0}));
  EXPECT_EQ(result->selection.row(2).vec(), (std::vector<uint32_t>{0, 2}));
  // 4 kept keys x 2 lanes x 6 MSBs = 48 bits, plus row 1's refetch of the
  // 6 low bits of its one key: 12.
  EXPECT_EQ(result->cost.stage("progressive fetch").bitsRead, 60u);

  // First layer (no importance yet): every visible key.
  input.importance = {};
  result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(2).vec(), (std::vector<uint32_t>{0, 1, 2}));
}

TEST(OracleAndDense, ExactAndEverything) {
  // Causal 3 x 3 float scores; row 2 = [0.5, 2.0, 2.0]: top-2 is {1, 2},
  // top-1 breaks the tie to key 1.
  std::vector<float> scores = {1, 0, 0, 3, 2, 0, 0.5f, 2, 2};
  PredictorConfig oracle = PredictorConfig::defaults(Scheme::Oracle);
  oracle.keepRatio = 0.5;
  PredictorInput input;
  input.shape.queryRows = 3;
  input.shape.keyRows = 3;
  input.shape.headDim = 1;
  input.scores = scores;
  llvm::Expected<PredictionResult> result = predict(oracle, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(1).vec(), (std::vector<uint32_t>{0}));
  EXPECT_EQ(result->selection.row(2).vec(), (std::vector<uint32_t>{1, 2}));
  oracle.keepRatio = 0.3;
  result = predict(oracle, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(2).vec(), (std::vector<uint32_t>{1}));

  PredictorConfig dense = PredictorConfig::defaults(Scheme::Dense);
  result = predict(dense, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.selectedCount(), 6u); // 1 + 2 + 3
  EXPECT_TRUE(result->cost.total().bitsWritten > 0);
}

TEST(LapaPredictor, QueryCodedAtRunTime) {
  // The worked example through `predict`: keys 2 and 4, and 4 leading-one
  // detections of 16-bit query values.
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.keepRatio = 1.0 / 3.0;
  std::vector<int32_t> query = {23, -6, 41, 3};
  std::vector<int32_t> keys = {12, -30, 25, 7,  -40, 8,  -15, 2,
                               33, 5,   60, -9, 2,   1,  -3,  4,
                               18, -44, 30, -6, -7,  22, -50, 11};
  PredictorInput input;
  input.shape = oneQuery(6, 4);
  input.query = query;
  input.keys = keys;
  llvm::Expected<PredictionResult> result = predict(config, input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->selection.row(0).vec(), (std::vector<uint32_t>{2, 4}));
  EXPECT_EQ(
      result->cost.stage("query log coding").leadingOneDetections.at(16),
      4u);
  ASSERT_EQ(result->rounds.size(), 2u);
  EXPECT_EQ(result->rounds[1].candidates, 3u);
}

TEST(MeasureSelection, RecallMassAndNeeded) {
  // Two causal rows. Row 0 sees key 0 only; row 1 scores [1, 3] with
  // probabilities [0.25, 0.75]. Keep ratio 0.5 gives k = 1 in both rows:
  // the exact top-1 is {0} and {1}. The selection {0}, {0} recalls 1 of 2
  // (recall 0.5), covers mass (1 + 0.25) / 2 = 0.625, keeps 2 of 3 visible
  // keys and needs 1 of 2 tokens.
  std::vector<float> scores = {5, 0, 1, 3};
  std::vector<float> probs = {1, 0, 0.25f, 0.75f};
  TileShape shape;
  shape.queryRows = 2;
  shape.keyRows = 2;
  shape.headDim = 1;
  Selection selection = makeSelection(2, 2, {{0}, {0}});
  SelectionQuality quality =
      measureSelection(selection, scores, probs, shape, 0.5);
  EXPECT_EQ(quality.exactKeys, 2u);
  EXPECT_EQ(quality.recalledKeys, 1u);
  EXPECT_DOUBLE_EQ(quality.recall(), 0.5);
  EXPECT_DOUBLE_EQ(quality.meanMass(), 0.625);
  EXPECT_DOUBLE_EQ(quality.selectedFraction(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(quality.neededFraction(), 0.5);

  // Without a keep ratio (threshold mode) k is the selected count: row 1
  // keeps 2 keys, so its exact top-2 is {0, 1} and both are recalled.
  Selection wide = makeSelection(2, 2, {{0}, {0, 1}});
  SelectionQuality all =
      measureSelection(wide, scores, probs, shape, std::nullopt);
  EXPECT_EQ(all.exactKeys, 3u);
  EXPECT_EQ(all.recalledKeys, 3u);
}

TEST(PredictErrors, InvalidConfiguration) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.keepRatio = 0.0;
  PredictorInput input;
  input.shape = oneQuery(1, 1);
  llvm::Expected<PredictionResult> result = predict(config, input);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError())
                .find("invalid predictor configuration: parameter "
                      "'keep_ratio' is 0"),
            std::string::npos);
}

TEST(PredictErrors, OperandSizeAndRange) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  std::vector<int32_t> query = {1, 40000};
  std::vector<int32_t> keys = {1, 1};
  PredictorInput input;
  input.shape = oneQuery(1, 2);
  input.query = query;
  input.keys = llvm::ArrayRef<int32_t>(keys).take_front(1);
  llvm::Expected<PredictionResult> result = predict(config, input);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError())
                .find("keys has 1 elements but the tile needs 2"),
            std::string::npos);

  input.keys = keys;
  result = predict(config, input);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError())
                .find("query element 1 is 40000, outside the symmetric range "
                      "[-32767, 32767] of query_bits = 16"),
            std::string::npos);

  input.shape.headDim = 0;
  result = predict(config, input);
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("is empty"),
            std::string::npos);
}

} // namespace
