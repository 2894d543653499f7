//===- TinyllamaTest.cpp - Predictors on the tinyllama-kjv activations ----===//
//
// Runs the evaluation on the real reference activations of the repository's
// tinyllama-kjv model: the oracle must reach recall 1.0 on every window,
// layer and head, and its probability mass must equal the mass of the k
// largest reference probabilities (softmax preserves the order of the
// scores); dense must cover all the mass. It also checks the projection
// path: RMSNorm of the previous hidden state, the W_K slice and RoPE give
// back the reference K.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Evaluate.h"
#include "lapa/Support/Safetensors.h"

#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace lapa::predict;
using lapa::support::SafetensorsFile;

namespace {

constexpr unsigned kLength = 128;
constexpr unsigned kHeads = 4;
constexpr unsigned kDim = 32;
constexpr unsigned kHidden = 128;

class Tinyllama : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    llvm::Expected<SafetensorsFile> file = SafetensorsFile::open(
        LAPA_SOURCE_DIR "/examples/tinyllama-kjv/reference.safetensors");
    if (!file) {
      loadError = llvm::toString(file.takeError());
      return;
    }
    reference = std::make_unique<SafetensorsFile>(std::move(*file));
    llvm::Expected<SafetensorsFile> weights = SafetensorsFile::open(
        LAPA_SOURCE_DIR "/examples/tinyllama-kjv/model.safetensors");
    if (!weights) {
      loadError = llvm::toString(weights.takeError());
      return;
    }
    model = std::make_unique<SafetensorsFile>(std::move(*weights));
  }
  static void TearDownTestSuite() {
    reference.reset();
    model.reset();
  }

  std::vector<float> read(const SafetensorsFile &file, const std::string &name,
                          std::vector<uint64_t> shape) {
    llvm::Expected<std::vector<float>> values = file.readF32(name, shape);
    if (!values) {
      ADD_FAILURE() << llvm::toString(values.takeError());
      return {};
    }
    return std::move(*values);
  }

  static std::unique_ptr<SafetensorsFile> reference;
  static std::unique_ptr<SafetensorsFile> model;
  static std::string loadError;
};

std::unique_ptr<SafetensorsFile> Tinyllama::reference;
std::unique_ptr<SafetensorsFile> Tinyllama::model;
std::string Tinyllama::loadError;

TEST_F(Tinyllama, OracleRecallIsOne) {
  ASSERT_TRUE(loadError.empty()) << loadError;
  for (double keepRatio : {0.1, 0.25, 0.5}) {
    PredictorConfig config = PredictorConfig::defaults(Scheme::Oracle);
    config.keepRatio = keepRatio;
    SelectionQuality total;
    double largestMassGap = 0.0;
    for (unsigned w = 0; w < 4; ++w)
      for (unsigned l = 0; l < 4; ++l) {
        std::string prefix = llvm::formatv("w{0}.layer{1}.", w, l).str();
        std::vector<float> q = read(*reference, prefix + "q", {4, 128, 32});
        std::vector<float> k = read(*reference, prefix + "k", {4, 128, 32});
        std::vector<float> p =
            read(*reference, prefix + "probs", {4, 128, 128});
        ASSERT_FALSE(q.empty() || k.empty() || p.empty());
        for (unsigned h = 0; h < kHeads; ++h) {
          HeadData head;
          head.sequenceLength = kLength;
          head.headDim = kDim;
          head.query = llvm::ArrayRef<float>(q).slice(h * kLength * kDim,
                                                      kLength * kDim);
          head.key = llvm::ArrayRef<float>(k).slice(h * kLength * kDim,
                                                    kLength * kDim);
          head.probs = llvm::ArrayRef<float>(p).slice(h * kLength * kLength,
                                                      kLength * kLength);
          llvm::Expected<HeadEvaluation> evaluation =
              evaluateHead(config, InputMode::Reference, head);
          ASSERT_TRUE(bool(evaluation))
              << llvm::toString(evaluation.takeError());
          total.accumulate(evaluation->quality);

          // Independent mass: the k largest reference probabilities of each
          // row, summed and averaged over rows.
          double expectedMass = 0.0;
          for (unsigned t = 0; t < kLength; ++t) {
            std::vector<float> row(head.probs.begin() + t * kLength,
                                   head.probs.begin() + t * kLength + t + 1);
            std::sort(row.begin(), row.end(), std::greater<float>());
            unsigned k = keepCount(keepRatio, t + 1);
            for (unsigned i = 0; i < k; ++i)
              expectedMass += row[i];
          }
          expectedMass /= kLength;
          largestMassGap =
              std::max(largestMassGap,
                       std::fabs(expectedMass -
                                 evaluation->quality.meanMass()));
        }
      }
    EXPECT_EQ(total.recalledKeys, total.exactKeys) << keepRatio;
    EXPECT_EQ(total.recall(), 1.0) << keepRatio;
    EXPECT_EQ(total.rows, 4u * 4 * kHeads * kLength);
    EXPECT_LT(largestMassGap, 1e-4) << keepRatio;
  }
}

TEST_F(Tinyllama, DenseCoversAllMass) {
  ASSERT_TRUE(loadError.empty()) << loadError;
  PredictorConfig config = PredictorConfig::defaults(Scheme::Dense);
  std::vector<float> q = read(*reference, "w1.layer2.q", {4, 128, 32});
  std::vector<float> k = read(*reference, "w1.layer2.k", {4, 128, 32});
  std::vector<float> p = read(*reference, "w1.layer2.probs", {4, 128, 128});
  HeadData head;
  head.sequenceLength = kLength;
  head.headDim = kDim;
  head.query = llvm::ArrayRef<float>(q).take_front(kLength * kDim);
  head.key = llvm::ArrayRef<float>(k).take_front(kLength * kDim);
  head.probs = llvm::ArrayRef<float>(p).take_front(kLength * kLength);
  llvm::Expected<HeadEvaluation> evaluation =
      evaluateHead(config, InputMode::Reference, head);
  ASSERT_TRUE(bool(evaluation)) << llvm::toString(evaluation.takeError());
  EXPECT_EQ(evaluation->quality.recall(), 1.0);
  EXPECT_NEAR(evaluation->quality.meanMass(), 1.0, 1e-5);
  EXPECT_EQ(evaluation->quality.neededFraction(), 1.0);
  // Causal: 1 + 2 + ... + 128 visible pairs.
  EXPECT_EQ(evaluation->quality.selectedKeys, 128u * 129 / 2);
}

TEST_F(Tinyllama, ProjectionReproducesReferenceKeys) {
  ASSERT_TRUE(loadError.empty()) << loadError;
  llvm::Expected<std::vector<int32_t>> tokens =
      reference->readI32("w0.tokens", {128});
  ASSERT_TRUE(bool(tokens)) << llvm::toString(tokens.takeError());
  std::vector<float> embeddings =
      read(*model, "tok_embeddings.weight", {63, 128});

  for (unsigned layer : {0u, 2u}) {
    std::vector<float> residual(kLength * kHidden);
    if (layer == 0) {
      for (unsigned t = 0; t < kLength; ++t)
        std::copy_n(embeddings.begin() + (*tokens)[t] * kHidden, kHidden,
                    residual.begin() + t * kHidden);
    } else {
      residual = read(*reference, llvm::formatv("w0.layer{0}.h", layer - 1),
                      {128, 128});
    }
    std::vector<float> gain = read(
        *model, llvm::formatv("layers.{0}.attention_norm.weight", layer),
        {128});
    std::vector<float> wk = read(
        *model, llvm::formatv("layers.{0}.attention.wk.weight", layer),
        {128, 128});
    std::vector<float> referenceK =
        read(*reference, llvm::formatv("w0.layer{0}.k", layer), {4, 128, 32});
    std::vector<float> x = rmsNorm(residual, kLength, kHidden, gain, 1e-5);

    for (unsigned h = 0; h < kHeads; ++h) {
      std::vector<float> slice = headWeightSlice(wk, kHidden, h, kDim);
      std::vector<float> k = matmul(x, slice, kLength, kHidden, kDim);
      applyRope(k, kLength, kDim, 10000.0);
      double largest = 0.0;
      for (unsigned e = 0; e < kLength * kDim; ++e)
        largest = std::max(largest,
                           std::fabs(double(k[e]) -
                                     referenceK[h * kLength * kDim + e]));
      // The model card's float64 reimplementation matched K within 7.4e-6.
      EXPECT_LT(largest, 1e-4) << "layer " << layer << ", head " << h;
    }
  }
}

} // namespace
