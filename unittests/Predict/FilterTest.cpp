//===- FilterTest.cpp - DDF rules and the safe-bound property -------------===//
//
// Hand-worked cases of the radius and max-mean rules, and a property test
// over many random tiles: the safe bound rule never drops a key that the
// unfiltered (full-precision) prediction selects. In top-k mode the two
// selections must be equal; in threshold mode the filtered one must contain
// the unfiltered one.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Filter.h"
#include "lapa/Predict/Mrsa.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using namespace lapa::predict;

namespace {

TEST(Filter, RadiusRule) {
  // theta = max - radius = 100 - 30 = 70; with dmax = 5, keep P >= 65.
  std::vector<int64_t> partial = {100, 64, 65, 90, -10};
  FilterParams radius;
  radius.rule = FilterRule::Radius;
  radius.radius = 30;
  OpCounts counts;
  std::vector<uint32_t> kept = filterRow(radius, SelectParams(), partial,
                                         {0, 1, 2, 3, 4}, 5, -5, 5, 20, counts);
  EXPECT_EQ(kept, (std::vector<uint32_t>{0, 2, 3}));
  // n - 1 comparisons for the maximum plus n for the test.
  EXPECT_EQ(counts.comparisons, 9u);
}

TEST(Filter, MaxMeanAlphaOneIsTheMaximum) {
  // alpha = 1: theta = max = 100; with dmax = 10 only P >= 90 survive.
  std::vector<int64_t> partial = {100, 89, 90, 0};
  FilterParams maxMean;
  maxMean.rule = FilterRule::MaxMean;
  maxMean.alpha = 1.0;
  OpCounts counts;
  EXPECT_EQ(filterRow(maxMean, SelectParams(), partial, {0, 1, 2, 3}, 4, -10,
                      10, 20, counts),
            (std::vector<uint32_t>{0, 2}));
  // alpha = 0: theta = mean = 69.75; P + 10 >= 69.75 keeps 0, 1, 2.
  maxMean.alpha = 0.0;
  EXPECT_EQ(filterRow(maxMean, SelectParams(), partial, {0, 1, 2, 3}, 4, -10,
                      10, 20, counts),
            (std::vector<uint32_t>{0, 1, 2}));
}

TEST(Filter, SafeKeepsAllWhenFewerThanK) {
  // k = ceil(0.5 * 4) = 2 but only 2 candidates remain: both survive.
  SelectParams select;
  select.keepRatio = 0.5;
  FilterParams safe;
  std::vector<int64_t> partial = {0, -1000, 5, 0};
  OpCounts counts;
  EXPECT_EQ(filterRow(safe, select, partial, {1, 3}, 4, 0, 0, 20, counts),
            (std::vector<uint32_t>{1, 3}));
}

TEST(Filter, SafeKeepsTiesAtTheThreshold) {
  // k = 1; lower bounds [10, 10, 9] (dmin = 0), theta = 10; with dmax = 0 a
  // key whose upper bound equals theta (key 1) must survive, because it
  // could still tie the leader.
  SelectParams select;
  select.keepRatio = 1.0 / 3.0;
  FilterParams safe;
  std::vector<int64_t> partial = {10, 10, 9};
  OpCounts counts;
  EXPECT_EQ(filterRow(safe, select, partial, {0, 1, 2}, 3, 0, 0, 20, counts),
            (std::vector<uint32_t>{0, 1}));
}

struct RandomTile {
  TileShape shape;
  std::vector<LogCode> query;
  std::vector<int32_t> keys;
  MrsaParams params;
  SelectParams select;
};

// Builds a random tile. Small value ranges make ties and equal bounds
// common, which is where an off-by-one in the rule would show.
RandomTile makeRandomTile(std::mt19937 &rng) {
  auto uniform = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(rng);
  };
  RandomTile tile;
  tile.shape.queryRows = uniform(1, 12);
  tile.shape.keyRows = uniform(1, 24);
  tile.shape.headDim = uniform(1, 12);
  tile.shape.causal = uniform(0, 1) == 1;
  tile.shape.queryOffset = tile.shape.causal ? uniform(0, 16) : 0;

  // Key width 6..10 split into 2 or 3 slices of at least 1 bit.
  unsigned keyBits = uniform(6, 10);
  unsigned rounds = uniform(2, 3);
  std::vector<unsigned> widths(rounds, 1);
  for (unsigned extra = keyBits - rounds; extra > 0; --extra)
    widths[uniform(0, rounds - 1)] += 1;
  tile.params.keyBits = keyBits;
  tile.params.sliceWidths = widths;
  tile.params.accumulatorBits.assign(rounds, 40);
  tile.params.queryBits = 8;

  bool narrow = uniform(0, 1) == 1;
  int keyLimit = narrow ? 3 : (1 << (keyBits - 1)) - 1;
  int queryLimit = narrow ? 4 : 127;
  for (unsigned e = 0; e < tile.shape.queryRows * tile.shape.headDim; ++e)
    tile.query.push_back(makeLogCode(uniform(-queryLimit, queryLimit)));
  for (unsigned e = 0; e < tile.shape.keyRows * tile.shape.headDim; ++e)
    tile.keys.push_back(uniform(-keyLimit - 1, keyLimit));

  static const double kRatios[] = {0.05, 0.1, 0.25, 1.0 / 3.0, 0.5, 0.9, 1.0};
  tile.select.keepRatio = kRatios[uniform(0, 6)];
  return tile;
}

TEST(SafeBoundProperty, TopKEqualsUnfilteredSelection) {
  std::mt19937 rng(20260);
  FilterParams safe;
  FilterParams none;
  none.rule = FilterRule::None;
  uint64_t dropped = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    RandomTile tile = makeRandomTile(rng);
    llvm::Expected<ScorePrediction> filtered = predictScoresMrsa(
        tile.query, tile.keys, tile.shape, tile.params, safe, tile.select);
    llvm::Expected<ScorePrediction> full = predictScoresMrsa(
        tile.query, tile.keys, tile.shape, tile.params, none, tile.select);
    ASSERT_TRUE(bool(filtered)) << llvm::toString(filtered.takeError());
    ASSERT_TRUE(bool(full)) << llvm::toString(full.takeError());
    ASSERT_EQ(filtered->selection.keyIndices, full->selection.keyIndices)
        << "trial " << trial;
    ASSERT_EQ(filtered->selection.rowOffsets, full->selection.rowOffsets)
        << "trial " << trial;
    dropped += filtered->rounds[0].candidates - filtered->rounds[0].survivors;
  }
  // The property must not hold vacuously: the filter did drop keys.
  EXPECT_GT(dropped, 1000u);
}

TEST(SafeBoundProperty, ThresholdKeepsEveryUnfilteredKey) {
  std::mt19937 rng(7);
  FilterParams safe;
  FilterParams none;
  none.rule = FilterRule::None;
  uint64_t dropped = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    RandomTile tile = makeRandomTile(rng);
    tile.select.mode = SelectMode::Threshold;
    tile.select.threshold = trial % 2 ? 0.01 : 0.2;
    tile.select.logitScale = trial % 3 ? 0.01 : 0.001;
    llvm::Expected<ScorePrediction> filtered = predictScoresMrsa(
        tile.query, tile.keys, tile.shape, tile.params, safe, tile.select);
    llvm::Expected<ScorePrediction> full = predictScoresMrsa(
        tile.query, tile.keys, tile.shape, tile.params, none, tile.select);
    ASSERT_TRUE(bool(filtered)) << llvm::toString(filtered.takeError());
    ASSERT_TRUE(bool(full)) << llvm::toString(full.takeError());
    for (unsigned i = 0; i < tile.shape.queryRows; ++i) {
      llvm::ArrayRef<uint32_t> kept = filtered->selection.row(i);
      for (uint32_t key : full->selection.row(i))
        ASSERT_TRUE(std::binary_search(kept.begin(), kept.end(), key))
            << "trial " << trial << ", row " << i << ", key " << key;
    }
    dropped += filtered->rounds[0].candidates - filtered->rounds[0].survivors;
  }
  EXPECT_GT(dropped, 1000u);
}

} // namespace
