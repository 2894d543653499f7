//===- PredictorConfig.h - Parameters of every attention predictor --------===//
//
// The configuration of one attention predictor: the scheme (LAPA or one of
// the peer designs) and every parameter that the algorithm reference leaves
// open. The MLIR attribute `#lapa.predictor`, the prediction library, the
// hardware model and the command-line tools all read this one struct, so the
// defaults and the validity rules have a single home.
//
// Defaults follow the LAPA algorithm reference: W_K log-coded offline, formal
// 16-bit Q log-coded at run time, K-hat requantized to INT8 and split into two
// 4-bit slices (R = 2 rounds), the safe-bound filter between rounds, and
// top-k selection.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_PREDICT_PREDICTORCONFIG_H
#define LAPA_PREDICT_PREDICTORCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lapa::predict {

/// The prediction scheme: LAPA itself, a peer design, or a reference.
enum class Scheme : uint32_t {
  Lapa = 0,    ///< ALOC + MRSA + DDF + top-k.
  Sofa = 1,    ///< One-operand log product (DLZS), one round, segmented top-k.
  Fact = 2,    ///< Symmetric log product of both operands, top-k.
  Sanger = 3,  ///< 4-bit quantized Q.K, softmax-probability threshold.
  Energon = 4, ///< Multi-round filtering, recomputed at rising precision.
  Spatten = 5, ///< Cascade token pruning from earlier attention probabilities.
  Oracle = 6,  ///< Exact top-k of the float scores.
  Dense = 7,   ///< Selects every key.
};

/// The operand of the key prediction K-hat = X . W_K that goes to the log
/// domain.
enum class LogCodedOperand : uint32_t {
  Weight = 0,     ///< W_K is log-coded offline and X is shifted (the default).
  Activation = 1, ///< X is log-coded at run time and W_K is shifted.
};

/// The source of the query of the score prediction.
enum class QuerySource : uint32_t {
  Formal = 0, ///< The exact, projected Q (every query row is needed anyway).
  Aloc = 1,   ///< Q-hat predicted with ALOC from X and log-coded W_Q.
};

/// The filter applied between MRSA rounds (the DDF rule).
enum class FilterRule : uint32_t {
  None = 0,      ///< No filtering: every key goes through every round.
  SafeBound = 1, ///< Keep j if P + dmax >= k-th largest (P + dmin).
  MaxMean = 2,   ///< Keep j if P + dmax >= alpha * max + (1 - alpha) * mean.
  Radius = 3,    ///< Keep j if P + dmax >= max - radius.
};

/// The rule of the final selection from the fully accumulated scores.
enum class SelectMode : uint32_t {
  TopK = 0,      ///< Keep ceil(keep_ratio * visible keys) keys per row.
  Threshold = 1, ///< Keep keys whose predicted softmax probability reaches
                 ///< `threshold`.
};

/// Every parameter of a predictor. Fields that a scheme does not read keep
/// their defaults. `validate` checks ranges and the scheme's own rules; the
/// `#lapa.predictor` attribute also rejects a parameter its scheme does not
/// read (see schemeUsesParameter), so that it is not silently ignored.
struct PredictorConfig {
  Scheme scheme = Scheme::Lapa;

  // --- ALOC (lapa, sofa; fact log-codes both operands) -------------------
  /// Which operand of K-hat = X . W_K is log-coded.
  LogCodedOperand keyLogCoded = LogCodedOperand::Weight;
  /// Formal Q, or Q-hat predicted through ALOC.
  QuerySource querySource = QuerySource::Formal;
  /// Width of the layer input X (signed, symmetric).
  unsigned activationBits = 8;
  /// Width of the projection weights W_K and W_Q before log coding.
  unsigned weightBits = 8;
  /// Width of the formal query before log coding.
  unsigned queryBits = 16;
  /// Width of K-hat after requantization; the operand MRSA slices.
  unsigned keyBits = 8;
  /// Accumulator width of the key prediction (sum over the hidden size).
  unsigned keyAccumulatorBits = 32;

  // --- MRSA (lapa; sofa and fact run one round) --------------------------
  /// Number of shift-accumulate rounds R.
  unsigned rounds = 2;
  /// Slice widths of K-hat, most significant first; they sum to keyBits.
  std::vector<unsigned> sliceWidths = {4, 4};
  /// Accumulator width of each round. Round r accumulates P^(r) in units of
  /// 2^(offset of slice r). The defaults fit any sum over a head dimension
  /// of at most 128 with a 16-bit query, so they cannot overflow there.
  std::vector<unsigned> accumulatorBits = {26, 30};

  // --- DDF (lapa, energon) -----------------------------------------------
  FilterRule filter = FilterRule::SafeBound;
  /// Weight of the row maximum in the max-mean rule, in [0, 1].
  double filterAlpha = 0.5;
  /// Radius of the radius rule, in units of the round's partial score.
  double filterRadius = 0.0;

  // --- Final selection (all but dense) -----------------------------------
  SelectMode select = SelectMode::TopK;
  /// Fraction of the visible keys kept per query row, in (0, 1].
  double keepRatio = 0.25;
  /// Softmax-probability threshold of the threshold mode, in (0, 1).
  std::optional<double> threshold;

  // --- Scheme-specific ---------------------------------------------------
  /// sanger: width of the symmetric quantization of Q and K.
  unsigned scoreBits = 4;
  /// energon: precision (most significant bits of the 16-bit Q and K) of
  /// each filtering round, rising.
  std::vector<unsigned> roundBits = {2, 4};
  /// sofa: number of row segments for the segmented top-k (SADS).
  unsigned segments = 4;
  /// spatten: width of the most significant part fetched first by
  /// progressive quantization (of a 12-bit datapath).
  unsigned msbBits = 6;
  /// spatten: recompute with all bits when a row's maximum probability is
  /// below this value, in [0, 1].
  double requantThreshold = 0.1;

  /// Returns the configuration a scheme starts from: the reference defaults
  /// for its own parameters and the shared defaults for the rest.
  static PredictorConfig defaults(Scheme scheme);

  /// Returns how many keys top-k selection keeps in a row with `visible`
  /// visible keys: ceil(keepRatio * visible), at least 1 when a key is
  /// visible and at most `visible`. A relative tolerance of 1e-9 absorbs
  /// binary rounding, so 0.1 * 40 keeps 4 keys, not 5. Every component
  /// (verifiers, prediction, simulator) uses this one rule.
  unsigned keptKeys(unsigned visible) const;

  /// Checks every parameter against its valid range and against the scheme.
  /// Returns an empty string when the configuration is valid, else one
  /// sentence naming the parameter, its value, the limit and the fix.
  std::string validate() const;
};

/// Returns the names of the parameters that a scheme reads, as they are
/// spelled in IR and on the command line ("keep_ratio", "rounds", ...).
const std::vector<std::string_view> &schemeParameters(Scheme scheme);
/// Returns every parameter name that any scheme reads.
const std::vector<std::string_view> &allParameterNames();
/// Returns whether `scheme` reads the parameter spelled `name`.
bool schemeUsesParameter(Scheme scheme, std::string_view name);

/// Returns the lower-case name of a scheme as it appears in IR and on the
/// command line ("lapa", "sofa", ...).
std::string_view schemeName(Scheme scheme);
/// Parses a scheme name; returns nothing for an unknown name.
std::optional<Scheme> parseScheme(std::string_view name);
/// Returns the comma-separated list of every scheme name, for diagnostics.
std::string_view allSchemeNames();

std::string_view filterRuleName(FilterRule rule);
std::optional<FilterRule> parseFilterRule(std::string_view name);
std::string_view selectModeName(SelectMode mode);
std::optional<SelectMode> parseSelectMode(std::string_view name);
std::string_view logCodedOperandName(LogCodedOperand operand);
std::optional<LogCodedOperand> parseLogCodedOperand(std::string_view name);
std::string_view querySourceName(QuerySource source);
std::optional<QuerySource> parseQuerySource(std::string_view name);

/// Writes the one-line text form of a configuration: the scheme name, then
/// `name=value` for every parameter the scheme reads and for any other
/// parameter that differs from the scheme's defaults, for example
/// `lapa key_log_coded=weight ... slices=4,4 accumulator_bits=26,30 ...`.
/// Lists are comma-separated without spaces, real numbers use the shortest
/// decimal that reads back to the same double, and `threshold` appears only
/// when it is set. parsePredictorConfig of the output gives back an equal
/// configuration.
std::string printPredictorConfig(const PredictorConfig &config);

/// Parses the text form: a scheme name, then `name=value` words separated by
/// spaces that override the scheme's defaults. Rejects an unknown or
/// repeated parameter, a malformed value, and a configuration that fails
/// validate(), with one message naming the parameter.
llvm::Expected<PredictorConfig> parsePredictorConfig(llvm::StringRef text);

bool operator==(const PredictorConfig &lhs, const PredictorConfig &rhs);
inline bool operator!=(const PredictorConfig &lhs,
                       const PredictorConfig &rhs) {
  return !(lhs == rhs);
}

} // namespace lapa::predict

#endif // LAPA_PREDICT_PREDICTORCONFIG_H
