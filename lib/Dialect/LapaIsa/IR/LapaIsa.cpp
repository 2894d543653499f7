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
#include "llvm/ADT/StringMap.h"
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


//===----------------------------------------------------------------------===//
// Repeats and steps
//===----------------------------------------------------------------------===//

namespace {
/// Returns the iteration counts of the repeats around `op`, innermost first.
SmallVector<int64_t, 4> enclosingCounts(Operation *op) {
  SmallVector<int64_t, 4> counts;
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp()) {
    auto repeat = dyn_cast<RepeatOp>(parent);
    if (!repeat)
      break;
    counts.push_back(repeat.getCountAttr().getInt());
  }
  return counts;
}

/// A steppable field of an op: its value in the first iteration, its range,
/// and the word its step goes to.
struct SteppedField {
  int64_t base;
  int64_t min;
  int64_t max;
  unsigned word;
};

/// Checks `steps` against the enclosing repeats. `lookup` returns the
/// field a name stands for, or an error message.
LogicalResult verifyStepList(
    Operation *op, ArrayAttr steps,
    llvm::function_ref<FailureOr<SteppedField>(StringRef, std::string &)>
        lookup) {
  if (!steps)
    return success();
  SmallVector<int64_t, 4> counts = enclosingCounts(op);
  if (steps.size() != counts.size())
    return op->emitOpError()
           << "has " << steps.size() << " step dictionaries inside "
           << counts.size()
           << " lapa_isa.repeat ops; give one per enclosing repeat, "
              "innermost first";
  // The lowest and highest value of each named field over all iterations.
  llvm::StringMap<std::pair<__int128, __int128>> ranges;
  llvm::StringMap<SteppedField> fields;
  for (auto [level, entry] : llvm::enumerate(steps)) {
    auto dict = dyn_cast<DictionaryAttr>(entry);
    if (!dict)
      return op->emitOpError() << "has step entry " << level
                               << " that is not a dictionary";
    for (NamedAttribute named : dict) {
      StringRef name = named.getName().getValue();
      auto step = dyn_cast<IntegerAttr>(named.getValue());
      if (!step)
        return op->emitOpError() << "steps field `" << name
                                 << "` by a value that is not an integer";
      if (step.getValue().getSignificantBits() > 64)
        return op->emitOpError() << "steps field `" << name << "` by "
                                 << llvm::toString(step.getValue(), 10,
                                                   /*Signed=*/true)
                                 << ", which does not fit 64 bits";
      auto found = fields.find(name);
      if (found == fields.end()) {
        std::string reason;
        FailureOr<SteppedField> field = lookup(name, reason);
        if (failed(field))
          return op->emitOpError() << "cannot step `" << name << "`: " << reason;
        found = fields.try_emplace(name, *field).first;
        ranges[name] = {field->base, field->base};
      }
      __int128 span = static_cast<__int128>(counts[level] - 1) *
                      step.getValue().getSExtValue();
      auto &range = ranges[name];
      if (span < 0)
        range.first += span;
      else
        range.second += span;
    }
  }
  for (auto &entry : ranges) {
    const SteppedField &field = fields.find(entry.getKey())->second;
    auto [low, high] = entry.getValue();
    if (low < field.min || high > field.max)
      return op->emitOpError()
             << "field `" << entry.getKey() << "` steps outside ["
             << field.min << ", " << field.max << "] in some iteration of "
             << "its repeats (from " << static_cast<int64_t>(low) << " to "
             << static_cast<int64_t>(high)
             << "); use smaller steps or fewer iterations";
  }
  return success();
}
} // namespace

LogicalResult mlir::lapa_isa::verifySteps(Operation *op,
                                          ArrayRef<FieldInfo> fields,
                                          ArrayRef<Attribute> values,
                                          ArrayAttr steps) {
  return verifyStepList(
      op, steps,
      [&](StringRef name, std::string &reason) -> FailureOr<SteppedField> {
        for (auto [field, value] : llvm::zip_equal(fields, values)) {
          if (name != field.name)
            continue;
          switch (field.kind) {
          case FieldKind::Ref:
          case FieldKind::OptRef: {
            auto ref = dyn_cast_if_present<BufAttr>(value);
            if (!ref) {
              reason = "the field is absent";
              break;
            }
            return SteppedField{ref.getOffset(), 0, isa::kMaxBufferOffset,
                                field.word};
          }
          case FieldKind::U32:
            return SteppedField{cast<IntegerAttr>(value).getInt(), 0,
                                int64_t(UINT32_MAX), field.word};
          case FieldKind::Dram:
            return SteppedField{cast<IntegerAttr>(value).getInt(), 0,
                                (int64_t(1) << 48) - 1, 1};
          case FieldKind::F32:
            reason = "an f32 field is the same in every iteration";
            break;
          }
        }
        // `reason` is set when the field exists but cannot step.
        if (reason.empty() &&
            (name == "wait" || name == "signal" || name == "flags"))
          reason = "the header fields (wait, signal, flags) are the same in "
                "every iteration";
        else if (reason.empty())
          reason = "the op has no such field";
        SmallVector<StringRef> steppable;
        for (auto [field, value] : llvm::zip_equal(fields, values))
          if (field.kind != FieldKind::F32 &&
              (field.kind != FieldKind::OptRef || value))
            steppable.push_back(field.name);
        reason += "; the fields that may step are " + llvm::join(steppable, ", ");
        return failure();
      });
}

LogicalResult RepeatOp::verify() {
  int64_t count = getCountAttr().getInt();
  if (count < 1)
    return emitOpError() << "has count " << count
                         << "; a repeat runs its body at least once";
  if (count > UINT32_MAX)
    return emitOpError() << "has count " << count << ", above "
                         << UINT32_MAX;
  return success();
}

namespace {
/// Returns the steps of leaf `op` for the repeat `distance` levels out from
/// it.
isa::WordSteps leafSteps(Operation *op, unsigned distance) {
  isa::WordSteps steps{};
  auto list = op->getAttrOfType<ArrayAttr>("steps");
  if (!list || distance >= list.size())
    return steps;
  auto dict = cast<DictionaryAttr>(list[distance]);
  if (llvm::isa<StageOp>(op)) {
    if (auto layer = dict.getAs<IntegerAttr>("layer"))
      steps[1] = layer.getValue().getSExtValue();
    return steps;
  }
  const InstructionEntry *entry = findEntry(op);
  for (NamedAttribute named : dict)
    for (const FieldInfo &field : entry->fields)
      if (named.getName().getValue() == field.name)
        steps[field.kind == FieldKind::Dram ? 1 : field.word] =
            cast<IntegerAttr>(named.getValue()).getValue().getSExtValue();
  return steps;
}
} // namespace

FailureOr<DictionaryAttr>
mlir::lapa_isa::stepsDictionary(Operation *op, const isa::WordSteps &steps) {
  Builder builder(op->getContext());
  SmallVector<NamedAttribute> entries;
  isa::WordSteps left = steps;
  if (llvm::isa<StageOp>(op)) {
    if (steps[1] != 0)
      entries.push_back(builder.getNamedAttr(
          "layer", builder.getI64IntegerAttr(steps[1])));
    left[1] = 0;
  } else {
    const InstructionEntry *entry = findEntry(op);
    for (const FieldInfo &field : entry->fields) {
      unsigned word = field.kind == FieldKind::Dram ? 1 : field.word;
      if (steps[word] != 0)
        entries.push_back(builder.getNamedAttr(
            field.name, builder.getI64IntegerAttr(steps[word])));
      left[word] = 0;
    }
  }
  if (llvm::any_of(left, [](int64_t step) { return step != 0; }))
    return failure();
  return builder.getDictionaryAttr(entries);
}

void mlir::lapa_isa::collectNodes(Block &block,
                                  std::vector<isa::RepeatNode> &nodes,
                                  std::vector<Operation *> &leafOps) {
  for (Operation &op : block) {
    if (auto repeat = dyn_cast<RepeatOp>(op)) {
      isa::RepeatNode node;
      node.kind = isa::RepeatNode::Kind::Repeat;
      node.count = static_cast<uint32_t>(repeat.getCount());
      size_t firstLeaf = leafOps.size();
      collectNodes(repeat.getBody().front(), node.body, leafOps);
      for (size_t l = firstLeaf; l < leafOps.size(); ++l) {
        unsigned distance = 0;
        for (Operation *parent = leafOps[l]->getParentOp(); parent != &op;
             parent = parent->getParentOp())
          ++distance;
        node.steps.push_back(leafSteps(leafOps[l], distance));
      }
      nodes.push_back(std::move(node));
    } else if (auto stage = dyn_cast<StageOp>(op)) {
      isa::RepeatNode node;
      node.kind = isa::RepeatNode::Kind::Stage;
      node.stage = stage.getStage().str();
      node.layer = static_cast<int32_t>(stage.getLayerAttr().getInt());
      node.origin = static_cast<uint32_t>(leafOps.size());
      leafOps.push_back(&op);
      nodes.push_back(std::move(node));
    } else if (isInstruction(&op)) {
      isa::RepeatNode node;
      node.instruction = toInstruction(&op);
      node.origin = static_cast<uint32_t>(leafOps.size());
      leafOps.push_back(&op);
      nodes.push_back(std::move(node));
    }
  }
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
  if (getLayerAttr().getInt() < -1 || getLayerAttr().getInt() > INT32_MAX)
    return emitOpError() << "has layer " << getLayerAttr().getInt()
                         << "; expected -1 (no layer) or a layer index up to "
                         << INT32_MAX;
  return verifyStepList(
      *this, getStepsAttr(),
      [&](StringRef name, std::string &reason) -> FailureOr<SteppedField> {
        if (name == "layer")
          return SteppedField{getLayerAttr().getInt(), -1, INT32_MAX, 1};
        reason = "a stage steps only its `layer`";
        return failure();
      });
}

namespace {
/// Counts the instructions a block expands to, saturated at UINT64_MAX.
uint64_t instructionCount(Block &block) {
  uint64_t count = 0;
  for (Operation &op : block) {
    if (auto repeat = dyn_cast<RepeatOp>(op))
      count = llvm::SaturatingAdd(
          count, llvm::SaturatingMultiply(
                     uint64_t(std::max<int64_t>(repeat.getCountAttr().getInt(), 0)),
                     instructionCount(repeat.getBody().front())));
    else if (isInstruction(&op))
      count = llvm::SaturatingAdd(count, uint64_t(1));
  }
  return count;
}

/// One enclosing repeat of an op being checked.
struct RepeatLevel {
  int64_t count;
  /// Instructions per iteration.
  uint64_t perIteration;
};

/// Checks every instance of the instructions of `block` against the
/// configuration. An instruction whose steps move only addresses (buffer
/// offsets, DRAM addresses) is checked at the corners of its iteration
/// space. Each check on an address bounds the address plus a size that
/// does not step, so it is true in every iteration when it is true at the
/// corners. Any other instruction is checked in every iteration whose
/// fields differ.
class InstanceChecker {
public:
  InstanceChecker(const ::lapa::hardware::HardwareConfig &config,
                  size_t predictors, StringRef configName)
      : config(config), predictors(predictors), configName(configName) {}

  LogicalResult check(Block &block, uint64_t first) {
    uint64_t position = first;
    for (Operation &op : block) {
      if (auto repeat = dyn_cast<RepeatOp>(op)) {
        Block &body = repeat.getBody().front();
        uint64_t per = instructionCount(body);
        levels.push_back({repeat.getCountAttr().getInt(), per});
        if (failed(check(body, position)))
          return failure();
        levels.pop_back();
        position += uint64_t(repeat.getCountAttr().getInt()) * per;
      } else if (isInstruction(&op)) {
        if (failed(checkLeaf(&op, position)))
          return failure();
        ++position;
      }
    }
    return success();
  }

private:
  LogicalResult checkLeaf(Operation *op, uint64_t position) {
    isa::Instruction base = toInstruction(op);
    // The levels whose steps change this instruction, innermost first.
    SmallVector<std::pair<size_t, isa::WordSteps>, 4> moving;
    bool addressesOnly = true;
    for (size_t distance = 0; distance < levels.size(); ++distance) {
      isa::WordSteps steps = leafSteps(op, distance);
      bool any = false;
      for (unsigned w = 1; w < isa::kInstructionWords; ++w) {
        if (steps[w] == 0)
          continue;
        any = true;
        if (!isa::isAddressWord(base.opcode(), w))
          addressesOnly = false;
      }
      if (any)
        moving.push_back({levels.size() - 1 - distance, steps});
    }
    // Corners (first and last iteration of each moving level), or every
    // iteration of the moving levels.
    SmallVector<int64_t, 4> iteration(moving.size(), 0);
    while (true) {
      isa::Instruction inst = base;
      uint64_t index = position;
      for (size_t m = 0; m < moving.size(); ++m) {
        isa::addSteps(inst, moving[m].second, iteration[m]);
        index += uint64_t(iteration[m]) * levels[moving[m].first].perIteration;
      }
      if (llvm::Error error = isa::verifyInstruction(inst, config, predictors)) {
        InFlightDiagnostic diag = op->emitOpError()
                                  << "(instruction " << index
                                  << ") does not fit '" << configName
                                  << "': " << llvm::toString(std::move(error));
        if (!levels.empty()) {
          // The iteration of each enclosing repeat, outermost first; a
          // repeat that does not move this instruction shows 0.
          SmallVector<int64_t, 4> where(levels.size(), 0);
          for (size_t m = 0; m < moving.size(); ++m)
            where[moving[m].first] = iteration[m];
          std::string text;
          for (int64_t index : where)
            text += (text.empty() ? "" : ", ") + std::to_string(index);
          diag.attachNote() << "the instruction is iteration [" << text
                            << "] of its enclosing lapa_isa.repeat ops "
                               "(outermost first); lower a repeat's count or "
                               "the step of the field";
        }
        return diag;
      }
      // The next iteration vector.
      size_t m = 0;
      for (; m < moving.size(); ++m) {
        int64_t last = levels[moving[m].first].count - 1;
        if (addressesOnly) {
          if (iteration[m] == 0 && last > 0) {
            iteration[m] = last;
            break;
          }
        } else if (iteration[m] < last) {
          ++iteration[m];
          break;
        }
        iteration[m] = 0;
      }
      if (m == moving.size())
        return success();
    }
  }

  const ::lapa::hardware::HardwareConfig &config;
  size_t predictors;
  StringRef configName;
  SmallVector<RepeatLevel, 4> levels;
};
} // namespace

LogicalResult ProgramOp::verifyRegions() {
  // The stream file counts and indexes instructions with 32 bits.
  uint64_t instructions = instructionCount(getBody().front());
  if (instructions > UINT32_MAX)
    return emitOpError() << "expands to " << instructions
                         << " instructions, more than the stream format's "
                            "limit of "
                         << UINT32_MAX
                         << "; use fewer iterations in its lapa_isa.repeat ops";
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

  InstanceChecker checker(*config, predictors, getConfigName());
  return checker.check(getBody().front(), 0);
}
