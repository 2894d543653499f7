//===- PredictorConfigTest.cpp - Defaults and checks of predictor parameters //
//
// Covers the scheme defaults named by the algorithm reference and one case
// per validity rule, with the boundary values that must still pass.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/PredictorConfig.h"

#include <gtest/gtest.h>

using namespace lapa::predict;

namespace {

TEST(PredictorConfig, LapaDefaultsMatchReference) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  EXPECT_EQ(config.keyLogCoded, LogCodedOperand::Weight);
  EXPECT_EQ(config.querySource, QuerySource::Formal);
  EXPECT_EQ(config.activationBits, 8u);
  EXPECT_EQ(config.queryBits, 16u);
  EXPECT_EQ(config.keyBits, 8u);
  EXPECT_EQ(config.rounds, 2u);
  EXPECT_EQ(config.sliceWidths, (std::vector<unsigned>{4, 4}));
  EXPECT_EQ(config.filter, FilterRule::SafeBound);
  EXPECT_EQ(config.select, SelectMode::TopK);
  EXPECT_EQ(config.validate(), "");
}

TEST(PredictorConfig, EverySchemeDefaultIsValid) {
  for (Scheme scheme :
       {Scheme::Lapa, Scheme::Sofa, Scheme::Fact, Scheme::Sanger,
        Scheme::Energon, Scheme::Spatten, Scheme::Oracle, Scheme::Dense}) {
    PredictorConfig config = PredictorConfig::defaults(scheme);
    EXPECT_EQ(config.validate(), "") << schemeName(scheme);
  }
}

TEST(PredictorConfig, SangerDefaultsToProbabilityThreshold) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Sanger);
  EXPECT_EQ(config.select, SelectMode::Threshold);
  ASSERT_TRUE(config.threshold.has_value());
  EXPECT_DOUBLE_EQ(*config.threshold, 2e-3);
  EXPECT_EQ(config.scoreBits, 4u);
}

TEST(PredictorConfig, KeepRatioBounds) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.keepRatio = 1.0;
  EXPECT_EQ(config.validate(), "");
  config.keepRatio = 1e-6;
  EXPECT_EQ(config.validate(), "");
  config.keepRatio = 0.0;
  EXPECT_NE(config.validate().find("'keep_ratio' is 0, outside (0, 1]"),
            std::string::npos)
      << config.validate();
  config.keepRatio = 1.5;
  EXPECT_NE(config.validate().find("1.5"), std::string::npos);
}

TEST(PredictorConfig, RoundsAndSlicesMustAgree) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.rounds = 0;
  EXPECT_NE(config.validate().find("'rounds' is 0"), std::string::npos);

  config = PredictorConfig::defaults(Scheme::Lapa);
  config.sliceWidths = {4, 3};
  EXPECT_NE(config.validate().find("sums to 7 bits but key_bits = 8"),
            std::string::npos)
      << config.validate();

  config = PredictorConfig::defaults(Scheme::Lapa);
  config.rounds = 3;
  EXPECT_NE(config.validate().find("has 2 entries but rounds = 3"),
            std::string::npos);

  config.sliceWidths = {2, 3, 3};
  config.accumulatorBits = {24, 26, 30};
  EXPECT_EQ(config.validate(), "");
}

TEST(PredictorConfig, ThresholdModeNeedsItsConstant) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.select = SelectMode::Threshold;
  EXPECT_NE(config.validate().find("needs the parameter 'threshold'"),
            std::string::npos);
  config.threshold = 0.01;
  EXPECT_EQ(config.validate(), "");
  config.threshold = 1.0;
  EXPECT_NE(config.validate().find("outside (0, 1)"), std::string::npos);
}

TEST(PredictorConfig, FilterNeedsTwoRounds) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.rounds = 1;
  config.sliceWidths = {8};
  config.accumulatorBits = {30};
  EXPECT_NE(config.validate().find("rounds = 1"), std::string::npos);
  config.filter = FilterRule::None;
  EXPECT_EQ(config.validate(), "");
}

TEST(PredictorConfig, MaxMeanAlphaRange) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.filter = FilterRule::MaxMean;
  config.filterAlpha = 0.0;
  EXPECT_EQ(config.validate(), "");
  config.filterAlpha = 1.0;
  EXPECT_EQ(config.validate(), "");
  config.filterAlpha = 1.25;
  EXPECT_NE(config.validate().find("'filter_alpha' is 1.25"),
            std::string::npos);
}

TEST(PredictorConfig, EnergonRoundBitsRise) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Energon);
  config.roundBits = {4, 2};
  EXPECT_NE(config.validate().find("must rise strictly"), std::string::npos);
  config.roundBits = {2, 4, 16};
  EXPECT_EQ(config.validate(), "");
  config.roundBits = {2, 17};
  EXPECT_NE(config.validate().find("query_bits = 16"), std::string::npos);
}

TEST(PredictorConfig, KeptKeysRounding) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.keepRatio = 0.1;
  // 0.1 * 40 is 4.000000000000001 in binary floating point.
  EXPECT_EQ(config.keptKeys(40), 4u);
  EXPECT_EQ(config.keptKeys(41), 5u);
  EXPECT_EQ(config.keptKeys(1), 1u);
  EXPECT_EQ(config.keptKeys(0), 0u);
  config.keepRatio = 0.25;
  EXPECT_EQ(config.keptKeys(128), 32u);
  EXPECT_EQ(config.keptKeys(7), 2u);
  config.keepRatio = 1.0;
  EXPECT_EQ(config.keptKeys(197), 197u);
}

TEST(PredictorConfig, SchemeNamesRoundTrip) {
  for (std::string_view name :
       {"lapa", "sofa", "fact", "sanger", "energon", "spatten", "oracle",
        "dense"}) {
    std::optional<Scheme> scheme = parseScheme(name);
    ASSERT_TRUE(scheme.has_value()) << name;
    EXPECT_EQ(schemeName(*scheme), name);
  }
  EXPECT_FALSE(parseScheme("lapa2").has_value());
}

TEST(PredictorConfig, ParameterTable) {
  EXPECT_TRUE(schemeUsesParameter(Scheme::Lapa, "rounds"));
  EXPECT_FALSE(schemeUsesParameter(Scheme::Oracle, "rounds"));
  EXPECT_TRUE(schemeUsesParameter(Scheme::Sanger, "score_bits"));
  EXPECT_TRUE(schemeParameters(Scheme::Dense).empty());
  EXPECT_EQ(allParameterNames().size(), 21u);
}

} // namespace
