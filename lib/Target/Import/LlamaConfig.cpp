//===- LlamaConfig.cpp - Parse and validate a Llama config.json -----------===//
//
// Reads the config.json of a Llama-style model with llvm::json and checks
// every field before the importer relies on it: each key must be known,
// have the right JSON type and a value the importer supports, and the
// sizes must agree with each other (dim = n_heads x head_dim). A problem
// becomes one error that names the file, the field, the value found and
// what is expected, so that a damaged or foreign config never reaches the
// graph builder.
//
//===----------------------------------------------------------------------===//

#include "ImportDiagnostics.h"
#include "lapa/Support/JsonNesting.h"

#include "lapa/Target/Import/LlamaImporter.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::lapa;

namespace {

/// Every key config.json may contain. Keys outside this list are rejected
/// so that a misspelled key is not silently ignored.
constexpr llvm::StringLiteral kKnownKeys[] = {
    "architecture", "dim",        "n_layers",   "n_heads",
    "n_kv_heads",   "head_dim",   "ffn_hidden", "vocab_size",
    "max_seq_len",  "rope_theta", "norm_eps",   "tied_embedding",
    "rope_pairing", "activation", "bias",       "dtype",
};

/// Accepted spellings of the interleaved RoPE pairing (2i, 2i+1), and of the
/// SwiGLU activation.
constexpr llvm::StringLiteral kInterleavedPairings[] = {
    "interleaved", "interleaved (2i, 2i+1)"};
constexpr llvm::StringLiteral kSwiGLUActivations[] = {"silu", "swiglu",
                                                      "silu (SwiGLU)"};

/// Largest accepted size field. Keeping every size below 2^31 keeps the
/// products the importer forms (n_heads x head_dim, element counts of one
/// weight) inside int64_t.
constexpr int64_t kMaxSize = std::numeric_limits<int32_t>::max();

/// Largest accepted sequence length. The graph has static [H, T, T] score
/// tensors, and at T = 65,536 one head's f32 scores already take 16 GiB.
constexpr int64_t kMaxSeqLen = 65536;

/// Describes a JSON value for an error message: its type and, for scalars,
/// the value itself.
std::string describe(const llvm::json::Value &value) {
  switch (value.kind()) {
  case llvm::json::Value::Null:
    return "null";
  case llvm::json::Value::Boolean:
    return *value.getAsBoolean() ? "the boolean true" : "the boolean false";
  case llvm::json::Value::Number:
    return "the number " + llvm::formatv("{0}", value).str();
  case llvm::json::Value::String:
    return "the string \"" + value.getAsString()->str() + "\"";
  case llvm::json::Value::Array:
    return "an array";
  case llvm::json::Value::Object:
    return "an object";
  }
  return "an unknown JSON value";
}

/// Returns the known key closest to `key` when it is a likely misspelling.
std::optional<llvm::StringRef> closestKey(llvm::StringRef key) {
  std::optional<llvm::StringRef> best;
  unsigned bestDistance = 3;
  for (llvm::StringRef known : kKnownKeys) {
    unsigned distance = key.edit_distance(known, /*AllowReplacements=*/true,
                                          /*MaxEditDistance=*/bestDistance);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = known;
    }
  }
  return best;
}

/// Reads the fields of one config.json object, emitting the first problem
/// it finds.
class ConfigReader {
public:
  ConfigReader(MLIRContext &context, llvm::StringRef path,
               const llvm::json::Object &object)
      : context(context), path(path), object(object) {}

  /// Emits an error about the config file and returns failure.
  LogicalResult fail(const llvm::Twine &message) {
    return emitImportError(context, path, message);
  }

  /// Reads a required (or, with `fallback`, optional) size field: an
  /// integer in [1, 2^31 - 1].
  FailureOr<int64_t> readSize(llvm::StringRef key,
                              std::optional<int64_t> fallback = std::nullopt) {
    const llvm::json::Value *value = object.get(key);
    if (!value) {
      if (fallback)
        return *fallback;
      return missing(key, "a positive integer");
    }
    std::optional<int64_t> integer = value->getAsInteger();
    if (!integer)
      return wrongType(key, *value, "a positive integer");
    if (*integer < 1 || *integer > kMaxSize)
      return fail(llvm::formatv("field '{0}' is {1}; expected an integer from "
                                "1 to {2}",
                                key, *integer, kMaxSize));
    return *integer;
  }

  /// Reads a required number field that must be finite and positive.
  FailureOr<double> readPositiveNumber(llvm::StringRef key) {
    const llvm::json::Value *value = object.get(key);
    if (!value)
      return missing(key, "a positive number");
    std::optional<double> number = value->getAsNumber();
    if (!number)
      return wrongType(key, *value, "a positive number");
    if (!std::isfinite(*number) || *number <= 0.0)
      return fail(llvm::formatv("field '{0}' is {1}; expected a positive "
                                "number",
                                key, describe(*value)));
    return *number;
  }

  /// Reads an optional boolean field.
  FailureOr<bool> readBool(llvm::StringRef key, bool fallback) {
    const llvm::json::Value *value = object.get(key);
    if (!value)
      return fallback;
    std::optional<bool> boolean = value->getAsBoolean();
    if (!boolean)
      return wrongType(key, *value, "true or false");
    return *boolean;
  }

  /// Reads a string field; a missing optional field yields `fallback`.
  FailureOr<llvm::StringRef>
  readString(llvm::StringRef key,
             std::optional<llvm::StringRef> fallback = std::nullopt) {
    const llvm::json::Value *value = object.get(key);
    if (!value) {
      if (fallback)
        return *fallback;
      return missing(key, "a string");
    }
    std::optional<llvm::StringRef> text = value->getAsString();
    if (!text)
      return wrongType(key, *value, "a string");
    return *text;
  }

private:
  LogicalResult missing(llvm::StringRef key, llvm::StringRef expected) {
    return fail(llvm::formatv("required field '{0}' is missing; add it with "
                              "{1} as its value",
                              key, expected));
  }

  LogicalResult wrongType(llvm::StringRef key, const llvm::json::Value &value,
                          llvm::StringRef expected) {
    return fail(llvm::formatv("field '{0}' is {1}; expected {2}", key,
                              describe(value), expected));
  }

  MLIRContext &context;
  llvm::StringRef path;
  const llvm::json::Object &object;
};

} // namespace

FailureOr<LlamaConfig>
mlir::lapa::parseLlamaConfig(MLIRContext &context, StringRef configPath,
                             StringRef configText,
                             const LlamaImportOptions &options) {
  // A file that does not start like JSON (a weights file given in place of
  // the config, for example) is reported as such, before the JSON checks.
  llvm::StringRef start = configText.ltrim();
  if (!start.starts_with("{") && !start.starts_with("["))
    return emitImportError(context, configPath,
                           "is not a model config: it does not start with a "
                           "JSON object '{'; give the model folder or its "
                           "config.json");
  if (::lapa::support::exceedsJsonNesting(configText, ::lapa::support::kMaxJsonNesting))
    return emitImportError(
        context, configPath,
        llvm::formatv("nests arrays or objects more than {0} levels deep; a "
                      "model config is one object of numbers, strings and "
                      "booleans",
                      ::lapa::support::kMaxJsonNesting));
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(configText);
  if (!json)
    return emitImportError(context, configPath,
                           "is not valid JSON: " +
                               llvm::toString(json.takeError()));
  const llvm::json::Object *object = json->getAsObject();
  if (!object)
    return emitImportError(context, configPath,
                           "the top level is " + describe(*json) +
                               "; expected a JSON object of model fields");

  ConfigReader reader(context, configPath, *object);

  // Unknown keys first, so that a misspelled key is reported as such and not
  // as the required key it was meant to be.
  SmallVector<llvm::StringRef> keys;
  for (const auto &entry : *object)
    keys.push_back(entry.first);
  llvm::sort(keys);
  for (llvm::StringRef key : keys) {
    if (llvm::is_contained(kKnownKeys, key))
      continue;
    std::string hint;
    if (std::optional<llvm::StringRef> closest = closestKey(key))
      hint = llvm::formatv("; did you mean '{0}'?", *closest).str();
    else
      hint = "; remove it or check the model format";
    return reader.fail("unknown field '" + key + "'" + hint);
  }

  FailureOr<llvm::StringRef> architecture = reader.readString("architecture");
  if (failed(architecture))
    return failure();
  if (*architecture != "llama")
    return reader.fail("field 'architecture' is \"" + *architecture +
                       "\"; the importer supports only \"llama\"");

  LlamaConfig config;
  struct SizeField {
    llvm::StringLiteral key;
    int64_t *target;
  };
  SizeField sizes[] = {
      {"dim", &config.dim},
      {"n_layers", &config.numLayers},
      {"n_heads", &config.numHeads},
      {"head_dim", &config.headDim},
      {"ffn_hidden", &config.ffnHidden},
      {"vocab_size", &config.vocabSize},
      {"max_seq_len", &config.maxSeqLen},
  };
  for (SizeField &field : sizes) {
    FailureOr<int64_t> value = reader.readSize(field.key);
    if (failed(value))
      return failure();
    *field.target = *value;
  }
  if (config.numHeads * config.headDim != config.dim)
    return reader.fail(llvm::formatv(
        "field 'dim' is {0} but n_heads x head_dim = {1} x {2} = {3}; the "
        "query, key and value projections must split evenly into heads",
        config.dim, config.numHeads, config.headDim,
        config.numHeads * config.headDim));
  if (config.headDim % 2 != 0)
    return reader.fail(llvm::formatv(
        "field 'head_dim' is {0}; rotary position embedding rotates pairs of "
        "components, so head_dim must be even",
        config.headDim));
  FailureOr<int64_t> kvHeads = reader.readSize("n_kv_heads", config.numHeads);
  if (failed(kvHeads))
    return failure();
  if (*kvHeads != config.numHeads)
    return reader.fail(llvm::formatv(
        "field 'n_kv_heads' is {0} but n_heads is {1}; grouped-query "
        "attention is not supported by the importer yet, so both must be "
        "equal",
        *kvHeads, config.numHeads));

  FailureOr<double> theta = reader.readPositiveNumber("rope_theta");
  if (failed(theta))
    return failure();
  config.ropeTheta = *theta;
  FailureOr<double> eps = reader.readPositiveNumber("norm_eps");
  if (failed(eps))
    return failure();
  config.normEps = *eps;

  FailureOr<llvm::StringRef> pairing = reader.readString("rope_pairing");
  if (failed(pairing))
    return failure();
  if (!llvm::is_contained(kInterleavedPairings, *pairing))
    return reader.fail(
        "field 'rope_pairing' is \"" + *pairing +
        "\"; the importer supports only \"interleaved\" (pairs (2i, 2i+1), "
        "as in Meta's Llama). A model with half-split pairs (j, j + "
        "head_dim/2) can be converted by permuting the rows of wq and wk "
        "within each head");

  FailureOr<llvm::StringRef> activation =
      reader.readString("activation", llvm::StringRef("silu"));
  if (failed(activation))
    return failure();
  if (!llvm::is_contained(kSwiGLUActivations, *activation))
    return reader.fail("field 'activation' is \"" + *activation +
                       "\"; the importer supports only the SwiGLU feed-"
                       "forward network: \"silu\", \"swiglu\" or \"silu "
                       "(SwiGLU)\"");

  FailureOr<bool> bias = reader.readBool("bias", false);
  if (failed(bias))
    return failure();
  if (*bias)
    return reader.fail("field 'bias' is true; the importer supports only "
                       "Llama models without biases");

  FailureOr<bool> tied = reader.readBool("tied_embedding", false);
  if (failed(tied))
    return failure();
  config.tiedEmbedding = *tied;

  if (options.checkDType) {
    FailureOr<llvm::StringRef> dtype = reader.readString("dtype");
    if (failed(dtype))
      return failure();
    if (*dtype != "float32")
      return reader.fail("field 'dtype' is \"" + *dtype +
                         "\"; the importer supports only \"float32\" "
                         "weights (turn the dtype check off to rely on the "
                         "tensors' own dtype)");
  } else if (const llvm::json::Value *dtype = object->get("dtype");
             dtype && !dtype->getAsString()) {
    return reader.fail("field 'dtype' is " + describe(*dtype) +
                       "; expected a string");
  }

  int64_t seqLenLimit = std::min(config.maxSeqLen, kMaxSeqLen);
  if (options.seqLen < 1 || options.seqLen > seqLenLimit)
    return reader.fail(llvm::formatv(
        "the requested sequence length {0} is outside the supported range: "
        "expected 1 to {1} (the smaller of max_seq_len = {2} and the "
        "importer's limit of {3})",
        options.seqLen, seqLenLimit, config.maxSeqLen, kMaxSeqLen));
  return config;
}
