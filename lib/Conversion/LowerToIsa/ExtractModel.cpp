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
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
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
    std::optional<std::vector<double>> result = compute(value, used);
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
      if (!dense)
        return std::nullopt;
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
};

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

  FailureOr<ModelDesc> read();

private:
  struct NormResult {
    NormDesc desc;
    Value input;
  };
  FailureOr<NormResult> readNorm(Value output, const Twine &what);
  FailureOr<WeightDesc> readWeight(linalg::LinalgOp matmul, const Twine &what);
  FailureOr<VectorDesc> readVector(Value value, int64_t size, const Twine &what);
  LogicalResult readEmbedding(Value x0);
  LogicalResult readLayer(unsigned index, AttentionOp attention, Value &x);
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
           "ISA lowering supports pre-norm or norm-free layers with "
           "linalg.matmul projections (bottleneck layers, NoNorm and "
           "tosa.matmul are not supported; see docs/compiler.md)";
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

LogicalResult ModelReader::readLayer(unsigned index, AttentionOp attention,
                                     Value &x) {
  LayerDesc layer;
  std::string prefix = "layer " + std::to_string(index);
  explained.insert(attention);

  // The projections tagged with this attention's index.
  linalg::LinalgOp projections[4] = {};
  const char *names[4] = {"query", "key", "value", "output"};
  func.walk([&](linalg::LinalgOp op) {
    auto attr = op->getAttrOfType<IntegerAttr>("lapa.attention_index");
    if (!attr || attr.getInt() != int64_t(index))
      return;
    StringRef role = tagOf(op, "lapa.projection");
    for (unsigned i = 0; i < 4; ++i)
      if (role == names[i])
        projections[i] = op;
  });
  for (unsigned i = 0; i < 4; ++i)
    if (!projections[i]) {
      error(attention, prefix + " has no " + names[i] +
                           " projection tagged by lapa-raise-attention");
      return failure();
    }

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
  if (Value mask = attention.getMask()) {
    // A mask built from constants only is accepted when it is causal.
    llvm::DenseSet<Operation *> used;
    std::optional<std::vector<double>> values = evaluator.evaluate(mask, used);
    int64_t S = model.seqLen;
    bool causal = values && int64_t(values->size()) == S * S;
    for (int64_t i = 0; causal && i < S; ++i)
      for (int64_t j = 0; causal && j < S; ++j) {
        double v = (*values)[i * S + j];
        causal = j <= i ? v == 0.0 : v <= -1e30;
      }
    if (!causal) {
      error(attention, prefix + " attention has an additive mask that is "
                                "not a constant causal mask; the instruction "
                                "set supports causal masking only");
      return failure();
    }
    explained.insert(used.begin(), used.end());
    layer.causal = true;
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
  auto findResidual = [&](Value a, Value b) -> Operation * {
    Operation *found = nullptr;
    func.walk([&](linalg::GenericOp op) {
      if (tagOf(op, "lapa.layer") != "residual" || op.getNumDpsInputs() != 2)
        return;
      Value l = skipReshapes(op.getDpsInputs()[0]);
      Value r = skipReshapes(op.getDpsInputs()[1]);
      if ((l == skipReshapes(a) && r == skipReshapes(b)) ||
          (l == skipReshapes(b) && r == skipReshapes(a)))
        found = op;
    });
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
  WalkResult walk = func.walk([&](linalg::LinalgOp op) {
    if (tagOf(op, "lapa.ffn") != "up")
      return WalkResult::advance();
    Value lhs = skipReshapes(op.getDpsInputs()[0]);
    Operation *def = lhs.getDefiningOp();
    StringRef tag = tagOf(def, "lapa.layer");
    if (tag != "rms_norm" && tag != "layer_norm")
      return WalkResult::advance();
    FailureOr<NormResult> n = readNorm(lhs, prefix + " feed-forward norm");
    if (failed(n))
      return WalkResult::interrupt();
    if (skipReshapes(n->input) != skipReshapes(h))
      return WalkResult::advance();
    up = op;
    ffnNorm = *n;
    found = true;
    return WalkResult::interrupt();
  });
  if (!found) {
    if (walk.wasInterrupted())
      return failure();
    // No feed-forward block reads h: the layer ends after the residual.
    layer.hasFfn = false;
    x = h;
    model.layers.push_back(std::move(layer));
    return success();
  }
  Value ffnIn = skipReshapes(up.getDpsInputs()[0]);
  func.walk([&](linalg::LinalgOp op) {
    StringRef role = tagOf(op, "lapa.ffn");
    if (role == "gate" && skipReshapes(op.getDpsInputs()[0]) == ffnIn)
      gate = op;
  });
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
  func.walk([&](linalg::LinalgOp op) {
    if (tagOf(op, "lapa.ffn") != "down" || residual2)
      return;
    if (Operation *r = findResidual(h, op->getResult(0))) {
      down = op;
      residual2 = r;
    }
  });
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
  func.walk([&](AttentionOp op) { attentions.push_back(op); });
  if (attentions.empty()) {
    error(func, "no lapa.attention in the function; run lapa-raise-attention "
                "first");
    return failure();
  }
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

} // namespace

FailureOr<ModelDesc> mlir::lapa::extractModel(
    func::FuncOp func, const ::lapa::predict::PredictorConfig &defaultPredictor) {
  ModelReader reader(func, defaultPredictor);
  return reader.read();
}
