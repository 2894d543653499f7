//===- RandomizeWeights.cpp - Seeded random projection weights ----------===//
//
// Gives a graph whose weights were stripped to splat constants random
// projection weights and biases from a fixed seed, so that functional runs
// have rows that differ. The values follow a documented generator, so a
// test can recompute them without this code.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPARANDOMIZEWEIGHTS
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;

namespace {

/// How far the search follows views between a constant and its reader.
constexpr int kMaxViewDepth = 16;

/// A constant operand to replace.
struct Target {
  OpOperand *use;
  arith::ConstantOp constant;
  /// The contraction's reduction size (the fan-in of the projection).
  int64_t fanIn;
  bool bias;
  /// The gather that reads an embedding table. The replacement goes before
  /// it, because the use is inside its body.
  Operation *gather = nullptr;
  /// An elementwise parameter: a gain (multiplied) or a shift (added).
  enum { None, Gain, Shift } elementwise = None;
  bool residualGain = false;
};

/// True for a single-input, all-parallel linalg.generic whose body yields
/// its input: a copy, transpose or broadcast.
bool isDataMovement(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 1 || generic.getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0)
    return false;
  Block &body = generic.getRegion().front();
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  return yield && body.getOperations().size() == 1 &&
         yield.getNumOperands() == 1 &&
         yield.getOperand(0) == body.getArgument(0);
}

/// Follows `use` up through views to a float tensor constant with a static
/// shape; returns the operand that reads that constant, or null.
OpOperand *traceToConstant(OpOperand &use) {
  OpOperand *current = &use;
  for (int depth = 0; depth < kMaxViewDepth; ++depth) {
    Operation *def = current->get().getDefiningOp();
    if (!def)
      return nullptr;
    if (auto constant = dyn_cast<arith::ConstantOp>(def)) {
      auto type = dyn_cast<RankedTensorType>(constant.getType());
      if (!type || !isa<FloatType>(type.getElementType()) ||
          !type.hasStaticShape() || type.getRank() == 0 ||
          type.getNumElements() == 0)
        return nullptr;
      return current;
    }
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp,
            linalg::TransposeOp, linalg::BroadcastOp>(def)) {
      current = &def->getOpOperand(0);
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(def);
    if (!generic || !isDataMovement(generic))
      return nullptr;
    current = generic.getDpsInputOperand(0);
  }
  return nullptr;
}

/// True for an all-parallel two-input linalg.generic that adds its inputs.
bool isElementwiseAdd(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0)
    return false;
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 2)
    return false;
  auto add = dyn_cast<arith::AddFOp>(body.front());
  if (!add)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (add.getLhs() == a && add.getRhs() == b) ||
         (add.getLhs() == b && add.getRhs() == a);
}

/// Finds the bias constant added to `result`, following views down.
OpOperand *findBias(Value result) {
  Value current = result;
  for (int depth = 0; depth < kMaxViewDepth; ++depth) {
    if (!current.hasOneUse())
      return nullptr;
    OpOperand &use = *current.getUses().begin();
    Operation *user = use.getOwner();
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(
            user)) {
      current = user->getResult(0);
      continue;
    }
    // The add: a linalg.generic, a named linalg.add or a tensor arith.addf.
    bool isAdd = false;
    if (auto generic = dyn_cast<linalg::GenericOp>(user))
      isAdd = isElementwiseAdd(generic);
    else if (isa<linalg::AddOp>(user))
      isAdd = true;
    else if (isa<arith::AddFOp>(user))
      isAdd = isa<RankedTensorType>(user->getResult(0).getType());
    if (!isAdd || use.getOperandNumber() >= 2)
      return nullptr;
    return traceToConstant(user->getOpOperand(1 - use.getOperandNumber()));
  }
  return nullptr;
}

bool isSplat(arith::ConstantOp constant) {
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  return dense && dense.isSplat();
}

/// Advances a SplitMix64 state by one step and returns its output.
uint64_t splitMix64(uint64_t &state) {
  state += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

struct RandomizeWeights
    : public ::mlir::lapa::impl::LapaRandomizeWeightsBase<RandomizeWeights> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (replace != "if-stripped" && replace != "splat" && replace != "all") {
      mlir::emitError(module.getLoc())
          << "invalid option replace='" << replace
          << "'; expected if-stripped, splat or all";
      return signalPassFailure();
    }

    SmallVector<Target> targets;
    llvm::DenseSet<OpOperand *> seen;
    auto add = [&](OpOperand *use, int64_t fanIn, bool bias) {
      if (!use || !seen.insert(use).second)
        return;
      targets.push_back({use, cast<arith::ConstantOp>(use->get().getDefiningOp()),
                         fanIn, bias});
    };
    module.walk([&](linalg::LinalgOp op) {
      if (op->getNumResults() != 1 || op.getNumDpsInputs() != 2 ||
          !linalg::isaContractionOpInterface(op))
        return;
      OpOperand *lhs = traceToConstant(*op.getDpsInputOperand(0));
      OpOperand *rhs = traceToConstant(*op.getDpsInputOperand(1));
      if ((lhs == nullptr) == (rhs == nullptr))
        return;
      int64_t fanIn = 1;
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      for (auto [range, kind] :
           llvm::zip(ranges, op.getIteratorTypesArray())) {
        if (kind != utils::IteratorType::reduction)
          continue;
        if (ShapedType::isDynamic(range))
          return;
        fanIn *= range;
      }
      add(lhs ? lhs : rhs, fanIn, /*bias=*/false);
      add(findBias(op->getResult(0)), fanIn, /*bias=*/true);
    });

    // Embedding tables: float constants that a tensor.extract inside a
    // linalg.generic reads, numbered after every projection so that the
    // projections' values do not depend on them.
    size_t projections = targets.size();
    module.walk([&](linalg::GenericOp op) {
      op.getRegion().walk([&](tensor::ExtractOp extract) {
        OpOperand &use = extract.getTensorMutable();
        auto constant = use.get().getDefiningOp<arith::ConstantOp>();
        auto type = dyn_cast<RankedTensorType>(use.get().getType());
        if (!constant || !type || !type.hasStaticShape() ||
            !isa<FloatType>(type.getElementType()) ||
            !seen.insert(&use).second)
          return;
        targets.push_back({&use, constant, 1, false, op});
      });
    });

    // Elementwise parameters: float constants of more than one element
    // that a one-op elementwise multiply or add combines with a tensor
    // computed from the function's arguments (a NoNorm gain and shift, a
    // position-embedding table). Scalars such as an attention scale, and
    // constants combined only with other constants (a mask prologue), stay.
    llvm::DenseSet<Value> computed;
    module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto func = dyn_cast<func::FuncOp>(op)) {
        if (!func.isExternal())
          for (BlockArgument arg : func.getArguments())
            computed.insert(arg);
        return;
      }
      if (llvm::any_of(op->getOperands(),
                       [&](Value v) { return computed.contains(v); }))
        for (Value result : op->getResults())
          computed.insert(result);
    });
    module.walk([&](linalg::GenericOp op) {
      if (op.getNumDpsInputs() != 2 || op.getNumResults() != 1 ||
          op.getNumReductionLoops() != 0)
        return;
      Block &body = op.getRegion().front();
      if (body.getOperations().size() != 2)
        return;
      Operation &inner = body.front();
      bool mul = isa<arith::MulFOp>(inner), add = isa<arith::AddFOp>(inner);
      if (!mul && !add)
        return;
      for (unsigned i = 0; i < 2; ++i) {
        OpOperand *use = traceToConstant(*op.getDpsInputOperand(i));
        Value other = op.getDpsInputs()[1 - i];
        if (!use || !computed.contains(other) || seen.contains(use))
          continue;
        auto type = cast<RankedTensorType>(use->get().getType());
        // Constants on attention scores or on the attention's output (a
        // contraction of two computed tensors, such as Q.K^T) stay: they
        // belong to the attention, which raising matches as it is.
        // Walks back through views and elementwise ops (a scale, an
        // earlier mask) on the computed side.
        bool onAttention = false;
        Value source = other;
        for (int depth = 0; depth < kMaxViewDepth && !onAttention; ++depth) {
          Operation *def = source.getDefiningOp();
          if (!def)
            break;
          if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
                  tensor::CastOp, tensor::ExtractSliceOp>(def)) {
            source = def->getOperand(0);
            continue;
          }
          auto producer = dyn_cast<linalg::LinalgOp>(def);
          if (!producer)
            break;
          if (linalg::isaContractionOpInterface(producer)) {
            onAttention = producer.getNumDpsInputs() == 2 &&
                          computed.contains(producer.getDpsInputs()[0]) &&
                          computed.contains(producer.getDpsInputs()[1]);
            break;
          }
          if (producer.getNumReductionLoops() != 0)
            break;
          Value next;
          for (Value input : producer.getDpsInputs())
            if (computed.contains(input))
              next = input;
          if (!next)
            break;
          source = next;
        }
        if (onAttention)
          continue;
        // A channel vector or a [sequence x channels] table: at most two
        // dimensions above 1, the last one the computed tensor's.
        auto otherType = dyn_cast<RankedTensorType>(other.getType());
        int64_t large = llvm::count_if(type.getShape(),
                                       [](int64_t d) { return d != 1; });
        if (!otherType || large > 2 ||
            type.getShape().back() != otherType.getShape().back())
          continue;
        if (type.getNumElements() <= 1)
          continue;
        seen.insert(use);
        Target target{use, cast<arith::ConstantOp>(use->get().getDefiningOp()),
                      1, false, nullptr};
        target.elementwise = mul ? Target::Gain : Target::Shift;
        // A gain on the sum of two computed tensors (a residual addition)
        // scales by 1/sqrt(2), so that unit-variance terms stay unit
        // variance through a deep stack without normalization.
        if (mul)
          if (auto sum = other.getDefiningOp<linalg::GenericOp>())
            if (sum.getNumDpsInputs() == 2 &&
                sum.getRegion().front().getOperations().size() == 2 &&
                isa<arith::AddFOp>(sum.getRegion().front().front()) &&
                computed.contains(sum.getDpsInputs()[0]) &&
                computed.contains(sum.getDpsInputs()[1]))
              target.residualGain = true;
        targets.push_back(target);
      }
    });

    if (projections == 0) {
      mlir::emitRemark(module.getLoc())
          << "no projection weights found (a contraction with one float "
             "constant operand); nothing was replaced";
      return;
    }
    if (replace == "if-stripped") {
      for (const Target &target : targets)
        if (!target.bias && !target.gather && !isSplat(target.constant)) {
          mlir::emitRemark(target.use->getOwner()->getLoc())
              << "this projection's weight is not a splat constant, so the "
                 "graph has real weights and none were replaced; use "
                 "replace=all to replace them anyway";
          return;
        }
    }

    OpBuilder builder(module.getContext());
    llvm::SetVector<Operation *> replaced;
    uint64_t index = 0;
    int64_t weights = 0, biases = 0, tables = 0, elementwise = 0;
    for (Target &target : targets) {
      if ((target.gather || target.elementwise != Target::None) &&
          replace != "all" && !isSplat(target.constant))
        continue;
      if (replace == "splat" && !isSplat(target.constant))
        continue;
      auto type = cast<RankedTensorType>(target.constant.getType());
      double bound = std::sqrt(3.0 / double(target.fanIn));
      // Stream n starts from the n-th output of the seed's own stream, so
      // the streams of different constants do not overlap.
      uint64_t keys = seed, state = 0;
      for (uint64_t i = 0; i <= index; ++i)
        state = splitMix64(keys);
      std::vector<double> values(type.getNumElements());
      for (double &value : values) {
        double unit = double(splitMix64(state) >> 40) / double(1 << 24);
        value = (2.0 * unit - 1.0) * bound;
        // Gains near 1 and shifts near 0, so that the parameters keep the
        // scale of what they act on.
        if (target.elementwise == Target::Gain)
          value = (1.0 + (2.0 * unit - 1.0) / 8.0) *
                  (target.residualGain ? 1.0 / std::sqrt(2.0) : 1.0);
        else if (target.elementwise == Target::Shift)
          value = (2.0 * unit - 1.0) / 8.0;
      }

      builder.setInsertionPoint(target.gather ? target.gather
                                              : target.use->getOwner());
      Attribute attr;
      if (type.getElementType().isF32()) {
        std::vector<float> floats(values.begin(), values.end());
        attr = DenseF32ResourceElementsAttr::get(
            type,
            ("lapa_random_" + Twine(seed) + "_" + Twine(index)).str(),
            HeapAsmResourceBlob::allocateAndCopyInferAlign<float>(floats));
      } else {
        const llvm::fltSemantics &semantics =
            cast<FloatType>(type.getElementType()).getFloatSemantics();
        SmallVector<APFloat> floats;
        for (double value : values) {
          APFloat converted(value);
          bool lost = false;
          converted.convert(semantics, APFloat::rmNearestTiesToEven, &lost);
          floats.push_back(converted);
        }
        attr = DenseElementsAttr::get(type, floats);
      }
      auto fresh = arith::ConstantOp::create(
          builder, target.constant.getLoc(), cast<TypedAttr>(attr));
      target.use->set(fresh);
      replaced.insert(target.constant);
      ++index;
      (target.elementwise != Target::None ? elementwise
       : target.gather                     ? tables
       : target.bias                       ? biases
                                           : weights) += 1;
    }
    for (Operation *old : replaced)
      if (old->use_empty())
        old->erase();

    numWeights += weights;
    numBiases += biases;
    Builder b(module.getContext());
    module->setAttr("lapa.random_weights",
                    b.getDictionaryAttr({
                        b.getNamedAttr(
                            "seed",
                            b.getIntegerAttr(b.getIntegerType(64, /*isSigned=*/false),
                                             APInt(64, uint64_t(seed)))),
                        b.getNamedAttr("weights", b.getI64IntegerAttr(weights)),
                        b.getNamedAttr("biases", b.getI64IntegerAttr(biases)),
                        b.getNamedAttr("tables", b.getI64IntegerAttr(tables)),
                        b.getNamedAttr("elementwise",
                                       b.getI64IntegerAttr(elementwise)),
                    }));
  }
};

} // namespace
