//===- StreamVerify.cpp - Checks of instructions against the hardware -----===//
//
// The encoding check, the byte ranges each opcode touches (from the counts,
// strides and element sizes that Isa.h documents), and the checks of an
// instruction and a stream against a hardware configuration.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Stream/StreamVerify.h"

#include "lapa/Predict/Predictor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <string>

namespace lapa::isa {

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string flagList(uint8_t flags) {
  std::string list;
  for (unsigned bit = 0; bit < 8; ++bit) {
    if (!(flags & (1u << bit)))
      continue;
    if (!list.empty())
      list += ", ";
    std::string_view name = flagName(static_cast<Flag>(1u << bit));
    list += name == "unknown" ? llvm::formatv("bit {0}", bit).str()
                              : std::string(name);
  }
  return list.empty() ? "none" : list;
}

// Returns a bit mask of the words 1..15 that `inst`'s operands use.
uint32_t usedWords(const Instruction &inst) {
  uint32_t used = 0;
  for (const OperandField &field : operandFields(inst.opcode())) {
    if (field.onlyWithFlag && !(inst.flags() & field.onlyWithFlag))
      continue;
    used |= 1u << field.word;
    if (field.kind == OperandKind::DramAddress)
      used |= 1u << (field.word + 1);
  }
  return used;
}

llvm::Error checkMask(const Instruction &inst, std::string_view field,
                      uint8_t mask) {
  std::string_view op = opcodeName(inst.opcode());
  Unit unit = opcodeUnit(inst.opcode());
  if (mask >> kNumUnits)
    return makeError(llvm::formatv("{0}: field '{1}' is 0x{2:x-2}, which sets "
                                   "bit 7; units are numbered 0 to 6",
                                   op, field, mask));
  if (mask & (1u << static_cast<unsigned>(unit)))
    return makeError(llvm::formatv("{0}: field '{1}' names the instruction's "
                                   "own unit {2}; a unit is ordered with "
                                   "itself already, so remove it",
                                   op, field, unitName(unit)));
  return llvm::Error::success();
}

} // namespace

llvm::Error checkInstructionEncoding(const Instruction &inst,
                                     size_t predictorCount) {
  uint8_t raw = inst.words[0] & 0xff;
  if (!isValidOpcode(raw))
    return makeError(llvm::formatv("field 'opcode' is {0}, which is not an "
                                   "opcode; valid opcodes are 1 to {1}",
                                   raw, unsigned(kLastOpcode)));
  Opcode op = inst.opcode();
  std::string_view name = opcodeName(op);

  uint8_t extraFlags = inst.flags() & ~allowedFlags(op);
  if (extraFlags)
    return makeError(llvm::formatv("{0}: field 'flags' sets {1}, which {0} "
                                   "does not accept; it accepts: {2}",
                                   name, flagList(extraFlags),
                                   flagList(allowedFlags(op))));
  if (llvm::Error error = checkMask(inst, "wait", inst.waitMask()))
    return error;
  if (llvm::Error error = checkMask(inst, "signal", inst.signalMask()))
    return error;

  uint32_t used = usedWords(inst);
  for (unsigned word = 1; word < kInstructionWords; ++word) {
    if ((used >> word) & 1 || inst.words[word] == 0)
      continue;
    return makeError(llvm::formatv("{0}: word {1} is 0x{2:x-8}, but {0} "
                                   "does not use it with flags {3}; unused "
                                   "words must be zero",
                                   name, word, inst.words[word],
                                   flagList(inst.flags())));
  }

  for (const OperandField &field : operandFields(op)) {
    if (field.onlyWithFlag && !(inst.flags() & field.onlyWithFlag))
      continue;
    uint32_t value = inst.words[field.word];
    switch (field.kind) {
    case OperandKind::Buffer:
      if (value == kNoBuffer)
        return makeError(llvm::formatv("{0}: field '{1}' is absent "
                                       "(0xffffffff), but {0} needs this "
                                       "buffer operand",
                                       name, field.name));
      break;
    case OperandKind::NoBuffer:
      if (value != kNoBuffer)
        return makeError(llvm::formatv("{0}: field '{1}' is 0x{2:x-8}, but "
                                       "{0} does not use it and it must be "
                                       "0xffffffff (no buffer)",
                                       name, field.name, value));
      break;
    case OperandKind::Record:
      if (value >= predictorCount)
        return makeError(llvm::formatv("{0}: field '{1}' is {2}, but the "
                                       "stream has {3} predictor records",
                                       name, field.name, value,
                                       predictorCount));
      break;
    default:
      break;
    }
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Byte ranges
//===----------------------------------------------------------------------===//

namespace {

/// Collects the accesses of one instruction.
class AccessBuilder {
public:
  explicit AccessBuilder(const Instruction &inst) : inst(inst) {}

  /// Adds a matrix of `rows` rows of `rowBytes` bytes, `strideBytes` apart,
  /// at the BufRef of `field` unless the operand is absent.
  void matrix(std::string_view field, uint64_t rows, uint64_t rowBytes,
              uint64_t strideBytes, bool read, bool write) {
    const OperandField *operand = findOperandField(inst.opcode(), field);
    uint32_t word = inst.words[operand->word];
    if (word == kNoBuffer)
      return;
    BufRef ref = BufRef::unpack(word);
    uint64_t extent = 0;
    if (rows > 0 && rowBytes > 0)
      extent = llvm::SaturatingAdd(
          llvm::SaturatingMultiply(rows - 1, strideBytes), rowBytes);
    BufferAccess access;
    access.field = operand->name;
    access.buffer = ref.buffer;
    access.begin = ref.offset;
    access.end = llvm::SaturatingAdd(uint64_t(ref.offset), extent);
    access.read = read;
    access.write = write;
    accesses.push_back(access);
  }

  /// Adds a matrix with a stride in elements of `elementBytes` bytes.
  void elements(std::string_view field, uint64_t rows, uint64_t cols,
                uint64_t ld, uint64_t elementBytes, bool read, bool write) {
    matrix(field, rows, llvm::SaturatingMultiply(cols, elementBytes),
           llvm::SaturatingMultiply(ld, elementBytes), read, write);
  }

  /// Adds a vector of `count` elements.
  void vector(std::string_view field, uint64_t count, uint64_t elementBytes,
              bool read, bool write) {
    matrix(field, 1, llvm::SaturatingMultiply(count, elementBytes), 0, read,
           write);
  }

  /// Adds the bytes holding bits [firstBit, firstBit + bits) of a bitmap.
  void bitmap(std::string_view field, uint64_t firstBit, uint64_t bits,
              bool read, bool write) {
    if (bits == 0)
      return;
    uint64_t firstByte = firstBit / 8;
    uint64_t endByte = llvm::SaturatingAdd(firstBit, bits - 1) / 8 + 1;
    size_t before = accesses.size();
    matrix(field, 1, endByte - firstByte, 0, read, write);
    if (accesses.size() > before) {
      accesses.back().begin += firstByte;
      accesses.back().end =
          llvm::SaturatingAdd(accesses.back().end, firstByte);
    }
  }

  BufferAccessList take() { return std::move(accesses); }

private:
  const Instruction &inst;
  BufferAccessList accesses;
};

} // namespace

// Returns the container size of integers of `bits` bits, as Quant writes
// them: i8 up to 8 bits, else i32.
uint64_t containerBytes(unsigned bits) { return bits <= 8 ? 1 : 4; }

BufferAccessList
bufferAccesses(const Instruction &inst,
               const predict::PredictorConfig *record) {
  AccessBuilder add(inst);
  const auto &w = inst.words;
  const bool accumulate = inst.hasFlag(Accumulate);
  constexpr bool R = true, W = true, NoR = false, NoW = false;

  switch (inst.opcode()) {
  case Opcode::Load:
    add.matrix("dst", w[4], w[5], w[7], NoR, W);
    break;
  case Opcode::Store:
    add.matrix("src", w[4], w[5], w[7], R, NoW);
    break;
  case Opcode::LoadRows:
    add.matrix("dst", w[4], w[5], w[7], NoR, W);
    add.vector("indices", w[4], 4, R, NoW);
    break;
  case Opcode::Gemm: {
    uint64_t m = w[4], n = w[5], k = w[6];
    add.elements("a", m, k, w[7], 1, R, NoW);
    if (inst.hasFlag(TransB))
      add.elements("b", n, k, w[8], 1, R, NoW);
    else
      add.elements("b", k, n, w[8], 1, R, NoW);
    add.elements("c", m, n, w[9], 4, accumulate, W);
    if (inst.hasFlag(Gather))
      add.bitmap("row_mask", w[11], m, R, NoW);
    break;
  }
  case Opcode::Sddmm:
    add.elements("a", w[4], w[6], w[7], 1, R, NoW);
    add.elements("b", 1, w[6], w[8], 1, R, NoW);
    add.elements("s", w[4], w[5], w[9], 4, NoR, W);
    add.elements("indices", w[4], w[5], w[5], 2, R, NoW);
    break;
  case Opcode::Spmm:
    add.elements("p", w[4], w[6], w[7], 1, R, NoW);
    add.elements("b", 1, w[5], w[8], 1, R, NoW);
    add.elements("o", w[4], w[5], w[9], 4, NoR, W);
    add.elements("indices", w[4], w[6], w[6], 2, R, NoW);
    break;
  case Opcode::Importance:
    add.elements("p", w[4], w[5], w[5], 4, R, NoW);
    add.elements("indices", w[4], w[5], w[5], 2, R, NoW);
    add.vector("sums", w[6], 4, R, W);
    break;
  case Opcode::Softmax:
    add.elements("s", w[3], w[4], w[4], 4, R, NoW);
    add.elements("p", w[3], w[4], w[4], 4, NoR, W);
    add.vector("row_scale", w[3], 4, R, NoW);
    break;
  case Opcode::Dequant:
    add.elements("x", w[3], w[4], w[8], 4, R, NoW);
    add.elements("y", w[3], w[4], w[9], 4, accumulate, W);
    add.vector("row_scale", w[3], 4, R, NoW);
    add.vector("col_scale", w[4], 4, R, NoW);
    break;
  case Opcode::Quant:
    add.elements("x", w[3], w[4], w[7], 4, R, NoW);
    add.elements("y", w[3], w[4], w[8], containerBytes(w[5]), NoR, W);
    add.vector("scales", inst.hasFlag(PerTensor) ? 1 : w[3], 4, NoR, W);
    break;
  case Opcode::Add:
  case Opcode::Mul:
    add.elements("a", w[4], w[5], w[6], 4, R, NoW);
    add.elements("b", inst.hasFlag(RowBroadcast) ? 1 : w[4], w[5], w[7], 4, R,
                 NoW);
    add.elements("y", w[4], w[5], w[8], 4, NoR, W);
    break;
  case Opcode::RmsNorm:
  case Opcode::LayerNorm:
    add.elements("x", w[4], w[5], w[7], 4, R, NoW);
    add.vector("gain", w[5], 4, R, NoW);
    add.elements("y", w[4], w[5], w[8], 4, NoR, W);
    if (inst.opcode() == Opcode::LayerNorm)
      add.vector("bias", w[5], 4, R, NoW);
    break;
  case Opcode::Silu:
  case Opcode::Gelu:
  case Opcode::Relu:
    add.elements("x", w[3], w[4], w[5], 4, R, NoW);
    add.elements("y", w[3], w[4], w[6], 4, NoR, W);
    break;
  case Opcode::Rope: {
    // One row of D/2 cosines and of D/2 sines per row of X.
    uint64_t half = w[8] / 2;
    add.elements("x", w[3], w[4], w[5], 4, R, NoW);
    add.elements("y", w[3], w[4], w[6], 4, NoR, W);
    add.elements("cos", w[3], half, half, 4, R, NoW);
    add.elements("sin", w[3], half, half, 4, R, NoW);
    break;
  }
  case Opcode::LogEncode:
    add.elements("x", w[3], w[4], w[6], 4, R, NoW);
    add.elements("codes", w[3], w[4], w[7], 1, NoR, W);
    break;
  case Opcode::KeyPredict:
    add.elements("x", w[4], w[6], w[7], 1, R, NoW);
    add.elements("w", w[6], w[5], w[8], 1, R, NoW);
    add.elements("y", w[4], w[5], w[9], 4, accumulate, W);
    break;
  case Opcode::ShiftAccumulate: {
    uint64_t m = w[4], n = w[5], d = w[6];
    bool firstRound = w[8] == 0;
    add.elements("q", m, d, d, 1, R, NoW);
    uint64_t keyBytes = record ? containerBytes(record->keyBits) : 1;
    add.elements("khat", n, d, d, keyBytes, R, NoW);
    add.elements("p", m, n, n, 4, !firstRound, W);
    add.bitmap("survivors", 0, llvm::SaturatingMultiply(m, n), !firstRound,
               firstRound);
    break;
  }
  case Opcode::Filter: {
    uint64_t m = w[4], n = w[5], d = w[6];
    add.elements("q", m, d, d, 1, R, NoW);
    add.elements("p", m, n, n, 4, R, NoW);
    add.bitmap("survivors", 0, llvm::SaturatingMultiply(m, n), R, W);
    break;
  }
  case Opcode::TopK: {
    uint64_t m = w[4], n = w[5], t = w[6];
    add.elements("p", m, n, n, 4, R, NoW);
    add.bitmap("survivors", 0, llvm::SaturatingMultiply(m, n), R, NoW);
    add.elements("indices", m, t, t, 2, NoR, W);
    add.bitmap("needed", 0, n, R, W);
    break;
  }
  case Opcode::Predict: {
    uint64_t m = w[4], n = w[5], t = w[6], d = w[8];
    // A scheme that reads no query or key integers (0 bits) ignores them.
    unsigned queryBits = record ? predict::queryOperandBits(*record) : 8;
    unsigned keyBits = record ? predict::keyOperandBits(*record) : 8;
    if (queryBits > 0)
      add.elements("q", m, d, d, containerBytes(queryBits), R, NoW);
    if (keyBits > 0)
      add.elements("k", n, d, d, containerBytes(keyBits), R, NoW);
    add.elements("indices", m, t, t, 2, NoR, W);
    add.bitmap("needed", 0, n, R, W);
    add.vector("query_step", 1, 4, R, NoW);
    add.vector("key_step", 1, 4, R, NoW);
    add.elements("extra", m, n, n, 4, R, NoW);
    break;
  }
  }
  return add.take();
}

std::optional<DramAccess> dramAccess(const Instruction &inst) {
  const auto &w = inst.words;
  uint64_t rows = 0;
  DramAccess access;
  switch (inst.opcode()) {
  case Opcode::Load:
    rows = w[4];
    access.read = true;
    break;
  case Opcode::Store:
    rows = w[4];
    access.write = true;
    break;
  case Opcode::LoadRows:
    rows = w[9];
    access.read = true;
    break;
  default:
    return std::nullopt;
  }
  access.begin = inst.dramAddress();
  uint64_t extent = 0;
  if (rows > 0 && w[5] > 0)
    extent = llvm::SaturatingAdd(
        llvm::SaturatingMultiply(rows - 1, uint64_t(w[6])), uint64_t(w[5]));
  access.end = llvm::SaturatingAdd(access.begin, extent);
  return access;
}

//===----------------------------------------------------------------------===//
// Checks against a configuration
//===----------------------------------------------------------------------===//

namespace {

using hardware::BufferConfig;
using hardware::HardwareConfig;

// Returns the configuration components that may read or write buffers for an
// opcode. Predict runs a whole prediction on the speculation unit, so any of
// its parts may be the one the buffer lists.
llvm::ArrayRef<llvm::StringRef> componentsOf(Opcode op) {
  static const llvm::StringRef dma[] = {"dma"};
  static const llvm::StringRef shift[] = {"shift_array"};
  static const llvm::StringRef encode[] = {"leading_one_encoders"};
  static const llvm::StringRef predict[] = {
      "filter", "multiplier_array", "shift_array", "leading_one_encoders"};
  static const llvm::StringRef filter[] = {"filter"};
  static const llvm::StringRef mac[] = {"mac_array"};
  static const llvm::StringRef softmax[] = {"softmax"};
  static const llvm::StringRef vector[] = {"vector"};
  switch (opcodeUnit(op)) {
  case Unit::Dma:
    return dma;
  case Unit::Shift:
    return shift;
  case Unit::Encode:
    return encode;
  case Unit::Filter:
    if (op == Opcode::Predict)
      return predict;
    return filter;
  case Unit::Mac:
    return mac;
  case Unit::Softmax:
    return softmax;
  case Unit::Vector:
    return vector;
  }
  return {};
}

// Returns a description of the missing part, or "" when the configuration
// has the hardware `op` runs on.
std::string_view missingUnit(Opcode op, const HardwareConfig &config) {
  const auto &spec = config.speculationUnit;
  switch (opcodeUnit(op)) {
  case Unit::Shift:
    if (!spec || !spec->shiftArray)
      return "speculation_unit.shift_array";
    return "";
  case Unit::Encode:
    if (!spec || !spec->leadingOneEncoders)
      return "speculation_unit.leading_one_encoders";
    return "";
  case Unit::Filter:
    if (!spec || !spec->filter)
      return "speculation_unit.filter";
    return "";
  default:
    return "";
  }
}

bool listsComponent(const std::vector<std::string> &list,
                    llvm::ArrayRef<llvm::StringRef> components) {
  for (llvm::StringRef component : components)
    if (llvm::is_contained(list, component))
      return true;
  return false;
}

std::string joinComponents(llvm::ArrayRef<llvm::StringRef> components) {
  std::string text;
  for (llvm::StringRef component : components) {
    if (!text.empty())
      text += " or ";
    text += component;
  }
  return text;
}

llvm::Error checkBufferAccess(const Instruction &inst,
                              const BufferAccess &access,
                              const HardwareConfig &config) {
  Opcode op = inst.opcode();
  std::string_view name = opcodeName(op);
  if (access.buffer >= config.buffers.size())
    return makeError(llvm::formatv(
        "{0}: field '{1}' names buffer {2}, but configuration '{3}' has {4} "
        "buffers (indices 0 to {5} in name order)",
        name, access.field, access.buffer, config.name, config.buffers.size(),
        int64_t(config.buffers.size()) - 1));
  const BufferConfig &buffer = config.buffers[access.buffer];
  uint64_t size = static_cast<uint64_t>(std::max<int64_t>(buffer.bytes, 0));
  if (access.end > size)
    return makeError(llvm::formatv(
        "{0}: field '{1}' covers bytes [{2}, {3}) of buffer {4} ({5}), past "
        "its {6} bytes; reduce the offset, counts or strides",
        name, access.field, access.begin, access.end, access.buffer,
        buffer.name, size));

  llvm::ArrayRef<llvm::StringRef> components = componentsOf(op);
  if (access.read && !listsComponent(buffer.readers, components))
    return makeError(llvm::formatv(
        "{0}: field '{1}' reads buffer {2} ({3}), but its readers do not "
        "list {4}; the {5} unit cannot read it",
        name, access.field, access.buffer, buffer.name,
        joinComponents(components), unitName(opcodeUnit(op))));
  if (access.write && !listsComponent(buffer.writers, components))
    return makeError(llvm::formatv(
        "{0}: field '{1}' writes buffer {2} ({3}), but its writers do not "
        "list {4}; the {5} unit cannot write it",
        name, access.field, access.buffer, buffer.name,
        joinComponents(components), unitName(opcodeUnit(op))));
  return llvm::Error::success();
}

llvm::Error checkWidths(const Instruction &inst, const HardwareConfig &config) {
  std::string_view name = opcodeName(inst.opcode());
  const auto &w = inst.words;
  switch (inst.opcode()) {
  case Opcode::Quant:
    if (w[5] < 2 || w[5] > 16)
      return makeError(llvm::formatv("{0}: field 'bits' is {1}, outside "
                                     "[2, 16]",
                                     name, w[5]));
    break;
  case Opcode::LogEncode: {
    int64_t inputBits = config.speculationUnit->leadingOneEncoders->inputBits;
    if (w[5] < 2 || int64_t(w[5]) > inputBits)
      return makeError(llvm::formatv(
          "{0}: field 'bits' is {1}, outside [2, {2}], the input width of "
          "the leading-one encoders of configuration '{3}'",
          name, w[5], inputBits, config.name));
    break;
  }
  case Opcode::Rope:
    if (w[8] % 2 != 0 || w[4] % w[8] != 0)
      return makeError(llvm::formatv(
          "{0}: field 'head_dim' is {1} and field 'n' is {2}, but the head "
          "dimension must be even and divide n",
          name, w[8], w[4]));
    break;
  case Opcode::LoadRows:
    if (w[6] < w[5] && w[9] > 1)
      return makeError(llvm::formatv(
          "{0}: field 'dram_stride' is {1}, smaller than field 'row_bytes' = "
          "{2}, so the rows of the table overlap",
          name, w[6], w[5]));
    break;
  default:
    break;
  }
  return llvm::Error::success();
}

// Written rows must not overlap: a stride of at least the row width, in
// the units of each opcode's stride field.
llvm::Error checkWrittenStrides(const Instruction &inst) {
  std::string_view name = opcodeName(inst.opcode());
  const auto &w = inst.words;
  struct Rows {
    std::string_view stride;
    uint32_t strideValue;
    std::string_view width;
    uint32_t widthValue;
    uint32_t rows;
  };
  llvm::SmallVector<Rows, 4> checks;
  switch (inst.opcode()) {
  case Opcode::Load:
  case Opcode::LoadRows:
    checks.push_back({"buf_stride", w[7], "row_bytes", w[5], w[4]});
    break;
  case Opcode::Gemm:
  case Opcode::KeyPredict:
    checks.push_back({"ldc", w[9], "n", w[5], w[4]});
    if (inst.opcode() == Opcode::KeyPredict)
      checks.back().stride = "ldy";
    break;
  case Opcode::Sddmm:
    checks.push_back({"ldc", w[9], "t", w[5], w[4]});
    break;
  case Opcode::Spmm:
    checks.push_back({"ldc", w[9], "n", w[5], w[4]});
    break;
  case Opcode::Dequant:
    checks.push_back({"ldy", w[9], "n", w[4], w[3]});
    break;
  case Opcode::Quant:
    checks.push_back({"ldy", w[8], "n", w[4], w[3]});
    break;
  case Opcode::Add:
  case Opcode::Mul:
  case Opcode::RmsNorm:
  case Opcode::LayerNorm:
    checks.push_back({"ldy", w[8], "n", w[5], w[4]});
    break;
  case Opcode::Silu:
  case Opcode::Gelu:
  case Opcode::Relu:
  case Opcode::Rope:
    checks.push_back({"ldy", w[6], "n", w[4], w[3]});
    break;
  case Opcode::LogEncode:
    checks.push_back({"ldc", w[7], "n", w[4], w[3]});
    break;
  default:
    break;
  }
  for (const Rows &check : checks)
    if (check.rows > 1 && check.strideValue < check.widthValue)
      return makeError(llvm::formatv(
          "{0}: field '{1}' is {2}, smaller than field '{3}' = {4}, so the "
          "written rows overlap; give a stride of at least {4}",
          name, check.stride, check.strideValue, check.width,
          check.widthValue));
  return llvm::Error::success();
}

} // namespace

llvm::Error verifyInstruction(const Instruction &inst,
                              const HardwareConfig &config,
                              size_t predictorCount,
                              std::optional<uint64_t> dramBytes,
                              const predict::PredictorConfig *record) {
  if (llvm::Error error = checkInstructionEncoding(inst, predictorCount))
    return error;
  Opcode op = inst.opcode();
  std::string_view name = opcodeName(op);

  std::string_view missing = missingUnit(op, config);
  if (!missing.empty())
    return makeError(llvm::formatv("{0}: runs on the {1} unit, but "
                                   "configuration '{2}' has no {3}",
                                   name, unitName(opcodeUnit(op)),
                                   config.name, missing));

  for (const OperandField &field : operandFields(op))
    if (field.kind == OperandKind::Count && inst.words[field.word] == 0)
      return makeError(llvm::formatv("{0}: field '{1}' is 0; counts must be "
                                     "at least 1",
                                     name, field.name));

  if (llvm::Error error = checkWidths(inst, config))
    return error;
  if (llvm::Error error = checkWrittenStrides(inst))
    return error;

  if (op == Opcode::Predict && record) {
    const std::pair<std::string_view, unsigned> operands[] = {
        {"q", predict::queryOperandBits(*record)},
        {"k", predict::keyOperandBits(*record)}};
    for (unsigned i = 0; i < 2; ++i)
      if (operands[i].second > 0 && inst.words[1 + i] == kNoBuffer)
        return makeError(llvm::formatv(
            "{0}: field '{1}' is absent (0xffffffff), but scheme {2} reads "
            "{3}-bit integers there",
            name, operands[i].first, predict::schemeName(record->scheme),
            operands[i].second));
  }

  for (const BufferAccess &access : bufferAccesses(inst, record))
    if (llvm::Error error = checkBufferAccess(inst, access, config))
      return error;

  if (std::optional<DramAccess> access = dramAccess(inst);
      access && dramBytes && access->end > *dramBytes)
    return makeError(llvm::formatv(
        "{0}: field 'dram' covers DRAM bytes [{1:x}, {2:x}), past the "
        "end of the memory map at {3:x}",
        name, access->begin, access->end, *dramBytes));
  return llvm::Error::success();
}

llvm::Error verifyAgainstConfig(const StreamFile &stream,
                                const HardwareConfig &config) {
  uint64_t fingerprint = config.fingerprint();
  if (stream.configFingerprint != fingerprint && stream.configName == config.name)
    return makeError(llvm::formatv(
        "header: the stream was built for configuration '{0}' with other "
        "contents (fingerprint 0x{1:x-16}, this file 0x{2:x-16}): a value "
        "in the file changed since the compile; recompile the model for the "
        "file as it is now",
        stream.configName, stream.configFingerprint, fingerprint));
  if (stream.configFingerprint != fingerprint)
    return makeError(llvm::formatv(
        "header: the stream was built for configuration '{0}' (fingerprint "
        "0x{1:x-16}), not for '{2}' (fingerprint 0x{3:x-16}); recompile the "
        "model for this configuration",
        stream.configName, stream.configFingerprint, config.name,
        fingerprint));

  std::vector<predict::PredictorConfig> records;
  for (auto [index, text] : llvm::enumerate(stream.predictors)) {
    llvm::Expected<predict::PredictorConfig> record =
        predict::parsePredictorConfig(text);
    if (!record)
      return makeError(llvm::formatv("predictor record {0}: {1}", index,
                                     llvm::toString(record.takeError())));
    records.push_back(std::move(*record));
  }

  uint64_t dramBytes = stream.dramBytes();
  for (auto [index, inst] : llvm::enumerate(stream.instructions)) {
    const predict::PredictorConfig *record = nullptr;
    const OperandField *field = findOperandField(inst.opcode(), "record");
    if (field && inst.words[field->word] < records.size())
      record = &records[inst.words[field->word]];
    if (llvm::Error error = verifyInstruction(
            inst, config, records.size(), dramBytes, record))
      return makeError(llvm::formatv("instruction {0}: {1}", index,
                                     llvm::toString(std::move(error))));
  }
  return llvm::Error::success();
}

} // namespace lapa::isa
