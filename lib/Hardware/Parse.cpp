//===- Parse.cpp - Strict reader of the hardware configuration file ------===//
//
// Reads the YAML file in two steps. The first step turns the output of
// LLVM's streaming YAML parser into a small in-memory tree. A syntax error
// anywhere in the file is thus reported before any value is interpreted,
// and every node keeps its line and column. The second step walks the
// tree with an explicit key list per section. An unknown key, a missing
// required key, a duplicate key or a value of the wrong type is an error
// that names the key path, and an unknown-key error lists the valid keys.
// Range checks live in Validate.cpp, and their errors get the line and
// column of the key path they name.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"

#include <cmath>
#include <map>

using namespace llvm;

namespace lapa::hardware {

namespace {

using detail::joinNames;

//===----------------------------------------------------------------------===//
// Step 1: the YAML tree
//===----------------------------------------------------------------------===//

struct Location {
  unsigned line = 0;
  unsigned column = 0;
};

/// One YAML node with its position. Scalars keep their text; mappings keep
/// their keys in file order.
struct YamlNode {
  enum class Kind { Null, Scalar, Mapping, Sequence };
  Kind kind = Kind::Null;
  Location location;
  std::string text;
  /// Whether a scalar was quoted or a block scalar, so that "64" is not
  /// taken for the number 64.
  bool quoted = false;
  std::vector<std::string> keys;
  std::vector<Location> keyLocations;
  /// Mapping values in key order, or sequence items.
  std::vector<YamlNode> children;

  const YamlNode *find(StringRef key) const {
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key)
        return &children[i];
    return nullptr;
  }
  std::optional<Location> keyLocation(StringRef key) const {
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key)
        return keyLocations[i];
    return std::nullopt;
  }
};

/// Deeper nesting than this is rejected; a valid configuration nests four
/// levels.
constexpr unsigned kMaxDepth = 32;

/// Builds the tree and turns the first diagnostic of LLVM's YAML parser into
/// a ConfigError.
class TreeBuilder {
public:
  TreeBuilder(StringRef text, StringRef bufferName)
      : bufferName(bufferName.str()) {
    sourceMgr.setDiagHandler(
        [](const SMDiagnostic &diagnostic, void *context) {
          auto *builder = static_cast<TreeBuilder *>(context);
          if (!builder->syntaxError)
            builder->syntaxError = diagnostic;
        },
        this);
    stream = std::make_unique<yaml::Stream>(
        MemoryBufferRef(text, bufferName), sourceMgr, /*ShowColors=*/false);
  }

  Expected<YamlNode> build() {
    yaml::document_iterator document = stream->begin();
    if (Error error = takeSyntaxError())
      return std::move(error);
    if (document == stream->end())
      return emptyError();

    yaml::Node *root = document->getRoot();
    Expected<YamlNode> tree = convert(root, {1, 1}, 0);
    if (!tree)
      return tree.takeError();
    if (Error error = takeSyntaxError())
      return std::move(error);
    if (tree->kind == YamlNode::Kind::Null)
      return emptyError();

    ++document;
    if (Error error = takeSyntaxError())
      return std::move(error);
    if (document != stream->end())
      return makeError({}, "the file contains more than one YAML document; "
                           "keep one configuration per file");
    return tree;
  }

private:
  Location locate(SMLoc loc, Location fallback) const {
    if (!loc.isValid() || sourceMgr.FindBufferContainingLoc(loc) == 0)
      return fallback;
    auto [line, column] = sourceMgr.getLineAndColumn(loc);
    return {line, column};
  }

  Error makeError(Location location, const Twine &message) const {
    auto error = std::make_unique<ConfigError>("", message.str());
    error->setLocation(bufferName, location.line, location.column);
    return Error(std::move(error));
  }

  Error emptyError() const {
    return makeError({}, "the configuration is empty; see "
                         "docs/hardware-config.md for the required keys");
  }

  Error takeSyntaxError() {
    if (!syntaxError)
      return Error::success();
    const SMDiagnostic &diagnostic = *syntaxError;
    // SMDiagnostic counts columns from 0.
    Location location{static_cast<unsigned>(std::max(0, diagnostic.getLineNo())),
                      static_cast<unsigned>(diagnostic.getColumnNo() + 1)};
    // LLVM's scanner ends its messages with '!' or '.', which reads oddly
    // before the advice that follows.
    std::string message = StringRef(diagnostic.getMessage()).rtrim("!.").str();
    syntaxError.reset();
    return makeError(location, "invalid YAML: " + message +
                                   "; check the indentation, quotes and "
                                   "brackets at this position");
  }

  Expected<YamlNode> convert(yaml::Node *node, Location fallback,
                             unsigned depth) {
    if (Error error = takeSyntaxError())
      return std::move(error);
    YamlNode result;
    if (!node)
      return result;
    result.location = locate(node->getSourceRange().Start, fallback);
    if (depth > kMaxDepth)
      return makeError(result.location,
                       "the YAML nesting is deeper than " + Twine(kMaxDepth) +
                           " levels; a configuration needs at most 4");

    if (auto *scalar = dyn_cast<yaml::ScalarNode>(node)) {
      SmallString<64> storage;
      result.kind = YamlNode::Kind::Scalar;
      result.text = scalar->getValue(storage).str();
      StringRef raw = scalar->getRawValue();
      result.quoted = raw.starts_with("'") || raw.starts_with("\"");
      return result;
    }
    if (auto *block = dyn_cast<yaml::BlockScalarNode>(node)) {
      result.kind = YamlNode::Kind::Scalar;
      result.text = block->getValue().str();
      result.quoted = true;
      return result;
    }
    if (isa<yaml::AliasNode>(node))
      return makeError(result.location,
                       "YAML aliases (*name) are not supported in a hardware "
                       "configuration; write the value out");
    if (auto *mapping = dyn_cast<yaml::MappingNode>(node))
      return convertMapping(*mapping, std::move(result), depth);
    if (auto *sequence = dyn_cast<yaml::SequenceNode>(node)) {
      result.kind = YamlNode::Kind::Sequence;
      for (yaml::Node &item : *sequence) {
        Expected<YamlNode> child = convert(&item, result.location, depth + 1);
        if (!child)
          return child.takeError();
        result.children.push_back(std::move(*child));
      }
      if (Error error = takeSyntaxError())
        return std::move(error);
      return result;
    }
    // A null node: `key:` with nothing after it.
    return result;
  }

  Expected<YamlNode> convertMapping(yaml::MappingNode &mapping,
                                    YamlNode result, unsigned depth) {
    result.kind = YamlNode::Kind::Mapping;
    for (yaml::KeyValueNode &entry : mapping) {
      yaml::Node *keyNode = entry.getKey();
      if (Error error = takeSyntaxError())
        return std::move(error);
      if (!keyNode)
        break;
      Location keyLocation =
          locate(keyNode->getSourceRange().Start, result.location);
      auto *keyScalar = dyn_cast<yaml::ScalarNode>(keyNode);
      if (!keyScalar)
        return makeError(keyLocation,
                         "a mapping key must be a plain name such as 'rows', "
                         "not a list or a mapping");
      SmallString<32> storage;
      std::string key = keyScalar->getValue(storage).str();
      if (std::optional<Location> first = result.keyLocation(key))
        return makeError(keyLocation,
                         "duplicate key '" + key + "' (first given at line " +
                             Twine(first->line) + "); remove one of them");

      Expected<YamlNode> value =
          convert(entry.getValue(), keyLocation, depth + 1);
      if (!value)
        return value.takeError();
      result.keys.push_back(std::move(key));
      result.keyLocations.push_back(keyLocation);
      result.children.push_back(std::move(*value));
    }
    if (Error error = takeSyntaxError())
      return std::move(error);
    return result;
  }

  std::string bufferName;
  SourceMgr sourceMgr;
  std::unique_ptr<yaml::Stream> stream;
  std::optional<SMDiagnostic> syntaxError;
};

//===----------------------------------------------------------------------===//
// Step 2: from the tree to a HardwareConfig
//===----------------------------------------------------------------------===//

/// Returns the valid key nearest to a misspelled one, if it is within two
/// edits or within a third of the longer key's length.
std::optional<StringRef> closestKey(StringRef key,
                                    ArrayRef<StringRef> validKeys) {
  std::optional<StringRef> closest;
  unsigned closestDistance = ~0u;
  for (StringRef valid : validKeys) {
    unsigned limit =
        std::max<unsigned>(2, std::max(key.size(), valid.size()) / 3);
    unsigned distance = key.edit_distance(valid);
    if (distance <= limit && distance < closestDistance) {
      closest = valid;
      closestDistance = distance;
    }
  }
  return closest;
}

std::string joinPath(StringRef parent, StringRef key) {
  if (parent.empty())
    return key.str();
  return (parent + "." + key).str();
}

std::string indexPath(StringRef parent, size_t index) {
  return (parent + "[" + Twine(index) + "]").str();
}

StringRef describeKind(const YamlNode &node) {
  switch (node.kind) {
  case YamlNode::Kind::Null:
    return "empty";
  case YamlNode::Kind::Scalar:
    return "a single value";
  case YamlNode::Kind::Mapping:
    return "a mapping";
  case YamlNode::Kind::Sequence:
    return "a list";
  }
  return "empty";
}

/// Returns whether `text` is a decimal number: optional sign, digits with an
/// optional fraction, optional exponent. Rejects inf, nan and hex floats,
/// which strtod would accept.
bool isDecimalNumber(StringRef text) {
  if (text.empty())
    return false;
  size_t i = 0;
  if (text[i] == '+' || text[i] == '-')
    ++i;
  size_t digits = 0;
  while (i < text.size() && isDigit(text[i]))
    ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && isDigit(text[i]))
      ++i, ++digits;
  }
  if (digits == 0)
    return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-'))
      ++i;
    size_t exponentDigits = 0;
    while (i < text.size() && isDigit(text[i]))
      ++i, ++exponentDigits;
    if (exponentDigits == 0)
      return false;
  }
  return i == text.size();
}

class ConfigReader {
public:
  explicit ConfigReader(StringRef bufferName) : bufferName(bufferName.str()) {}

  Expected<HardwareConfig> read(const YamlNode &root);

  /// Gives a validation error the line and column of its key path, or of
  /// the nearest enclosing path that has one.
  void locate(ConfigError &error) const {
    std::string path = error.getKeyPath().str();
    while (true) {
      auto it = locations.find(path);
      if (it != locations.end()) {
        error.setLocation(bufferName, it->second.line, it->second.column);
        return;
      }
      size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos)
        break;
      path.resize(cut);
    }
    error.setLocation(bufferName, 0, 0);
  }

private:
  Error makeError(Location location, std::string keyPath,
                  const Twine &message) const {
    auto error = std::make_unique<ConfigError>(std::move(keyPath),
                                               message.str());
    error->setLocation(bufferName, location.line, location.column);
    return Error(std::move(error));
  }

  /// Checks a mapping's keys against the valid and the required ones and
  /// records the location of every key path.
  Error checkKeys(const YamlNode &node, StringRef path,
                  ArrayRef<StringRef> validKeys,
                  ArrayRef<StringRef> requiredKeys) {
    std::string where =
        path.empty() ? std::string("at the top level") : "in " + path.str();
    if (node.kind != YamlNode::Kind::Mapping)
      return makeError(node.location, path.str(),
                       Twine(path.empty() ? "the configuration" : path) +
                           " must be a mapping of keys to values, but it is " +
                           describeKind(node) + "; valid keys are " +
                           joinNames(validKeys));

    for (size_t i = 0; i < node.keys.size(); ++i) {
      const std::string &key = node.keys[i];
      if (is_contained(validKeys, StringRef(key))) {
        const YamlNode &value = node.children[i];
        bool isCollection = value.kind == YamlNode::Kind::Mapping ||
                            value.kind == YamlNode::Kind::Sequence;
        // Point a collection's errors at its key, a scalar's at its value.
        locations[joinPath(path, key)] =
            isCollection || value.location.line == 0 ? node.keyLocations[i]
                                                     : value.location;
        continue;
      }
      std::string suggestion;
      if (std::optional<StringRef> closest = closestKey(key, validKeys))
        suggestion = ("did you mean '" + *closest + "'? ").str();
      return makeError(node.keyLocations[i], joinPath(path, key),
                       "unknown key '" + key + "' " + where + "; " +
                           suggestion + "valid keys are " +
                           joinNames(validKeys));
    }

    for (StringRef key : requiredKeys)
      if (!node.find(key))
        return makeError(node.location, joinPath(path, key),
                         "missing required key '" + key + "' " + where +
                             "; add it (valid keys are " +
                             joinNames(validKeys) + ")");
    return Error::success();
  }

  Expected<int64_t> toInteger(const YamlNode &node, StringRef path) {
    if (node.kind != YamlNode::Kind::Scalar)
      return makeError(node.location, path.str(),
                       path + " must be an integer, but it is " +
                           describeKind(node) + "; write a number such as 64");
    if (node.quoted)
      return makeError(node.location, path.str(),
                       path + " must be an integer, but it is the quoted "
                              "string \"" +
                           node.text + "\"; remove the quotes");
    int64_t value = 0;
    StringRef text(node.text);
    if (!text.getAsInteger(10, value))
      return value;
    if (isDecimalNumber(text))
      return makeError(node.location, path.str(),
                       path + " must be a whole number written in decimal "
                              "digits, but it is " +
                           text + "; write an integer such as 64 (a value "
                                  "beyond 2^63 - 1 is also rejected)");
    return makeError(node.location, path.str(),
                     path + " must be an integer, but it is the text '" +
                         text + "'; write a number such as 64");
  }

  Expected<double> toNumber(const YamlNode &node, StringRef path) {
    if (node.kind != YamlNode::Kind::Scalar)
      return makeError(node.location, path.str(),
                       path + " must be a number, but it is " +
                           describeKind(node) +
                           "; write a number such as 0.5");
    if (node.quoted)
      return makeError(node.location, path.str(),
                       path + " must be a number, but it is the quoted "
                              "string \"" +
                           node.text + "\"; remove the quotes");
    double value = 0;
    StringRef text(node.text);
    if (!isDecimalNumber(text) || text.getAsDouble(value) ||
        !std::isfinite(value))
      return makeError(node.location, path.str(),
                       path + " must be a finite decimal number, but it is '" +
                           text + "'; write a number such as 0.5 or 1e-3");
    return value;
  }

  Expected<std::string> toName(const YamlNode &node, StringRef path) {
    if (node.kind != YamlNode::Kind::Scalar)
      return makeError(node.location, path.str(),
                       path + " must be a name, but it is " +
                           describeKind(node) +
                           "; write a single word such as token_buffer");
    return node.text;
  }

  template <typename Enum>
  Expected<Enum> toEnum(const YamlNode &node, StringRef path,
                        std::optional<Enum> (*parse)(StringRef),
                        ArrayRef<StringRef> validNames, StringRef what) {
    Expected<std::string> name = toName(node, path);
    if (!name)
      return name.takeError();
    if (std::optional<Enum> value = parse(*name))
      return *value;
    return makeError(node.location, path.str(),
                     path + " is '" + *name + "', which is not a known " +
                         what + "; valid values are " + joinNames(validNames));
  }

  /// Reads an optional integer key; leaves `out` alone when it is absent.
  Error readInteger(const YamlNode &mapping, StringRef key, StringRef path,
                    int64_t &out) {
    const YamlNode *node = mapping.find(key);
    if (!node)
      return Error::success();
    Expected<int64_t> value = toInteger(*node, joinPath(path, key));
    if (!value)
      return value.takeError();
    out = *value;
    return Error::success();
  }

  Error readInteger(const YamlNode &mapping, StringRef key, StringRef path,
                    std::optional<int64_t> &out) {
    if (!mapping.find(key))
      return Error::success();
    int64_t value = 0;
    if (Error error = readInteger(mapping, key, path, value))
      return error;
    out = value;
    return Error::success();
  }

  Error readNumber(const YamlNode &mapping, StringRef key, StringRef path,
                   double &out) {
    const YamlNode *node = mapping.find(key);
    if (!node)
      return Error::success();
    Expected<double> value = toNumber(*node, joinPath(path, key));
    if (!value)
      return value.takeError();
    out = *value;
    return Error::success();
  }

  Error readNumber(const YamlNode &mapping, StringRef key, StringRef path,
                   std::optional<double> &out) {
    if (!mapping.find(key))
      return Error::success();
    double value = 0;
    if (Error error = readNumber(mapping, key, path, value))
      return error;
    out = value;
    return Error::success();
  }

  Error readName(const YamlNode &mapping, StringRef key, StringRef path,
                 std::string &out) {
    const YamlNode *node = mapping.find(key);
    if (!node)
      return Error::success();
    Expected<std::string> value = toName(*node, joinPath(path, key));
    if (!value)
      return value.takeError();
    out = std::move(*value);
    return Error::success();
  }

  /// Reads a list key, calling `readItem` on each item with its key path.
  template <typename ReadItem>
  Error readList(const YamlNode &mapping, StringRef key, StringRef path,
                 StringRef example, ReadItem readItem) {
    const YamlNode *node = mapping.find(key);
    if (!node)
      return Error::success();
    std::string listPath = joinPath(path, key);
    if (node->kind != YamlNode::Kind::Sequence)
      return makeError(node->location, listPath,
                       listPath + " must be a list such as " + example +
                           ", but it is " + describeKind(*node));
    for (size_t i = 0; i < node->children.size(); ++i) {
      std::string itemPath = indexPath(listPath, i);
      locations[itemPath] = node->children[i].location;
      if (Error error = readItem(node->children[i], itemPath))
        return error;
    }
    return Error::success();
  }

  Error readNameList(const YamlNode &mapping, StringRef key, StringRef path,
                     std::vector<std::string> &out) {
    return readList(mapping, key, path, "[dma, mac_array]",
                    [&](const YamlNode &item, StringRef itemPath) -> Error {
                      Expected<std::string> name = toName(item, itemPath);
                      if (!name)
                        return name.takeError();
                      out.push_back(std::move(*name));
                      return Error::success();
                    });
  }

  Error readDma(const YamlNode &node, StringRef path, DmaConfig &dma);
  Error readSpeculationUnit(const YamlNode &node, StringRef path,
                            SpeculationUnitConfig &unit);
  Error readShiftArray(const YamlNode &node, StringRef path,
                       ShiftArrayConfig &array);
  Error readExecutionUnit(const YamlNode &node, StringRef path,
                          ExecutionUnitConfig &unit);
  Error readBuffer(const YamlNode &node, StringRef path, BufferConfig &buffer);
  Error readDram(const YamlNode &node, StringRef path, DramConfig &dram);
  Error readEnergyEntry(const YamlNode &node, StringRef path,
                        EnergyEntry &entry);

  std::string bufferName;
  std::map<std::string, Location> locations;
};

Error ConfigReader::readDma(const YamlNode &node, StringRef path,
                            DmaConfig &dma) {
  static const StringRef keys[] = {"engines", "bytes_per_cycle"};
  if (Error error = checkKeys(node, path, keys, keys))
    return error;
  if (Error error = readInteger(node, "engines", path, dma.engines))
    return error;
  return readInteger(node, "bytes_per_cycle", path, dma.bytesPerCycle);
}

Error ConfigReader::readShiftArray(const YamlNode &node, StringRef path,
                                   ShiftArrayConfig &array) {
  static const StringRef keys[] = {
      "rows",          "cols",             "product",
      "shifted_operand_bits", "log_code_bits", "accumulator_bits",
      "key_accumulator_bits"};
  static const StringRef required[] = {"rows",
                                       "cols",
                                       "product",
                                       "log_code_bits",
                                       "accumulator_bits",
                                       "key_accumulator_bits"};
  if (Error error = checkKeys(node, path, keys, required))
    return error;
  if (Error error = readInteger(node, "rows", path, array.rows))
    return error;
  if (Error error = readInteger(node, "cols", path, array.cols))
    return error;

  static const StringRef productNames[] = {"asymmetric", "symmetric"};
  std::string productPath = joinPath(path, "product");
  Expected<LogProduct> product =
      toEnum(*node.find("product"), productPath, parseLogProduct,
             productNames, "log-domain product");
  if (!product)
    return product.takeError();
  array.product = *product;

  if (Error error = readInteger(node, "shifted_operand_bits", path,
                                array.shiftedOperandBits))
    return error;
  if (Error error =
          readInteger(node, "log_code_bits", path, array.logCodeBits))
    return error;
  if (Error error = readList(
          node, "accumulator_bits", path, "[26, 30]",
          [&](const YamlNode &item, StringRef itemPath) -> Error {
            Expected<int64_t> bits = toInteger(item, itemPath);
            if (!bits)
              return bits.takeError();
            array.accumulatorBits.push_back(*bits);
            return Error::success();
          }))
    return error;
  return readInteger(node, "key_accumulator_bits", path,
                     array.keyAccumulatorBits);
}

Error ConfigReader::readSpeculationUnit(const YamlNode &node, StringRef path,
                                        SpeculationUnitConfig &unit) {
  static const StringRef keys[] = {"shift_array", "leading_one_encoders",
                                   "multiplier_array", "filter"};
  if (Error error = checkKeys(node, path, keys, {}))
    return error;
  if (node.keys.empty())
    return makeError(node.location, path.str(),
                     path + " is empty; declare at least one of " +
                         joinNames(keys) +
                         ", or remove the key for an accelerator without "
                         "prediction hardware");

  if (const YamlNode *child = node.find("shift_array")) {
    unit.shiftArray.emplace();
    if (Error error = readShiftArray(*child, joinPath(path, "shift_array"),
                                     *unit.shiftArray))
      return error;
  }

  if (const YamlNode *child = node.find("leading_one_encoders")) {
    static const StringRef encoderKeys[] = {"count", "input_bits"};
    std::string childPath = joinPath(path, "leading_one_encoders");
    if (Error error = checkKeys(*child, childPath, encoderKeys, encoderKeys))
      return error;
    LeadingOneEncodersConfig &encoders = unit.leadingOneEncoders.emplace();
    if (Error error = readInteger(*child, "count", childPath, encoders.count))
      return error;
    if (Error error =
            readInteger(*child, "input_bits", childPath, encoders.inputBits))
      return error;
  }

  if (const YamlNode *child = node.find("multiplier_array")) {
    static const StringRef arrayKeys[] = {"rows", "cols", "operand_bits",
                                          "accumulator_bits"};
    std::string childPath = joinPath(path, "multiplier_array");
    if (Error error = checkKeys(*child, childPath, arrayKeys, arrayKeys))
      return error;
    MultiplierArrayConfig &array = unit.multiplierArray.emplace();
    if (Error error = readInteger(*child, "rows", childPath, array.rows))
      return error;
    if (Error error = readInteger(*child, "cols", childPath, array.cols))
      return error;
    if (Error error =
            readInteger(*child, "operand_bits", childPath, array.operandBits))
      return error;
    if (Error error = readInteger(*child, "accumulator_bits", childPath,
                                  array.accumulatorBits))
      return error;
  }

  if (const YamlNode *child = node.find("filter")) {
    static const StringRef filterKeys[] = {"lanes", "comparisons_per_cycle"};
    std::string childPath = joinPath(path, "filter");
    if (Error error = checkKeys(*child, childPath, filterKeys, filterKeys))
      return error;
    FilterConfig &filter = unit.filter.emplace();
    if (Error error = readInteger(*child, "lanes", childPath, filter.lanes))
      return error;
    if (Error error = readInteger(*child, "comparisons_per_cycle", childPath,
                                  filter.comparisonsPerCycle))
      return error;
  }
  return Error::success();
}

Error ConfigReader::readExecutionUnit(const YamlNode &node, StringRef path,
                                      ExecutionUnitConfig &unit) {
  static const StringRef keys[] = {"mac_array", "softmax", "vector"};
  if (Error error = checkKeys(node, path, keys, keys))
    return error;

  static const StringRef macKeys[] = {"rows", "cols", "operand_bits",
                                      "accumulator_bits", "dataflows"};
  std::string macPath = joinPath(path, "mac_array");
  const YamlNode &macNode = *node.find("mac_array");
  MacArrayConfig &array = unit.macArray;
  if (Error error = checkKeys(macNode, macPath, macKeys, macKeys))
    return error;
  if (Error error = readInteger(macNode, "rows", macPath, array.rows))
    return error;
  if (Error error = readInteger(macNode, "cols", macPath, array.cols))
    return error;
  if (Error error =
          readInteger(macNode, "operand_bits", macPath, array.operandBits))
    return error;
  if (Error error = readInteger(macNode, "accumulator_bits", macPath,
                                array.accumulatorBits))
    return error;
  static const StringRef dataflowNames[] = {
      "weight_stationary", "output_stationary", "input_stationary",
      "score_stationary", "reduction_tree"};
  if (Error error = readList(
          macNode, "dataflows", macPath, "[weight_stationary]",
          [&](const YamlNode &item, StringRef itemPath) -> Error {
            Expected<Dataflow> dataflow = toEnum(
                item, itemPath, parseDataflow, dataflowNames, "dataflow");
            if (!dataflow)
              return dataflow.takeError();
            array.dataflows.push_back(*dataflow);
            return Error::success();
          }))
    return error;

  static const StringRef softmaxKeys[] = {"exp_lanes", "divide_lanes",
                                          "latency_cycles"};
  std::string softmaxPath = joinPath(path, "softmax");
  const YamlNode &softmaxNode = *node.find("softmax");
  if (Error error =
          checkKeys(softmaxNode, softmaxPath, softmaxKeys, softmaxKeys))
    return error;
  if (Error error = readInteger(softmaxNode, "exp_lanes", softmaxPath,
                                unit.softmax.expLanes))
    return error;
  if (Error error = readInteger(softmaxNode, "divide_lanes", softmaxPath,
                                unit.softmax.divideLanes))
    return error;
  if (Error error = readInteger(softmaxNode, "latency_cycles", softmaxPath,
                                unit.softmax.latencyCycles))
    return error;

  static const StringRef vectorKeys[] = {"lanes"};
  std::string vectorPath = joinPath(path, "vector");
  const YamlNode &vectorNode = *node.find("vector");
  if (Error error = checkKeys(vectorNode, vectorPath, vectorKeys, vectorKeys))
    return error;
  return readInteger(vectorNode, "lanes", vectorPath, unit.vector.lanes);
}

Error ConfigReader::readBuffer(const YamlNode &node, StringRef path,
                               BufferConfig &buffer) {
  static const StringRef keys[] = {"name",      "bytes",   "banks",  "ports",
                                   "word_bits", "readers", "writers"};
  if (Error error = checkKeys(node, path, keys, keys))
    return error;
  if (Error error = readName(node, "name", path, buffer.name))
    return error;
  if (Error error = readInteger(node, "bytes", path, buffer.bytes))
    return error;
  if (Error error = readInteger(node, "banks", path, buffer.banks))
    return error;
  if (Error error = readInteger(node, "ports", path, buffer.ports))
    return error;
  if (Error error = readInteger(node, "word_bits", path, buffer.wordBits))
    return error;
  if (Error error = readNameList(node, "readers", path, buffer.readers))
    return error;
  return readNameList(node, "writers", path, buffer.writers);
}

Error ConfigReader::readDram(const YamlNode &node, StringRef path,
                             DramConfig &dram) {
  static const StringRef keys[] = {"kind", "channels", "bandwidth_gb_per_s",
                                   "latency_ns"};
  if (Error error = checkKeys(node, path, keys, keys))
    return error;
  static const StringRef kindNames[] = {"HBM2", "HBM2E",  "HBM3",  "DDR4",
                                        "DDR5", "LPDDR4", "LPDDR5"};
  Expected<DramKind> kind = toEnum(*node.find("kind"), joinPath(path, "kind"),
                                   parseDramKind, kindNames, "DRAM kind");
  if (!kind)
    return kind.takeError();
  dram.kind = *kind;
  if (Error error = readInteger(node, "channels", path, dram.channels))
    return error;
  if (Error error = readNumber(node, "bandwidth_gb_per_s", path,
                               dram.bandwidthGBPerSecond))
    return error;
  return readNumber(node, "latency_ns", path, dram.latencyNs);
}

Error ConfigReader::readEnergyEntry(const YamlNode &node, StringRef path,
                                    EnergyEntry &entry) {
  static const StringRef keys[] = {"component", "action", "energy_pj",
                                   "energy_pj_per_bit", "power_mw"};
  static const StringRef required[] = {"component", "action"};
  if (Error error = checkKeys(node, path, keys, required))
    return error;
  if (Error error = readName(node, "component", path, entry.component))
    return error;
  if (Error error = readName(node, "action", path, entry.action))
    return error;

  // Exactly one value key. Whether it is the key the action needs is
  // checked in validate(), against the action's quantity.
  std::vector<StringRef> valueKeys;
  for (EnergyQuantity quantity :
       {EnergyQuantity::PerAction, EnergyQuantity::PerBit,
        EnergyQuantity::LeakagePower}) {
    StringRef key = energyQuantityKey(quantity);
    if (!node.find(key))
      continue;
    valueKeys.push_back(key);
    entry.quantity = quantity;
    if (Error error = readNumber(node, key, path, entry.value))
      return error;
  }
  StringRef expected = energyQuantityKey(actionQuantity(entry.action));
  if (valueKeys.empty())
    return makeError(node.location, path.str(),
                     path + " (" + entry.component + " " + entry.action +
                         ") has no value; add " + expected +
                         " (one of energy_pj, energy_pj_per_bit, power_mw)");
  if (valueKeys.size() > 1)
    return makeError(node.location, path.str(),
                     path + " (" + entry.component + " " + entry.action +
                         ") gives " + joinNames(valueKeys) +
                         "; keep only one value key, " + expected +
                         " for this action");
  return Error::success();
}

Expected<HardwareConfig> ConfigReader::read(const YamlNode &root) {
  static const StringRef keys[] = {
      "name",           "technology_nm", "clock_mhz", "area_mm2",
      "dma",            "speculation_unit", "execution_unit", "buffers",
      "dram",           "energy"};
  static const StringRef required[] = {
      "name", "technology_nm", "clock_mhz", "dma", "execution_unit",
      "buffers", "dram", "energy"};
  HardwareConfig config;
  if (Error error = checkKeys(root, "", keys, required))
    return std::move(error);

  if (Error error = readName(root, "name", "", config.name))
    return std::move(error);
  if (Error error =
          readInteger(root, "technology_nm", "", config.technologyNm))
    return std::move(error);
  if (Error error = readInteger(root, "clock_mhz", "", config.clockMhz))
    return std::move(error);
  if (Error error = readNumber(root, "area_mm2", "", config.areaMm2))
    return std::move(error);
  if (Error error = readDma(*root.find("dma"), "dma", config.dma))
    return std::move(error);
  if (const YamlNode *node = root.find("speculation_unit")) {
    config.speculationUnit.emplace();
    if (Error error = readSpeculationUnit(*node, "speculation_unit",
                                          *config.speculationUnit))
      return std::move(error);
  }
  if (Error error = readExecutionUnit(*root.find("execution_unit"),
                                      "execution_unit", config.executionUnit))
    return std::move(error);
  if (Error error = readList(root, "buffers", "", "[{name: token_buffer, ...}]",
                             [&](const YamlNode &item, StringRef itemPath) {
                               config.buffers.emplace_back();
                               return readBuffer(item, itemPath,
                                                 config.buffers.back());
                             }))
    return std::move(error);
  if (Error error = readDram(*root.find("dram"), "dram", config.dram))
    return std::move(error);
  if (Error error = readList(
          root, "energy", "",
          "[{component: mac_array, action: mac, energy_pj: 0.087}]",
          [&](const YamlNode &item, StringRef itemPath) {
            config.energy.emplace_back();
            return readEnergyEntry(item, itemPath, config.energy.back());
          }))
    return std::move(error);
  return config;
}

} // namespace

Expected<HardwareConfig> parseHardwareConfig(StringRef yamlText,
                                             StringRef bufferName) {
  Expected<YamlNode> tree = TreeBuilder(yamlText, bufferName).build();
  if (!tree)
    return tree.takeError();

  ConfigReader reader(bufferName);
  Expected<HardwareConfig> config = reader.read(*tree);
  if (!config)
    return config.takeError();

  // Validate before sorting, so that list indices in messages are the
  // indices in the file.
  if (Error error = config->validate()) {
    return handleErrors(std::move(error), [&](std::unique_ptr<ConfigError>
                                                  configError) -> Error {
      reader.locate(*configError);
      return Error(std::move(configError));
    });
  }
  detail::canonicalize(*config);
  return config;
}

Expected<HardwareConfig> loadHardwareConfig(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!file)
    return make_error<ConfigError>(
        "", ("cannot read hardware configuration '" + path +
             "': " + file.getError().message() +
             "; check the path and its permissions")
                .str());
  return parseHardwareConfig((*file)->getBuffer(), path);
}

} // namespace lapa::hardware
