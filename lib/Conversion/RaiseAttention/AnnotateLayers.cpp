//===- AnnotateLayers.cpp - Tag the Transformer layers around attention ---===//
//
// Recognizes, in linalg or TOSA, the parts of a Transformer layer that the
// accelerator runs besides attention, and tags the ops that implement them.
// The back end places the ops by their tags, and the energy model charges
// them by stage:
//
//   lapa.layer = "rms_norm" | "layer_norm"     the normalization reduction,
//                                              its rsqrt and the scaling
//   lapa.layer = "ffn_activation"              SiLU/sigmoid, GELU or ReLU
//   lapa.ffn = "gate" | "up" | "down"          the feed-forward matmuls
//   lapa.layer = "rotary_embedding"            the position-dependent
//                                              multiplies between the query
//                                              or key projection and the
//                                              attention
//   lapa.layer = "residual"                    the addition of an output or
//                                              down projection to the
//                                              residual stream
//
// The projections themselves are tagged by lapa-raise-attention.
//
//===----------------------------------------------------------------------===//

#include "OpSemantics.h"

#include "lapa/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPAANNOTATELAYERS
#include "lapa/Conversion/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;
using namespace mlir::lapa;
using namespace mlir::lapa::raise;

namespace {

/// Returns whether `value` is the float constant `expected`.
bool isConstant(Value value, double expected) {
  FloatAttr attr;
  return matchPattern(value, m_Constant(&attr)) &&
         attr.getValueAsDouble() == expected;
}

/// Returns the body value a linalg.generic yields, or nothing.
Value yieldedValue(linalg::GenericOp generic) {
  auto yield = cast<linalg::YieldOp>(generic.getRegion().front().getTerminator());
  return yield.getNumOperands() == 1 ? yield.getOperand(0) : Value();
}

/// Returns whether a generic body computes 1 / (1 + exp(-x)).
bool isSigmoidBody(linalg::GenericOp generic) {
  Value result = yieldedValue(generic);
  auto div = result ? result.getDefiningOp<arith::DivFOp>() : nullptr;
  if (!div || !isConstant(div.getLhs(), 1.0))
    return false;
  auto add = div.getRhs().getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value expValue = isConstant(add.getLhs(), 1.0) ? add.getRhs() : add.getLhs();
  auto exp = expValue.getDefiningOp<math::ExpOp>();
  return exp && exp.getOperand().getDefiningOp<arith::NegFOp>();
}

/// Returns the activation an op applies: "sigmoid", "gelu" or "relu".
std::optional<StringRef> activationKind(Operation *op) {
  if (isa<tosa::SigmoidOp>(op))
    return StringRef("sigmoid");
  if (isa<tosa::ErfOp, tosa::TanhOp>(op))
    return StringRef("gelu");
  if (auto clamp = dyn_cast<tosa::ClampOp>(op)) {
    FloatAttr low = dyn_cast<FloatAttr>(clamp.getMinValAttr());
    if (low && low.getValueAsDouble() == 0.0)
      return StringRef("relu");
    return std::nullopt;
  }
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumReductionLoops() != 0)
    return std::nullopt;
  if (isSigmoidBody(generic))
    return StringRef("sigmoid");
  bool hasErfOrTanh = false;
  generic.getRegion().walk([&](Operation *bodyOp) {
    hasErfOrTanh |= isa<math::ErfOp, math::TanhOp>(bodyOp);
  });
  if (hasErfOrTanh)
    return StringRef("gelu");
  Value result = yieldedValue(generic);
  if (auto max = result ? result.getDefiningOp<arith::MaximumFOp>() : nullptr)
    if (isConstant(max.getLhs(), 0.0) || isConstant(max.getRhs(), 0.0))
      return StringRef("relu");
  return std::nullopt;
}

/// Returns whether an op computes rsqrt elementwise.
bool isRsqrt(Operation *op) {
  if (isa<tosa::RsqrtOp>(op))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1)
    return false;
  Value result = yieldedValue(generic);
  return result && result.getDefiningOp<math::RsqrtOp>();
}

/// Returns whether `value` squares its input: x * x or x^2.
Value squaredInput(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return Value();
  if (std::optional<Elementwise> elementwise = matchElementwise(op))
    if (elementwise->kind == ElementwiseKind::Mul &&
        elementwise->operands.size() == 2 &&
        elementwise->operands[0].tensor &&
        elementwise->operands[0].tensor == elementwise->operands[1].tensor)
      return elementwise->operands[0].tensor;
  if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
    Value result = yieldedValue(generic);
    if (!result || generic.getNumDpsInputs() != 1)
      return Value();
    Operation *power = result.getDefiningOp();
    bool square = false;
    if (auto fpowi = dyn_cast_or_null<math::FPowIOp>(power)) {
      IntegerAttr exponent;
      square = matchPattern(fpowi.getRhs(), m_Constant(&exponent)) &&
               exponent.getInt() == 2;
    } else if (auto powf = dyn_cast_or_null<math::PowFOp>(power)) {
      square = isConstant(powf.getRhs(), 2.0);
    } else if (auto mul = dyn_cast_or_null<arith::MulFOp>(power)) {
      square = mul.getLhs() == mul.getRhs();
    }
    if (square)
      return generic.getDpsInputs()[0];
  }
  return Value();
}

/// Follows views up to the value they read.
Value throughViews(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    std::optional<View> view = matchView(op);
    if (!view)
      break;
    value = view->source;
  }
  return value;
}

void setLayer(Operation *op, StringRef kind) {
  if (op && !op->hasAttr("lapa.layer"))
    op->setAttr("lapa.layer", StringAttr::get(op->getContext(), kind));
}

/// Tags a normalization found from its rsqrt. The sum of squares (RMSNorm)
/// or of squared deviations (LayerNorm) is scaled by 1/N, shifted by
/// epsilon and passed to rsqrt, and the users of the rsqrt scale the input.
void annotateNorm(Operation *rsqrt) {
  SmallVector<Operation *> group = {rsqrt};
  Value current = throughViews(rsqrt->getOperand(0));
  std::optional<Reduction> sum;
  // Walk up through the epsilon shift and the 1/N scale to the sum.
  for (int steps = 0; steps < 4 && !sum; ++steps) {
    Operation *op = current.getDefiningOp();
    if (!op)
      return;
    sum = matchReduction(op);
    if (sum) {
      group.push_back(op);
      break;
    }
    std::optional<Elementwise> elementwise = matchElementwise(op);
    if (!elementwise || elementwise->operands.size() != 2)
      return;
    Value next;
    for (const ElementwiseOperand &operand : elementwise->operands)
      if (operand.tensor && !scalarOf(operand))
        next = operand.tensor;
    if (!next)
      return;
    group.push_back(op);
    current = throughViews(next);
  }

  if (!sum || sum->kind != ReductionKind::Sum)
    return;
  Value squared = squaredInput(sum->input);
  if (!squared)
    return;
  group.push_back(sum->input.getDefiningOp());
  // A deviation from the mean before squaring makes it a LayerNorm.
  StringRef kind = "rms_norm";
  if (Operation *deviation = squared.getDefiningOp())
    if (std::optional<Elementwise> sub = matchElementwise(deviation);
        sub && sub->kind == ElementwiseKind::Sub)
      kind = "layer_norm";
  for (Operation *op : group)
    setLayer(op, kind);

  // The multiplications by the rsqrt and then by the gain.
  Value scaled;
  for (Operation *user : rsqrt->getResult(0).getUsers()) {
    Operation *consumer = user;
    while (consumer && matchView(consumer) && !consumer->use_empty())
      consumer = *consumer->getUsers().begin();
    std::optional<Elementwise> mul =
        consumer ? matchElementwise(consumer) : std::nullopt;
    if (mul && mul->kind == ElementwiseKind::Mul) {
      setLayer(consumer, kind);
      scaled = mul->result;
    }
  }
  if (!scaled)
    return;
  for (Operation *user : scaled.getUsers()) {
    std::optional<Elementwise> gain = matchElementwise(user);
    if (gain && gain->kind == ElementwiseKind::Mul)
      setLayer(user, kind);
  }
}

/// Returns the contraction that produces `value` through views and copies,
/// within a few ops.
Operation *producingContraction(Value value) {
  for (int steps = 0; steps < 6; ++steps) {
    Operation *op = value.getDefiningOp();
    if (!op)
      return nullptr;
    if (matchContraction(op))
      return op;
    if (std::optional<View> view = matchView(op)) {
      value = view->source;
      continue;
    }
    // A bias addition after the matmul.
    std::optional<Elementwise> elementwise = matchElementwise(op);
    if (!elementwise || elementwise->kind != ElementwiseKind::Add)
      return nullptr;
    Value next;
    for (const ElementwiseOperand &operand : elementwise->operands)
      if (operand.tensor && operand.map.isIdentity() &&
          operand.tensor.getType() == elementwise->result.getType())
        next = operand.tensor;
    if (!next)
      return nullptr;
    value = next;
  }
  return nullptr;
}

/// Returns the contraction that reads `value` through views and elementwise
/// ops, breadth first within `budget` ops, skipping `skip`.
Operation *consumingContraction(Value value, Operation *skip, int budget = 12) {
  SmallVector<Value> queue = {value};
  llvm::SmallPtrSet<Operation *, 16> seen;
  for (size_t next = 0; next < queue.size() && budget > 0; ++next) {
    for (Operation *user : queue[next].getUsers()) {
      if (user == skip || !seen.insert(user).second)
        continue;
      if (matchContraction(user))
        return user;
      --budget;
      if (matchView(user) || matchElementwise(user))
        queue.push_back(user->getResult(0));
    }
  }
  return nullptr;
}

void setFfn(Operation *op, StringRef role) {
  if (op && !op->hasAttr("lapa.ffn") && !op->hasAttr("lapa.projection"))
    op->setAttr("lapa.ffn", StringAttr::get(op->getContext(), role));
}

/// Tags a feed-forward block found from its activation: the matmul before
/// it (gate for a gated unit, else up), the second matmul a gated unit
/// multiplies in (up), and the matmul after it (down).
void annotateFfn(Operation *activation, StringRef kind) {
  setLayer(activation, "ffn_activation");
  Operation *first = producingContraction(activation->getOperand(0));
  if (!first)
    return;
  // SwiGLU: silu(x) = x * sigmoid(x), then silu(gate) * up.
  Operation *up = nullptr;
  if (kind == "sigmoid") {
    SmallVector<Value> frontier = {activation->getResult(0)};
    for (int depth = 0; depth < 3 && !up; ++depth) {
      SmallVector<Value> next;
      for (Value value : frontier)
        for (Operation *user : value.getUsers()) {
          std::optional<Elementwise> mul = matchElementwise(user);
          if (!mul || mul->kind != ElementwiseKind::Mul)
            continue;
          for (const ElementwiseOperand &operand : mul->operands) {
            Operation *other =
                operand.tensor ? producingContraction(operand.tensor) : nullptr;
            if (other && other != first)
              up = other;
          }
          next.push_back(mul->result);
        }
      frontier = next;
    }
  }
  setFfn(first, up ? "gate" : "up");
  if (up)
    setFfn(up, "up");
  setFfn(consumingContraction(activation->getResult(0), first), "down");
}

/// Tags position-dependent multiplies between a query or key projection
/// and its attention: the rotary embedding.
void annotateRotary(Operation *projection) {
  SmallVector<Value> queue = {projection->getResult(0)};
  llvm::SmallPtrSet<Operation *, 32> seen;
  for (size_t next = 0; next < queue.size() && next < 64; ++next) {
    for (Operation *user : queue[next].getUsers()) {
      if (!seen.insert(user).second || isa<AttentionOp>(user) ||
          matchContraction(user))
        continue;
      std::optional<Elementwise> elementwise = matchElementwise(user);
      if (elementwise && elementwise->kind == ElementwiseKind::Mul) {
        bool byTable = llvm::all_of(elementwise->operands,
                                    [](const ElementwiseOperand &operand) {
                                      return operand.tensor && !scalarOf(operand);
                                    });
        if (byTable)
          setLayer(user, "rotary_embedding");
      }
      for (Value result : user->getResults())
        if (isa<RankedTensorType>(result.getType()))
          queue.push_back(result);
    }
  }
}

/// Tags an addition of an output or down projection to another activation.
void annotateResidual(Operation *op) {
  std::optional<Elementwise> add = matchElementwise(op);
  if (!add || add->kind != ElementwiseKind::Add || add->operands.size() != 2)
    return;
  for (const ElementwiseOperand &operand : add->operands)
    if (!operand.tensor || scalarOf(operand) ||
        operand.tensor.getType() != add->result.getType())
      return;
  for (const ElementwiseOperand &operand : add->operands) {
    Operation *producer = producingContraction(operand.tensor);
    if (!producer)
      continue;
    auto projection = producer->getAttrOfType<StringAttr>("lapa.projection");
    auto ffn = producer->getAttrOfType<StringAttr>("lapa.ffn");
    if ((projection && projection.getValue() == "output") ||
        (ffn && ffn.getValue() == "down")) {
      setLayer(op, "residual");
      return;
    }
  }
}

struct LapaAnnotateLayersPass
    : public mlir::lapa::impl::LapaAnnotateLayersBase<LapaAnnotateLayersPass> {
  void runOnOperation() override {
    SmallVector<Operation *> rsqrts, projections, elementwise;
    SmallVector<std::pair<Operation *, StringRef>> activations;
    getOperation()->walk([&](Operation *op) {
      if (isRsqrt(op))
        rsqrts.push_back(op);
      else if (std::optional<StringRef> kind = activationKind(op))
        activations.push_back({op, *kind});
      if (auto role = op->getAttrOfType<StringAttr>("lapa.projection"))
        if (role.getValue() == "query" || role.getValue() == "key")
          projections.push_back(op);
      if (matchElementwise(op))
        elementwise.push_back(op);
    });
    for (Operation *rsqrt : rsqrts)
      annotateNorm(rsqrt);
    for (auto [activation, kind] : activations)
      annotateFfn(activation, kind);
    for (Operation *projection : projections)
      annotateRotary(projection);
    for (Operation *op : elementwise)
      annotateResidual(op);
  }
};

} // namespace
