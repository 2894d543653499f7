//===- Assembly.cpp - The text form of an instruction stream --------------===//
//
// One directive or instruction per line; `#` starts a comment except on a
// `.predictor` line, whose rest is the record text verbatim. docs/ISA.md
// describes the syntax. Instruction fields are named by the operand table of
// Isa.cpp, and f32 fields print as the shortest decimal that reads back to
// the same bits (NaNs as their raw bits), so binary -> text -> binary gives
// the same bytes.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Stream/Stream.h"

#include "lapa/Target/Stream/StreamVerify.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace lapa::isa {

namespace {

constexpr size_t kDataBytesPerLine = 32;

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

std::string formatFloatBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  if (std::isnan(value))
    return llvm::formatv("0x{0:x-8}", bits).str();
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char text[64];
  std::to_chars_result result = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, result.ptr);
}

std::string formatUnitMask(uint8_t mask) {
  std::string text = "[";
  for (unsigned unit = 0; unit < 8; ++unit) {
    if (!(mask & (1u << unit)))
      continue;
    if (text.size() > 1)
      text += ',';
    text += unitName(static_cast<Unit>(unit));
  }
  return text + "]";
}

std::string formatFlags(uint8_t flags) {
  std::string text = "[";
  for (unsigned bit = 0; bit < 8; ++bit) {
    if (!(flags & (1u << bit)))
      continue;
    if (text.size() > 1)
      text += ',';
    text += flagName(static_cast<Flag>(1u << bit));
  }
  return text + "]";
}

void writeInstruction(const Instruction &inst, size_t index,
                      llvm::ArrayRef<std::string> bufferNames,
                      llvm::raw_ostream &os) {
  os << opcodeName(inst.opcode());
  std::string names;
  for (const OperandField &field : operandFields(inst.opcode())) {
    if (field.onlyWithFlag && !(inst.flags() & field.onlyWithFlag))
      continue;
    uint32_t word = inst.words[field.word];
    switch (field.kind) {
    case OperandKind::NoBuffer:
      continue;
    case OperandKind::Buffer:
    case OperandKind::OptionalBuffer: {
      if (word == kNoBuffer) {
        os << ' ' << field.name << "=none";
        continue;
      }
      BufRef ref = BufRef::unpack(word);
      os << ' ' << field.name << "=b" << unsigned(ref.buffer) << "+0x"
         << llvm::utohexstr(ref.offset, /*LowerCase=*/true);
      if (ref.buffer < bufferNames.size())
        names += " " + std::string(field.name) + "=" + bufferNames[ref.buffer];
      continue;
    }
    case OperandKind::Float:
      os << ' ' << field.name << '=' << formatFloatBits(word);
      continue;
    case OperandKind::DramAddress:
      os << ' ' << field.name << "=0x"
         << llvm::utohexstr(inst.dramAddress(), /*LowerCase=*/true);
      continue;
    case OperandKind::Count:
    case OperandKind::Stride:
    case OperandKind::Index:
    case OperandKind::Record:
      os << ' ' << field.name << '=' << word;
      continue;
    }
  }
  if (inst.flags())
    os << " flags=" << formatFlags(inst.flags());
  if (inst.waitMask())
    os << " wait=" << formatUnitMask(inst.waitMask());
  if (inst.signalMask())
    os << " signal=" << formatUnitMask(inst.signalMask());
  os << "  # " << index << names << '\n';
}

} // namespace

void writeAssembly(const StreamFile &stream, llvm::raw_ostream &os,
                   llvm::ArrayRef<std::string> bufferNames) {
  os << "# lapa instruction stream\n";
  os << ".stream version=" << stream.version << " fingerprint=0x"
     << llvm::format_hex_no_prefix(stream.configFingerprint, 16);
  if (!stream.configName.empty())
    os << " config=" << stream.configName;
  os << '\n';

  for (const TensorInfo &tensor : stream.tensors) {
    os << ".tensor " << tensor.name << " role=" << tensorRoleName(tensor.role)
       << " type=" << elementTypeName(tensor.type) << " shape=[";
    llvm::interleave(tensor.shape, os, ",");
    os << "] address=0x"
       << llvm::utohexstr(tensor.dramAddress, /*LowerCase=*/true);
    if (!tensor.scaleTensor.empty())
      os << " scale=" << tensor.scaleTensor;
    if (tensor.constantOffset != UINT64_MAX)
      os << " constant=0x"
         << llvm::utohexstr(tensor.constantOffset, /*LowerCase=*/true);
    os << '\n';
  }

  if (!stream.constants.empty()) {
    os << ".constants " << stream.constants.size() << '\n';
    llvm::ArrayRef<uint8_t> bytes(stream.constants);
    for (size_t offset = 0; offset < bytes.size();
         offset += kDataBytesPerLine) {
      os << ".data 0x" << llvm::utohexstr(offset, /*LowerCase=*/true) << ' '
         << llvm::toHex(bytes.slice(offset).take_front(kDataBytesPerLine),
                        /*LowerCase=*/true)
         << '\n';
    }
  }

  for (const std::string &record : stream.predictors)
    os << ".predictor " << record << '\n';
  for (const StageRange &stage : stream.stages)
    os << ".stage " << stage.stage << " layer=" << stage.layer
       << " first=" << stage.first << " end=" << stage.end << '\n';

  for (auto [index, inst] : llvm::enumerate(stream.instructions))
    writeInstruction(inst, index, bufferNames, os);
}

void writeAssembly(const StreamFile &stream, llvm::raw_ostream &os) {
  writeAssembly(stream, os, {});
}

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

namespace {

/// A word of a line and its 1-based column.
struct Token {
  llvm::StringRef text;
  unsigned column = 0;
};

/// A `key=value` word split at its first '='.
struct KeyValue {
  llvm::StringRef key;
  llvm::StringRef value;
  unsigned column = 0;
  unsigned valueColumn = 0;
};

class AssemblyParser {
public:
  explicit AssemblyParser(llvm::StringRef text) : text(text) {}

  llvm::Expected<StreamFile> parse();

private:
  llvm::Error error(unsigned column, const llvm::Twine &message) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   llvm::Twine(lineNumber) + ":" +
                                       llvm::Twine(column) + ": " + message);
  }

  llvm::Error parseLine(llvm::StringRef line);
  llvm::Error parseStreamDirective(llvm::ArrayRef<Token> tokens);
  llvm::Error parseTensor(llvm::ArrayRef<Token> tokens);
  llvm::Error parseConstants(llvm::ArrayRef<Token> tokens);
  llvm::Error parseData(llvm::ArrayRef<Token> tokens);
  llvm::Error parseStage(llvm::ArrayRef<Token> tokens);
  llvm::Error parseInstruction(llvm::ArrayRef<Token> tokens);

  /// Splits `key=value` words, rejecting a missing '=' and repeated keys.
  llvm::Expected<std::vector<KeyValue>>
  keyValues(llvm::ArrayRef<Token> tokens) const;

  llvm::Error parseDecimal(const KeyValue &field, uint64_t max,
                           uint64_t &value) const;
  llvm::Error parseHex(const KeyValue &field, uint64_t &value) const;
  llvm::Error parseName(const KeyValue &field, std::string &value) const;
  llvm::Error parseList(const KeyValue &field,
                        llvm::SmallVectorImpl<Token> &items) const;
  llvm::Error parseUnitMask(const KeyValue &field, uint8_t &mask) const;
  llvm::Error parseBuffer(const KeyValue &field, bool optional,
                          uint32_t &word) const;
  llvm::Error parseFloat(const KeyValue &field, uint32_t &word) const;

  llvm::StringRef text;
  unsigned lineNumber = 0;
  StreamFile stream;
  bool sawStream = false;
  bool sawConstants = false;
  /// Byte count that .constants declares; .data lines fill it in order.
  uint64_t constantsSize = 0;
};

std::vector<Token> tokenize(llvm::StringRef line) {
  std::vector<Token> tokens;
  size_t pos = 0;
  while (pos < line.size()) {
    if (line[pos] == ' ' || line[pos] == '\t') {
      ++pos;
      continue;
    }
    size_t end = line.find_first_of(" \t", pos);
    if (end == llvm::StringRef::npos)
      end = line.size();
    tokens.push_back({line.slice(pos, end), static_cast<unsigned>(pos + 1)});
    pos = end;
  }
  return tokens;
}

bool isDigits(llvm::StringRef text) {
  return !text.empty() && llvm::all_of(text, llvm::isDigit);
}

llvm::Expected<std::vector<KeyValue>>
AssemblyParser::keyValues(llvm::ArrayRef<Token> tokens) const {
  std::vector<KeyValue> fields;
  for (const Token &token : tokens) {
    size_t equals = token.text.find('=');
    if (equals == llvm::StringRef::npos || equals == 0)
      return error(token.column, "expected key=value, found '" + token.text +
                                     "'");
    KeyValue field{token.text.take_front(equals),
                   token.text.drop_front(equals + 1), token.column,
                   static_cast<unsigned>(token.column + equals + 1)};
    for (const KeyValue &previous : fields)
      if (previous.key == field.key)
        return error(field.column, "key '" + field.key +
                                       "' appears twice; give it once");
    fields.push_back(field);
  }
  return fields;
}

llvm::Error AssemblyParser::parseDecimal(const KeyValue &field, uint64_t max,
                                         uint64_t &value) const {
  if (!isDigits(field.value) || field.value.size() > 20 ||
      field.value.getAsInteger(10, value) || value > max)
    return error(field.valueColumn,
                 "'" + field.key + "' is '" + field.value +
                     "'; expected a decimal integer in [0, " +
                     llvm::Twine(max) + "]");
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseHex(const KeyValue &field,
                                     uint64_t &value) const {
  llvm::StringRef digits = field.value;
  if (!digits.consume_front("0x") || digits.empty() || digits.size() > 16 ||
      !llvm::all_of(digits, llvm::isHexDigit) ||
      digits.getAsInteger(16, value))
    return error(field.valueColumn,
                 "'" + field.key + "' is '" + field.value +
                     "'; expected a hexadecimal integer such as 0x100");
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseName(const KeyValue &field,
                                      std::string &value) const {
  if (field.value.empty())
    return error(field.valueColumn, "'" + field.key + "' is empty");
  value = field.value.str();
  return llvm::Error::success();
}

llvm::Error
AssemblyParser::parseList(const KeyValue &field,
                          llvm::SmallVectorImpl<Token> &items) const {
  llvm::StringRef list = field.value;
  if (!list.consume_front("[") || !list.consume_back("]"))
    return error(field.valueColumn, "'" + field.key + "' is '" + field.value +
                                        "'; expected a list such as [a,b]");
  if (list.empty())
    return llvm::Error::success();
  unsigned column = field.valueColumn + 1;
  llvm::SmallVector<llvm::StringRef> parts;
  list.split(parts, ',');
  for (llvm::StringRef part : parts) {
    if (part.empty())
      return error(column, "'" + field.key + "' has an empty list entry");
    items.push_back({part, column});
    column += part.size() + 1;
  }
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseUnitMask(const KeyValue &field,
                                          uint8_t &mask) const {
  llvm::SmallVector<Token> items;
  if (llvm::Error err = parseList(field, items))
    return err;
  mask = 0;
  for (const Token &item : items) {
    std::optional<Unit> unit = parseUnit(std::string_view(item.text));
    if (!unit)
      return error(item.column, "unknown unit '" + item.text +
                                    "'; units are dma, shift, encode, filter, "
                                    "mac, softmax, vector");
    mask |= 1u << static_cast<unsigned>(*unit);
  }
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseBuffer(const KeyValue &field, bool optional,
                                        uint32_t &word) const {
  if (field.value == "none") {
    if (!optional)
      return error(field.valueColumn, "'" + field.key +
                                          "' is required and cannot be none");
    word = kNoBuffer;
    return llvm::Error::success();
  }
  llvm::StringRef ref = field.value;
  auto [index, offset] = ref.split('+');
  unsigned buffer = 0;
  uint64_t byteOffset = 0;
  bool valid = index.consume_front("b") && isDigits(index) &&
               index.size() <= 3 && !index.getAsInteger(10, buffer) &&
               buffer <= 0xff;
  if (valid && offset.size() != 0) {
    llvm::StringRef digits = offset;
    valid = digits.consume_front("0x") && !digits.empty() &&
            digits.size() <= 6 && llvm::all_of(digits, llvm::isHexDigit) &&
            !digits.getAsInteger(16, byteOffset);
  } else if (valid && ref.contains('+')) {
    valid = false;
  }
  if (!valid)
    return error(field.valueColumn,
                 "'" + field.key + "' is '" + field.value +
                     "'; expected a buffer reference such as b3+0x100 "
                     "(buffer index up to 255, offset up to 0xffffff)" +
                     (optional ? " or none" : ""));
  word = BufRef{static_cast<uint8_t>(buffer),
                static_cast<uint32_t>(byteOffset)}
             .pack();
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseFloat(const KeyValue &field,
                                       uint32_t &word) const {
  llvm::StringRef value = field.value;
  if (value.starts_with("0x")) {
    uint64_t bits = 0;
    if (llvm::Error err = parseHex(field, bits))
      return err;
    if (bits > 0xffffffffu)
      return error(field.valueColumn, "'" + field.key + "' is '" + value +
                                          "', wider than the 32 bits of f32");
    word = static_cast<uint32_t>(bits);
    return llvm::Error::success();
  }
  float number = 0;
  const char *begin = value.data();
  const char *end = value.data() + value.size();
  std::from_chars_result result = std::from_chars(begin, end, number);
  // from_chars also reads "nan"; a NaN must be given as raw bits so that its
  // payload is exact.
  if (value.empty() || result.ec != std::errc() || result.ptr != end ||
      std::isnan(number))
    return error(field.valueColumn,
                 "'" + field.key + "' is '" + value +
                     "'; expected a decimal f32 such as 0.125, inf, or raw "
                     "bits such as 0x3f800000");
  std::memcpy(&word, &number, sizeof(word));
  return llvm::Error::success();
}

llvm::Error
AssemblyParser::parseStreamDirective(llvm::ArrayRef<Token> tokens) {
  if (sawStream)
    return error(tokens[0].column, ".stream appears twice; give it once");
  sawStream = true;
  llvm::Expected<std::vector<KeyValue>> fields = keyValues(tokens.drop_front());
  if (!fields)
    return fields.takeError();
  bool sawVersion = false, sawFingerprint = false;
  for (const KeyValue &field : *fields) {
    if (field.key == "version") {
      uint64_t version = 0;
      if (llvm::Error err = parseDecimal(field, UINT32_MAX, version))
        return err;
      stream.version = static_cast<uint32_t>(version);
      sawVersion = true;
    } else if (field.key == "fingerprint") {
      if (llvm::Error err = parseHex(field, stream.configFingerprint))
        return err;
      sawFingerprint = true;
    } else if (field.key == "config") {
      if (llvm::Error err = parseName(field, stream.configName))
        return err;
    } else {
      return error(field.column, "unknown key '" + field.key +
                                     "' in .stream; keys are version, "
                                     "fingerprint, config");
    }
  }
  if (!sawVersion || !sawFingerprint)
    return error(tokens[0].column,
                 ".stream needs version= and fingerprint=");
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseTensor(llvm::ArrayRef<Token> tokens) {
  if (tokens.size() < 2)
    return error(tokens[0].column, ".tensor needs a name");
  TensorInfo tensor;
  tensor.name = tokens[1].text.str();
  llvm::Expected<std::vector<KeyValue>> fields =
      keyValues(tokens.drop_front(2));
  if (!fields)
    return fields.takeError();
  bool sawRole = false, sawType = false, sawShape = false,
       sawAddress = false;
  for (const KeyValue &field : *fields) {
    if (field.key == "role") {
      std::optional<TensorRole> role =
          parseTensorRole(std::string_view(field.value));
      if (!role)
        return error(field.valueColumn,
                     "unknown role '" + field.value +
                         "'; roles are input, weight, output, scratch");
      tensor.role = *role;
      sawRole = true;
    } else if (field.key == "type") {
      std::optional<ElementType> type =
          parseElementType(std::string_view(field.value));
      if (!type)
        return error(field.valueColumn,
                     "unknown element type '" + field.value +
                         "'; types are i8, i16, i32, f32, u8, u16");
      tensor.type = *type;
      sawType = true;
    } else if (field.key == "shape") {
      llvm::SmallVector<Token> items;
      if (llvm::Error err = parseList(field, items))
        return err;
      if (items.size() > kMaxRank)
        return error(field.valueColumn,
                     llvm::formatv("shape has rank {0}, over the limit of {1}",
                                   items.size(), kMaxRank));
      for (const Token &item : items) {
        uint64_t dim = 0;
        if (llvm::Error err = parseDecimal(
                {field.key, item.text, item.column, item.column}, UINT64_MAX,
                dim))
          return err;
        tensor.shape.push_back(dim);
      }
      sawShape = true;
    } else if (field.key == "address") {
      if (llvm::Error err = parseHex(field, tensor.dramAddress))
        return err;
      sawAddress = true;
    } else if (field.key == "scale") {
      if (llvm::Error err = parseName(field, tensor.scaleTensor))
        return err;
    } else if (field.key == "constant") {
      if (llvm::Error err = parseHex(field, tensor.constantOffset))
        return err;
    } else {
      return error(field.column,
                   "unknown key '" + field.key +
                       "' in .tensor; keys are role, type, shape, address, "
                       "scale, constant");
    }
  }
  if (!sawRole || !sawType || !sawShape || !sawAddress)
    return error(tokens[0].column,
                 ".tensor needs role=, type=, shape= and address=");
  stream.tensors.push_back(std::move(tensor));
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseConstants(llvm::ArrayRef<Token> tokens) {
  if (sawConstants)
    return error(tokens[0].column, ".constants appears twice; give it once");
  sawConstants = true;
  if (tokens.size() != 2)
    return error(tokens[0].column, ".constants needs one decimal byte count");
  uint64_t size = 0;
  if (llvm::Error err = parseDecimal(
          {"size", tokens[1].text, tokens[1].column, tokens[1].column},
          kMaxDramBytes, size))
    return err;
  // The bytes arrive in .data lines; the size bounds what they may fill.
  stream.constants.reserve(std::min<uint64_t>(size, text.size() / 2));
  constantsSize = size;
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseData(llvm::ArrayRef<Token> tokens) {
  if (!sawConstants)
    return error(tokens[0].column, ".data must follow a .constants line");
  if (tokens.size() != 3)
    return error(tokens[0].column, ".data needs an offset and hex bytes");
  uint64_t offset = 0;
  if (llvm::Error err = parseHex(
          {"offset", tokens[1].text, tokens[1].column, tokens[1].column},
          offset))
    return err;
  if (offset != stream.constants.size())
    return error(tokens[1].column,
                 llvm::formatv(".data offset is {0:x}, but the bytes so "
                               "far end at {1:x}; give the data in order "
                               "without gaps",
                               offset, stream.constants.size()));
  llvm::StringRef hex = tokens[2].text;
  if (hex.size() % 2 != 0 || !llvm::all_of(hex, llvm::isHexDigit))
    return error(tokens[2].column,
                 "expected an even number of hexadecimal digits");
  if (hex.size() / 2 > constantsSize - stream.constants.size())
    return error(tokens[2].column,
                 llvm::formatv(".data runs past the {0} bytes that "
                               ".constants declares",
                               constantsSize));
  for (size_t i = 0; i < hex.size(); i += 2)
    stream.constants.push_back(
        static_cast<uint8_t>(llvm::hexFromNibbles(hex[i], hex[i + 1])));
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseStage(llvm::ArrayRef<Token> tokens) {
  if (tokens.size() < 2)
    return error(tokens[0].column, ".stage needs a stage name");
  StageRange stage;
  stage.stage = tokens[1].text.str();
  llvm::Expected<std::vector<KeyValue>> fields =
      keyValues(tokens.drop_front(2));
  if (!fields)
    return fields.takeError();
  bool sawLayer = false, sawFirst = false, sawEnd = false;
  for (const KeyValue &field : *fields) {
    uint64_t value = 0;
    if (field.key == "layer") {
      llvm::StringRef digits = field.value;
      bool negative = digits.consume_front("-");
      if (llvm::Error err = parseDecimal(
              {field.key, digits, field.column, field.valueColumn},
              negative ? 1u : uint64_t(INT32_MAX), value))
        return err;
      stage.layer = negative ? -static_cast<int32_t>(value)
                             : static_cast<int32_t>(value);
      sawLayer = true;
    } else if (field.key == "first" || field.key == "end") {
      if (llvm::Error err = parseDecimal(field, UINT32_MAX, value))
        return err;
      (field.key == "first" ? stage.first : stage.end) =
          static_cast<uint32_t>(value);
      (field.key == "first" ? sawFirst : sawEnd) = true;
    } else {
      return error(field.column, "unknown key '" + field.key +
                                     "' in .stage; keys are layer, first, end");
    }
  }
  if (!sawLayer || !sawFirst || !sawEnd)
    return error(tokens[0].column, ".stage needs layer=, first= and end=");
  stream.stages.push_back(std::move(stage));
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseInstruction(llvm::ArrayRef<Token> tokens) {
  std::optional<Opcode> op = parseOpcode(std::string_view(tokens[0].text));
  if (!op)
    return error(tokens[0].column,
                 "unknown opcode or directive '" + tokens[0].text + "'");
  llvm::Expected<std::vector<KeyValue>> fields = keyValues(tokens.drop_front());
  if (!fields)
    return fields.takeError();

  Instruction inst;
  uint8_t flags = 0, wait = 0, signal = 0;
  // The flags decide which fields exist, so they are read first.
  for (const KeyValue &field : *fields) {
    if (field.key != "flags")
      continue;
    llvm::SmallVector<Token> items;
    if (llvm::Error err = parseList(field, items))
      return err;
    for (const Token &item : items) {
      std::optional<Flag> flag = parseFlag(std::string_view(item.text));
      if (!flag)
        return error(item.column,
                     "unknown flag '" + item.text +
                         "'; flags are accumulate, trans_b, gather, "
                         "per_tensor, row_broadcast, causal");
      flags |= *flag;
    }
  }

  uint32_t seen = 0;
  for (const KeyValue &field : *fields) {
    if (field.key == "flags")
      continue;
    if (field.key == "wait" || field.key == "signal") {
      if (llvm::Error err =
              parseUnitMask(field, field.key == "wait" ? wait : signal))
        return err;
      continue;
    }
    const OperandField *operand =
        findOperandField(*op, std::string_view(field.key));
    if (!operand || operand->kind == OperandKind::NoBuffer ||
        (operand->onlyWithFlag && !(flags & operand->onlyWithFlag))) {
      std::string valid;
      for (const OperandField &known : operandFields(*op))
        if (known.kind != OperandKind::NoBuffer &&
            (!known.onlyWithFlag || (flags & known.onlyWithFlag)))
          valid += std::string(valid.empty() ? "" : ", ") +
                   std::string(known.name);
      return error(field.column,
                   llvm::formatv("'{0}' has no field '{1}' with these flags; "
                                 "its fields are {2}, flags, wait, signal",
                                 opcodeName(*op), field.key, valid));
    }
    uint32_t &word = inst.words[operand->word];
    switch (operand->kind) {
    case OperandKind::Buffer:
    case OperandKind::OptionalBuffer:
      if (llvm::Error err = parseBuffer(
              field, operand->kind == OperandKind::OptionalBuffer, word))
        return err;
      break;
    case OperandKind::Float:
      if (llvm::Error err = parseFloat(field, word))
        return err;
      break;
    case OperandKind::DramAddress: {
      uint64_t address = 0;
      if (llvm::Error err = parseHex(field, address))
        return err;
      inst.setDramAddress(address);
      break;
    }
    case OperandKind::Count:
    case OperandKind::Stride:
    case OperandKind::Index:
    case OperandKind::Record:
    case OperandKind::NoBuffer: {
      uint64_t value = 0;
      if (llvm::Error err = parseDecimal(field, UINT32_MAX, value))
        return err;
      word = static_cast<uint32_t>(value);
      break;
    }
    }
    seen |= 1u << operand->word;
  }

  for (const OperandField &operand : operandFields(*op)) {
    if (operand.kind == OperandKind::NoBuffer) {
      inst.words[operand.word] = kNoBuffer;
      continue;
    }
    if (operand.onlyWithFlag && !(flags & operand.onlyWithFlag))
      continue;
    if (!(seen & (1u << operand.word)))
      return error(tokens[0].column,
                   llvm::formatv("'{0}' needs the field '{1}'",
                                 opcodeName(*op), operand.name));
  }
  inst.setHeader(*op, wait, signal, flags);
  stream.instructions.push_back(inst);
  return llvm::Error::success();
}

llvm::Error AssemblyParser::parseLine(llvm::StringRef line) {
  line = line.rtrim("\r");
  llvm::StringRef trimmed = line.ltrim(" \t");
  if (trimmed.starts_with(".predictor ")) {
    stream.predictors.push_back(
        trimmed.drop_front(strlen(".predictor ")).str());
    return llvm::Error::success();
  }
  size_t comment = line.find('#');
  if (comment != llvm::StringRef::npos)
    line = line.take_front(comment);
  std::vector<Token> tokens = tokenize(line);
  if (tokens.empty())
    return llvm::Error::success();

  llvm::StringRef head = tokens[0].text;
  if (head == ".stream")
    return parseStreamDirective(tokens);
  if (head == ".tensor")
    return parseTensor(tokens);
  if (head == ".constants")
    return parseConstants(tokens);
  if (head == ".data")
    return parseData(tokens);
  if (head == ".stage")
    return parseStage(tokens);
  if (head == ".predictor")
    return error(tokens[0].column, ".predictor needs the record text");
  if (head.starts_with("."))
    return error(tokens[0].column,
                 "unknown directive '" + head +
                     "'; directives are .stream, .tensor, .constants, "
                     ".data, .predictor, .stage");
  return parseInstruction(tokens);
}

llvm::Expected<StreamFile> AssemblyParser::parse() {
  llvm::StringRef rest = text;
  while (!rest.empty()) {
    ++lineNumber;
    auto [line, next] = rest.split('\n');
    if (llvm::Error err = parseLine(line))
      return std::move(err);
    rest = next;
  }
  if (!sawStream)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "1:1: the text has no .stream line; start it with .stream version=1 "
        "fingerprint=0x...");
  if (stream.constants.size() != constantsSize)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("{0}:1: .constants declares {1} bytes, but the .data "
                      "lines give {2}",
                      lineNumber, constantsSize, stream.constants.size()));
  if (llvm::Error err = checkStream(stream))
    return std::move(err);
  return std::move(stream);
}

} // namespace

llvm::Expected<StreamFile> readAssembly(llvm::StringRef text) {
  return AssemblyParser(text).parse();
}

} // namespace lapa::isa
