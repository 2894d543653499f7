//===- LapaIsa.cpp - The lapa_isa instruction-stream dialect ------------===//
//
// Registration, verifiers and the packing of instruction ops into the
// fixed-width instructions of Isa.h.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/LapaIsa/IR/LapaIsa.h"

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Target/Stream/Stream.h"
#include "lapa/Target/Stream/StreamVerify.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lapa_isa;
namespace isa = ::lapa::isa;

#include "lapa/Dialect/LapaIsa/IR/LapaIsaDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "lapa/Dialect/LapaIsa/IR/LapaIsaAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "lapa/Dialect/LapaIsa/IR/LapaIsaOps.cpp.inc"

void LapaIsaDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "lapa/Dialect/LapaIsa/IR/LapaIsaOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "lapa/Dialect/LapaIsa/IR/LapaIsaAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// The table of instruction ops
//===----------------------------------------------------------------------===//

namespace {
/// The opcode, fields and flags of one instruction op.
struct InstructionEntry {
  TypeID typeId;
  llvm::StringRef operationName;
  isa::Opcode opcode;
  ArrayRef<FieldInfo> fields;
  ArrayRef<llvm::StringLiteral> flags;
  /// Returns the op's field values in the order of `fields`.
  SmallVector<Attribute, 12> (*values)(Operation *);
  /// Returns the op's `wait`, `signal` and `flags` lists.
  std::array<ArrayAttr, 3> (*controls)(Operation *);
  /// Sets the op's field values (in the order of `fields`) and its lists.
  void (*setValues)(Operation *, ArrayRef<Attribute>, std::array<ArrayAttr, 3>);
};

template <typename... OpTs>
ArrayRef<InstructionEntry> makeEntries() {
  static const InstructionEntry entries[] = {
      {TypeID::get<OpTs>(), OpTs::getOperationName(), OpTs::kOpcode,
       OpTs::getFieldInfos(), OpTs::getFlagNames(),
       [](Operation *op) { return cast<OpTs>(op).getFieldValues(); },
       [](Operation *op) { return cast<OpTs>(op).getControlLists(); },
       [](Operation *op, ArrayRef<Attribute> values,
          std::array<ArrayAttr, 3> lists) {
         auto typed = cast<OpTs>(op);
         typed.setFieldValues(values);
         typed.setControlLists(lists[0], lists[1], lists[2]);
       }}...};
  return entries;
}

ArrayRef<InstructionEntry> instructionEntries() {
  return makeEntries<
      LoadOp, StoreOp, LoadRowsOp, GemmOp, SddmmOp, SpmmOp, SoftmaxOp,
      DequantOp, QuantOp, AddOp, MulOp, RmsNormOp, LayerNormOp, SiluOp,
      GeluOp, ReluOp, RopeOp, LogEncodeOp, KeyPredictOp, ShiftAccumulateOp,
      FilterOp, TopKOp, PredictOp, ImportanceOp>();
}

/// Finds the entry of an op by its TypeID, which costs no string compares
/// (the stream of a large model packs close to a million ops).
const InstructionEntry *findEntry(Operation *op) {
  TypeID typeId = op->getName().getTypeID();
  for (const InstructionEntry &entry : instructionEntries())
    if (entry.typeId == typeId)
      return &entry;
  return nullptr;
}

const InstructionEntry *findEntry(isa::Opcode opcode) {
  for (const InstructionEntry &entry : instructionEntries())
    if (entry.opcode == opcode)
      return &entry;
  return nullptr;
}

/// Returns the Isa.h flag bit of a flag name in ODS.
uint8_t flagBit(llvm::StringRef name) {
  return llvm::StringSwitch<uint8_t>(name)
      .Case("accumulate", isa::Flag::Accumulate)
      .Case("trans_b", isa::Flag::TransB)
      .Case("gather", isa::Flag::Gather)
      .Case("per_tensor", isa::Flag::PerTensor)
      .Case("row_broadcast", isa::Flag::RowBroadcast)
      .Case("causal", isa::Flag::Causal)
      .Case("half_split", isa::Flag::HalfSplit)
      .Default(0);
}

llvm::StringRef flagName(uint8_t bit) {
  switch (bit) {
  case isa::Flag::Accumulate:
    return "accumulate";
  case isa::Flag::TransB:
    return "trans_b";
  case isa::Flag::Gather:
    return "gather";
  case isa::Flag::PerTensor:
    return "per_tensor";
  case isa::Flag::RowBroadcast:
    return "row_broadcast";
  case isa::Flag::Causal:
    return "causal";
  case isa::Flag::HalfSplit:
    return "half_split";
  default:
    return "";
  }
}

/// True for the GEMM's row mask, which exists only with the Gather flag
/// (its word is zero otherwise).
bool isGatherOnly(isa::Opcode opcode, const FieldInfo &field) {
  return opcode == isa::Opcode::Gemm && llvm::StringRef(field.name) == "row_mask";
}

uint8_t unitMask(ArrayAttr units) {
  uint8_t mask = 0;
  for (Attribute unit : units)
    if (auto unitValue = isa::parseUnit(cast<StringAttr>(unit).getValue()))
      mask |= 1u << static_cast<unsigned>(*unitValue);
  return mask;
}

ArrayAttr unitList(Builder &builder, uint8_t mask) {
  SmallVector<Attribute> units;
  for (unsigned unit = 0; unit < isa::kNumUnits; ++unit)
    if (mask & (1u << unit))
      units.push_back(builder.getStringAttr(
          isa::unitName(static_cast<isa::Unit>(unit))));
  return builder.getArrayAttr(units);
}
} // namespace

bool mlir::lapa_isa::isInstruction(Operation *op) {
  return findEntry(op) != nullptr;
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

isa::Instruction mlir::lapa_isa::toInstruction(Operation *op) {
  const InstructionEntry *entry = findEntry(op);
  assert(entry && "not an instruction op");
  isa::Instruction inst;
  uint8_t flags = 0;
  auto [wait, signal, flagList] = entry->controls(op);
  for (Attribute flag : flagList)
    flags |= flagBit(cast<StringAttr>(flag).getValue());
  inst.setHeader(entry->opcode, unitMask(wait), unitMask(signal), flags);

  SmallVector<Attribute, 12> values = entry->values(op);
  for (auto [field, value] : llvm::zip_equal(entry->fields, values)) {
    switch (field.kind) {
    case FieldKind::Ref:
    case FieldKind::OptRef: {
      auto ref = dyn_cast_if_present<BufAttr>(value);
      if (ref)
        inst.words[field.word] = isa::BufRef{static_cast<uint8_t>(ref.getBuffer()),
                                             ref.getOffset()}
                                     .pack();
      else
        inst.words[field.word] =
            isGatherOnly(entry->opcode, field) ? 0 : isa::kNoBuffer;
      break;
    }
    case FieldKind::U32:
      inst.words[field.word] =
          static_cast<uint32_t>(cast<IntegerAttr>(value).getInt());
      break;
    case FieldKind::F32: {
      float f = static_cast<float>(cast<FloatAttr>(value).getValueAsDouble());
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof(bits));
      inst.words[field.word] = bits;
      break;
    }
    case FieldKind::Dram:
      inst.setDramAddress(
          static_cast<uint64_t>(cast<IntegerAttr>(value).getInt()));
      break;
    }
  }
  return inst;
}

FailureOr<Operation *>
mlir::lapa_isa::buildInstruction(OpBuilder &builder, Location loc,
                                 const isa::Instruction &inst) {
  const InstructionEntry *entry = findEntry(inst.opcode());
  if (!entry)
    return emitError(loc) << "opcode " << unsigned(inst.words[0] & 0xff)
                          << " is not an instruction of this ISA version";
  // Building hundreds of thousands of ops is the lowering's main cost, so
  // the unit lists and flag lists are made once per context, and the fields
  // are set through the op's properties rather than by name.
  struct Cache {
    MLIRContext *context = nullptr;
    llvm::DenseMap<unsigned, ArrayAttr> unitLists, flagLists;
  };
  static thread_local Cache cache;
  if (cache.context != builder.getContext()) {
    cache = Cache();
    cache.context = builder.getContext();
  }
  auto units = [&](uint8_t mask) {
    ArrayAttr &list = cache.unitLists[mask];
    if (!list)
      list = unitList(builder, mask);
    return list;
  };
  ArrayAttr &flagList = cache.flagLists[inst.flags()];
  if (!flagList) {
    SmallVector<Attribute> flags;
    for (unsigned bit = 0; bit < 8; ++bit)
      if (inst.flags() & (1u << bit))
        flags.push_back(builder.getStringAttr(flagName(1u << bit)));
    flagList = builder.getArrayAttr(flags);
  }

  OperationState state(loc, entry->operationName);
  Operation *op = builder.create(state);

  SmallVector<Attribute, 12> values;
  for (const FieldInfo &field : entry->fields) {
    uint32_t word = inst.words[field.word];
    Attribute value;
    switch (field.kind) {
    case FieldKind::Ref:
    case FieldKind::OptRef:
      if (isGatherOnly(entry->opcode, field) && !inst.hasFlag(isa::Flag::Gather))
        break;
      if (word != isa::kNoBuffer) {
        isa::BufRef ref = isa::BufRef::unpack(word);
        value = BufAttr::get(builder.getContext(), ref.buffer, ref.offset);
      }
      break;
    case FieldKind::U32:
      value = builder.getI64IntegerAttr(word);
      break;
    case FieldKind::F32: {
      float f;
      std::memcpy(&f, &word, sizeof(f));
      value = builder.getF32FloatAttr(f);
      break;
    }
    case FieldKind::Dram:
      value = builder.getI64IntegerAttr(static_cast<int64_t>(inst.dramAddress()));
      break;
    }
    values.push_back(value);
  }
  entry->setValues(op, values,
                   {units(inst.waitMask()), units(inst.signalMask()), flagList});
  return op;
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult mlir::lapa_isa::verifyInstructionFields(
    Operation *op, ArrayRef<FieldInfo> fields, ArrayRef<Attribute> values,
    std::array<ArrayAttr, 3> controls, ArrayRef<llvm::StringLiteral> flags) {
  for (auto [listName, list] :
       llvm::zip_equal(std::array<llvm::StringRef, 2>{"wait", "signal"},
                       std::array<ArrayAttr, 2>{controls[0], controls[1]})) {
    for (Attribute unit : list) {
      llvm::StringRef name = cast<StringAttr>(unit).getValue();
      if (!isa::parseUnit(name))
        return op->emitOpError()
               << "names unknown unit '" << name << "' in `" << listName
               << "`; the units are dma, shift, encode, filter, mac, "
                  "softmax and vector";
    }
  }
  for (Attribute flag : controls[2]) {
    llvm::StringRef name = cast<StringAttr>(flag).getValue();
    if (!llvm::is_contained(flags, name)) {
      InFlightDiagnostic diag = op->emitOpError()
                                << "does not accept flag '" << name << "'";
      if (flags.empty())
        diag << "; it takes no flags";
      else
        diag << "; valid flags: " << llvm::join(flags, ", ");
      return diag;
    }
  }
  for (auto [field, attr] : llvm::zip_equal(fields, values)) {
    if (field.kind != FieldKind::U32 && field.kind != FieldKind::Dram)
      continue;
    int64_t value = cast<IntegerAttr>(attr).getInt();
    int64_t limit = field.kind == FieldKind::U32 ? int64_t(UINT32_MAX)
                                                 : (int64_t(1) << 48) - 1;
    if (value < 0 || value > limit)
      return op->emitOpError()
             << "field `" << field.name << "` is " << value
             << ", outside [0, " << limit << "]";
  }
  for (auto [field, attr] : llvm::zip_equal(fields, values)) {
    auto ref = dyn_cast_if_present<BufAttr>(attr);
    if (ref && (ref.getBuffer() > 255 ||
                ref.getOffset() > isa::kMaxBufferOffset))
      return op->emitOpError()
             << "field `" << field.name << "` addresses buffer "
             << ref.getBuffer() << " at " << ref.getOffset()
             << "; a buffer reference holds an index up to 255 and an "
                "offset up to "
             << isa::kMaxBufferOffset;
  }
  return success();
}

LogicalResult TensorOp::verify() {
  if (!isa::parseTensorRole(getRole()))
    return emitOpError() << "has role '" << getRole()
                         << "'; expected input, weight, output or scratch";
  std::optional<isa::ElementType> type = isa::parseElementType(getDtype());
  if (!type)
    return emitOpError() << "has element type '" << getDtype()
                         << "'; expected i8, i16, i32, f32, u8 or u16";
  if (getAddressAttr().getInt() < 0)
    return emitOpError() << "has negative address "
                         << getAddressAttr().getInt();
  for (int64_t dim : getShape())
    if (dim <= 0)
      return emitOpError() << "has dimension " << dim
                           << "; every dimension must be positive";
  if (auto value = getValueAttr()) {
    auto shaped = cast<ShapedType>(value.getType());
    if (shaped.getShape() != getShape())
      return emitOpError() << "has an initial value of another shape than "
                              "the tensor";
    unsigned width = shaped.getElementType().getIntOrFloatBitWidth();
    if (width != isa::elementBytes(*type) * 8)
      return emitOpError() << "has an initial value of " << width
                           << "-bit elements for a " << getDtype()
                           << " tensor";
  }
  return success();
}

LogicalResult PredictorOp::verify() {
  llvm::Expected<::lapa::predict::PredictorConfig> config =
      ::lapa::predict::parsePredictorConfig(getConfig());
  if (!config)
    return emitOpError() << "has an invalid predictor record: "
                         << llvm::toString(config.takeError());
  return success();
}

LogicalResult StageOp::verify() {
  if (!llvm::is_contained({"prediction", "kv_projection", "attention", "ffn",
                           "other"},
                          getStage()))
    return emitOpError() << "names stage '" << getStage()
                         << "'; expected prediction, kv_projection, "
                            "attention, ffn or other";
  if (getLayerAttr().getInt() < -1)
    return emitOpError() << "has layer " << getLayerAttr().getInt()
                         << "; expected -1 (no layer) or a layer index";
  return success();
}

LogicalResult ProgramOp::verifyRegions() {
  llvm::Expected<::lapa::hardware::HardwareConfig> config =
      ::lapa::hardware::parseHardwareConfig(getConfig(), getConfigName());
  if (!config)
    return emitOpError() << "carries an invalid hardware configuration: "
                         << llvm::toString(config.takeError());
  if (static_cast<uint64_t>(getFingerprint()) != config->fingerprint())
    return emitOpError() << "has fingerprint " << getFingerprint()
                         << " but its configuration's is "
                         << static_cast<int64_t>(config->fingerprint());

  size_t predictors = 0;
  for (Operation &op : getBody().front())
    if (isa<PredictorOp>(op))
      ++predictors;

  size_t index = 0;
  for (Operation &op : getBody().front()) {
    if (!isInstruction(&op))
      continue;
    if (llvm::Error error = isa::verifyInstruction(toInstruction(&op), *config,
                                                   predictors)) {
      return op.emitOpError()
             << "(instruction " << index << ") does not fit '"
             << getConfigName() << "': " << llvm::toString(std::move(error));
    }
    ++index;
  }
  return success();
}
