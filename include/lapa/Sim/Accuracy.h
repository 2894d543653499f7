//===- Accuracy.h - Comparing simulator outputs with a reference -*- C++ -*-===//
//
// Error metrics of an output tensor against a reference tensor (max and
// mean absolute error, cosine similarity), and for language models the
// cross-entropy of the logits on the next tokens and the top-1 agreement
// with reference logits. All metrics are computed in binary64.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SIM_ACCURACY_H
#define LAPA_SIM_ACCURACY_H

#include "lapa/Support/Safetensors.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lapa::sim {

struct TensorComparison {
  std::string output;
  std::string reference;
  uint64_t elements = 0;
  double maxAbsError = 0;
  double meanAbsError = 0;
  /// Cosine similarity; 1 when both tensors are all zeros.
  double cosine = 0;
};

/// Compares two f32 tensors of the same element count.
llvm::Expected<TensorComparison>
compareTensors(llvm::StringRef outputName, llvm::ArrayRef<float> output,
               llvm::StringRef referenceName, llvm::ArrayRef<float> reference);

struct LanguageModelScore {
  /// Positions scored: every position but the last.
  uint64_t positions = 0;
  /// Mean of -ln p(token[t + 1] | logits[t]) in nats.
  double crossEntropy = 0;
  double perplexity = 0;
  /// Positions whose arg-max equals the reference logits' arg-max (ties to
  /// the lower index), when reference logits are given.
  std::optional<uint64_t> top1Agreement;
};

/// Scores [T x V] logits against T token ids. Errors: shapes that do not
/// match, or a token id outside [0, V).
llvm::Expected<LanguageModelScore>
scoreLanguageModel(llvm::ArrayRef<float> logits, uint64_t positions,
                   uint64_t vocabulary, llvm::ArrayRef<int32_t> tokens,
                   llvm::ArrayRef<float> referenceLogits = {});

/// Returns an f32 view of a tensor's bytes, or an error naming the dtype.
llvm::Expected<std::vector<float>> tensorAsFloats(const support::TensorData
                                                      &tensor);

llvm::json::Value toJSON(const TensorComparison &comparison);
llvm::json::Value toJSON(const LanguageModelScore &score);

} // namespace lapa::sim

#endif // LAPA_SIM_ACCURACY_H
