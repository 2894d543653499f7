//===- Isa.cpp - Names and operand tables of the instruction set ----------===//
//
// The spelling of units, opcodes and flags, and the one operand table per
// opcode that the binary reader, the assembly and the checks share. The
// operand words follow the comments of Isa.h word for word.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Stream/Isa.h"

#include <algorithm>

namespace lapa::isa {

namespace {

using K = OperandKind;

struct OpcodeEntry {
  Opcode op;
  std::string_view name;
  Unit unit;
  uint8_t flags;
  llvm::ArrayRef<OperandField> fields;
};

// DMA: DRAM address, buffer side, row count, bytes per row, strides in bytes.
constexpr OperandField kLoadFields[] = {
    {"dram", 1, K::DramAddress}, {"dst", 3, K::Buffer},
    {"rows", 4, K::Count},       {"row_bytes", 5, K::Count},
    {"dram_stride", 6, K::Stride}, {"buf_stride", 7, K::Stride}};
constexpr OperandField kStoreFields[] = {
    {"dram", 1, K::DramAddress}, {"src", 3, K::Buffer},
    {"rows", 4, K::Count},       {"row_bytes", 5, K::Count},
    {"dram_stride", 6, K::Stride}, {"buf_stride", 7, K::Stride}};
constexpr OperandField kLoadRowsFields[] = {
    {"dram", 1, K::DramAddress},   {"dst", 3, K::Buffer},
    {"rows", 4, K::Count},         {"row_bytes", 5, K::Count},
    {"dram_stride", 6, K::Stride}, {"buf_stride", 7, K::Stride},
    {"indices", 8, K::Buffer},     {"index_limit", 9, K::Count}};

constexpr OperandField kGemmFields[] = {
    {"a", 1, K::Buffer},  {"b", 2, K::Buffer},   {"c", 3, K::Buffer},
    {"m", 4, K::Count},   {"n", 5, K::Count},    {"k", 6, K::Count},
    {"lda", 7, K::Stride}, {"ldb", 8, K::Stride}, {"ldc", 9, K::Stride},
    {"row_mask", 10, K::Buffer, Gather},
    {"row_mask_bit", 11, K::Index, Gather}};
constexpr OperandField kSddmmFields[] = {
    {"a", 1, K::Buffer},   {"b", 2, K::Buffer},   {"s", 3, K::Buffer},
    {"m", 4, K::Count},    {"t", 5, K::Count},    {"k", 6, K::Count},
    {"lda", 7, K::Stride}, {"ldb", 8, K::Stride}, {"ldc", 9, K::Stride},
    {"indices", 10, K::Buffer}, {"key_base", 11, K::Index}};
constexpr OperandField kSpmmFields[] = {
    {"p", 1, K::Buffer},   {"b", 2, K::Buffer},   {"o", 3, K::Buffer},
    {"m", 4, K::Count},    {"n", 5, K::Count},    {"t", 6, K::Count},
    {"lda", 7, K::Stride}, {"ldb", 8, K::Stride}, {"ldc", 9, K::Stride},
    {"indices", 10, K::Buffer}, {"key_base", 11, K::Index}};

constexpr OperandField kImportanceFields[] = {
    {"p", 1, K::Buffer}, {"indices", 2, K::Buffer}, {"sums", 3, K::Buffer},
    {"m", 4, K::Count},  {"t", 5, K::Count},         {"n", 6, K::Count},
    {"key_base", 7, K::Index}};
constexpr OperandField kSoftmaxFields[] = {
    {"s", 1, K::Buffer}, {"p", 2, K::Buffer},    {"m", 3, K::Count},
    {"t", 4, K::Count},  {"scale", 5, K::Float}, {"row_scale", 6, K::OptionalBuffer}};

constexpr OperandField kDequantFields[] = {
    {"x", 1, K::Buffer},  {"y", 2, K::Buffer},
    {"m", 3, K::Count},   {"n", 4, K::Count},
    {"row_scale", 5, K::OptionalBuffer}, {"col_scale", 6, K::OptionalBuffer},
    {"scale", 7, K::Float}, {"ldx", 8, K::Stride}, {"ldy", 9, K::Stride}};
constexpr OperandField kQuantFields[] = {
    {"x", 1, K::Buffer},  {"y", 2, K::Buffer},      {"m", 3, K::Count},
    {"n", 4, K::Count},   {"bits", 5, K::Index},    {"scales", 6, K::Buffer},
    {"ldx", 7, K::Stride}, {"ldy", 8, K::Stride}};
constexpr OperandField kBinaryFields[] = {
    {"a", 1, K::Buffer},   {"b", 2, K::Buffer},   {"y", 3, K::Buffer},
    {"m", 4, K::Count},    {"n", 5, K::Count},    {"lda", 6, K::Stride},
    {"ldb", 7, K::Stride}, {"ldy", 8, K::Stride}};
constexpr OperandField kRmsNormFields[] = {
    {"x", 1, K::Buffer}, {"gain", 2, K::Buffer}, {"y", 3, K::Buffer},
    {"m", 4, K::Count},  {"n", 5, K::Count},     {"eps", 6, K::Float},
    {"ldx", 7, K::Stride}, {"ldy", 8, K::Stride}};
constexpr OperandField kLayerNormFields[] = {
    {"x", 1, K::Buffer},   {"gain", 2, K::Buffer}, {"y", 3, K::Buffer},
    {"m", 4, K::Count},    {"n", 5, K::Count},     {"eps", 6, K::Float},
    {"ldx", 7, K::Stride}, {"ldy", 8, K::Stride},  {"bias", 9, K::Buffer}};
constexpr OperandField kActivationFields[] = {
    {"x", 1, K::Buffer}, {"y", 2, K::Buffer},   {"m", 3, K::Count},
    {"n", 4, K::Count},  {"ldx", 5, K::Stride}, {"ldy", 6, K::Stride}};
constexpr OperandField kRopeFields[] = {
    {"x", 1, K::Buffer},        {"y", 2, K::Buffer},
    {"m", 3, K::Count},         {"n", 4, K::Count},
    {"ldx", 5, K::Stride},      {"ldy", 6, K::Stride},
    {"cos", 7, K::Buffer},      {"head_dim", 8, K::Count},
    {"sin", 9, K::Buffer}};

constexpr OperandField kLogEncodeFields[] = {
    {"x", 1, K::Buffer}, {"codes", 2, K::Buffer}, {"m", 3, K::Count},
    {"n", 4, K::Count},  {"bits", 5, K::Index},   {"ldx", 6, K::Stride},
    {"ldc", 7, K::Stride}};
constexpr OperandField kKeyPredictFields[] = {
    {"x", 1, K::Buffer},   {"w", 2, K::Buffer},   {"y", 3, K::Buffer},
    {"m", 4, K::Count},    {"n", 5, K::Count},    {"k", 6, K::Count},
    {"ldx", 7, K::Stride}, {"ldw", 8, K::Stride}, {"ldy", 9, K::Stride}};
constexpr OperandField kShiftAccumulateFields[] = {
    {"q", 1, K::Buffer},          {"khat", 2, K::Buffer},
    {"p", 3, K::Buffer},          {"m", 4, K::Count},
    {"n", 5, K::Count},           {"d", 6, K::Count},
    {"query_base", 7, K::Index},  {"round", 8, K::Index},
    {"survivors", 9, K::Buffer},  {"record", 10, K::Record}};
constexpr OperandField kFilterFields[] = {
    {"q", 1, K::Buffer},          {"khat", 2, K::NoBuffer},
    {"p", 3, K::Buffer},          {"m", 4, K::Count},
    {"n", 5, K::Count},           {"d", 6, K::Count},
    {"query_base", 7, K::Index},  {"round", 8, K::Index},
    {"survivors", 9, K::Buffer},  {"record", 10, K::Record}};
constexpr OperandField kTopKFields[] = {
    {"p", 1, K::Buffer},         {"survivors", 2, K::Buffer},
    {"indices", 3, K::Buffer},   {"m", 4, K::Count},
    {"n", 5, K::Count},          {"t", 6, K::Count},
    {"query_base", 7, K::Index}, {"needed", 9, K::Buffer},
    {"record", 10, K::Record},   {"logit_scale", 12, K::Float}};
constexpr OperandField kPredictFields[] = {
    {"q", 1, K::OptionalBuffer},           {"k", 2, K::OptionalBuffer},
    {"indices", 3, K::Buffer},             {"m", 4, K::Count},
    {"n", 5, K::Count},                    {"t", 6, K::Count},
    {"query_base", 7, K::Index},           {"d", 8, K::Count},
    {"needed", 9, K::Buffer},              {"record", 10, K::Record},
    {"query_step", 11, K::OptionalBuffer}, {"key_step", 12, K::OptionalBuffer},
    {"extra", 13, K::OptionalBuffer}};

constexpr uint8_t kNoFlags = 0;

const OpcodeEntry kOpcodes[] = {
    {Opcode::Load, "load", Unit::Dma, kNoFlags, kLoadFields},
    {Opcode::Store, "store", Unit::Dma, kNoFlags, kStoreFields},
    {Opcode::Gemm, "gemm", Unit::Mac, Accumulate | TransB | Gather,
     kGemmFields},
    {Opcode::Sddmm, "sddmm", Unit::Mac, kNoFlags, kSddmmFields},
    {Opcode::Spmm, "spmm", Unit::Mac, kNoFlags, kSpmmFields},
    {Opcode::Softmax, "softmax", Unit::Softmax, kNoFlags, kSoftmaxFields},
    {Opcode::Dequant, "dequant", Unit::Vector, Accumulate, kDequantFields},
    {Opcode::Quant, "quant", Unit::Vector, PerTensor, kQuantFields},
    {Opcode::Add, "add", Unit::Vector, RowBroadcast, kBinaryFields},
    {Opcode::Mul, "mul", Unit::Vector, RowBroadcast, kBinaryFields},
    {Opcode::RmsNorm, "rms_norm", Unit::Vector, kNoFlags, kRmsNormFields},
    {Opcode::LayerNorm, "layer_norm", Unit::Vector, kNoFlags,
     kLayerNormFields},
    {Opcode::Silu, "silu", Unit::Vector, kNoFlags, kActivationFields},
    {Opcode::Gelu, "gelu", Unit::Vector, kNoFlags, kActivationFields},
    {Opcode::Relu, "relu", Unit::Vector, kNoFlags, kActivationFields},
    {Opcode::Rope, "rope", Unit::Vector, HalfSplit, kRopeFields},
    {Opcode::LogEncode, "log_encode", Unit::Encode, kNoFlags,
     kLogEncodeFields},
    {Opcode::KeyPredict, "key_predict", Unit::Shift, Accumulate,
     kKeyPredictFields},
    {Opcode::ShiftAccumulate, "shift_accumulate", Unit::Shift, Causal,
     kShiftAccumulateFields},
    {Opcode::Filter, "filter", Unit::Filter, Causal, kFilterFields},
    {Opcode::TopK, "topk", Unit::Filter, Causal, kTopKFields},
    {Opcode::Predict, "predict", Unit::Filter, Causal, kPredictFields},
    {Opcode::Importance, "importance", Unit::Vector, kNoFlags,
     kImportanceFields},
    {Opcode::LoadRows, "load_rows", Unit::Dma, kNoFlags, kLoadRowsFields},
};

/// Finds an opcode's entry by table lookup: the verifier and the stream
/// writers call this for every instruction of streams close to a million
/// instructions long.
const OpcodeEntry *findEntry(Opcode op) {
  static const std::array<const OpcodeEntry *, 256> table = [] {
    std::array<const OpcodeEntry *, 256> entries{};
    for (const OpcodeEntry &entry : kOpcodes)
      entries[static_cast<uint8_t>(entry.op)] = &entry;
    return entries;
  }();
  return table[static_cast<uint8_t>(op)];
}

struct FlagEntry {
  Flag flag;
  std::string_view name;
};

constexpr FlagEntry kFlags[] = {
    {Accumulate, "accumulate"},       {TransB, "trans_b"},
    {Gather, "gather"},               {PerTensor, "per_tensor"},
    {RowBroadcast, "row_broadcast"}, {Causal, "causal"},
    {HalfSplit, "half_split"},
};

constexpr std::string_view kUnitNames[kNumUnits] = {
    "dma", "shift", "encode", "filter", "mac", "softmax", "vector"};

} // namespace

std::string_view unitName(Unit unit) {
  unsigned index = static_cast<unsigned>(unit);
  return index < kNumUnits ? kUnitNames[index] : "unknown";
}

std::optional<Unit> parseUnit(std::string_view name) {
  for (unsigned index = 0; index < kNumUnits; ++index)
    if (kUnitNames[index] == name)
      return static_cast<Unit>(index);
  return std::nullopt;
}

std::string_view opcodeName(Opcode op) {
  const OpcodeEntry *entry = findEntry(op);
  return entry ? entry->name : "unknown";
}

std::optional<Opcode> parseOpcode(std::string_view name) {
  for (const OpcodeEntry &entry : kOpcodes)
    if (entry.name == name)
      return entry.op;
  return std::nullopt;
}

Unit opcodeUnit(Opcode op) {
  const OpcodeEntry *entry = findEntry(op);
  // NOTE: an invalid opcode has no unit. Callers check isValidOpcode first,
  // and Dma is only a placeholder.
  return entry ? entry->unit : Unit::Dma;
}

bool isValidOpcode(uint8_t raw) {
  return findEntry(static_cast<Opcode>(raw)) != nullptr;
}

std::string_view flagName(Flag flag) {
  for (const FlagEntry &entry : kFlags)
    if (entry.flag == flag)
      return entry.name;
  return "unknown";
}

std::optional<Flag> parseFlag(std::string_view name) {
  for (const FlagEntry &entry : kFlags)
    if (entry.name == name)
      return entry.flag;
  return std::nullopt;
}

uint8_t allowedFlags(Opcode op) {
  const OpcodeEntry *entry = findEntry(op);
  return entry ? entry->flags : 0;
}

std::string_view operandKindName(OperandKind kind) {
  switch (kind) {
  case OperandKind::Buffer:
    return "buffer";
  case OperandKind::OptionalBuffer:
    return "optional buffer";
  case OperandKind::NoBuffer:
    return "unused buffer";
  case OperandKind::Count:
    return "count";
  case OperandKind::Stride:
    return "stride";
  case OperandKind::Float:
    return "f32";
  case OperandKind::Index:
    return "index";
  case OperandKind::Record:
    return "predictor record";
  case OperandKind::DramAddress:
    return "DRAM address";
  }
  return "unknown";
}

llvm::ArrayRef<OperandField> operandFields(Opcode op) {
  const OpcodeEntry *entry = findEntry(op);
  return entry ? entry->fields : llvm::ArrayRef<OperandField>();
}

const OperandField *findOperandField(Opcode op, std::string_view name) {
  llvm::ArrayRef<OperandField> fields = operandFields(op);
  const OperandField *found =
      std::find_if(fields.begin(), fields.end(),
                   [&](const OperandField &field) { return field.name == name; });
  return found == fields.end() ? nullptr : found;
}

} // namespace lapa::isa
