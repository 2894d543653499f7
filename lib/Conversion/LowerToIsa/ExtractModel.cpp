//===- ExtractModel.cpp - Read the layer structure of a raised graph ----===//
//
// The reader anchors on what the raising and annotation passes tag
// (lapa.attention, lapa.projection, lapa.ffn, lapa.layer) and checks the
// untagged ops between the anchors. Each part accepts only the ops it can
// explain: views and copies everywhere, and the arithmetic of a norm, a
// rotary embedding or an activation inside those parts. The final coverage check
// walks everything the function's result depends on and rejects an op no
// part explained.
//
//===----------------------------------------------------------------------===//

#include "ExtractModel.h"

#include "lapa/Dialect/Lapa/IR/LapaDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <map>
#include <tuple>
#include <limits>

using namespace mlir;
using namespace mlir::lapa;
using ::lapa::schedule::FfnKind;
using ::lapa::schedule::LayerDesc;
using ::lapa::schedule::ModelDesc;
using ::lapa::schedule::NormDesc;
using ::lapa::schedule::NormKind;
using ::lapa::schedule::RopeDesc;
using ::lapa::schedule::VectorDesc;
using ::lapa::schedule::WeightDesc;

namespace {

//===----------------------------------------------------------------------===//
// Small queries
//===----------------------------------------------------------------------===//

bool isShapeOnly(Operation *op) {
  return isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(
      op);
}

Value skipReshapes(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (!isShapeOnly(op))
      break;
    value = op->getOperand(0);
  }
  return value;
}

StringRef tagOf(Operation *op, StringRef name) {
  if (!op)
    return "";
  if (auto tag = op->getAttrOfType<StringAttr>(name))
    return tag.getValue();
  return "";
}

/// True when every op in the body of `op` (a linalg op) is one of `names`.
bool bodyOnly(Operation *op, ArrayRef<StringRef> names) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || op->getNumRegions() != 1)
    return false;
  for (Operation &inner : op->getRegion(0).front()) {
    if (isa<linalg::YieldOp>(inner))
      continue;
    if (!llvm::is_contained(names, inner.getName().getStringRef()))
      return false;
  }
  return true;
}

bool bodyHas(Operation *op, StringRef name) {
  if (!op || op->getNumRegions() == 0)
    return false;
  bool found = false;
  op->getRegion(0).walk([&](Operation *inner) {
    if (inner->getName().getStringRef() == name)
      found = true;
  });
  return found;
}

/// Views, copies and the ops that only create or fill tensors.
bool isLayoutOp(Operation *op) {
  if (isShapeOnly(op) ||
      isa<linalg::TransposeOp, linalg::BroadcastOp, linalg::CopyOp,
          tensor::ExtractSliceOp, tensor::InsertSliceOp, tensor::EmptyOp,
          linalg::FillOp, arith::ConstantOp>(op))
    return true;
  // A generic that only moves its input (transpose, broadcast, copy).
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    return bodyOnly(op, {}) && generic.getNumDpsInputs() == 1;
  return false;
}

/// Walks back from `output` until `stops`, block arguments and constants,
/// and requires `allowed` of every op on the way. Returns the first op
/// that fails, or nullptr; `visited` collects the ops walked.
Operation *checkSlice(Value output, const llvm::DenseSet<Value> &stops,
                      function_ref<bool(Operation *)> allowed,
                      llvm::DenseSet<Operation *> &visited) {
  SmallVector<Value> worklist = {output};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (stops.contains(value))
      continue;
    Operation *op = value.getDefiningOp();
    if (!op || !visited.insert(op).second)
      continue;
    if (!allowed(op))
      return op;
    for (Value operand : op->getOperands())
      worklist.push_back(operand);
    // Values captured by a linalg body (tables read with tensor.extract).
    for (Region &region : op->getRegions())
      region.walk([&](Operation *inner) {
        for (Value operand : inner->getOperands())
          if (!region.isAncestor(operand.getParentRegion()))
            worklist.push_back(operand);
      });
  }
  return nullptr;
}

/// Reads the f32 values of a constant (dense, splat or resource).
std::optional<std::vector<float>> readConstantFloats(Value value) {
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto shaped = dyn_cast<ShapedType>(cast<TypedAttr>(attr).getType());
  if (!shaped || !shaped.getElementType().isF32() || !shaped.hasStaticShape())
    return std::nullopt;
  size_t count = shaped.getNumElements();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::vector<float>(count, dense.getSplatValue<float>());
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
    if (!data || data->size() != count)
      return std::nullopt;
    return std::vector<float>(data->begin(), data->end());
  }
  return std::nullopt;
}

std::optional<double> readScalarConstant(Value value) {
  // A splat (the usual zero accumulator of a matmul) is read without
  // expanding it: LLaMA-2-7B's are 40 x 11008.
  Attribute constant;
  if (matchPattern(value, m_Constant(&constant)))
    if (auto dense = dyn_cast<DenseElementsAttr>(constant))
      if (dense.isSplat() && dense.getElementType().isF32())
        return dense.getSplatValue<float>();
  if (auto floats = readConstantFloats(value)) {
    if (floats->empty())
      return std::nullopt;
    for (float f : *floats)
      if (f != floats->front())
        return std::nullopt;
    return floats->front();
  }
  FloatAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

/// Returns the name of a weight: the `lapa.weight` argument attribute,
/// else `argN`, else `constant`.
std::string weightName(Value source) {
  if (auto arg = dyn_cast<BlockArgument>(source)) {
    if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        "lapa.weight"))
        return name.getValue().str();
    return "arg" + std::to_string(arg.getArgNumber());
  }
  return "constant";
}

/// When the only use of a projection's `result` (through reshapes) is an
/// addition of a vector broadcast along the rows, stores the vector as
/// the weight's bias and returns the sum, which later parts read. Returns
/// `result` itself otherwise. `explained` receives the ops absorbed.
Value absorbBias(Value result, WeightDesc &weight,
                 llvm::DenseSet<Operation *> &explained);

int64_t numElements(Value value) {
  auto type = dyn_cast<ShapedType>(value.getType());
  return type && type.hasStaticShape() ? type.getNumElements() : -1;
}

Value absorbBias(Value result, WeightDesc &weight,
                 llvm::DenseSet<Operation *> &explained) {
  Value current = result;
  SmallVector<Operation *> reshapes;
  while (current.hasOneUse()) {
    Operation *user = *current.getUsers().begin();
    if (!isShapeOnly(user))
      break;
    reshapes.push_back(user);
    current = user->getResult(0);
  }
  if (!current.hasOneUse())
    return result;
  auto add = dyn_cast<linalg::GenericOp>(*current.getUsers().begin());
  if (!add || add.getNumDpsInputs() != 2 || !bodyOnly(add, {"arith.addf"}))
    return result;
  Value other = add.getDpsInputs()[0] == current ? add.getDpsInputs()[1]
                                                  : add.getDpsInputs()[0];
  // The bias: a vector of `out` values, broadcast by copies or views.
  SmallVector<Operation *> broadcast;
  Value source = other;
  while (Operation *def = source.getDefiningOp()) {
    if (matchPattern(source, m_Constant()))
      break;
    if (!isLayoutOp(def) || def->getNumOperands() == 0)
      return result;
    broadcast.push_back(def);
    source = def->getOperand(0);
  }
  if (numElements(source) != weight.out)
    return result;
  std::optional<std::vector<float>> data = readConstantFloats(source);
  if (!data && !isa<BlockArgument>(source))
    return result;
  weight.hasBias = true;
  weight.bias = data ? std::move(*data) : std::vector<float>();
  explained.insert(reshapes.begin(), reshapes.end());
  explained.insert(broadcast.begin(), broadcast.end());
  for (Operation *op : broadcast)
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      for (Value init : linalgOp.getDpsInits())
        if (Operation *e = init.getDefiningOp())
          explained.insert(e);
  if (Operation *def = source.getDefiningOp())
    explained.insert(def);
  explained.insert(add);
  if (Operation *e = add.getDpsInits()[0].getDefiningOp())
    explained.insert(e);
  return add->getResult(0);
}

//===----------------------------------------------------------------------===//
// Constant evaluation of mask prologues
//===----------------------------------------------------------------------===//

/// Evaluates a tensor computed from constants only (the causal-mask
/// prologue that some front ends build from iota compares). Supports
/// constants, reshapes and linalg.generic/fill with scalar arith bodies.
class ConstantEvaluator {
public:
  std::optional<std::vector<double>> evaluate(Value value,
                                              llvm::DenseSet<Operation *> &used) {
    auto it = cache.find(value);
    if (it != cache.end())
      return it->second;
    llvm::DenseSet<Operation *> *outer = currentUsed;
    currentUsed = &used;
    std::optional<std::vector<double>> result = compute(value, used);
    currentUsed = outer;
    if (result)
      cache[value] = *result;
    return result;
  }

private:
  std::optional<std::vector<double>> compute(Value value,
                                             llvm::DenseSet<Operation *> &used) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !type.hasStaticShape() || type.getNumElements() > (1 << 22))
      return std::nullopt;
    Operation *op = value.getDefiningOp();
    if (!op)
      return std::nullopt;
    used.insert(op);
    Attribute attr;
    if (matchPattern(value, m_Constant(&attr))) {
      auto dense = dyn_cast<DenseElementsAttr>(attr);
      if (!dense) {
        // A resource blob (random weights, bound files) contains f32 values.
        std::optional<std::vector<float>> floats = readConstantFloats(value);
        if (!floats)
          return std::nullopt;
        return std::vector<double>(floats->begin(), floats->end());
      }
      std::vector<double> out;
      out.reserve(type.getNumElements());
      Type element = type.getElementType();
      if (isa<FloatType>(element)) {
        for (APFloat v : dense.getValues<APFloat>())
          out.push_back(v.convertToDouble());
      } else {
        for (APInt v : dense.getValues<APInt>())
          out.push_back(element.isInteger(1) ? double(v.getZExtValue())
                                             : double(v.getSExtValue()));
      }
      return out;
    }
    if (isShapeOnly(op))
      return evaluate(op->getOperand(0), used);
    if (auto fill = dyn_cast<linalg::FillOp>(op)) {
      std::optional<double> scalar = scalarOf(fill.getInputs()[0]);
      if (!scalar)
        return std::nullopt;
      return std::vector<double>(type.getNumElements(), *scalar);
    }
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic || generic.getNumResults() != 1)
      return std::nullopt;
    return evaluateGeneric(generic, type, used);
  }

  std::optional<double> scalarOf(Value value) {
    Attribute attr;
    if (!matchPattern(value, m_Constant(&attr)))
      return std::nullopt;
    if (auto f = dyn_cast<FloatAttr>(attr))
      return f.getValueAsDouble();
    if (auto i = dyn_cast<IntegerAttr>(attr))
      return double(i.getValue().getSExtValue());
    return std::nullopt;
  }

  std::optional<std::vector<double>>
  evaluateGeneric(linalg::GenericOp generic, RankedTensorType type,
                  llvm::DenseSet<Operation *> &used) {
    SmallVector<std::vector<double>> operands;
    SmallVector<SmallVector<int64_t>> shapes;
    for (OpOperand &operand : generic->getOpOperands()) {
      auto operandType = dyn_cast<RankedTensorType>(operand.get().getType());
      if (!operandType || !operandType.hasStaticShape())
        return std::nullopt;
      std::optional<std::vector<double>> values;
      if (generic.isDpsInit(&operand) && !generic.payloadUsesValueFromOperand(&operand))
        values = std::vector<double>(operandType.getNumElements(), 0.0);
      else
        values = evaluate(operand.get(), used);
      if (!values)
        return std::nullopt;
      operands.push_back(std::move(*values));
      shapes.emplace_back(operandType.getShape());
    }
    SmallVector<int64_t> bounds = generic.getStaticLoopRanges();
    for (int64_t bound : bounds)
      if (ShapedType::isDynamic(bound))
        return std::nullopt;
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    std::vector<double> result = operands.back();
    Block &body = generic.getRegion().front();
    SmallVector<int64_t> index(bounds.size(), 0);
    int64_t total = 1;
    for (int64_t bound : bounds)
      total *= bound;
    if (total > (1 << 22))
      return std::nullopt;
    for (int64_t step = 0; step < total; ++step) {
      int64_t rest = step;
      for (int64_t d = int64_t(bounds.size()) - 1; d >= 0; --d) {
        index[d] = rest % bounds[d];
        rest /= bounds[d];
      }
      llvm::DenseMap<Value, double> values;
      int64_t outOffset = 0;
      for (unsigned i = 0; i < maps.size(); ++i) {
        int64_t offset = 0;
        for (auto [dim, expr] : llvm::enumerate(maps[i].getResults())) {
          int64_t coordinate;
          if (auto d = dyn_cast<AffineDimExpr>(expr))
            coordinate = index[d.getPosition()];
          else if (auto c = dyn_cast<AffineConstantExpr>(expr))
            coordinate = c.getValue();
          else
            return std::nullopt;
          offset = offset * shapes[i][dim] + coordinate;
        }
        if (i + 1 == maps.size())
          outOffset = offset;
        values[body.getArgument(i)] =
            i + 1 == maps.size() ? result[offset] : operands[i][offset];
      }
      for (Operation &inner : body) {
        if (auto yield = dyn_cast<linalg::YieldOp>(inner)) {
          auto it = values.find(yield.getOperand(0));
          std::optional<double> v =
              it != values.end() ? std::optional<double>(it->second)
                                 : scalarOf(yield.getOperand(0));
          if (!v)
            return std::nullopt;
          result[outOffset] = *v;
          break;
        }
        std::optional<double> v = evaluateScalar(inner, values, index);
        if (!v)
          return std::nullopt;
        values[inner.getResult(0)] = *v;
      }
    }
    (void)type;
    return result;
  }

  std::optional<double> evaluateScalar(Operation &op,
                                       llvm::DenseMap<Value, double> &values,
                                       ArrayRef<int64_t> index) {
    auto get = [&](Value v) -> std::optional<double> {
      auto it = values.find(v);
      if (it != values.end())
        return it->second;
      return scalarOf(v);
    };
    if (auto indexOp = dyn_cast<linalg::IndexOp>(op))
      return double(index[indexOp.getDim()]);
    if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
      // An element of a tensor that is itself constant (a gather from a
      // table by indices known at compile time).
      auto tableType = dyn_cast<RankedTensorType>(extract.getTensor().getType());
      if (!tableType || !tableType.hasStaticShape() || !currentUsed)
        return std::nullopt;
      std::optional<std::vector<double>> table =
          evaluate(extract.getTensor(), *currentUsed);
      if (!table)
        return std::nullopt;
      int64_t offset = 0;
      for (auto [dim, indexValue] : llvm::enumerate(extract.getIndices())) {
        std::optional<double> i = get(indexValue);
        int64_t size = tableType.getDimSize(dim);
        if (!i || *i < 0 || *i >= double(size))
          return std::nullopt;
        offset = offset * size + int64_t(*i);
      }
      return (*table)[size_t(offset)];
    }
    if (auto constant = dyn_cast<arith::ConstantOp>(op))
      return scalarOf(constant.getResult());
    SmallVector<double> in;
    for (Value operand : op.getOperands()) {
      std::optional<double> v = get(operand);
      if (!v)
        return std::nullopt;
      in.push_back(*v);
    }
    StringRef name = op.getName().getStringRef();
    if (name == "arith.addi" || name == "arith.addf")
      return in[0] + in[1];
    if (name == "arith.subi" || name == "arith.subf")
      return in[0] - in[1];
    if (name == "arith.muli" || name == "arith.mulf")
      return in[0] * in[1];
    if (name == "arith.negf")
      return -in[0];
    if (name == "arith.select")
      return in[0] != 0 ? in[1] : in[2];
    if (isa<arith::TruncIOp, arith::ExtSIOp, arith::ExtUIOp, arith::IndexCastOp,
            arith::UIToFPOp, arith::SIToFPOp, arith::ExtFOp, arith::TruncFOp>(op))
      return in[0];
    if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
      switch (cmp.getPredicate()) {
      case arith::CmpIPredicate::eq:
        return double(in[0] == in[1]);
      case arith::CmpIPredicate::ne:
        return double(in[0] != in[1]);
      case arith::CmpIPredicate::slt:
      case arith::CmpIPredicate::ult:
        return double(in[0] < in[1]);
      case arith::CmpIPredicate::sle:
      case arith::CmpIPredicate::ule:
        return double(in[0] <= in[1]);
      case arith::CmpIPredicate::sgt:
      case arith::CmpIPredicate::ugt:
        return double(in[0] > in[1]);
      case arith::CmpIPredicate::sge:
      case arith::CmpIPredicate::uge:
        return double(in[0] >= in[1]);
      }
    }
    if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
      switch (cmp.getPredicate()) {
      case arith::CmpFPredicate::OEQ:
      case arith::CmpFPredicate::UEQ:
        return double(in[0] == in[1]);
      case arith::CmpFPredicate::ONE:
      case arith::CmpFPredicate::UNE:
        return double(in[0] != in[1]);
      case arith::CmpFPredicate::OLT:
      case arith::CmpFPredicate::ULT:
        return double(in[0] < in[1]);
      case arith::CmpFPredicate::OLE:
      case arith::CmpFPredicate::ULE:
        return double(in[0] <= in[1]);
      case arith::CmpFPredicate::OGT:
      case arith::CmpFPredicate::UGT:
        return double(in[0] > in[1]);
      case arith::CmpFPredicate::OGE:
      case arith::CmpFPredicate::UGE:
        return double(in[0] >= in[1]);
      default:
        return std::nullopt;
      }
    }
    if (name == "arith.ori")
      return double((in[0] != 0) || (in[1] != 0));
    if (name == "arith.andi")
      return double((in[0] != 0) && (in[1] != 0));
    return std::nullopt;
  }

  llvm::DenseMap<Value, std::vector<double>> cache;
  llvm::DenseSet<Operation *> *currentUsed = nullptr;
};

/// Reads the additive mask of `attention`. A mask computed from constants
/// is accepted when it is causal. It is also accepted when every query row
/// adds one value to all of its keys, because softmax then does not change
/// (an all-zero mask, or a padding mask whose inputs mark every key valid). Returns the ops
/// the mask was computed by in `used`.
LogicalResult readMask(AttentionOp attention, int64_t S, const Twine &prefix,
                       ConstantEvaluator &evaluator, bool &causal,
                       llvm::DenseSet<Operation *> &used) {
  Value mask = attention.getMask();
  if (!mask)
    return success();
  std::optional<std::vector<double>> values = evaluator.evaluate(mask, used);
  auto maskType = cast<ShapedType>(mask.getType());
  int64_t count = maskType.hasStaticShape() ? maskType.getNumElements() : 0;
  if (!values || count % (S * S) != 0) {
    // Name the function arguments the mask is computed from.
    llvm::SetVector<unsigned> arguments;
    SmallVector<Value> worklist = {mask};
    llvm::DenseSet<Value> seen;
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      if (!seen.insert(v).second)
        continue;
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        if (isa<func::FuncOp>(arg.getOwner()->getParentOp()))
          arguments.insert(arg.getArgNumber());
        continue;
      }
      if (Operation *def = v.getDefiningOp())
        for (Value operand : def->getOperands())
          worklist.push_back(operand);
    }
    InFlightDiagnostic diag = attention.emitError();
    diag << prefix
         << " attention has an additive mask that is not computed from "
            "constants; the instruction set has no run-time mask. ";
    if (arguments.empty()) {
      diag << "Bind the inputs it reads to constants first "
              "(lapa-bind-inputs, or lapa-run --bind-inputs)";
    } else {
      diag << "It reads function argument";
      diag << (arguments.size() > 1 ? "s " : " ");
      for (auto [i, number] : llvm::enumerate(arguments))
        diag << (i ? ", " : "") << "arg" << number;
      diag << (arguments.size() > 1 ? "; bind them" : "; bind it")
           << " to constants first with lapa-bind-inputs (or "
              "lapa-run --bind-inputs), for example values=arg"
           << arguments.front() << "=1 for a padding mask with every key valid";
    }
    return failure();
  }
  bool isCausal = true, uniformRows = true;
  for (int64_t base = 0; base < count; base += S * S)
    for (int64_t i = 0; i < S; ++i)
      for (int64_t j = 0; j < S; ++j) {
        double v = (*values)[size_t(base + i * S + j)];
        isCausal &= j <= i ? v == 0.0 : v <= -1e30;
        uniformRows &= v == (*values)[size_t(base + i * S)] && std::isfinite(v);
      }
  if (uniformRows)
    return success();
  if (!isCausal) {
    attention.emitError()
        << prefix
        << " attention has an additive mask that is neither causal nor the "
           "same for every key of a query (a padding mask with masked keys); "
           "the instruction set supports causal masking only";
    return failure();
  }
  causal = true;
  return success();
}

//===----------------------------------------------------------------------===//
// The reader
//===----------------------------------------------------------------------===//

const llvm::StringSet<> &normBodyOps() {
  static const llvm::StringSet<> names = {
      "arith.mulf", "arith.addf", "arith.subf", "arith.divf", "math.rsqrt",
      "math.sqrt", "math.powf", "math.fpowi", "arith.constant", "arith.negf"};
  return names;
}

class ModelReader {
public:
  ModelReader(func::FuncOp func,
              const ::lapa::predict::PredictorConfig &defaultPredictor)
      : func(func), defaultPredictor(defaultPredictor) {}

  /// The tagged ops the layer reader looks for, in walk order. One walk
  /// fills them, because a walk per layer (and one per candidate down
  /// projection) would cost LLaMA-2-7B's 9,000 ops thousands of times.
  struct TaggedOps {
    SmallVector<linalg::LinalgOp> residuals, ffnUp, ffnGate, ffnDown;
    /// The projections of each `lapa.attention_index`.
    llvm::DenseMap<int64_t, SmallVector<linalg::LinalgOp, 8>> projections;
  } tagged;
  bool taggedIndexed = false;
  void indexTaggedOps() {
    if (taggedIndexed)
      return;
    taggedIndexed = true;
    func.walk([&](linalg::LinalgOp op) {
      if (auto attr = op->getAttrOfType<IntegerAttr>("lapa.attention_index"))
        tagged.projections[attr.getInt()].push_back(op);
      if (isa<linalg::GenericOp>(op.getOperation()) &&
          tagOf(op, "lapa.layer") == "residual")
        tagged.residuals.push_back(op);
      StringRef role = tagOf(op, "lapa.ffn");
      if (role == "up")
        tagged.ffnUp.push_back(op);
      else if (role == "gate")
        tagged.ffnGate.push_back(op);
      else if (role == "down")
        tagged.ffnDown.push_back(op);
    });
  }

  FailureOr<ModelDesc> read();
  /// Reads a graph that does not follow the layer template as a program
  /// of steps (ModelDesc::program).
  FailureOr<ModelDesc> readProgram();
  /// The layers read so far, to tell how far a failed read got.
  size_t layersRead() const { return model.layers.size(); }
  /// Whether the read failed on an input that needs lapa-bind-inputs.
  bool failedOnInputs() const { return needsBinding; }

private:
  // The program reader's state and parts (readProgram).
  llvm::DenseMap<Value, int> valueOf;
  std::vector<int64_t> *widths = nullptr;
  std::vector<::lapa::schedule::StepDesc> *steps = nullptr;
  /// Returns the program value that a tensor carries, through views and
  /// copies, or -1 when it carries no value.
  int findValue(Value value);
  /// Creates a program value of `width` columns for `value`.
  int newValue(Value value, int64_t width);
  LogicalResult readProgramAttention(AttentionOp attention, unsigned index);
  LogicalResult readProgramGeneric(linalg::GenericOp op);
  LogicalResult readTrigram(tensor::InsertSliceOp last);
  LogicalResult readProgramOutput(Value result, unsigned index);
  /// The function argument the program's lookups read token ids from.
  int tokenArgument = -1;
  int64_t tokenTableRows = 0;
  bool needsBinding = false;
  struct NormResult {
    NormDesc desc;
    Value input;
  };
  FailureOr<NormResult> readNorm(Value output, const Twine &what);
  FailureOr<WeightDesc> readWeight(linalg::LinalgOp matmul, const Twine &what);
  FailureOr<VectorDesc> readVector(Value value, int64_t size, const Twine &what);
  LogicalResult readEmbedding(Value x0);
  LogicalResult readLayer(unsigned index, AttentionOp attention, Value &x);
  /// Collects the function's lapa.attention ops in program order; fails
  /// with an error when there is none.
  LogicalResult collectAttentions(SmallVectorImpl<AttentionOp> &attentions) {
    func.walk([&](AttentionOp op) { attentions.push_back(op); });
    if (attentions.empty()) {
      error(func, "no lapa.attention in the function; run "
                  "lapa-raise-attention first");
      return failure();
    }
    return success();
  }
  /// Finds the projections that lapa-raise-attention tagged with attention
  /// `index` and the roles `names`, in that order.
  LogicalResult findProjections(AttentionOp attention, unsigned index,
                                ArrayRef<const char *> names,
                                MutableArrayRef<linalg::LinalgOp> projections,
                                const std::string &prefix);
  LogicalResult readRotary(AttentionOp attention, Value qProjection,
                           Value kProjection, bool &rotary);
  LogicalResult checkCoverage(Value result);
  /// Reads the result of a graph without a head: the last hidden state or
  /// a static slice of it (copied into an output argument or returned).
  FailureOr<ModelDesc> readBlockResult(func::ReturnOp ret, Value last);
  InFlightDiagnostic error(Operation *op, const Twine &message) {
    return op->emitError() << message;
  }

  /// Marks the ops of a checked slice as explained.
  LogicalResult explain(Value output, ArrayRef<Value> stops,
                        function_ref<bool(Operation *)> allowed,
                        const Twine &what,
                        llvm::DenseSet<Operation *> *walked = nullptr) {
    llvm::DenseSet<Value> stopSet(stops.begin(), stops.end());
    for (Value v : boundary)
      stopSet.insert(v);
    llvm::DenseSet<Operation *> visited;
    if (Operation *bad = checkSlice(output, stopSet, allowed, visited)) {
      error(bad, "unsupported op in the " + what +
                     " after raising: the ISA lowering cannot map it to an "
                     "instruction; remove it or extend the lowering");
      return failure();
    }
    explained.insert(visited.begin(), visited.end());
    if (walked)
      walked->insert(visited.begin(), visited.end());
    return success();
  }

  func::FuncOp func;
  const ::lapa::predict::PredictorConfig &defaultPredictor;
  ModelDesc model;
  llvm::DenseSet<Operation *> explained;
  /// Values produced by parts already read; later slices stop at them.
  llvm::DenseSet<Value> boundary;
  ConstantEvaluator evaluator;
};

FailureOr<VectorDesc> ModelReader::readVector(Value value, int64_t size,
                                              const Twine &what) {
  Value source = skipReshapes(value);
  if (numElements(source) != size) {
    emitError(value.getLoc()) << what << " has " << numElements(source)
                              << " elements; expected " << size;
    return failure();
  }
  VectorDesc desc;
  desc.name = weightName(source);
  desc.size = size;
  if (std::optional<std::vector<float>> data = readConstantFloats(source))
    desc.data = std::move(*data);
  else if (!isa<BlockArgument>(source)) {
    emitError(value.getLoc()) << what
                              << " is neither a function argument nor an f32 "
                                 "constant";
    return failure();
  }
  if (Operation *op = value.getDefiningOp())
    explained.insert(op);
  return desc;
}

FailureOr<ModelReader::NormResult> ModelReader::readNorm(Value output,
                                                         const Twine &what) {
  Operation *top = skipReshapes(output).getDefiningOp();
  StringRef tag = tagOf(top, "lapa.layer");
  if (tag != "rms_norm" && tag != "layer_norm") {
    emitError(output.getLoc())
        << "expected the " << what
        << " (an RMSNorm or LayerNorm that lapa-annotate-layers tags) to "
           "produce this value, but the graph computes it another way; the "
           "layer template reads pre-norm or norm-free layers with "
           "linalg.matmul projections (see docs/compiler.md)";
    return failure();
  }
  NormResult result;
  result.desc.kind = tag == "rms_norm" ? NormKind::Rms : NormKind::Layer;

  // The group: every op with the tag reachable backwards through views.
  llvm::SetVector<Operation *> group;
  SmallVector<Operation *> worklist = {top};
  SmallVector<Value> outside;
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!group.insert(op))
      continue;
    for (Value operand : op->getOperands()) {
      Value source = skipReshapes(operand);
      Operation *def = source.getDefiningOp();
      for (Value v = operand; v != source; v = v.getDefiningOp()->getOperand(0))
        explained.insert(v.getDefiningOp());
      if (def && tagOf(def, "lapa.layer") == tag) {
        worklist.push_back(def);
        continue;
      }
      if (def && isa<tensor::EmptyOp, linalg::FillOp>(def)) {
        explained.insert(def);
        if (auto fill = dyn_cast<linalg::FillOp>(def))
          explained.insert(fill.getInputs()[0].getDefiningOp());
        continue;
      }
      if (def && matchPattern(source, m_Constant()))
        explained.insert(def);
      if (!llvm::is_contained(outside, source))
        outside.push_back(source);
    }
  }
  for (Operation *op : group) {
    if (!isa<linalg::GenericOp, linalg::ReduceOp>(op)) {
      error(op, "unexpected op in the " + what);
      return failure();
    }
    for (Operation &inner : op->getRegion(0).front())
      if (!isa<linalg::YieldOp>(inner) &&
          !normBodyOps().contains(inner.getName().getStringRef())) {
        error(&inner, "unsupported operation in the " + what);
        return failure();
      }
    explained.insert(op);
  }

  // The activation is the one outside value with more than one row; the
  // others are the gain (multiplied) and the LayerNorm bias (added).
  Value input;
  int64_t width = 0;
  for (Value value : outside) {
    if (matchPattern(value, m_Constant()))
      continue;
    auto type = cast<ShapedType>(value.getType());
    int64_t rows = 1;
    for (int64_t dim : type.getShape().drop_back())
      rows *= dim;
    if (rows > 1 && (!input || input == value)) {
      input = value;
      width = type.getShape().back();
    } else if (rows > 1) {
      error(top, "the " + what + " reads two activations");
      return failure();
    }
  }
  if (!input) {
    error(top, "cannot find the input of the " + what);
    return failure();
  }
  result.input = input;
  for (Value value : outside) {
    if (value == input)
      continue;
    // Constants of another size are the norm's scalars (epsilon, 1/n).
    if (matchPattern(value, m_Constant()) && numElements(value) != width)
      continue;
    bool added = false, multiplied = false;
    for (Operation *op : group)
      for (Value operand : op->getOperands())
        if (skipReshapes(operand) == value) {
          added |= bodyHas(op, "arith.addf");
          multiplied |= bodyHas(op, "arith.mulf");
        }
    FailureOr<VectorDesc> vec = readVector(value, width, what + " parameter");
    if (failed(vec))
      return failure();
    if (multiplied && result.desc.gain.size == 0)
      result.desc.gain = *vec;
    else if (added && !result.desc.bias)
      result.desc.bias = *vec;
    else {
      emitError(value.getLoc()) << "cannot tell the role of this " << what
                                << " parameter";
      return failure();
    }
  }
  if (result.desc.gain.size == 0) {
    // A norm without a learned gain multiplies by one.
    result.desc.gain.name = "ones";
    result.desc.gain.size = width;
    result.desc.gain.data.assign(width, 1.0f);
  }
  // eps: the constant added to the mean square (or variance) before the
  // square root.
  std::optional<double> eps;
  for (Operation *op : group) {
    if (!bodyHas(op, "math.rsqrt") && !bodyHas(op, "math.sqrt"))
      continue;
    Operation *add = skipReshapes(op->getOperand(0)).getDefiningOp();
    if (!add || !group.contains(add) || !bodyHas(add, "arith.addf"))
      continue;
    for (Value operand : add->getOperands())
      if (std::optional<double> v = readScalarConstant(skipReshapes(operand)))
        eps = v;
    add->getRegion(0).walk([&](arith::AddFOp addf) {
      for (Value operand : addf->getOperands())
        if (!add->getRegion(0).isAncestor(operand.getParentRegion()))
          if (std::optional<double> v = readScalarConstant(operand))
            eps = v;
    });
  }
  if (!eps) {
    error(top, "cannot find the epsilon of the " + what);
    return failure();
  }
  result.desc.eps = static_cast<float>(*eps);
  return result;
}

FailureOr<WeightDesc> ModelReader::readWeight(linalg::LinalgOp matmul,
                                              const Twine &what) {
  explained.insert(matmul);
  Value lhs = matmul.getDpsInputs()[0], rhs = matmul.getDpsInputs()[1];
  auto lhsType = cast<ShapedType>(lhs.getType());
  auto rhsType = cast<ShapedType>(rhs.getType());
  if (!isa<linalg::MatmulOp>(matmul.getOperation()) || rhsType.getRank() != 2 ||
      !rhsType.hasStaticShape() || !lhsType.hasStaticShape()) {
    error(matmul, "the " + what +
                      " must be a linalg.matmul with static shapes and a 2-D "
                      "weight");
    return failure();
  }
  // The accumulator must start at zero.
  Value init = matmul.getDpsInits()[0];
  Operation *initOp = init.getDefiningOp();
  std::optional<double> start;
  if (auto fill = dyn_cast_if_present<linalg::FillOp>(initOp)) {
    start = readScalarConstant(fill.getInputs()[0]);
    explained.insert(fill);
    if (Operation *e = fill.getOutputs()[0].getDefiningOp())
      explained.insert(e);
  } else {
    start = readScalarConstant(init);
  }
  if (initOp)
    explained.insert(initOp);
  if (!start || *start != 0.0) {
    error(matmul, "the " + what + " must accumulate into zeros");
    return failure();
  }

  WeightDesc weight;
  weight.in = rhsType.getDimSize(0);
  weight.out = rhsType.getDimSize(1);
  Value source = skipReshapes(rhs);
  for (Value v = rhs; v != source; v = v.getDefiningOp()->getOperand(0))
    explained.insert(v.getDefiningOp());
  bool transposed = false;
  if (auto transpose = source.getDefiningOp<linalg::TransposeOp>()) {
    if (transpose.getPermutation() != ArrayRef<int64_t>{1, 0}) {
      error(transpose, "unsupported weight layout of the " + what);
      return failure();
    }
    explained.insert(transpose);
    if (Operation *e = transpose.getInit().getDefiningOp())
      explained.insert(e);
    transposed = true;
    Value inner = skipReshapes(transpose.getInput());
    for (Value v = transpose.getInput(); v != inner;
         v = v.getDefiningOp()->getOperand(0))
      explained.insert(v.getDefiningOp());
    source = inner;
  }
  weight.name = weightName(source);
  if (std::optional<std::vector<float>> data = readConstantFloats(source)) {
    if (!transposed) {
      weight.data = std::move(*data);
    } else {
      weight.data.resize(data->size());
      for (int64_t i = 0; i < weight.in; ++i)
        for (int64_t o = 0; o < weight.out; ++o)
          weight.data[size_t(i) * weight.out + o] =
              (*data)[size_t(o) * weight.in + i];
    }
    if (Operation *def = source.getDefiningOp())
      explained.insert(def);
  } else if (!isa<BlockArgument>(source)) {
    error(matmul, "the weight of the " + what +
                      " is neither a function argument nor an f32 constant");
    return failure();
  }
  return weight;
}

LogicalResult ModelReader::readEmbedding(Value x0) {
  Value source = skipReshapes(x0);
  auto generic = source.getDefiningOp<linalg::GenericOp>();
  tensor::ExtractOp extract;
  if (generic)
    generic.getRegion().walk([&](tensor::ExtractOp op) { extract = op; });
  if (!extract) {
    emitError(x0.getLoc())
        << "expected a token embedding (a gather from a table) to produce "
           "the first layer's input";
    return failure();
  }
  Value table = skipReshapes(extract.getTensor());
  auto tableType = cast<ShapedType>(table.getType());
  if (!tableType.hasStaticShape()) {
    error(generic, "the embedding table must have a static shape");
    return failure();
  }
  int64_t vocab = tableType.getNumElements() / model.hidden;
  model.vocab = vocab;
  model.embedding.name = weightName(table);
  model.embedding.in = vocab;
  model.embedding.out = model.hidden;
  if (auto data = readConstantFloats(table))
    model.embedding.data = std::move(*data);
  else if (!isa<BlockArgument>(table)) {
    error(generic, "the embedding table is neither a function argument nor "
                   "an f32 constant");
    return failure();
  }
  // The token ids: a function argument, possibly converted to i32.
  Value tokens = generic.getDpsInputs()[0];
  auto isIdsOp = [](Operation *op) {
    return isLayoutOp(op) ||
           bodyOnly(op, {"arith.trunci", "arith.extsi", "arith.index_cast"});
  };
  if (failed(explain(tokens, {}, isIdsOp, "token ids")))
    return failure();
  explained.insert(generic);
  if (failed(explain(extract.getTensor(), {}, isLayoutOp, "embedding table")))
    return failure();
  return success();
}

LogicalResult ModelReader::readRotary(AttentionOp attention, Value qProjection,
                                      Value kProjection, bool &rotary) {
  auto rotaryOp = [](Operation *op) {
    return isLayoutOp(op) ||
           bodyOnly(op, {"arith.mulf", "arith.addf", "arith.subf", "arith.negf",
                         "tensor.extract", "linalg.index", "arith.index_cast"});
  };
  llvm::DenseSet<Operation *> qOps, kOps;
  if (failed(explain(attention.getQuery(), {qProjection}, rotaryOp,
                     "query path", &qOps)) ||
      failed(explain(attention.getKey(), {kProjection}, rotaryOp, "key path",
                     &kOps)))
    return failure();
  auto tagged = [](const llvm::DenseSet<Operation *> &ops) {
    SmallVector<Operation *> result;
    for (Operation *op : ops)
      if (tagOf(op, "lapa.layer") == "rotary_embedding")
        result.push_back(op);
    return result;
  };
  SmallVector<Operation *> qTagged = tagged(qOps), kTagged = tagged(kOps);
  if (qTagged.empty() != kTagged.empty()) {
    error(attention, "rotary embedding is applied to only one of the query "
                     "and the key");
    return failure();
  }
  // Without rotary tags the paths must be pure layout.
  if (qTagged.empty()) {
    for (Operation *op : llvm::concat<Operation *const>(qOps, kOps))
      if (!isLayoutOp(op)) {
        error(op, "unsupported op between a projection and the attention");
        return failure();
      }
    rotary = false;
    return success();
  }
  rotary = true;
  int64_t headDim = cast<ShapedType>(attention.getQuery().getType()).getShape().back();

  // The pairing: an expand of the head dimension into [D/2, 2] marks
  // interleaved pairs; a slice at offset D/2 marks half-split pairs.
  bool interleaved = false, halfSplit = false;
  for (Operation *op : qOps) {
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
      ArrayRef<int64_t> shape = expand.getResultType().getShape();
      if (shape.size() >= 2 && shape.back() == 2 &&
          shape[shape.size() - 2] == headDim / 2)
        interleaved = true;
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
      ArrayRef<int64_t> offsets = slice.getStaticOffsets();
      if (!offsets.empty() && offsets.back() == headDim / 2)
        halfSplit = true;
    }
  }
  if (interleaved == halfSplit) {
    error(attention, "cannot tell how the rotary embedding pairs the "
                     "columns of the head; expected pairs (2c, 2c+1) or "
                     "(c, c + D/2)");
    return failure();
  }

  // The tables: the operands of the tagged multiplies that do not come
  // from the projection.
  SmallVector<Value> tables;
  for (Operation *op : qTagged) {
    for (Value operand : op->getOperands().take_front(
             cast<linalg::LinalgOp>(op).getNumDpsInputs())) {
      llvm::DenseSet<Operation *> seen;
      llvm::DenseSet<Value> none;
      bool fromProjection = false;
      checkSlice(operand, none,
                 [&](Operation *o) {
                   for (Value r : o->getResults())
                     if (r == qProjection)
                       fromProjection = true;
                   return true;
                 },
                 seen);
      if (!fromProjection && !llvm::is_contained(tables, operand))
        tables.push_back(operand);
    }
  }
  if (tables.size() != 2) {
    error(attention, "expected one cosine and one sine table in the rotary "
                     "embedding, found " + Twine(tables.size()));
    return failure();
  }
  RopeDesc rope;
  rope.headDim = headDim;
  rope.halfSplit = halfSplit;
  int64_t S = model.seqLen;
  std::optional<std::vector<float>> first = readConstantFloats(skipReshapes(tables[0]));
  std::optional<std::vector<float>> second = readConstantFloats(skipReshapes(tables[1]));
  if (first && second) {
    // Constant tables: [S x D/2] with the cosine's first row all ones.
    if (int64_t(first->size()) != S * headDim / 2 ||
        int64_t(second->size()) != S * headDim / 2) {
      error(attention, "the rotary tables are constants of " +
                           Twine(first->size()) + " values; expected " +
                           Twine(S * headDim / 2) + " (sequence x D/2)");
      return failure();
    }
    bool firstIsCos = (*first)[0] == 1.0f;
    rope.cos = firstIsCos ? *first : *second;
    rope.sin = firstIsCos ? *second : *first;
  }
  // NOTE: tables that are function arguments (Hugging Face caches) are
  // bound at run time as rope.cos and rope.sin, [sequence x D/2] each.
  if (model.rope && (model.rope->headDim != rope.headDim ||
                     model.rope->halfSplit != rope.halfSplit)) {
    error(attention, "layers use different rotary embeddings");
    return failure();
  }
  if (!model.rope)
    model.rope = std::move(rope);
  return success();
}

LogicalResult ModelReader::findProjections(
    AttentionOp attention, unsigned index, ArrayRef<const char *> names,
    MutableArrayRef<linalg::LinalgOp> projections, const std::string &prefix) {
  indexTaggedOps();
  for (linalg::LinalgOp op : tagged.projections.lookup(int64_t(index))) {
    StringRef role = tagOf(op, "lapa.projection");
    for (size_t i = 0; i < names.size(); ++i)
      if (role == names[i])
        projections[i] = op;
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!projections[i]) {
      error(attention, prefix + " has no " + names[i] +
                           " projection tagged by lapa-raise-attention");
      return failure();
    }
  return success();
}

LogicalResult ModelReader::readLayer(unsigned index, AttentionOp attention,
                                     Value &x) {
  LayerDesc layer;
  std::string prefix = "layer " + std::to_string(index);
  explained.insert(attention);

  // The projections tagged with this attention's index.
  linalg::LinalgOp projections[4] = {};
  const char *names[4] = {"query", "key", "value", "output"};
  if (failed(findProjections(attention, index, names, projections, prefix)))
    return failure();

  // Shapes and flags of the attention.
  auto qType = cast<ShapedType>(attention.getQuery().getType());
  auto kType = cast<ShapedType>(attention.getKey().getType());
  if (!qType.hasStaticShape() || !kType.hasStaticShape() || qType.getRank() != 4) {
    error(attention, prefix + " attention needs static [batch, heads, "
                              "sequence, head dim] shapes");
    return failure();
  }
  if (qType.getDimSize(0) != model.batch) {
    error(attention, prefix + " attention has batch " +
                         Twine(qType.getDimSize(0)) + ", but the first has " +
                         Twine(model.batch));
    return failure();
  }
  layer.heads = qType.getDimSize(1);
  layer.kvHeads = kType.getDimSize(1);
  layer.headDim = qType.getDimSize(3);
  if (qType.getDimSize(2) != model.seqLen || kType.getDimSize(2) != model.seqLen) {
    error(attention, prefix + " attention has " + Twine(qType.getDimSize(2)) +
                         " queries and " + Twine(kType.getDimSize(2)) +
                         " keys; the lowering needs both equal to the "
                         "sequence length " + Twine(model.seqLen));
    return failure();
  }
  layer.scale = static_cast<float>(attention.getScale().convertToDouble());
  layer.causal = attention.getCausal();
  {
    llvm::DenseSet<Operation *> used;
    bool causal = layer.causal;
    if (failed(readMask(attention, model.seqLen, prefix, evaluator, causal,
                        used)))
      return failure();
    explained.insert(used.begin(), used.end());
    layer.causal = causal;
  }
  if (auto predictor = attention->getAttrOfType<PredictorAttr>("lapa.predictor"))
    layer.predictor = predictor.getConfig();
  else
    layer.predictor = defaultPredictor;

  // Norm and projections: Q, K and V read the same normalized input.
  Value normOut = skipReshapes(projections[0].getDpsInputs()[0]);
  for (unsigned i = 1; i < 3; ++i)
    if (skipReshapes(projections[i].getDpsInputs()[0]) != normOut) {
      error(projections[i], prefix + " " + names[i] +
                                " projection reads another input than the "
                                "query projection");
      return failure();
    }
  if (normOut == skipReshapes(x)) {
    // The projections read the layer input directly (no pre-norm).
    layer.hasAttentionNorm = false;
  } else {
    FailureOr<NormResult> norm = readNorm(normOut, prefix + " attention norm");
    if (failed(norm))
      return failure();
    if (skipReshapes(norm->input) != skipReshapes(x)) {
      emitError(normOut.getLoc()) << prefix
                                  << " attention norm does not read the layer "
                                     "input; only pre-norm layers are supported";
      return failure();
    }
    layer.attentionNorm = norm->desc;
  }
  WeightDesc *weights[4] = {&layer.query, &layer.key, &layer.value, &layer.output};
  for (unsigned i = 0; i < 4; ++i) {
    FailureOr<WeightDesc> weight =
        readWeight(projections[i], prefix + " " + names[i] + " projection");
    if (failed(weight))
      return failure();
    *weights[i] = *weight;
  }
  // A bias added right after a projection belongs to it.
  Value results[4];
  for (unsigned i = 0; i < 4; ++i)
    results[i] = absorbBias(projections[i]->getResult(0), *weights[i], explained);
  for (unsigned i = 0; i < 3; ++i) {
    Value lhs = projections[i].getDpsInputs()[0];
    for (Value v = lhs; v != skipReshapes(lhs); v = v.getDefiningOp()->getOperand(0))
      explained.insert(v.getDefiningOp());
    boundary.insert(results[i]);
  }

  if (failed(readRotary(attention, results[0], results[1], layer.rotary)))
    return failure();
  if (failed(explain(attention.getValue(), {results[2]}, isLayoutOp,
                     prefix + " value path")))
    return failure();
  boundary.insert(attention.getResult());
  if (failed(explain(projections[3].getDpsInputs()[0], {attention.getResult()},
                     isLayoutOp, prefix + " attention output path")))
    return failure();
  boundary.insert(results[3]);

  // Residual, norm and feed-forward block.
  indexTaggedOps();
  auto findResidual = [&](Value a, Value b) -> Operation * {
    Operation *found = nullptr;
    for (linalg::LinalgOp op : tagged.residuals) {
      if (op.getNumDpsInputs() != 2)
        continue;
      Value l = skipReshapes(op.getDpsInputs()[0]);
      Value r = skipReshapes(op.getDpsInputs()[1]);
      if ((l == skipReshapes(a) && r == skipReshapes(b)) ||
          (l == skipReshapes(b) && r == skipReshapes(a)))
        found = op;
    }
    return found;
  };
  Operation *residual1 = findResidual(x, results[3]);
  if (!residual1) {
    // An attention block without a residual: the layer ends here.
    layer.residual = false;
    layer.hasFfn = false;
    x = results[3];
    model.layers.push_back(std::move(layer));
    return success();
  }
  if (!bodyOnly(residual1, {"arith.addf"})) {
    error(residual1, prefix + " residual addition does more than add");
    return failure();
  }
  explained.insert(residual1);
  for (Value operand : residual1->getOperands())
    for (Value v = operand; v != skipReshapes(v); v = v.getDefiningOp()->getOperand(0))
      explained.insert(v.getDefiningOp());
  Value h = residual1->getResult(0);
  boundary.insert(h);

  linalg::LinalgOp gate, up, down;
  NormResult ffnNorm;
  bool found = false;
  bool normFailed = false;
  for (linalg::LinalgOp op : tagged.ffnUp) {
    Value lhs = skipReshapes(op.getDpsInputs()[0]);
    Operation *def = lhs.getDefiningOp();
    StringRef tag = tagOf(def, "lapa.layer");
    if (tag != "rms_norm" && tag != "layer_norm")
      continue;
    FailureOr<NormResult> n = readNorm(lhs, prefix + " feed-forward norm");
    if (failed(n)) {
      normFailed = true;
      break;
    }
    if (skipReshapes(n->input) != skipReshapes(h))
      continue;
    up = op;
    ffnNorm = *n;
    found = true;
    break;
  }
  if (!found) {
    if (normFailed)
      return failure();
    // No feed-forward block reads h: the layer ends after the residual.
    layer.hasFfn = false;
    x = h;
    model.layers.push_back(std::move(layer));
    return success();
  }
  Value ffnIn = skipReshapes(up.getDpsInputs()[0]);
  for (linalg::LinalgOp op : tagged.ffnGate)
    if (skipReshapes(op.getDpsInputs()[0]) == ffnIn)
      gate = op;
  layer.ffnNorm = ffnNorm.desc;
  FailureOr<WeightDesc> upWeight = readWeight(up, prefix + " up projection");
  if (failed(upWeight))
    return failure();
  layer.up = *upWeight;
  boundary.insert(up->getResult(0));
  for (Value v = up.getDpsInputs()[0]; v != ffnIn; v = v.getDefiningOp()->getOperand(0))
    explained.insert(v.getDefiningOp());
  if (gate) {
    FailureOr<WeightDesc> gateWeight = readWeight(gate, prefix + " gate projection");
    if (failed(gateWeight))
      return failure();
    layer.gate = *gateWeight;
    boundary.insert(gate->getResult(0));
    for (Value v = gate.getDpsInputs()[0]; v != ffnIn; v = v.getDefiningOp()->getOperand(0))
      explained.insert(v.getDefiningOp());
  }
  // The down projection: added to h by the second residual.
  Operation *residual2 = nullptr;
  for (linalg::LinalgOp op : tagged.ffnDown) {
    if (Operation *r = findResidual(h, op->getResult(0))) {
      down = op;
      residual2 = r;
      break;
    }
  }
  if (!down) {
    error(up, prefix + " has no down projection added back to the residual "
                       "stream");
    return failure();
  }
  FailureOr<WeightDesc> downWeight = readWeight(down, prefix + " down projection");
  if (failed(downWeight))
    return failure();
  layer.down = *downWeight;

  // The activation between the up (and gate) and the down projection.
  llvm::DenseSet<Operation *> activation;
  auto activationOp = [](Operation *op) {
    return isLayoutOp(op) ||
           bodyOnly(op, {"arith.mulf", "arith.addf", "arith.subf", "arith.divf",
                         "arith.negf", "math.exp", "math.tanh", "math.erf",
                         "math.powf", "math.fpowi", "arith.constant",
                         "math.absf", "arith.maximumf"});
  };
  if (failed(explain(down.getDpsInputs()[0], {}, activationOp,
                     prefix + " feed-forward activation", &activation)))
    return failure();
  bool tanhOrErf = false, sigmoid = false;
  for (Operation *op : activation) {
    tanhOrErf |= bodyHas(op, "math.tanh") || bodyHas(op, "math.erf");
    sigmoid |= bodyHas(op, "math.exp");
  }
  if (gate && sigmoid && !tanhOrErf)
    layer.ffn = FfnKind::SwiGlu;
  else if (!gate && tanhOrErf)
    layer.ffn = FfnKind::Gelu;
  else {
    error(down, prefix + " feed-forward activation is neither SwiGLU (a gate "
                         "with SiLU) nor GELU");
    return failure();
  }
  // NOTE: the activation is classified by the operations it uses; the exact
  // formula (for example GELU's erf against its tanh form) is not compared.
  explained.insert(residual2);
  for (Value operand : residual2->getOperands())
    for (Value v = operand; v != skipReshapes(v); v = v.getDefiningOp()->getOperand(0))
      explained.insert(v.getDefiningOp());
  x = residual2->getResult(0);
  boundary.insert(x);
  model.layers.push_back(std::move(layer));
  return success();
}

FailureOr<ModelDesc> ModelReader::readBlockResult(func::ReturnOp ret,
                                                  Value last) {
  if (ret.getNumOperands() != 1) {
    error(ret, "a graph without a vocabulary projection must return one "
               "tensor, the last hidden state or a slice of it");
    return failure();
  }
  model.hasHead = false;
  Value result = ret.getOperand(0);
  Value value = skipReshapes(result);
  for (Value v = result; v != value; v = v.getDefiningOp()->getOperand(0))
    explained.insert(v.getDefiningOp());
  if (auto copy = value.getDefiningOp<linalg::CopyOp>()) {
    explained.insert(copy);
    value = skipReshapes(copy.getInputs()[0]);
  }
  int64_t R = model.batch * model.seqLen, H = model.hidden;
  if (value == skipReshapes(last)) {
    model.outputs = {"hidden"};
  } else if (auto slice = value.getDefiningOp<tensor::ExtractSliceOp>()) {
    explained.insert(slice);
    Value source = skipReshapes(slice.getSource());
    auto sourceType = cast<ShapedType>(slice.getSource().getType());
    if (source != skipReshapes(last) || !slice.hasUnitStride() ||
        !sourceType.hasStaticShape() || sourceType.getShape().back() != H ||
        ShapedType::isDynamicShape(slice.getStaticOffsets()) ||
        ShapedType::isDynamicShape(slice.getStaticSizes())) {
      error(slice, "the result is a slice that the lowering cannot map to "
                   "rows and columns of the last hidden state");
      return failure();
    }
    // Offsets and sizes over [..., rows, H]: every dimension before the
    // last selects rows, and together they must form one row range.
    ArrayRef<int64_t> offsets = slice.getStaticOffsets();
    ArrayRef<int64_t> sizes = slice.getStaticSizes();
    ArrayRef<int64_t> shape = sourceType.getShape();
    // List the selected rows (flattened over the leading dimensions) and
    // require consecutive indices.
    size_t dims = shape.size() - 1;
    int64_t rows = 1;
    for (size_t i = 0; i < dims; ++i)
      rows *= sizes[i];
    if (rows > (1 << 20)) {
      error(slice, "the result slice selects too many rows to check");
      return failure();
    }
    SmallVector<int64_t> index(dims, 0);
    int64_t row = -1;
    bool contiguous = true;
    for (int64_t n = 0; n < rows; ++n) {
      int64_t rest = n, flat = 0;
      for (int64_t i = int64_t(dims) - 1; i >= 0; --i) {
        index[i] = rest % sizes[i];
        rest /= sizes[i];
      }
      for (size_t i = 0; i < dims; ++i)
        flat = flat * shape[i] + offsets[i] + index[i];
      if (n == 0)
        row = flat;
      else if (flat != row + n)
        contiguous = false;
    }
    (void)R;
    if (!contiguous) {
      error(slice, "the result slice does not cover one contiguous range of "
                   "rows");
      return failure();
    }
    // `row` is the flattened index of the first selected row when later
    // dimensions start at their offsets.
    model.resultSlice = ::lapa::schedule::SliceDesc{row, rows, offsets.back(),
                                                    sizes.back()};
    model.outputs = {"result"};
  } else {
    emitError(result.getLoc()) << "the function returns a value that is not "
                                  "the last layer's output or a slice of it";
    return failure();
  }
  if (failed(checkCoverage(result)))
    return failure();
  return model;
}

LogicalResult ModelReader::checkCoverage(Value result) {
  llvm::DenseSet<Operation *> visited;
  llvm::DenseSet<Value> none;
  Operation *bad = checkSlice(
      result, none,
      [&](Operation *op) {
        return explained.contains(op) || isa<tensor::EmptyOp>(op) ||
               matchPattern(op, m_Constant());
      },
      visited);
  if (bad) {
    error(bad, "unsupported op left after raising: it is not part of a "
               "recognized embedding, layer or head, so the ISA lowering "
               "cannot compile it");
    return failure();
  }
  return success();
}

FailureOr<ModelDesc> ModelReader::read() {
  model.name = func.getSymName().str();
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  if (ret.getNumOperands() < 1 || ret.getNumOperands() > 2) {
    error(ret, "the function must return the logits, and optionally the "
               "normalized last hidden state");
    return failure();
  }
  SmallVector<AttentionOp> attentions;
  if (failed(collectAttentions(attentions)))
    return failure();
  llvm::sort(attentions, [](AttentionOp a, AttentionOp b) {
    auto index = [](AttentionOp op) {
      auto attr = op->getAttrOfType<IntegerAttr>("lapa.attention_index");
      return attr ? attr.getInt() : -1;
    };
    return index(a) < index(b);
  });
  for (auto [i, attention] : llvm::enumerate(attentions)) {
    auto attr = attention->getAttrOfType<IntegerAttr>("lapa.attention_index");
    if (!attr) {
      error(attention, "this lapa.attention has no lapa.attention_index: it "
                       "was in the graph before raising, and "
                       "lapa-raise-attention numbers only the attention it "
                       "raises; give each lapa.attention an index "
                       "(lapa.attention_index = 0, 1, ...) in program order, "
                       "or give the graph before raising");
      return failure();
    }
    if (attr.getInt() != int64_t(i)) {
      error(attention, "attention indices must run 0, 1, 2, ...; run "
                       "lapa-raise-attention on the whole function");
      return failure();
    }
  }

  // Sizes from the first attention's query projection.
  AttentionOp first = attentions.front();
  auto qType = cast<ShapedType>(first.getQuery().getType());
  model.seqLen = qType.getRank() == 4 ? qType.getDimSize(2) : 0;
  if (ShapedType::isDynamic(model.seqLen)) {
    error(first, "the sequence length is dynamic; give the graph a static "
                 "sequence length (the importer's --seq-len)");
    return failure();
  }

  // The first layer's norm input is the embedding output.
  linalg::LinalgOp firstQuery;
  func.walk([&](linalg::LinalgOp op) {
    auto attr = op->getAttrOfType<IntegerAttr>("lapa.attention_index");
    if (attr && attr.getInt() == 0 && tagOf(op, "lapa.projection") == "query")
      firstQuery = op;
  });
  if (!firstQuery) {
    error(first, "layer 0 has no query projection tagged by "
                 "lapa-raise-attention");
    return failure();
  }
  model.batch = qType.getRank() == 4 ? qType.getDimSize(0) : 1;
  Value firstInput = skipReshapes(firstQuery.getDpsInputs()[0]);
  Value x;
  if (isa<BlockArgument>(firstInput)) {
    // An encoder block that reads hidden states [batch x seq x hidden].
    x = firstInput;
    model.hasEmbedding = false;
    model.hidden = cast<ShapedType>(x.getType()).getShape().back();
    if (numElements(x) != model.batch * model.seqLen * model.hidden) {
      emitError(x.getLoc()) << "the input has " << numElements(x)
                            << " elements; expected batch x sequence x "
                               "hidden = "
                            << model.batch * model.seqLen * model.hidden;
      return failure();
    }
  } else {
    FailureOr<NormResult> norm0 = readNorm(firstInput, "layer 0 attention norm");
    if (failed(norm0))
      return failure();
    x = norm0->input;
    model.hidden = cast<ShapedType>(x.getType()).getShape().back();
    if (failed(readEmbedding(x)))
      return failure();
  }
  boundary.insert(x);

  for (auto [i, attention] : llvm::enumerate(attentions))
    if (failed(readLayer(unsigned(i), attention, x)))
      return failure();

  // Head: final norm and the vocabulary projection. The logits are the
  // result a matmul produces; another result must be the final norm's
  // output.
  Value result;
  for (Value candidate : ret.getOperands())
    if (auto matmul = skipReshapes(candidate).getDefiningOp<linalg::MatmulOp>())
      // The last layer's output projection is the block's result, not a
      // vocabulary projection.
      if (tagOf(matmul, "lapa.projection") != "output")
        result = candidate;
  if (!result)
    return readBlockResult(ret, x);
  Value logits = skipReshapes(result);
  for (Value v = result; v != logits; v = v.getDefiningOp()->getOperand(0))
    explained.insert(v.getDefiningOp());
  auto head = logits.getDefiningOp<linalg::MatmulOp>();
  if (!head) {
    emitError(result.getLoc()) << "expected the function to return the "
                                  "logits of a final linalg.matmul";
    return failure();
  }
  FailureOr<NormResult> finalNorm =
      readNorm(skipReshapes(head.getDpsInputs()[0]), "final norm");
  if (failed(finalNorm))
    return failure();
  if (skipReshapes(finalNorm->input) != skipReshapes(x)) {
    error(head, "the final norm does not read the last layer's output");
    return failure();
  }
  for (Value v = head.getDpsInputs()[0]; v != skipReshapes(v); v = v.getDefiningOp()->getOperand(0))
    explained.insert(v.getDefiningOp());
  for (Value v = finalNorm->input; v != skipReshapes(v); v = v.getDefiningOp()->getOperand(0))
    explained.insert(v.getDefiningOp());
  model.finalNorm = finalNorm->desc;
  FailureOr<WeightDesc> headWeight =
      readWeight(cast<linalg::LinalgOp>(head.getOperation()), "head projection");
  if (failed(headWeight))
    return failure();
  model.lmHead = *headWeight;
  if (model.lmHead.out != model.vocab) {
    error(head, "the head projects to " + Twine(model.lmHead.out) +
                    " logits but the embedding table has " +
                    Twine(model.vocab) + " rows");
    return failure();
  }
  model.outputs.clear();
  for (Value value : ret.getOperands()) {
    if (value == result) {
      model.outputs.push_back("logits");
      continue;
    }
    if (skipReshapes(value) != skipReshapes(head.getDpsInputs()[0])) {
      emitError(value.getLoc())
          << "the function returns a value that is neither the logits nor "
             "the final norm's output";
      return failure();
    }
    for (Value v = value; v != skipReshapes(v); v = v.getDefiningOp()->getOperand(0))
      explained.insert(v.getDefiningOp());
    model.outputs.push_back("final_norm");
  }
  for (Value value : ret.getOperands())
    if (failed(checkCoverage(value)))
      return failure();
  return model;
}

//===----------------------------------------------------------------------===//
// The program reader
//===----------------------------------------------------------------------===//

using ::lapa::schedule::ProgramDesc;
using ::lapa::schedule::ProgramOutput;
using ::lapa::schedule::StepDesc;
using ::lapa::schedule::StepKind;

/// Returns whether `op` is a linalg.generic or linalg.transpose that only
/// permutes its one input.
bool isPermutingCopy(Operation *op) {
  if (isa<linalg::TransposeOp>(op))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumResults() != 1)
    return false;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  return yield.getNumOperands() == 1 &&
         yield.getOperand(0) == generic.getBody()->getArgument(0) &&
         maps[0].isPermutation() && maps[1].isIdentity();
}

/// Returns the single op of a generic's body besides the yield, or null.
Operation *singleBodyOp(linalg::GenericOp op) {
  Block *body = op.getBody();
  if (body->getOperations().size() != 2)
    return nullptr;
  return &body->front();
}

int ModelReader::findValue(Value value) {
  auto it = valueOf.find(skipReshapes(value));
  return it == valueOf.end() ? -1 : it->second;
}

int ModelReader::newValue(Value value, int64_t width) {
  int id = int(widths->size());
  widths->push_back(width);
  valueOf[skipReshapes(value)] = id;
  return id;
}

/// Walks back from `value` through views, permuting copies and slices to
/// `target`, marking the ops explained. Per-head additions of a vector to
/// a slice of heads (MobileBERT adds the value bias after attention) are
/// returned in `headBias` by head index.
static LogicalResult
walkToAttention(Value value, Value target, llvm::DenseSet<Operation *> &explained,
                std::map<int64_t, std::vector<float>> &headBias,
                std::optional<int64_t> head = std::nullopt) {
  for (int guard = 0; guard < 64; ++guard) {
    while (Operation *def = value.getDefiningOp()) {
      if (!isShapeOnly(def))
        break;
      explained.insert(def);
      value = def->getOperand(0);
    }
    if (value == target)
      return success();
    Operation *def = value.getDefiningOp();
    if (!def)
      return failure();
    explained.insert(def);
    if (isPermutingCopy(def)) {
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(def))
        if (Operation *init = linalgOp.getDpsInits()[0].getDefiningOp())
          explained.insert(init);
      value = def->getOperand(0);
      continue;
    }
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(def)) {
      // A stack of per-head pieces: every piece leads back to the target.
      for (tensor::InsertSliceOp piece = insert; piece;
           piece = piece.getDest().getDefiningOp<tensor::InsertSliceOp>()) {
        explained.insert(piece);
        if (failed(walkToAttention(piece.getSource(), target, explained,
                                   headBias)))
          return failure();
        if (Operation *dest = piece.getDest().getDefiningOp())
          if (isa<tensor::EmptyOp>(dest))
            explained.insert(dest);
      }
      return success();
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def)) {
      value = slice.getSource();
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(def);
    Operation *body = generic ? singleBodyOp(generic) : nullptr;
    if (!body || !isa<arith::AddFOp>(body) || generic.getNumDpsInputs() != 2)
      return failure();
    // piece + vector: the vector is the head's share of a bias.
    for (unsigned i = 0; i < 2; ++i) {
      std::optional<std::vector<float>> vec =
          readConstantFloats(generic.getDpsInputs()[1 - i]);
      if (!vec)
        continue;
      Value piece = skipReshapes(generic.getDpsInputs()[i]);
      auto slice = piece.getDefiningOp<tensor::ExtractSliceOp>();
      if (!slice || slice.getStaticOffsets().empty() ||
          ShapedType::isDynamic(slice.getStaticOffsets()[0]))
        return failure();
      headBias[slice.getStaticOffsets()[0]] = *vec;
      if (Operation *init = generic.getDpsInits()[0].getDefiningOp())
        explained.insert(init);
      if (Operation *c = generic.getDpsInputs()[1 - i].getDefiningOp())
        explained.insert(c);
      value = generic.getDpsInputs()[i];
      break;
    }
    if (value == generic->getResult(0))
      return failure();
  }
  return failure();
}

LogicalResult ModelReader::readProgramAttention(AttentionOp attention,
                                                unsigned index) {
  std::string prefix = "layer " + std::to_string(index);
  explained.insert(attention);
  LayerDesc layer;
  auto qType = cast<ShapedType>(attention.getQuery().getType());
  auto kType = cast<ShapedType>(attention.getKey().getType());
  if (!qType.hasStaticShape() || !kType.hasStaticShape() ||
      qType.getRank() != 4 || qType.getDimSize(2) != model.seqLen ||
      kType.getDimSize(2) != model.seqLen ||
      qType.getDimSize(0) != model.batch) {
    error(attention, prefix + " attention needs static [batch, heads, "
                              "sequence, head dim] shapes with batch " +
                         Twine(model.batch) + " and sequence length " +
                         Twine(model.seqLen));
    return failure();
  }
  layer.heads = qType.getDimSize(1);
  layer.kvHeads = kType.getDimSize(1);
  layer.headDim = qType.getDimSize(3);
  layer.scale = static_cast<float>(attention.getScale().convertToDouble());
  layer.causal = attention.getCausal();
  llvm::DenseSet<Operation *> used;
  if (failed(readMask(attention, model.seqLen, prefix, evaluator, layer.causal,
                      used)))
    return failure();
  explained.insert(used.begin(), used.end());
  if (auto predictor = attention->getAttrOfType<PredictorAttr>("lapa.predictor"))
    layer.predictor = predictor.getConfig();
  else
    layer.predictor = defaultPredictor;

  linalg::LinalgOp projections[3] = {};
  const char *names[3] = {"key", "value", "output"};
  if (failed(findProjections(attention, index, names, projections, prefix)))
    return failure();
  int inputs[2];
  WeightDesc *weights[2] = {&layer.key, &layer.value};
  Value operands[2] = {attention.getKey(), attention.getValue()};
  std::map<int64_t, std::vector<float>> unused;
  for (unsigned i = 0; i < 2; ++i) {
    FailureOr<WeightDesc> weight =
        readWeight(projections[i], prefix + " " + names[i] + " projection");
    if (failed(weight))
      return failure();
    *weights[i] = *weight;
    Value result = absorbBias(projections[i]->getResult(0), *weights[i],
                              explained);
    inputs[i] = findValue(projections[i].getDpsInputs()[0]);
    if (inputs[i] < 0) {
      error(projections[i], prefix + " " + names[i] +
                                " projection reads a tensor that no earlier "
                                "step computes");
      return failure();
    }
    if (failed(walkToAttention(operands[i], result, explained, unused))) {
      error(attention, prefix + " attention's " + names[i] +
                           " operand is not its " + names[i] +
                           " projection up to views and copies");
      return failure();
    }
  }
  // The queries: a value up to views and permuting copies.
  Value query = attention.getQuery();
  int q = -1;
  for (int guard = 0; guard < 16 && q < 0; ++guard) {
    q = findValue(query);
    if (q >= 0)
      break;
    Operation *def = skipReshapes(query).getDefiningOp();
    if (!def || !isPermutingCopy(def))
      break;
    for (Value v = query; v != skipReshapes(v);
         v = v.getDefiningOp()->getOperand(0))
      explained.insert(v.getDefiningOp());
    explained.insert(def);
    query = def->getOperand(0);
  }
  if (q < 0) {
    error(attention, prefix + " attention's queries are not a projection's "
                              "result up to views and copies");
    return failure();
  }
  // The output: what the output projection reads, back to the attention.
  std::map<int64_t, std::vector<float>> headBias;
  Value outputInput = projections[2].getDpsInputs()[0];
  if (failed(walkToAttention(outputInput, attention.getResult(), explained,
                             headBias))) {
    error(projections[2], prefix + " output projection does not read the "
                                   "attention result up to views, copies, "
                                   "head slices and per-head bias additions");
    return failure();
  }
  if (!headBias.empty()) {
    // softmax rows sum to one, so a vector added to a head's output is the
    // same vector added to each of that head's values.
    if (layer.kvHeads != layer.heads ||
        int64_t(headBias.size()) != layer.heads) {
      error(attention, prefix + " adds a bias to " + Twine(headBias.size()) +
                           " of " + Twine(layer.heads) +
                           " attention heads; the lowering folds such a bias "
                           "into the value projection, which needs every head "
                           "and one value head per query head");
      return failure();
    }
    if (!layer.value.hasBias) {
      layer.value.hasBias = true;
      layer.value.bias.assign(size_t(layer.value.out), 0.0f);
    }
    for (auto &[h, vec] : headBias) {
      if (h < 0 || h >= layer.heads || int64_t(vec.size()) != layer.headDim) {
        error(attention, prefix + " has a per-head bias of " +
                             Twine(vec.size()) + " values for head " + Twine(h));
        return failure();
      }
      if (!layer.value.bias.empty())
        for (int64_t j = 0; j < layer.headDim; ++j)
          layer.value.bias[size_t(h * layer.headDim + j)] += vec[size_t(j)];
    }
  }
  StepDesc step;
  step.kind = StepKind::Attention;
  step.name = "layer" + std::to_string(index) + ".attention";
  step.layer = index;
  step.in = q;
  step.keyInput = inputs[0];
  step.valueInput = inputs[1];
  step.stageLayer = int32_t(index);
  step.out = newValue(outputInput, layer.heads * layer.headDim);
  steps->push_back(std::move(step));
  model.layers.push_back(std::move(layer));
  return success();
}

LogicalResult ModelReader::readTrigram(tensor::InsertSliceOp last) {
  auto type = cast<ShapedType>(last.getType());
  int64_t width = type.getShape().back();
  if (!type.hasStaticShape() ||
      numElements(last.getResult()) != model.batch * model.seqLen * width) {
    error(last, "a tensor assembled from slices must hold [batch x sequence "
                "x width] rows");
    return failure();
  }
  SmallVector<tensor::InsertSliceOp> pieces;
  for (tensor::InsertSliceOp piece = last; piece;
       piece = piece.getDest().getDefiningOp<tensor::InsertSliceOp>())
    pieces.push_back(piece);
  Operation *dest = pieces.back().getDest().getDefiningOp();
  if (!dest || !isa<tensor::EmptyOp>(dest)) {
    error(last, "slices are inserted into a tensor that is not empty");
    return failure();
  }
  explained.insert(dest);
  int out = -1;
  int64_t rank = type.getRank();
  std::vector<StepDesc> lookups;
  for (tensor::InsertSliceOp piece : llvm::reverse(pieces)) {
    explained.insert(piece);
    ArrayRef<int64_t> offsets = piece.getStaticOffsets();
    ArrayRef<int64_t> sizes = piece.getStaticSizes();
    bool fullRows = rank >= 2;
    for (int64_t d = 0; d + 1 < rank; ++d)
      fullRows &= offsets[size_t(d)] == 0 && sizes[size_t(d)] == type.getDimSize(d);
    if (!fullRows || ShapedType::isDynamic(offsets.back())) {
      error(piece, "the lowering assembles rows from column blocks only");
      return failure();
    }
    // The piece: a lookup, or a lookup shifted along the sequence with
    // zero rows padded in.
    Value source = skipReshapes(piece.getSource());
    int64_t shift = 0;
    if (auto pad = source.getDefiningOp<tensor::PadOp>()) {
      explained.insert(pad);
      auto yield = cast<tensor::YieldOp>(pad.getBody()->getTerminator());
      std::optional<double> padValue = readScalarConstant(yield.getValue());
      auto slice = skipReshapes(pad.getSource()).getDefiningOp<tensor::ExtractSliceOp>();
      SmallVector<int64_t> low, high;
      bool constantPads = true;
      for (OpFoldResult v : pad.getMixedLowPad()) {
        std::optional<int64_t> c = getConstantIntValue(v);
        constantPads &= c.has_value();
        low.push_back(c.value_or(0));
      }
      for (OpFoldResult v : pad.getMixedHighPad()) {
        std::optional<int64_t> c = getConstantIntValue(v);
        constantPads &= c.has_value();
        high.push_back(c.value_or(0));
      }
      if (!padValue || *padValue != 0.0 || !slice || rank < 2 ||
          !constantPads) {
        error(pad, "the lowering supports a sequence shift padded with zeros "
                   "only");
        return failure();
      }
      // Row r of the piece reads row r - low + offset of the source.
      int64_t seqDim = rank - 2;
      for (int64_t d = 0; d < rank; ++d)
        if (d != seqDim && (low[size_t(d)] != 0 || high[size_t(d)] != 0)) {
          error(pad, "the lowering supports padding along the sequence only");
          return failure();
        }
      shift = slice.getStaticOffsets()[size_t(seqDim)] - low[size_t(seqDim)];
      explained.insert(slice);
      source = skipReshapes(slice.getSource());
    }
    int value = findValue(source);
    const StepDesc *lookup = nullptr;
    for (const StepDesc &step : *steps)
      if (step.out == value && step.kind == StepKind::Lookup &&
          step.rowShift == 0 && step.column == 0)
        lookup = &step;
    if (!lookup) {
      error(piece, "the lowering assembles shifted rows of an embedding "
                   "lookup only");
      return failure();
    }
    StepDesc step = *lookup;
    step.rowShift = shift;
    step.column = offsets.back();
    lookups.push_back(std::move(step));
  }
  out = newValue(last.getResult(), width);
  for (StepDesc &step : lookups) {
    step.out = out;
    step.name += llvm::formatv(".shift{0}", step.rowShift).str();
    steps->push_back(std::move(step));
  }
  return success();
}

LogicalResult ModelReader::readProgramGeneric(linalg::GenericOp op) {
  int64_t rows = model.batch * model.seqLen;
  // An embedding lookup: rows of a table picked by token ids.
  if (bodyHas(op, "tensor.extract")) {
    tensor::ExtractOp extract;
    op.getBody()->walk([&](tensor::ExtractOp e) { extract = e; });
    Value ids = op.getNumDpsInputs() == 1 ? op.getDpsInputs()[0] : Value();
    // Ids known at compile time: the consumer evaluates the gather.
    if (ids && matchPattern(skipReshapes(ids), m_Constant()))
      return success();
    auto table = dyn_cast<ShapedType>(extract.getTensor().getType());
    auto idsArg = dyn_cast_if_present<BlockArgument>(ids);
    if (!idsArg || !table || !table.hasStaticShape() || table.getRank() < 2 ||
        numElements(ids) != rows) {
      error(op, "a gather that is not an embedding lookup of the token ids "
                "(a function argument of batch x sequence integers)");
      return failure();
    }
    StepDesc step;
    step.kind = StepKind::Lookup;
    step.table.in = table.getDimSize(table.getRank() - 2);
    step.table.out = table.getShape().back();
    if (numElements(extract.getTensor()) != step.table.in * step.table.out) {
      error(op, "the embedding table must be [vocabulary x width]");
      return failure();
    }
    Value source = extract.getTensor();
    step.table.name = "embedding." + weightName(source);
    if (auto data = readConstantFloats(source)) {
      step.table.data = std::move(*data);
      if (Operation *def = source.getDefiningOp())
        explained.insert(def);
    }
    step.name = "embedding";
    step.stageLayer = -1;
    model.vocab = std::max(model.vocab, step.table.in);
    explained.insert(op);
    step.out = newValue(op->getResult(0), step.table.out);
    if (tokenArgument >= 0 && tokenArgument != int(idsArg.getArgNumber())) {
      // Suggest the input of the smaller table (token types, segments).
      unsigned smaller = step.table.in < tokenTableRows
                             ? idsArg.getArgNumber()
                             : unsigned(tokenArgument);
      error(op, "a second token-id input: argument " +
                    Twine(idsArg.getArgNumber()) + " picks table rows as "
                    "argument " + Twine(tokenArgument) +
                    " does, and the stream takes one token input. Bind the "
                    "one with the smaller table to a constant first with "
                    "lapa-bind-inputs (or lapa-run --bind-inputs), for "
                    "example values=arg" + Twine(smaller) + "=0");
      needsBinding = true;
      return failure();
    }
    tokenArgument = int(idsArg.getArgNumber());
    tokenTableRows = step.table.in;
    steps->push_back(std::move(step));
    return success();
  }
  if (isPermutingCopy(op))
    return success();
  Operation *body = singleBodyOp(op);
  // ReLU: max(x, 0), optionally behind min(x, +largest float).
  if (op.getNumDpsInputs() == 1) {
    bool relu = false;
    Block *block = op.getBody();
    for (Operation &inner : block->without_terminator()) {
      if (auto max = dyn_cast<arith::MaximumFOp>(inner)) {
        std::optional<double> zero = readScalarConstant(max.getRhs());
        relu = zero && *zero == 0.0;
      } else if (auto min = dyn_cast<arith::MinimumFOp>(inner)) {
        std::optional<double> big = readScalarConstant(min.getRhs());
        if (!big || *big < double(std::numeric_limits<float>::max()))
          relu = false;
      } else {
        relu = false;
        break;
      }
    }
    int value = findValue(op.getDpsInputs()[0]);
    Value input = skipReshapes(op.getDpsInputs()[0]);
    if (relu && value >= 0 && !steps->empty() &&
        steps->back().kind == StepKind::Project && steps->back().out == value &&
        !steps->back().relu && steps->back().other < 0 && input.hasOneUse()) {
      steps->back().relu = true;
      explained.insert(op);
      valueOf[skipReshapes(op->getResult(0))] = value;
      return success();
    }
    error(op, relu ? "a ReLU that does not directly follow a projection; the "
                     "lowering applies ReLU in a projection's epilogue"
                   : "unsupported elementwise op after raising: the ISA "
                     "lowering cannot map it to an instruction");
    return failure();
  }
  if (!body || op.getNumDpsInputs() != 2 ||
      !isa<arith::AddFOp, arith::MulFOp>(body)) {
    error(op, "unsupported op after raising: the ISA lowering cannot map it "
              "to an instruction; remove it or extend the lowering");
    return failure();
  }
  bool add = isa<arith::AddFOp>(body);
  Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
  int va = findValue(a), vb = findValue(b);
  explained.insert(op);
  if (Operation *init = op.getDpsInits()[0].getDefiningOp())
    explained.insert(init);
  if (va >= 0 && vb >= 0 && add) {
    // Fold into the projection that produced one side when nothing else
    // reads that result.
    for (auto [x, vx, vy] : {std::tuple(a, va, vb), std::tuple(b, vb, va)}) {
      if (steps->empty())
        break;
      StepDesc &last = steps->back();
      if (last.kind == StepKind::Project && last.out == vx && last.other < 0 &&
          skipReshapes(x).hasOneUse() && (*widths)[size_t(vy)] == (*widths)[size_t(vx)]) {
        last.other = vy;
        valueOf[skipReshapes(op->getResult(0))] = vx;
        return success();
      }
    }
    StepDesc step;
    step.kind = StepKind::Add;
    step.name = llvm::formatv("step{0}.add", steps->size()).str();
    step.in = va;
    step.other = vb;
    step.out = newValue(op->getResult(0), (*widths)[size_t(va)]);
    steps->push_back(std::move(step));
    return success();
  }
  if ((va >= 0) == (vb >= 0)) {
    error(op, "an elementwise op on tensors that the lowering cannot place: "
              "it needs one computed operand and one constant, or two "
              "computed operands of an addition");
    return failure();
  }
  int value = va >= 0 ? va : vb;
  Value constant = va >= 0 ? b : a;
  int64_t width = (*widths)[size_t(value)];
  llvm::DenseSet<Operation *> used;
  std::optional<std::vector<double>> values = evaluator.evaluate(constant, used);
  if (!values) {
    error(op, "an operand of this elementwise op is neither computed by an "
              "earlier step nor a constant");
    return failure();
  }
  explained.insert(used.begin(), used.end());
  std::vector<float> floats(values->begin(), values->end());
  StepDesc step;
  step.name = llvm::formatv("step{0}.vector", steps->size()).str();
  step.in = value;
  // The constant's map must reach only the columns for a vector.
  AffineMap map = op.getIndexingMapsArray()[va >= 0 ? 1 : 0];
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned lastDim = unsigned(ranges.size()) - 1;
  bool columnsOnly = true;
  for (AffineExpr expr : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (dim && dim.getPosition() != lastDim && ranges[dim.getPosition()] != 1)
      columnsOnly = false;
  }
  if (int64_t(floats.size()) == width && columnsOnly) {
    Value input = skipReshapes(va >= 0 ? a : b);
    StepDesc *lastStep = steps->empty() ? nullptr : &steps->back();
    if (lastStep && add && lastStep->kind == StepKind::Affine &&
        lastStep->out == value &&
        lastStep->bias.size == 0 && input.hasOneUse()) {
      lastStep->bias = {lastStep->name + ".bias", width, std::move(floats)};
      valueOf[skipReshapes(op->getResult(0))] = value;
      return success();
    }
    step.kind = StepKind::Affine;
    (add ? step.bias : step.gain) =
        VectorDesc{step.name + (add ? ".bias" : ".gain"), width, std::move(floats)};
  } else if (add && int64_t(floats.size()) == model.seqLen * width &&
             map == op.getIndexingMapsArray().back()) {
    step.kind = StepKind::AddConstant;
    step.constant = {step.name + ".constant", model.seqLen * width,
                     std::move(floats)};
  } else {
    error(op, "a constant operand of " + Twine(floats.size()) +
                  " values; the lowering takes a vector of the row width " +
                  Twine(width) + " or, for an addition, a [sequence x width] "
                  "table");
    return failure();
  }
  step.out = newValue(op->getResult(0), width);
  steps->push_back(std::move(step));
  return success();
}

LogicalResult ModelReader::readProgramOutput(Value result, unsigned index) {
  ProgramOutput output;
  output.name = "output" + std::to_string(index);
  if (auto arg = func.getResultAttrOfType<ArrayAttr>(index,
                                                     "tf_saved_model.index_path"))
    if (arg.size() == 1)
      if (auto name = dyn_cast<StringAttr>(arg[0]))
        output.name = name.getValue().str();
  if (auto type = dyn_cast<ShapedType>(result.getType()))
    if (type.hasStaticShape() && type.getRank() == 2)
      output.shape.assign(type.getShape().begin(), type.getShape().end());
  Value value = result;
  for (Value v = value; v != skipReshapes(v); v = v.getDefiningOp()->getOperand(0))
    explained.insert(v.getDefiningOp());
  value = skipReshapes(value);

  output.value = findValue(value);
  if (output.value >= 0) {
    output.columns = (*widths)[size_t(output.value)];
    model.program->outputs.push_back(std::move(output));
    return success();
  }

  // Columns of a value: a slice of the value or of a permuted copy of it.
  auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
  if (slice) {
    explained.insert(slice);
    Value source = skipReshapes(slice.getSource());
    for (Value v = slice.getSource(); v != source; v = v.getDefiningOp()->getOperand(0))
      explained.insert(v.getDefiningOp());
    auto sourceType = cast<ShapedType>(source.getType());
    SmallVector<int64_t> perm;
    Value inner = source;
    Operation *def = source.getDefiningOp();
    if (def && isPermutingCopy(def)) {
      explained.insert(def);
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(def))
        if (Operation *init = linalgOp.getDpsInits()[0].getDefiningOp())
          explained.insert(init);
      inner = def->getOperand(0);
      if (auto transpose = dyn_cast<linalg::TransposeOp>(def)) {
        // result dim i = input dim permutation[i]
        ArrayRef<int64_t> p = transpose.getPermutation();
        perm.assign(p.begin(), p.end());
      } else {
        // input map: input dim j = loop dim map(j); output = loop dims.
        AffineMap map = cast<linalg::GenericOp>(def).getIndexingMapsArray()[0];
        perm.assign(size_t(map.getNumResults()), 0);
        for (unsigned j = 0; j < map.getNumResults(); ++j)
          perm[cast<AffineDimExpr>(map.getResult(j)).getPosition()] = j;
      }
    } else {
      for (int64_t i = 0; i < sourceType.getRank(); ++i)
        perm.push_back(i);
    }
    output.value = findValue(inner);
    auto innerType = cast<ShapedType>(inner.getType());
    if (output.value >= 0 && innerType.hasStaticShape() &&
        int64_t(perm.size()) == innerType.getRank()) {
      // Ranges along the inner tensor's dims.
      int64_t rank = innerType.getRank();
      bool ok = true;
      int64_t column = 0, columns = 0;
      for (int64_t i = 0; i < rank; ++i) {
        int64_t j = perm[size_t(i)];
        int64_t offset = slice.getStaticOffsets()[size_t(i)];
        int64_t size = slice.getStaticSizes()[size_t(i)];
        if (j == rank - 1) {
          column = offset;
          columns = size;
        } else {
          ok &= offset == 0 && size == innerType.getDimSize(j);
        }
      }
      // More than one column of a permuted copy would change the order.
      bool permuted = !llvm::equal(perm, llvm::seq<int64_t>(0, rank));
      if (ok && (!permuted || columns == 1)) {
        output.column = column;
        output.columns = columns;
        model.program->outputs.push_back(std::move(output));
        return success();
      }
    }
  }
  emitError(result.getLoc())
      << "result " << index
      << " of the function is not a computed value or a column slice of one";
  return failure();
}

FailureOr<ModelDesc> ModelReader::readProgram() {
  model.name = func.getSymName().str();
  model.program.emplace();
  widths = &model.program->widths;
  steps = &model.program->steps;
  model.hasEmbedding = false;
  model.hasHead = false;
  model.outputs.clear();
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  SmallVector<AttentionOp> attentions;
  if (failed(collectAttentions(attentions)))
    return failure();
  for (auto [i, attention] : llvm::enumerate(attentions)) {
    auto attr = attention->getAttrOfType<IntegerAttr>("lapa.attention_index");
    if (!attr || attr.getInt() != int64_t(i)) {
      error(attention, "attention indices must run 0, 1, 2, ... in program "
                       "order; run lapa-raise-attention on the whole function");
      return failure();
    }
  }
  auto qType = cast<ShapedType>(attentions.front().getQuery().getType());
  if (qType.getRank() != 4 || !qType.hasStaticShape()) {
    error(attentions.front(), "the sequence length is dynamic; bound it first "
                              "(lapa-bound-dynamic-dims)");
    return failure();
  }
  model.batch = qType.getDimSize(0);
  model.seqLen = qType.getDimSize(2);

  // The ops the results depend on.
  llvm::DenseSet<Operation *> live;
  SmallVector<Operation *> worklist;
  auto reach = [&](Value v) {
    if (Operation *def = v.getDefiningOp())
      if (def->getBlock() == &func.getBody().front() && live.insert(def).second)
        worklist.push_back(def);
  };
  for (Value v : ret.getOperands())
    reach(v);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        reach(operand);
    });
  }

  // Masks are computed from constants (after lapa-bind-inputs); their
  // ops are explained before the walk reaches them.
  for (auto [i, attention] : llvm::enumerate(attentions)) {
    llvm::DenseSet<Operation *> used;
    bool causal = false;
    if (failed(readMask(attention, model.seqLen, "layer " + Twine(i),
                        evaluator, causal, used))) {
      needsBinding = true;
      return failure();
    }
    explained.insert(used.begin(), used.end());
  }
  unsigned seen = 0;
  for (Operation &op : func.getBody().front()) {
    if (!live.contains(&op) || explained.contains(&op))
      continue;
    if (isa<arith::ConstantOp, tensor::EmptyOp, linalg::FillOp,
            tensor::ExtractSliceOp, tensor::PadOp, linalg::TransposeOp>(op) ||
        isShapeOnly(&op))
      continue;
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      if (failed(readProgramAttention(attention, seen)))
        return failure();
      ++seen;
      continue;
    }
    if (auto matmul = dyn_cast<linalg::MatmulOp>(op)) {
      StringRef role = tagOf(matmul, "lapa.projection");
      if (role == "key" || role == "value") {
        // Read with their attention; their bias additions come first.
        WeightDesc scratch;
        auto rhsType = cast<ShapedType>(matmul.getDpsInputs()[1].getType());
        scratch.out = rhsType.getRank() == 2 ? rhsType.getDimSize(1) : 0;
        (void)absorbBias(matmul->getResult(0), scratch, explained);
        continue;
      }
      auto linalgOp = cast<linalg::LinalgOp>(op);
      int in = findValue(matmul.getDpsInputs()[0]);
      if (in < 0) {
        error(matmul, "this projection reads a tensor that no earlier step "
                      "computes");
        return failure();
      }
      StringRef ffn = tagOf(matmul, "lapa.ffn");
      StringRef kind = !role.empty() ? role : !ffn.empty() ? ffn : "proj";
      std::string name =
          llvm::formatv("step{0}.{1}", steps->size(), kind).str();
      FailureOr<WeightDesc> weight = readWeight(linalgOp, name);
      if (failed(weight))
        return failure();
      if ((*widths)[size_t(in)] != weight->in) {
        error(matmul, name + " reads rows " + Twine((*widths)[size_t(in)]) +
                          " wide with a weight of " + Twine(weight->in) +
                          " rows");
        return failure();
      }
      StepDesc step;
      step.kind = StepKind::Project;
      step.name = name;
      step.in = in;
      step.ffn = !ffn.empty();
      Value result = absorbBias(matmul->getResult(0), *weight, explained);
      step.weight = std::move(*weight);
      step.out = newValue(result, step.weight.out);
      steps->push_back(std::move(step));
      continue;
    }
    if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
      if (failed(readProgramGeneric(generic)))
        return failure();
      continue;
    }
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(op)) {
      bool inner = llvm::any_of(insert->getUsers(), [&](Operation *user) {
        auto next = dyn_cast<tensor::InsertSliceOp>(user);
        return next && next.getDest() == insert.getResult();
      });
      if (!inner && failed(readTrigram(insert)))
        return failure();
      continue;
    }
    error(&op, "unsupported op after raising: the ISA lowering cannot map it "
               "to an instruction; remove it or extend the lowering");
    return failure();
  }
  if (tokenArgument < 0) {
    error(func, "the program reader needs an embedding lookup of token ids");
    return failure();
  }
  for (auto [i, result] : llvm::enumerate(ret.getOperands()))
    if (failed(readProgramOutput(result, unsigned(i))))
      return failure();
  // A lookup that only the shifted lookups of a trigram read is dead.
  {
    std::vector<bool> read(widths->size(), false);
    for (const StepDesc &step : *steps)
      for (int v : {step.in, step.other, step.keyInput, step.valueInput})
        if (v >= 0)
          read[size_t(v)] = true;
    for (const ProgramOutput &output : model.program->outputs)
      read[size_t(output.value)] = true;
    llvm::erase_if(*steps, [&](const StepDesc &step) {
      return step.kind == StepKind::Lookup && !read[size_t(step.out)] &&
             llvm::count_if(*steps, [&](const StepDesc &other) {
               return other.out == step.out;
             }) == 1;
    });
  }
  // Report each step under the layer of the attention before it. The steps
  // that compute the next attention's queries and key input count toward
  // that attention's layer, and the embedding toward none.
  int32_t layer = 0;
  for (size_t i = 0; i < steps->size(); ++i) {
    StepDesc &step = (*steps)[i];
    if (step.kind == StepKind::Attention) {
      layer = int32_t(step.layer);
      continue;
    }
    if (step.kind == StepKind::Lookup) {
      step.stageLayer = -1;
      continue;
    }
    step.stageLayer = layer;
    for (size_t j = i + 1; j < steps->size(); ++j)
      if ((*steps)[j].kind == StepKind::Attention) {
        if ((*steps)[j].in == step.out || (*steps)[j].keyInput == step.out)
          step.stageLayer = int32_t((*steps)[j].layer);
        break;
      }
  }
  model.hidden = 0;
  for (int64_t width : *widths)
    model.hidden = std::max(model.hidden, width);
  return model;
}

} // namespace

FailureOr<ModelDesc> mlir::lapa::extractModel(
    func::FuncOp func, const ::lapa::predict::PredictorConfig &defaultPredictor) {
  // The layer template first; a graph it does not fit is read as a
  // program. The diagnostics of the reader that got further are reported.
  MLIRContext *context = func.getContext();
  auto capture = [&](std::vector<Diagnostic> &into, auto &&readFn) {
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
      into.push_back(std::move(diag));
      return success();
    });
    return readFn();
  };
  std::vector<Diagnostic> templateDiags, programDiags;
  ModelReader templateReader(func, defaultPredictor);
  FailureOr<ModelDesc> model =
      capture(templateDiags, [&] { return templateReader.read(); });
  if (succeeded(model)) {
    for (Diagnostic &diag : templateDiags)
      context->getDiagEngine().emit(std::move(diag));
    return model;
  }
  ModelReader programReader(func, defaultPredictor);
  FailureOr<ModelDesc> program =
      capture(programDiags, [&] { return programReader.readProgram(); });
  bool useProgram = succeeded(program) || programReader.failedOnInputs() ||
                    programReader.layersRead() > templateReader.layersRead();
  // The other reader's first error, as a note on the first error reported.
  std::vector<Diagnostic> &reported = useProgram ? programDiags : templateDiags;
  std::vector<Diagnostic> &other = useProgram ? templateDiags : programDiags;
  auto firstError = [](std::vector<Diagnostic> &diags) -> Diagnostic * {
    for (Diagnostic &diag : diags)
      if (diag.getSeverity() == DiagnosticSeverity::Error)
        return &diag;
    return nullptr;
  };
  if (!succeeded(program))
    if (Diagnostic *main = firstError(reported))
      if (Diagnostic *alternative = firstError(other))
        main->attachNote(alternative->getLocation())
            << (useProgram ? "read with the pre-norm layer template instead: "
                           : "read as a program of steps (the general reader "
                             "for bottleneck layers such as MobileBERT's) "
                             "instead: ")
            << alternative->str();
  for (Diagnostic &diag : reported)
    context->getDiagEngine().emit(std::move(diag));
  if (useProgram)
    return program;
  return failure();
}
