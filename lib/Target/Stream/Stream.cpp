//===- Stream.cpp - Binary form and structural checks of a stream ---------===//
//
// The binary writer and reader and the configuration-free checks that both
// readers end with. docs/ISA.md lists the layout byte by byte: a 32-byte
// header, a table of five sections, the configuration name, then the memory
// map, constants, predictor records, stage ranges and instructions, each
// starting at an 8-byte boundary. The layout is canonical: the reader accepts
// exactly the files the writer can produce, so reading and writing again
// gives the same bytes.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Stream/Stream.h"

#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Target/Stream/StreamVerify.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstring>

namespace lapa::isa {

//===----------------------------------------------------------------------===//
// Names and small helpers of Stream.h
//===----------------------------------------------------------------------===//

namespace {

constexpr std::string_view kElementTypeNames[] = {"i8",  "i16", "i32",
                                                  "f32", "u8",  "u16"};
constexpr unsigned kElementTypeBytes[] = {1, 2, 4, 4, 1, 2};
constexpr std::string_view kTensorRoleNames[] = {"input", "weight", "output",
                                                 "scratch"};
constexpr std::string_view kStageNames[] = {
    "prediction", "kv_projection", "attention", "ffn", "other"};

} // namespace

std::string_view elementTypeName(ElementType type) {
  unsigned index = static_cast<unsigned>(type);
  return index < std::size(kElementTypeNames) ? kElementTypeNames[index]
                                               : "unknown";
}

std::optional<ElementType> parseElementType(std::string_view name) {
  for (unsigned index = 0; index < std::size(kElementTypeNames); ++index)
    if (kElementTypeNames[index] == name)
      return static_cast<ElementType>(index);
  return std::nullopt;
}

unsigned elementBytes(ElementType type) {
  unsigned index = static_cast<unsigned>(type);
  return index < std::size(kElementTypeBytes) ? kElementTypeBytes[index] : 0;
}

std::string_view tensorRoleName(TensorRole role) {
  unsigned index = static_cast<unsigned>(role);
  return index < std::size(kTensorRoleNames) ? kTensorRoleNames[index]
                                              : "unknown";
}

std::optional<TensorRole> parseTensorRole(std::string_view name) {
  for (unsigned index = 0; index < std::size(kTensorRoleNames); ++index)
    if (kTensorRoleNames[index] == name)
      return static_cast<TensorRole>(index);
  return std::nullopt;
}

bool isValidStageName(llvm::StringRef name) {
  return llvm::is_contained(kStageNames, std::string_view(name));
}

uint64_t TensorInfo::elementCount() const {
  uint64_t count = 1;
  for (uint64_t dim : shape)
    count = llvm::SaturatingMultiply(count, dim);
  return count;
}

uint64_t TensorInfo::byteSize() const {
  return llvm::SaturatingMultiply(elementCount(),
                                  uint64_t(elementBytes(type)));
}

const TensorInfo *StreamFile::findTensor(llvm::StringRef name) const {
  for (const TensorInfo &tensor : tensors)
    if (tensor.name == name)
      return &tensor;
  return nullptr;
}

uint64_t StreamFile::dramBytes() const {
  uint64_t bytes = 0;
  for (const TensorInfo &tensor : tensors)
    bytes = std::max(bytes,
                     llvm::SaturatingAdd(tensor.dramAddress, tensor.byteSize()));
  return bytes;
}

bool operator==(const TensorInfo &lhs, const TensorInfo &rhs) {
  return lhs.name == rhs.name && lhs.role == rhs.role &&
         lhs.type == rhs.type && lhs.shape == rhs.shape &&
         lhs.dramAddress == rhs.dramAddress &&
         lhs.scaleTensor == rhs.scaleTensor &&
         lhs.constantOffset == rhs.constantOffset;
}

bool operator==(const StageRange &lhs, const StageRange &rhs) {
  return lhs.stage == rhs.stage && lhs.layer == rhs.layer &&
         lhs.first == rhs.first && lhs.end == rhs.end;
}

bool operator==(const StreamFile &lhs, const StreamFile &rhs) {
  if (lhs.instructions.size() != rhs.instructions.size())
    return false;
  for (size_t i = 0; i < lhs.instructions.size(); ++i)
    if (lhs.instructions[i].words != rhs.instructions[i].words)
      return false;
  return lhs.version == rhs.version &&
         lhs.configFingerprint == rhs.configFingerprint &&
         lhs.configName == rhs.configName && lhs.tensors == rhs.tensors &&
         lhs.constants == rhs.constants && lhs.predictors == rhs.predictors &&
         lhs.stages == rhs.stages;
}

//===----------------------------------------------------------------------===//
// Structural checks
//===----------------------------------------------------------------------===//

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

// Tensor and scale names: printable ASCII without space, '#', '=',
// ',' or '"', so that the assembly can write them unquoted.
bool isValidNameChar(char c) {
  return c > ' ' && c <= '~' && c != '#' && c != '=' && c != ',' && c != '"';
}

// Configuration names follow HardwareConfig: letters, digits, '.', '-', '_'.
bool isValidConfigNameChar(char c) {
  return llvm::isAlnum(c) || c == '.' || c == '-' || c == '_';
}

// Returns a description of what is wrong with a name, or "" if it is valid.
std::string checkName(llvm::StringRef name, bool allowEmpty,
                      bool (*isValidChar)(char)) {
  if (name.empty())
    return allowEmpty ? "" : "is empty";
  if (name.size() > kMaxNameBytes)
    return llvm::formatv("is {0} bytes long, over the limit of {1}",
                         name.size(), kMaxNameBytes)
        .str();
  for (size_t i = 0; i < name.size(); ++i)
    if (!isValidChar(name[i]))
      return llvm::formatv("contains the byte 0x{0:x-2} at position {1}, "
                           "which names may not contain",
                           uint8_t(name[i]), i)
          .str();
  return "";
}

llvm::Error checkTensors(const StreamFile &stream) {
  llvm::StringSet<> names;
  for (auto [index, tensor] : llvm::enumerate(stream.tensors)) {
    std::string where = llvm::formatv("memory map record {0}", index).str();
    std::string problem = checkName(tensor.name, false, isValidNameChar);
    if (!problem.empty())
      return makeError(where + ": field 'name' " + problem +
                       "; use printable ASCII without spaces, '#', '=', ',' "
                       "or '\"'");
    if (!names.insert(tensor.name).second)
      return makeError(where + ": field 'name' '" + tensor.name +
                       "' is already used by an earlier tensor; give every "
                       "tensor its own name");
    if (static_cast<unsigned>(tensor.role) >= std::size(kTensorRoleNames))
      return makeError(llvm::formatv("{0} ('{1}'): field 'role' is {2}, "
                                     "above the largest role 3 (scratch)",
                                     where, tensor.name,
                                     unsigned(tensor.role)));
    if (static_cast<unsigned>(tensor.type) >= std::size(kElementTypeNames))
      return makeError(llvm::formatv("{0} ('{1}'): field 'type' is {2}, "
                                     "above the largest element type 5 (u16)",
                                     where, tensor.name,
                                     unsigned(tensor.type)));
    if (tensor.shape.size() > kMaxRank)
      return makeError(llvm::formatv("{0} ('{1}'): field 'rank' is {2}, over "
                                     "the limit of {3}",
                                     where, tensor.name, tensor.shape.size(),
                                     kMaxRank));
    uint64_t size = tensor.byteSize();
    if (tensor.dramAddress > kMaxDramBytes ||
        size > kMaxDramBytes - tensor.dramAddress)
      return makeError(llvm::formatv(
          "{0} ('{1}'): the tensor at DRAM address {2:x} with {3} bytes ends "
          "past the DRAM limit of {4:x}; move it to a lower address or "
          "shrink it",
          where, tensor.name, tensor.dramAddress, size, kMaxDramBytes));
    if (tensor.constantOffset != UINT64_MAX &&
        (tensor.constantOffset > stream.constants.size() ||
         size > stream.constants.size() - tensor.constantOffset))
      return makeError(llvm::formatv(
          "{0} ('{1}'): field 'constant' is {2}, and its {3} bytes end past "
          "the constants segment of {4} bytes",
          where, tensor.name, tensor.constantOffset, size,
          stream.constants.size()));
  }

  // Scale tensors can come later in the list, so they are checked once every
  // name is known.
  for (auto [index, tensor] : llvm::enumerate(stream.tensors)) {
    if (tensor.scaleTensor.empty())
      continue;
    std::string where =
        llvm::formatv("memory map record {0} ('{1}')", index, tensor.name)
            .str();
    std::string problem = checkName(tensor.scaleTensor, false, isValidNameChar);
    if (!problem.empty())
      return makeError(where + ": field 'scale' " + problem);
    const TensorInfo *scale = stream.findTensor(tensor.scaleTensor);
    if (!scale)
      return makeError(where + ": field 'scale' names '" + tensor.scaleTensor +
                       "', which is not in the memory map; add the scale "
                       "tensor or clear the field");
    if (scale == &tensor || scale->type != ElementType::F32)
      return makeError(where + ": field 'scale' names '" + tensor.scaleTensor +
                       "', which is " +
                       (scale == &tensor ? std::string("the tensor itself")
                                         : "of type " +
                                               std::string(elementTypeName(
                                                   scale->type))) +
                       "; scales must be another tensor of type f32");
  }

  // Overlaps: sort the non-empty tensors by address and compare neighbours.
  std::vector<size_t> order;
  for (size_t index = 0; index < stream.tensors.size(); ++index)
    if (stream.tensors[index].byteSize() > 0)
      order.push_back(index);
  llvm::sort(order, [&](size_t lhs, size_t rhs) {
    return stream.tensors[lhs].dramAddress < stream.tensors[rhs].dramAddress;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const TensorInfo &previous = stream.tensors[order[i - 1]];
    const TensorInfo &next = stream.tensors[order[i]];
    uint64_t previousEnd = previous.dramAddress + previous.byteSize();
    if (next.dramAddress < previousEnd)
      return makeError(llvm::formatv(
          "memory map record {0} ('{1}'): field 'address' is {2:x}, inside "
          "tensor '{3}' (memory map record {4}) which spans [{5:x}, {6:x}); "
          "tensors may not overlap",
          order[i], next.name, next.dramAddress, previous.name, order[i - 1],
          previous.dramAddress, previousEnd));
  }
  return llvm::Error::success();
}

llvm::Error checkStages(const StreamFile &stream) {
  for (auto [index, stage] : llvm::enumerate(stream.stages)) {
    std::string where = llvm::formatv("stage record {0}", index).str();
    if (!isValidStageName(stage.stage))
      return makeError(where + ": field 'stage' is '" + stage.stage +
                       "'; valid stages are prediction, kv_projection, "
                       "attention, ffn and other");
    if (stage.layer < -1)
      return makeError(llvm::formatv("{0}: field 'layer' is {1}; give a "
                                     "layer index >= 0, or -1 outside layers",
                                     where, stage.layer));
    if (stage.first > stage.end)
      return makeError(llvm::formatv("{0}: field 'first' is {1}, after the "
                                     "field 'end' = {2}",
                                     where, stage.first, stage.end));
    if (stage.end > stream.instructions.size())
      return makeError(llvm::formatv("{0}: field 'end' is {1}, past the {2} "
                                     "instructions of the stream",
                                     where, stage.end,
                                     stream.instructions.size()));
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error checkStream(const StreamFile &stream, bool checkEncodings) {
  if (stream.version != kStreamVersion)
    return makeError(llvm::formatv("header: field 'version' is {0}, but this "
                                   "library reads only version {1}; rebuild "
                                   "the stream with a matching compiler",
                                   stream.version, kStreamVersion));
  std::string problem =
      checkName(stream.configName, /*allowEmpty=*/true, isValidConfigNameChar);
  if (!problem.empty())
    return makeError("header: field 'config_name' " + problem +
                     "; configuration names use letters, digits, '.', '-' "
                     "and '_'");

  if (llvm::Error error = checkTensors(stream))
    return error;

  std::vector<predict::PredictorConfig> predictors;
  for (auto [index, record] : llvm::enumerate(stream.predictors)) {
    if (record.empty() || record.size() > kMaxPredictorBytes)
      return makeError(llvm::formatv("predictor record {0}: the text is {1} "
                                     "bytes long, outside [1, {2}]",
                                     index, record.size(),
                                     kMaxPredictorBytes));
    // The assembly writes a record verbatim to the end of its line.
    auto badChar = llvm::find_if(record, [](char c) { return c < ' ' || c > '~'; });
    if (badChar != record.end())
      return makeError(llvm::formatv(
          "predictor record {0}: the text contains the byte 0x{1:x-2} at "
          "position {2}; records are printable ASCII and spaces",
          index, uint8_t(*badChar), badChar - record.begin()));
    llvm::Expected<predict::PredictorConfig> config =
        predict::parsePredictorConfig(record);
    if (!config)
      return makeError(llvm::formatv("predictor record {0}: {1}", index,
                                     llvm::toString(config.takeError())));
    predictors.push_back(std::move(*config));
  }

  if (llvm::Error error = checkStages(stream))
    return error;

  for (auto [index, inst] : llvm::enumerate(stream.instructions)) {
    if (checkEncodings)
      if (llvm::Error error =
              checkInstructionEncoding(inst, stream.predictors.size()))
        return makeError(llvm::formatv("instruction {0}: {1}", index,
                                       llvm::toString(std::move(error))));
    // An MRSA round or a filter after a round must exist in the record.
    Opcode op = inst.opcode();
    if (op == Opcode::ShiftAccumulate || op == Opcode::Filter) {
      uint32_t round = inst.words[8];
      const predict::PredictorConfig &config = predictors[inst.words[10]];
      if (round >= config.rounds)
        return makeError(llvm::formatv(
            "instruction {0}: {1}: field 'round' is {2}, but predictor record "
            "{3} has {4} rounds; use a round below {4}",
            index, opcodeName(op), round, inst.words[10], config.rounds));
    }
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Binary writer
//===----------------------------------------------------------------------===//

namespace {

constexpr unsigned kSectionCount = 5;
constexpr uint64_t kHeaderBytes = 32;
constexpr uint64_t kSectionEntryBytes = 24;
constexpr uint64_t kSectionTableEnd =
    kHeaderBytes + kSectionCount * kSectionEntryBytes;
constexpr uint64_t kTensorFixedBytes = 32;
constexpr uint64_t kStageFixedBytes = 16;

// Section names by id; entry i of the section table holds id i + 1.
constexpr std::string_view kSectionNames[kSectionCount + 1] = {
    "", "memory map", "constants", "predictors", "stages", "instructions"};

uint64_t alignTo8(uint64_t value) { return (value + 7) & ~uint64_t(7); }

class ByteWriter {
public:
  explicit ByteWriter(std::vector<uint8_t> &out) : out(out) {}

  void u8(uint8_t value) { out.push_back(value); }
  void u32(uint32_t value) {
    for (unsigned shift = 0; shift < 32; shift += 8)
      out.push_back(static_cast<uint8_t>(value >> shift));
  }
  void u64(uint64_t value) {
    for (unsigned shift = 0; shift < 64; shift += 8)
      out.push_back(static_cast<uint8_t>(value >> shift));
  }
  void bytes(llvm::StringRef text) { out.insert(out.end(), text.begin(), text.end()); }
  void padTo8() { out.resize(alignTo8(out.size()), 0); }

private:
  std::vector<uint8_t> &out;
};

std::vector<uint8_t> writeMemoryMap(const StreamFile &stream) {
  std::vector<uint8_t> out;
  ByteWriter writer(out);
  for (const TensorInfo &tensor : stream.tensors) {
    writer.u32(static_cast<uint32_t>(tensor.name.size()));
    writer.u8(static_cast<uint8_t>(tensor.role));
    writer.u8(static_cast<uint8_t>(tensor.type));
    writer.u8(static_cast<uint8_t>(tensor.shape.size()));
    writer.u8(0);
    writer.u64(tensor.dramAddress);
    writer.u64(tensor.constantOffset);
    writer.u32(static_cast<uint32_t>(tensor.scaleTensor.size()));
    writer.u32(0);
    for (uint64_t dim : tensor.shape)
      writer.u64(dim);
    writer.bytes(tensor.name);
    writer.bytes(tensor.scaleTensor);
    writer.padTo8();
  }
  return out;
}

std::vector<uint8_t> writePredictors(const StreamFile &stream) {
  std::vector<uint8_t> out;
  ByteWriter writer(out);
  for (const std::string &record : stream.predictors) {
    writer.u32(static_cast<uint32_t>(record.size()));
    writer.bytes(record);
    writer.padTo8();
  }
  return out;
}

std::vector<uint8_t> writeStages(const StreamFile &stream) {
  std::vector<uint8_t> out;
  ByteWriter writer(out);
  for (const StageRange &stage : stream.stages) {
    writer.u32(static_cast<uint32_t>(stage.stage.size()));
    writer.u32(static_cast<uint32_t>(stage.layer));
    writer.u32(stage.first);
    writer.u32(stage.end);
    writer.bytes(stage.stage);
    writer.padTo8();
  }
  return out;
}

/// Appends the instructions section to `out`, writing each word in
/// place.
void appendInstructions(const StreamFile &stream, std::vector<uint8_t> &out) {
  size_t start = out.size();
  out.resize(start + stream.instructions.size() * kInstructionBytes);
  uint8_t *next = out.data() + start;
  for (const Instruction &inst : stream.instructions)
    for (uint32_t word : inst.words) {
      llvm::support::endian::write32le(next, word);
      next += 4;
    }
}

} // namespace

std::vector<uint8_t> writeBinary(const StreamFile &stream) {
  std::vector<uint8_t> memoryMap = writeMemoryMap(stream);
  std::vector<uint8_t> predictors = writePredictors(stream);
  std::vector<uint8_t> stages = writeStages(stream);
  // The instructions (null) are written straight into the output, and the
  // constants are not copied twice: both can be tens of megabytes.
  const std::vector<uint8_t> *sections[kSectionCount] = {
      &memoryMap, &stream.constants, &predictors, &stages, nullptr};
  const uint64_t sizes[kSectionCount] = {
      memoryMap.size(), stream.constants.size(), predictors.size(),
      stages.size(), stream.instructions.size() * uint64_t(kInstructionBytes)};
  const uint32_t counts[kSectionCount] = {
      static_cast<uint32_t>(stream.tensors.size()), 0,
      static_cast<uint32_t>(stream.predictors.size()),
      static_cast<uint32_t>(stream.stages.size()),
      static_cast<uint32_t>(stream.instructions.size())};

  uint64_t total = alignTo8(kSectionTableEnd + stream.configName.size());
  for (uint64_t size : sizes)
    total = alignTo8(total + size);
  std::vector<uint8_t> out;
  out.reserve(total);
  ByteWriter writer(out);
  writer.bytes(llvm::StringRef(kStreamMagic, sizeof(kStreamMagic)));
  writer.u32(stream.version);
  writer.u32(kSectionCount);
  writer.u64(stream.configFingerprint);
  writer.u32(static_cast<uint32_t>(stream.configName.size()));
  writer.u32(0);

  uint64_t offset = alignTo8(kSectionTableEnd + stream.configName.size());
  for (unsigned i = 0; i < kSectionCount; ++i) {
    writer.u32(i + 1);
    writer.u32(counts[i]);
    writer.u64(offset);
    writer.u64(sizes[i]);
    offset = alignTo8(offset + sizes[i]);
  }
  writer.bytes(stream.configName);
  for (unsigned i = 0; i < kSectionCount; ++i) {
    writer.padTo8();
    if (sections[i])
      out.insert(out.end(), sections[i]->begin(), sections[i]->end());
    else
      appendInstructions(stream, out);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Binary reader
//===----------------------------------------------------------------------===//

namespace {

/// Reads little-endian values from a byte range and never past its end:
/// every read first checks the bytes that remain.
class ByteReader {
public:
  explicit ByteReader(llvm::ArrayRef<uint8_t> bytes) : bytes(bytes) {}

  uint64_t position() const { return pos; }
  uint64_t remaining() const { return bytes.size() - pos; }

  bool u8(uint8_t &value) {
    if (remaining() < 1)
      return false;
    value = bytes[pos++];
    return true;
  }
  bool u32(uint32_t &value) {
    if (remaining() < 4)
      return false;
    value = 0;
    for (unsigned i = 0; i < 4; ++i)
      value |= uint32_t(bytes[pos + i]) << (8 * i);
    pos += 4;
    return true;
  }
  bool u64(uint64_t &value) {
    if (remaining() < 8)
      return false;
    value = 0;
    for (unsigned i = 0; i < 8; ++i)
      value |= uint64_t(bytes[pos + i]) << (8 * i);
    pos += 8;
    return true;
  }
  bool skip(uint64_t length) {
    if (remaining() < length)
      return false;
    pos += length;
    return true;
  }
  bool string(uint64_t length, std::string &value) {
    if (remaining() < length)
      return false;
    value.assign(reinterpret_cast<const char *>(bytes.data() + pos), length);
    pos += length;
    return true;
  }
  /// Skips to the next multiple of 8 (relative to the range start) and
  /// returns false if a skipped byte is not zero or missing.
  bool zeroPaddingTo8() {
    uint64_t end = alignTo8(pos);
    if (end > bytes.size())
      return false;
    for (; pos < end; ++pos)
      if (bytes[pos] != 0)
        return false;
    return true;
  }

private:
  llvm::ArrayRef<uint8_t> bytes;
  uint64_t pos = 0;
};

llvm::Error truncatedRecord(std::string_view section, uint64_t index,
                            std::string_view field, uint64_t sectionBytes) {
  return makeError(llvm::formatv(
      "{0} record {1}: field '{2}' runs past the end of the section, which "
      "has {3} bytes; the file is truncated or its section table is wrong",
      section, index, field, sectionBytes));
}

llvm::Error nonZeroPadding(std::string_view section, uint64_t index) {
  return makeError(llvm::formatv(
      "{0} record {1}: the padding to the next 8-byte boundary is missing or "
      "not zero",
      section, index));
}

// Reads one length-prefixed name field after its fixed part.
llvm::Error readName(ByteReader &reader, std::string_view section,
                     uint64_t index, std::string_view field, uint32_t length,
                     uint64_t limit, uint64_t sectionBytes,
                     std::string &value) {
  if (length > limit)
    return makeError(llvm::formatv("{0} record {1}: field '{2}' has length "
                                   "{3}, over the limit of {4}",
                                   section, index, field, length, limit));
  if (!reader.string(length, value))
    return truncatedRecord(section, index, field, sectionBytes);
  return llvm::Error::success();
}

llvm::Error readMemoryMap(llvm::ArrayRef<uint8_t> bytes, uint32_t count,
                          StreamFile &stream) {
  constexpr std::string_view kSection = "memory map";
  ByteReader reader(bytes);
  stream.tensors.reserve(std::min<uint64_t>(count, bytes.size() / kTensorFixedBytes));
  for (uint32_t index = 0; index < count; ++index) {
    if (reader.remaining() < kTensorFixedBytes)
      return truncatedRecord(kSection, index, "name_length", bytes.size());
    uint32_t nameLength = 0, scaleLength = 0, reserved32 = 0;
    uint8_t role = 0, type = 0, rank = 0, reserved8 = 0;
    TensorInfo tensor;
    reader.u32(nameLength);
    reader.u8(role);
    reader.u8(type);
    reader.u8(rank);
    reader.u8(reserved8);
    reader.u64(tensor.dramAddress);
    reader.u64(tensor.constantOffset);
    reader.u32(scaleLength);
    reader.u32(reserved32);
    if (role >= std::size(kTensorRoleNames))
      return makeError(llvm::formatv("{0} record {1}: field 'role' is {2}, "
                                     "above the largest role 3 (scratch)",
                                     kSection, index, role));
    if (type >= std::size(kElementTypeNames))
      return makeError(llvm::formatv("{0} record {1}: field 'type' is {2}, "
                                     "above the largest element type 5 (u16)",
                                     kSection, index, type));
    if (rank > kMaxRank)
      return makeError(llvm::formatv("{0} record {1}: field 'rank' is {2}, "
                                     "over the limit of {3}",
                                     kSection, index, rank, kMaxRank));
    if (reserved8 != 0 || reserved32 != 0)
      return makeError(llvm::formatv("{0} record {1}: a reserved field is not "
                                     "zero",
                                     kSection, index));
    tensor.role = static_cast<TensorRole>(role);
    tensor.type = static_cast<ElementType>(type);
    tensor.shape.resize(rank);
    for (uint64_t &dim : tensor.shape)
      if (!reader.u64(dim))
        return truncatedRecord(kSection, index, "shape", bytes.size());
    if (llvm::Error error = readName(reader, kSection, index, "name",
                                     nameLength, kMaxNameBytes, bytes.size(),
                                     tensor.name))
      return error;
    if (llvm::Error error = readName(reader, kSection, index, "scale",
                                     scaleLength, kMaxNameBytes, bytes.size(),
                                     tensor.scaleTensor))
      return error;
    if (!reader.zeroPaddingTo8())
      return nonZeroPadding(kSection, index);
    stream.tensors.push_back(std::move(tensor));
  }
  if (reader.remaining() != 0)
    return makeError(llvm::formatv("{0} section: {1} bytes follow the last of "
                                   "its {2} records",
                                   kSection, reader.remaining(), count));
  return llvm::Error::success();
}

llvm::Error readPredictors(llvm::ArrayRef<uint8_t> bytes, uint32_t count,
                           StreamFile &stream) {
  constexpr std::string_view kSection = "predictors";
  ByteReader reader(bytes);
  stream.predictors.reserve(std::min<uint64_t>(count, bytes.size() / 8));
  for (uint32_t index = 0; index < count; ++index) {
    uint32_t length = 0;
    if (!reader.u32(length))
      return truncatedRecord(kSection, index, "length", bytes.size());
    std::string record;
    if (llvm::Error error =
            readName(reader, kSection, index, "text", length,
                     kMaxPredictorBytes, bytes.size(), record))
      return error;
    if (!reader.zeroPaddingTo8())
      return nonZeroPadding(kSection, index);
    stream.predictors.push_back(std::move(record));
  }
  if (reader.remaining() != 0)
    return makeError(llvm::formatv("{0} section: {1} bytes follow the last of "
                                   "its {2} records",
                                   kSection, reader.remaining(), count));
  return llvm::Error::success();
}

llvm::Error readStages(llvm::ArrayRef<uint8_t> bytes, uint32_t count,
                       StreamFile &stream) {
  constexpr std::string_view kSection = "stages";
  ByteReader reader(bytes);
  stream.stages.reserve(std::min<uint64_t>(count, bytes.size() / kStageFixedBytes));
  for (uint32_t index = 0; index < count; ++index) {
    if (reader.remaining() < kStageFixedBytes)
      return truncatedRecord(kSection, index, "name_length", bytes.size());
    uint32_t nameLength = 0, layer = 0;
    StageRange stage;
    reader.u32(nameLength);
    reader.u32(layer);
    reader.u32(stage.first);
    reader.u32(stage.end);
    stage.layer = static_cast<int32_t>(layer);
    if (llvm::Error error = readName(reader, kSection, index, "stage",
                                     nameLength, kMaxNameBytes, bytes.size(),
                                     stage.stage))
      return error;
    if (!reader.zeroPaddingTo8())
      return nonZeroPadding(kSection, index);
    stream.stages.push_back(std::move(stage));
  }
  if (reader.remaining() != 0)
    return makeError(llvm::formatv("{0} section: {1} bytes follow the last of "
                                   "its {2} records",
                                   kSection, reader.remaining(), count));
  return llvm::Error::success();
}

void readInstructions(llvm::ArrayRef<uint8_t> bytes, StreamFile &stream) {
  ByteReader reader(bytes);
  stream.instructions.resize(bytes.size() / kInstructionBytes);
  for (Instruction &inst : stream.instructions)
    for (uint32_t &word : inst.words)
      reader.u32(word);
}

struct SectionEntry {
  uint32_t id = 0;
  uint32_t count = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Reads and checks the header, the section table and the configuration
// name. Returns the section entries.
llvm::Error readHeader(llvm::ArrayRef<uint8_t> bytes, StreamFile &stream,
                       SectionEntry (&sections)[kSectionCount]) {
  if (bytes.size() < sizeof(kStreamMagic))
    return makeError(llvm::formatv("header: the file has {0} bytes, fewer "
                                   "than the 8-byte magic; it is not a lapa "
                                   "instruction stream",
                                   bytes.size()));
  if (std::memcmp(bytes.data(), kStreamMagic, sizeof(kStreamMagic)) != 0)
    return makeError(llvm::formatv(
        "header: field 'magic' is 0x{0}, not \"LAPASTRM\"; the file is not a "
        "lapa instruction stream",
        llvm::toHex(bytes.take_front(sizeof(kStreamMagic)), true)));

  ByteReader reader(bytes);
  reader.skip(sizeof(kStreamMagic));
  if (!reader.u32(stream.version))
    return makeError("header: field 'version' is missing; the file is "
                     "truncated after the magic");
  if (stream.version != kStreamVersion)
    return makeError(llvm::formatv("header: field 'version' is {0}, but this "
                                   "library reads only version {1}; rebuild "
                                   "the stream with a matching compiler",
                                   stream.version, kStreamVersion));
  if (bytes.size() < kSectionTableEnd)
    return makeError(llvm::formatv("header: the file has {0} bytes, fewer "
                                   "than the {1} bytes of the header and "
                                   "section table; the file is truncated",
                                   bytes.size(), kSectionTableEnd));
  uint32_t sectionCount = 0, nameLength = 0, reserved = 0;
  reader.u32(sectionCount);
  reader.u64(stream.configFingerprint);
  reader.u32(nameLength);
  reader.u32(reserved);
  if (sectionCount != kSectionCount)
    return makeError(llvm::formatv("header: field 'section_count' is {0}, "
                                   "but version 1 has exactly {1} sections",
                                   sectionCount, kSectionCount));
  if (reserved != 0)
    return makeError(llvm::formatv("header: the reserved field at byte 28 "
                                   "is {0}, not zero",
                                   reserved));
  if (nameLength > kMaxNameBytes)
    return makeError(llvm::formatv("header: field 'config_name_length' is "
                                   "{0}, over the limit of {1}",
                                   nameLength, kMaxNameBytes));

  for (unsigned i = 0; i < kSectionCount; ++i) {
    reader.u32(sections[i].id);
    reader.u32(sections[i].count);
    reader.u64(sections[i].offset);
    reader.u64(sections[i].length);
  }
  if (!reader.string(nameLength, stream.configName))
    return makeError(llvm::formatv("header: field 'config_name' has length "
                                   "{0}, but only {1} bytes follow the "
                                   "section table; the file is truncated",
                                   nameLength, reader.remaining()));

  // Each section starts at the previous end rounded up to 8 bytes, and the
  // skipped bytes are zero.
  uint64_t end = kSectionTableEnd + nameLength;
  for (unsigned i = 0; i < kSectionCount; ++i) {
    const SectionEntry &entry = sections[i];
    std::string_view name = kSectionNames[i + 1];
    if (entry.id != i + 1)
      return makeError(llvm::formatv("section table entry {0}: field 'id' is "
                                     "{1}, but entry {0} must be section {2} "
                                     "({3})",
                                     i, entry.id, i + 1, name));
    uint64_t expected = alignTo8(end);
    if (entry.offset != expected)
      return makeError(llvm::formatv(
          "section table entry {0} ({1}): field 'offset' is {2}, but the "
          "section must start at {3}, the previous end rounded up to 8",
          i, name, entry.offset, expected));
    if (expected > bytes.size())
      return makeError(llvm::formatv(
          "section table entry {0} ({1}): field 'offset' is {2}, past the end "
          "of the file at {3} bytes; the file is truncated",
          i, name, entry.offset, bytes.size()));
    for (uint64_t pos = end; pos < expected; ++pos)
      if (bytes[pos] != 0)
        return makeError(llvm::formatv("section table entry {0} ({1}): the "
                                       "padding byte at offset {2} before "
                                       "the section is not zero",
                                       i, name, pos));
    if (entry.length > bytes.size() - entry.offset)
      return makeError(llvm::formatv(
          "section table entry {0} ({1}): field 'length' is {2}, but only {3} "
          "bytes follow offset {4}; the file is truncated",
          i, name, entry.length, bytes.size() - entry.offset, entry.offset));
    end = entry.offset + entry.length;
  }
  if (end != bytes.size())
    return makeError(llvm::formatv("header: the file has {0} bytes, but its "
                                   "last section ends at {1}; remove the "
                                   "trailing bytes",
                                   bytes.size(), end));

  if (sections[1].count != 0)
    return makeError(llvm::formatv("section table entry 1 (constants): field "
                                   "'count' is {0}, but the constants section "
                                   "has no records and must give 0",
                                   sections[1].count));
  const SectionEntry &instructions = sections[4];
  if (instructions.length != uint64_t(instructions.count) * kInstructionBytes)
    return makeError(llvm::formatv(
        "section table entry 4 (instructions): field 'length' is {0}, but "
        "{1} instructions of {2} bytes need {3}",
        instructions.length, instructions.count, kInstructionBytes,
        uint64_t(instructions.count) * kInstructionBytes));
  return llvm::Error::success();
}

} // namespace

llvm::Expected<StreamFile> readBinary(llvm::ArrayRef<uint8_t> bytes) {
  StreamFile stream;
  SectionEntry sections[kSectionCount];
  if (llvm::Error error = readHeader(bytes, stream, sections))
    return std::move(error);

  auto sectionBytes = [&](unsigned i) {
    return bytes.slice(sections[i].offset, sections[i].length);
  };
  if (llvm::Error error =
          readMemoryMap(sectionBytes(0), sections[0].count, stream))
    return std::move(error);
  llvm::ArrayRef<uint8_t> constants = sectionBytes(1);
  stream.constants.assign(constants.begin(), constants.end());
  if (llvm::Error error =
          readPredictors(sectionBytes(2), sections[2].count, stream))
    return std::move(error);
  if (llvm::Error error = readStages(sectionBytes(3), sections[3].count, stream))
    return std::move(error);
  readInstructions(sectionBytes(4), stream);

  if (llvm::Error error = checkStream(stream))
    return std::move(error);
  return stream;
}

} // namespace lapa::isa
