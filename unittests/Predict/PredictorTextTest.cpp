//===- PredictorTextTest.cpp - Text form of predictor configurations -----===//
//
// Covers printPredictorConfig and parsePredictorConfig: the exact text of
// the LAPA defaults, exact round trips of every scheme and of awkward
// doubles, and one case per parse error.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/PredictorConfig.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using namespace lapa::predict;

namespace {

std::string parseError(llvm::StringRef text) {
  llvm::Expected<PredictorConfig> config = parsePredictorConfig(text);
  if (config)
    return "";
  return llvm::toString(config.takeError());
}

TEST(PredictorText, LapaDefaultsPrintEveryReadParameter) {
  // The LAPA defaults of PredictorConfig.h, written out by hand. The
  // threshold is unset, so it is absent.
  EXPECT_EQ(printPredictorConfig(PredictorConfig::defaults(Scheme::Lapa)),
            "lapa key_log_coded=weight query_source=formal activation_bits=8 "
            "weight_bits=8 query_bits=16 key_bits=8 key_accumulator_bits=32 "
            "rounds=2 slices=4,4 accumulator_bits=26,30 filter=safe "
            "filter_alpha=0.5 filter_radius=0 select=topk keep_ratio=0.25");
}

TEST(PredictorText, DenseDefaultsPrintSchemeOnly) {
  EXPECT_EQ(printPredictorConfig(PredictorConfig::defaults(Scheme::Dense)),
            "dense");
}

TEST(PredictorText, EverySchemeRoundTrips) {
  for (Scheme scheme :
       {Scheme::Lapa, Scheme::Sofa, Scheme::Fact, Scheme::Sanger,
        Scheme::Energon, Scheme::Spatten, Scheme::Oracle, Scheme::Dense}) {
    PredictorConfig config = PredictorConfig::defaults(scheme);
    std::string text = printPredictorConfig(config);
    llvm::Expected<PredictorConfig> parsed = parsePredictorConfig(text);
    ASSERT_TRUE(bool(parsed)) << text << ": "
                              << llvm::toString(parsed.takeError());
    EXPECT_TRUE(*parsed == config) << text;
  }
}

TEST(PredictorText, DoublesRoundTripExactly) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  // 0.1 + 0.2 is not 0.3 in binary64, and 17 significant digits are needed.
  config.keepRatio = 0.1 + 0.2;
  config.filter = FilterRule::Radius;
  config.filterRadius = 1.0 / 3.0;
  std::string text = printPredictorConfig(config);
  EXPECT_NE(text.find("keep_ratio=0.30000000000000004"), std::string::npos)
      << text;
  llvm::Expected<PredictorConfig> parsed = parsePredictorConfig(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->keepRatio, 0.1 + 0.2);
  EXPECT_EQ(parsed->filterRadius, 1.0 / 3.0);
}

TEST(PredictorText, UnreadParameterPrintedWhenChanged) {
  // Lapa does not read segments, but a changed value must still survive.
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.segments = 9;
  std::string text = printPredictorConfig(config);
  EXPECT_NE(text.find(" segments=9"), std::string::npos) << text;
  llvm::Expected<PredictorConfig> parsed = parsePredictorConfig(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->segments, 9u);
}

TEST(PredictorText, ThresholdRoundTrips) {
  PredictorConfig config = PredictorConfig::defaults(Scheme::Sanger);
  std::string text = printPredictorConfig(config);
  EXPECT_NE(text.find("threshold=0.002"), std::string::npos) << text;
  llvm::Expected<PredictorConfig> parsed = parsePredictorConfig(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  ASSERT_TRUE(parsed->threshold.has_value());
  EXPECT_EQ(*parsed->threshold, 2e-3);
}

TEST(PredictorText, ParsesOverridesOnDefaults) {
  llvm::Expected<PredictorConfig> parsed =
      parsePredictorConfig("lapa keep_ratio=0.125 rounds=3 slices=2,3,3 "
                           "accumulator_bits=20,24,28");
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->keepRatio, 0.125);
  EXPECT_EQ(parsed->rounds, 3u);
  EXPECT_EQ(parsed->sliceWidths, (std::vector<unsigned>{2, 3, 3}));
  EXPECT_EQ(parsed->accumulatorBits, (std::vector<unsigned>{20, 24, 28}));
  // Untouched parameters keep the LAPA defaults.
  EXPECT_EQ(parsed->queryBits, 16u);
}

TEST(PredictorText, PrinterCoversEveryParameterName) {
  // Set a value in every member so that each parameter is printed, then
  // check that every name of allParameterNames() appears.
  PredictorConfig config = PredictorConfig::defaults(Scheme::Lapa);
  config.select = SelectMode::Threshold;
  config.threshold = 0.01;
  config.scoreBits = 5;
  config.roundBits = {3, 6};
  config.segments = 2;
  config.msbBits = 4;
  config.requantThreshold = 0.2;
  std::string text = printPredictorConfig(config);
  for (std::string_view name : allParameterNames())
    EXPECT_NE(text.find(" " + std::string(name) + "="), std::string::npos)
        << name << " missing from: " << text;
}

TEST(PredictorText, RejectsUnknownParameter) {
  std::string message = parseError("lapa keep_ratio=0.25 speed=9");
  EXPECT_NE(message.find("unknown predictor parameter 'speed'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("keep_ratio"), std::string::npos) << message;
  EXPECT_NE(message.find("requant_threshold"), std::string::npos) << message;
}

TEST(PredictorText, RejectsUnknownScheme) {
  std::string message = parseError("lapas keep_ratio=0.25");
  EXPECT_NE(message.find("unknown scheme 'lapas'"), std::string::npos)
      << message;
}

TEST(PredictorText, RejectsEmptyRecord) {
  EXPECT_NE(parseError("   ").find("empty"), std::string::npos);
}

TEST(PredictorText, RejectsRepeatedParameter) {
  std::string message = parseError("lapa rounds=2 rounds=2");
  EXPECT_NE(message.find("'rounds' appears twice"), std::string::npos)
      << message;
}

TEST(PredictorText, RejectsMalformedValues) {
  EXPECT_NE(parseError("lapa rounds=two").find("'rounds' has the invalid "
                                               "value 'two'"),
            std::string::npos);
  EXPECT_NE(parseError("lapa rounds=+2").find("invalid value"),
            std::string::npos);
  EXPECT_NE(parseError("lapa slices=4,,4").find("invalid value"),
            std::string::npos);
  EXPECT_NE(parseError("lapa keep_ratio=0.25x").find("invalid value"),
            std::string::npos);
  EXPECT_NE(parseError("lapa filter=fast").find("one of none, safe"),
            std::string::npos);
  EXPECT_NE(parseError("lapa rounds").find("not of the form name=value"),
            std::string::npos);
}

TEST(PredictorText, RejectsInvalidConfiguration) {
  // Three slices for two rounds fails validate(), whose message is kept.
  std::string message = parseError("lapa slices=2,3,3");
  EXPECT_NE(message.find("invalid predictor record"), std::string::npos)
      << message;
  EXPECT_NE(message.find("'slices'"), std::string::npos) << message;
}

} // namespace
