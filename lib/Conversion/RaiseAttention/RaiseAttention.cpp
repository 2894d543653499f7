//===- RaiseAttention.cpp - Raise attention from linalg and TOSA ----------===//
//
// Finds scaled-dot-product attention spelled out in linalg or TOSA and
// replaces it with lapa.attention. The matcher starts at every exponential
// (a softmax candidate) and recognizes the softmax around it. It then walks
// back to the score contraction through scales, a mask, casts and views, and
// forward to the value contraction. At each step it tracks where the query
// and key axes are.
//
//===----------------------------------------------------------------------===//

#include "FoldHeadSlices.h"
#include "OpSemantics.h"

#include "lapa/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPARAISEATTENTION
#include "lapa/Conversion/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;
using namespace mlir::lapa;
using namespace mlir::lapa::raise;

namespace {

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

/// Returns whether the operand reads its tensor element for element: the
/// same shape, and a map that is the identity except for a constant 0 on
/// unit dimensions (as tosa-to-linalg writes them).
bool isIdentityRead(const ElementwiseOperand &operand, Value result) {
  if (!operand.tensor || shapeOf(operand.tensor) != shapeOf(result))
    return false;
  ArrayRef<int64_t> shape = shapeOf(result);
  if (operand.map.getNumResults() != shape.size())
    return false;
  for (auto [index, expr] : llvm::enumerate(operand.map.getResults())) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr); dim && dim.getPosition() == index)
      continue;
    auto constant = dyn_cast<AffineConstantExpr>(expr);
    if (!constant || constant.getValue() != 0 || shape[index] != 1)
      return false;
  }
  return true;
}

/// Returns whether a cast converts between floating-point types only.
bool isFloatCast(const Elementwise &conversion) {
  auto elementOf = [](Value value) {
    return cast<ShapedType>(value.getType()).getElementType();
  };
  return isa<FloatType>(elementOf(conversion.operands[0].tensor)) &&
         isa<FloatType>(elementOf(conversion.result));
}

/// Follows copies, broadcasts and reshapes up to the value they read.
Value peelToSource(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (std::optional<View> view = matchView(op)) {
      value = view->source;
      continue;
    }
    std::optional<Elementwise> elementwise = matchElementwise(op);
    if (elementwise && elementwise->kind == ElementwiseKind::Copy) {
      value = elementwise->operands[0].tensor;
      continue;
    }
    break;
  }
  return value;
}

/// Returns whether `value` is computed, through elementwise ops and views,
/// from a contraction within a few steps. Used to tell the score chain from
/// a mask when both enter an addition at full shape.
bool reachesContraction(Value value, int depth = 12) {
  for (; depth > 0; --depth) {
    Operation *op = value.getDefiningOp();
    if (!op)
      return false;
    if (matchContraction(op))
      return true;
    if (std::optional<View> view = matchView(op)) {
      value = view->source;
      continue;
    }
    std::optional<Elementwise> elementwise = matchElementwise(op);
    if (!elementwise)
      return false;
    Value next;
    for (const ElementwiseOperand &operand : elementwise->operands)
      if (operand.tensor && reachesContraction(operand.tensor, depth - 1))
        return true;
    (void)next;
    return false;
  }
  return false;
}

/// A contraction operand in attention terms: batch dimensions (ordered as
/// the contraction's result), the sequence dimension and the feature one.
struct OperandRoles {
  Value value;
  SmallVector<int64_t> batch;
  int64_t sequence = -1;
  int64_t feature = -1;
  /// When a constant scale was moved into the attention: the tensor before
  /// that scale, and the views between it and `value`, producers first.
  Value unscaled = {};
  SmallVector<Operation *> replayViews = {};
};

/// Everything a successful match needs to build lapa.attention.
struct AttentionMatch {
  Value probs;
  int64_t keyAxis = -1, queryAxis = -1;
  SmallVector<int64_t> softmaxShape;
  double scale = 1.0;
  ElementwiseOperand mask;
  /// Factor of the scales applied after the mask was added; the canonical
  /// mask is multiplied by it.
  double maskScale = 1.0;
  OperandRoles query, key, value;
  Contraction output;
  /// Roles of the output contraction's result dimensions.
  SmallVector<int64_t> outputBatch;
  int64_t outputSequence = -1, outputFeature = -1;
  SmallVector<Operation *> matchedOps;
  /// The op that replaced the match.
  AttentionOp raised;
};

/// A softmax candidate: an exponential of a decomposed softmax, or a named
/// linalg.softmax.
struct Candidate {
  Operation *op = nullptr;
  std::optional<Elementwise> exp;
};

class AttentionMatcher {
public:
  explicit AttentionMatcher(Candidate candidate) : candidate(candidate) {}

  /// Matches the attention around the softmax candidate. On failure,
  /// `reason` gives the cause.
  FailureOr<AttentionMatch> match();

  std::string reason;
  /// Whether the candidate is attention that the pass cannot raise (as
  /// opposed to a pattern that is not attention at all).
  bool unsupported = false;

private:
  LogicalResult fail(const Twine &message) {
    reason = message.str();
    return failure();
  }
  LogicalResult failUnsupported(const Twine &message) {
    unsupported = true;
    return fail(message);
  }
  LogicalResult matchSoftmax();
  LogicalResult matchNamedSoftmax(linalg::SoftmaxOp softmax);
  LogicalResult matchScores();
  LogicalResult matchOutput();
  FailureOr<Value> matchStackedPieces(Value value);

  Candidate candidate;
  AttentionMatch result;
  /// The softmax input (after the max subtraction and casts are peeled).
  Value scores;
};

LogicalResult AttentionMatcher::matchNamedSoftmax(linalg::SoftmaxOp softmax) {
  auto type = cast<ShapedType>(softmax.getInput().getType());
  if (!type.hasStaticShape())
    return failUnsupported("the softmax operand has a dynamic shape; make the sequence "
                "length static before raising");
  result.softmaxShape.assign(type.getShape().begin(), type.getShape().end());
  result.keyAxis = softmax.getDimension();
  result.probs = softmax.getResult()[0];
  result.matchedOps.push_back(softmax);
  scores = softmax.getInput();
  return success();
}

LogicalResult AttentionMatcher::matchSoftmax() {
  if (auto named = dyn_cast<linalg::SoftmaxOp>(candidate.op))
    return matchNamedSoftmax(named);
  Elementwise &exp = *candidate.exp;
  if (exp.operands.size() != 1 || !isIdentityRead(exp.operands[0], exp.result))
    return fail("the exponential does not read one full-shape tensor");
  Value expResult = exp.result;
  auto type = cast<ShapedType>(expResult.getType());
  if (!type.hasStaticShape())
    return failUnsupported("the softmax operand has a dynamic shape; make the sequence "
                "length static before raising");
  result.softmaxShape.assign(type.getShape().begin(), type.getShape().end());

  // The row sum of the exponentials.
  std::optional<Reduction> sum;
  for (Operation *user : expResult.getUsers()) {
    std::optional<Reduction> reduction = matchReduction(user);
    if (reduction && reduction->kind == ReductionKind::Sum &&
        reduction->input == expResult && reduction->dims.size() == 1) {
      sum = reduction;
      break;
    }
  }
  if (!sum)
    return fail("no sum of the exponentials over one axis follows; this is "
                "not a softmax");
  result.keyAxis = sum->dims[0];

  // The normalization: exp / sum, or exp * (1 / sum).
  for (Operation *user : expResult.getUsers()) {
    std::optional<Elementwise> normalize = matchElementwise(user);
    if (!normalize || normalize->operands.size() != 2)
      continue;
    const ElementwiseOperand &lhs = normalize->operands[0];
    const ElementwiseOperand &rhs = normalize->operands[1];
    Value divisor;
    if (normalize->kind == ElementwiseKind::Div && lhs.tensor == expResult &&
        rhs.tensor) {
      divisor = rhs.tensor;
    } else if (normalize->kind == ElementwiseKind::Mul) {
      Value other = lhs.tensor == expResult ? rhs.tensor
                    : rhs.tensor == expResult ? lhs.tensor
                                              : Value();
      if (!other)
        continue;
      // The other factor is 1 / sum, possibly broadcast.
      Operation *reciprocalOp = peelToSource(other).getDefiningOp();
      std::optional<Elementwise> reciprocal =
          reciprocalOp ? matchElementwise(reciprocalOp) : std::nullopt;
      if (!reciprocal || reciprocal->kind != ElementwiseKind::Div ||
          reciprocal->operands.size() != 2 ||
          scalarOf(reciprocal->operands[0]) != 1.0 ||
          !reciprocal->operands[1].tensor)
        continue;
      divisor = reciprocal->operands[1].tensor;
      result.matchedOps.push_back(reciprocalOp);
    } else {
      continue;
    }
    if (peelToSource(divisor).getDefiningOp() != sum->op)
      continue;
    result.probs = normalize->result;
    result.matchedOps.push_back(user);
    break;
  }
  if (!result.probs)
    return fail("the exponentials are not divided by their sum");
  result.matchedOps.push_back(sum->op);
  result.matchedOps.push_back(exp.op);

  // Max subtraction (optional), then casts.
  scores = exp.operands[0].tensor;
  if (Operation *op = scores.getDefiningOp()) {
    std::optional<Elementwise> sub = matchElementwise(op);
    if (sub && sub->kind == ElementwiseKind::Sub && sub->operands.size() == 2 &&
        isIdentityRead(sub->operands[0], sub->result) && sub->operands[1].tensor) {
      Operation *maxOp = peelToSource(sub->operands[1].tensor).getDefiningOp();
      std::optional<Reduction> max = maxOp ? matchReduction(maxOp) : std::nullopt;
      if (max && max->kind == ReductionKind::Max &&
          max->input == sub->operands[0].tensor &&
          max->dims == SmallVector<int64_t>{result.keyAxis}) {
        scores = sub->operands[0].tensor;
        result.matchedOps.push_back(op);
        result.matchedOps.push_back(maxOp);
      }
    }
  }
  return success();
}

/// Recognizes per-head score pieces joined by insert_slice, each piece the
/// slice h of one stacked tensor, possibly followed by the same constant
/// scale or shift in every piece. Returns the stacked tensor, a null value
/// when `value` is not such a join, or failure (with a reason) when the
/// pieces differ.
FailureOr<Value> AttentionMatcher::matchStackedPieces(Value value) {
  std::optional<ConcatenatedHeads> concat = matchConcatenatedHeads(value);
  if (!concat)
    return Value();
  Value stacked;
  std::optional<double> pieceScale;
  for (auto [head, piece] : llvm::enumerate(concat->pieces)) {
    double scale = 1.0;
    Value current = piece;
    // Peel the per-piece constant scale or shift.
    while (Operation *op = current.getDefiningOp()) {
      std::optional<Elementwise> elementwise = matchElementwise(op);
      if (!elementwise || elementwise->operands.size() != 2)
        break;
      auto &operands = elementwise->operands;
      std::optional<double> constants[2] = {scalarOf(operands[0]),
                                            scalarOf(operands[1])};
      int chain = -1;
      for (int i = 0; i < 2; ++i)
        if (isIdentityRead(operands[i], current) && !constants[i] &&
            constants[1 - i])
          chain = i;
      if (chain < 0)
        break;
      if (elementwise->kind == ElementwiseKind::Mul)
        scale *= *constants[1 - chain];
      else if (elementwise->kind == ElementwiseKind::Div && chain == 0)
        scale /= *constants[1 - chain];
      else if (elementwise->kind != ElementwiseKind::Add &&
               elementwise->kind != ElementwiseKind::Sub)
        break;
      result.matchedOps.push_back(op);
      current = operands[chain].tensor;
    }
    auto collapse = current.getDefiningOp<tensor::CollapseShapeOp>();
    auto slice = collapse ? collapse.getSrc().getDefiningOp<tensor::ExtractSliceOp>()
                          : tensor::ExtractSliceOp();
    if (!slice || slice.getStaticOffsets()[0] != static_cast<int64_t>(head) ||
        (stacked && slice.getSource() != stacked) ||
        (pieceScale && *pieceScale != scale)) {
      reason = "the per-head score pieces joined by insert_slice are not the "
               "heads of one stacked contraction in order";
      return failure();
    }
    stacked = slice.getSource();
    pieceScale = scale;
    result.matchedOps.push_back(collapse);
    result.matchedOps.push_back(slice);
  }
  auto stackedType = cast<ShapedType>(stacked.getType());
  if (stackedType.getDimSize(0) != static_cast<int64_t>(concat->pieces.size())) {
    reason = "the per-head score pieces cover only part of the stacked scores";
    return failure();
  }
  result.scale *= *pieceScale;
  for (tensor::InsertSliceOp insert : concat->inserts)
    result.matchedOps.push_back(insert);
  return stacked;
}

LogicalResult AttentionMatcher::matchScores() {
  // origin[i]: the softmax-layout dimension that dimension i of `current`
  // corresponds to one-to-one, or -1 where dimensions were merged or split.
  Value current = scores;
  SmallVector<int64_t> origin;
  for (int64_t i = 0, e = result.softmaxShape.size(); i < e; ++i)
    origin.push_back(i);
  auto isSoftmaxLayout = [&] {
    return shapeOf(current) == ArrayRef<int64_t>(result.softmaxShape) &&
           llvm::equal(origin, llvm::seq<int64_t>(0, origin.size()));
  };

  while (true) {
    Operation *op = current.getDefiningOp();
    if (!op)
      return fail("the scores are a function argument, not a contraction of "
                  "query and key");
    if (std::optional<Contraction> contraction = matchContraction(op)) {
      int64_t lhsOrigin = origin[contraction->resultLhsFree];
      int64_t rhsOrigin = origin[contraction->resultRhsFree];
      bool keyIsRhs = rhsOrigin == result.keyAxis;
      if (!keyIsRhs && lhsOrigin != result.keyAxis)
        return fail("the softmax axis is not a key axis of the score "
                    "contraction; the softmax runs over the wrong axis");
      result.queryAxis = keyIsRhs ? lhsOrigin : rhsOrigin;
      if (result.queryAxis < 0)
        return fail("the query axis of the scores is merged with another "
                    "axis before the softmax");
      OperandRoles lhs{contraction->lhs, contraction->lhsBatch,
                       contraction->lhsFree, contraction->lhsReduced};
      OperandRoles rhs{contraction->rhs, contraction->rhsBatch,
                       contraction->rhsFree, contraction->rhsReduced};
      result.query = keyIsRhs ? lhs : rhs;
      result.key = keyIsRhs ? rhs : lhs;
      // Batch dimensions must keep their row-major order to the softmax.
      int64_t previous = -1;
      for (int64_t dim : contraction->resultBatch) {
        if (origin[dim] < 0)
          continue;
        if (origin[dim] < previous)
          return fail("a transpose reorders the batch dimensions of the "
                      "scores");
        previous = origin[dim];
      }
      result.matchedOps.push_back(op);
      return success();
    }

    if (std::optional<View> view = matchView(op)) {
      Value source = view->source;
      if (view->isReshape) {
        // A run of reshapes maps in one step from its first source to its
        // last result, because a merge followed by a split can restore the
        // axes that one step alone would lose. Per-head pieces joined by
        // insert_slice count as a collapse of their stacked source.
        result.matchedOps.push_back(op);
        while (true) {
          if (Operation *below = source.getDefiningOp()) {
            std::optional<View> next = matchView(below);
            if (next && next->isReshape) {
              result.matchedOps.push_back(below);
              source = next->source;
              continue;
            }
          }
          FailureOr<Value> stacked = matchStackedPieces(source);
          if (failed(stacked))
            return failure();
          if (!*stacked)
            break;
          source = *stacked;
        }
        SmallVector<int64_t> sourceOrigin(shapeOf(source).size(), -1);
        SmallVector<int64_t> mapping =
            mapReshapeDims(shapeOf(source), shapeOf(current));
        for (auto [sourceDim, resultDim] : llvm::enumerate(mapping))
          if (resultDim >= 0)
            sourceOrigin[sourceDim] = origin[resultDim];
        if (!llvm::is_contained(sourceOrigin, result.keyAxis))
          return fail("a reshape merges the key axis with another axis");
        origin = sourceOrigin;
        current = source;
        continue;
      }
      SmallVector<int64_t> sourceOrigin(shapeOf(view->source).size(), -1);
      {
        for (auto [resultDim, sourceDim] : llvm::enumerate(view->sourceDim))
          sourceOrigin[sourceDim] = origin[resultDim];
      }
      if (!llvm::is_contained(sourceOrigin, result.keyAxis))
        return fail("a reshape merges the key axis with another axis");
      origin = sourceOrigin;
      current = view->source;
      result.matchedOps.push_back(op);
      continue;
    }

    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
        linalgOp && linalg::isaContractionOpInterface(linalgOp))
      return fail(Twine("the score contraction '") +
                  op->getName().getStringRef() +
                  "' accumulates onto a tensor that is not zero or has "
                  "more than one free dimension per operand");
    std::optional<Elementwise> elementwise = matchElementwise(op);
    if (!elementwise)
      return fail(Twine("'") + op->getName().getStringRef() +
                  "' between the score contraction and the softmax is not "
                  "a scale, a mask, a cast or a view");
    auto &operands = elementwise->operands;
    ElementwiseKind kind = elementwise->kind;
    if ((kind == ElementwiseKind::Copy || kind == ElementwiseKind::Cast) &&
        isIdentityRead(operands[0], current)) {
      if (kind == ElementwiseKind::Cast && !isFloatCast(*elementwise))
        return fail("the scores go through a cast to or from an integer type, "
                    "which rounds them; lapa.attention has no such step");
      current = operands[0].tensor;
      result.matchedOps.push_back(op);
      continue;
    }
    if (operands.size() != 2)
      return fail("an elementwise op on the scores is not a scale or a mask");

    // The scale: a multiply by a constant, or a divide by one.
    int chain = -1;
    std::optional<double> constants[2] = {scalarOf(operands[0]),
                                          scalarOf(operands[1])};
    for (int i = 0; i < 2; ++i)
      if (isIdentityRead(operands[i], current) && !constants[i] &&
          constants[1 - i])
        chain = i;
    if (chain >= 0) {
      double constant = *constants[1 - chain];
      if (kind == ElementwiseKind::Mul) {
        result.scale *= constant;
      } else if (kind == ElementwiseKind::Div && chain == 0) {
        result.scale /= constant;
      } else if (kind == ElementwiseKind::Sub && chain == 1) {
        return fail("the scores are subtracted from a constant, which negates "
                    "them; lapa.attention has no negative scale");
      } else if (kind != ElementwiseKind::Add && kind != ElementwiseKind::Sub) {
        return fail("the scores are combined with a constant by an op other "
                    "than a scale or a shift");
      }
      // Adding a constant to every score leaves the softmax unchanged.
      current = operands[chain].tensor;
      result.matchedOps.push_back(op);
      continue;
    }
    if (kind == ElementwiseKind::Mul || kind == ElementwiseKind::Div)
      return fail("the scores are scaled by a tensor that is not one splat "
                  "constant; lapa.attention needs a single constant scale");
    if (kind != ElementwiseKind::Add)
      return fail("an elementwise op on the scores is not a scale or a mask");

    // The mask: an addition of a tensor, in the softmax's layout. The
    // scores are the full-shape operand that comes from a contraction, or
    // the first full-shape operand when both or neither do.
    bool full[2] = {isIdentityRead(operands[0], current),
                    isIdentityRead(operands[1], current)};
    bool fromContraction[2] = {full[0] && reachesContraction(operands[0].tensor),
                               full[1] && reachesContraction(operands[1].tensor)};
    if (fromContraction[0] != fromContraction[1])
      chain = fromContraction[0] ? 0 : 1;
    else if (full[0] || full[1])
      chain = full[0] ? 0 : 1;
    if (chain < 0 || !operands[1 - chain].tensor)
      return fail("neither operand of the mask addition carries the scores");
    if (result.mask.tensor)
      return fail("the scores get two additive masks; combine them first");
    if (!isSoftmaxLayout())
      return failUnsupported("the mask is added before a reshape or transpose of the "
                  "scores; only masks in the softmax's layout are supported");
    result.mask = operands[1 - chain];
    // Scales found so far come after the mask in the graph, so they scale
    // the mask too: c * (QK^T + M) = c * QK^T + c * M.
    result.maskScale = result.scale;
    current = operands[chain].tensor;
    result.matchedOps.push_back(op);
  }
}

LogicalResult AttentionMatcher::matchOutput() {
  // Walk forward from the probabilities through views and copies to the
  // contraction with the value.
  Value current = result.probs;
  SmallVector<int64_t> origin;
  for (int64_t i = 0, e = result.softmaxShape.size(); i < e; ++i)
    origin.push_back(i);
  SmallVector<Operation *> path;

  for (int steps = 0; steps < 16; ++steps) {
    Operation *next = nullptr;
    for (Operation *user : current.getUsers()) {
      if (std::optional<Contraction> contraction = matchContraction(user)) {
        bool probsIsLhs = contraction->lhs == current;
        if (!probsIsLhs && contraction->rhs != current)
          continue;
        int64_t reduced =
            probsIsLhs ? contraction->lhsReduced : contraction->rhsReduced;
        int64_t free = probsIsLhs ? contraction->lhsFree : contraction->rhsFree;
        if (origin[reduced] != result.keyAxis || origin[free] != result.queryAxis)
          return fail("the value contraction does not reduce the "
                      "probabilities over the key axis");
        result.output = *contraction;
        result.value = probsIsLhs
                           ? OperandRoles{contraction->rhs, contraction->rhsBatch,
                                          contraction->rhsReduced,
                                          contraction->rhsFree}
                           : OperandRoles{contraction->lhs, contraction->lhsBatch,
                                          contraction->lhsReduced,
                                          contraction->lhsFree};
        result.outputBatch = contraction->resultBatch;
        result.outputSequence = probsIsLhs ? contraction->resultLhsFree
                                           : contraction->resultRhsFree;
        result.outputFeature = probsIsLhs ? contraction->resultRhsFree
                                          : contraction->resultLhsFree;
        llvm::append_range(result.matchedOps, path);
        return success();
      }
      if (std::optional<View> view = matchView(user)) {
        SmallVector<int64_t> nextOrigin(shapeOf(user->getResult(0)).size(), -1);
        if (view->isReshape) {
          SmallVector<int64_t> mapping =
              mapReshapeDims(shapeOf(current), shapeOf(user->getResult(0)));
          for (auto [sourceDim, resultDim] : llvm::enumerate(mapping))
            if (resultDim >= 0)
              nextOrigin[resultDim] = origin[sourceDim];
        } else {
          for (auto [resultDim, sourceDim] : llvm::enumerate(view->sourceDim))
            nextOrigin[resultDim] = origin[sourceDim];
        }
        origin = nextOrigin;
        next = user;
        break;
      }
      std::optional<Elementwise> elementwise = matchElementwise(user);
      if (!elementwise)
        continue;
      auto &operands = elementwise->operands;
      bool identity =
          ((elementwise->kind == ElementwiseKind::Copy ||
            (elementwise->kind == ElementwiseKind::Cast &&
             isFloatCast(*elementwise))) &&
           isIdentityRead(operands[0], elementwise->result)) ||
          (operands.size() == 2 && isIdentityRead(operands[0], elementwise->result) &&
           operands[0].tensor == current &&
           ((elementwise->kind == ElementwiseKind::Add &&
             scalarOf(operands[1]) == 0.0) ||
            (elementwise->kind == ElementwiseKind::Mul &&
             scalarOf(operands[1]) == 1.0)));
      if (identity) {
        next = user;
        break;
      }
    }
    if (!next) {
      for (Operation *user : current.getUsers())
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
            linalgOp && linalg::isaContractionOpInterface(linalgOp))
          return fail("the value contraction accumulates onto a tensor that "
                      "is not zero; lapa.attention computes P . V from zero");
      return fail("the probabilities do not reach a contraction with the "
                  "value through views and copies");
    }
    path.push_back(next);
    current = next->getResult(0);
  }
  return fail("the probabilities pass through too many ops before the value "
              "contraction");
}

FailureOr<AttentionMatch> AttentionMatcher::match() {
  if (failed(matchSoftmax()) || failed(matchScores()) || failed(matchOutput()))
    return failure();

  for (Value value : {result.query.value, result.key.value,
                      result.value.value, result.output.result})
    if (!cast<ShapedType>(value.getType()).hasStaticShape())
      return failUnsupported("an attention operand has a dynamic shape; make the "
                  "sequence length static before raising");

  // A constant scale on the query or key moves into the attention's scale,
  // also when reshapes or transposes lie between it and the contraction:
  // those views are replayed on the unscaled tensor.
  for (OperandRoles *roles : {&result.query, &result.key}) {
    Value current = roles->value;
    SmallVector<Operation *> views;
    while (Operation *op = current.getDefiningOp()) {
      if (std::optional<View> view = matchView(op)) {
        views.push_back(op);
        current = view->source;
        continue;
      }
      std::optional<Elementwise> elementwise = matchElementwise(op);
      if (!elementwise || elementwise->operands.size() != 2)
        break;
      auto &operands = elementwise->operands;
      std::optional<double> lhs = scalarOf(operands[0]);
      std::optional<double> rhs = scalarOf(operands[1]);
      if (elementwise->kind == ElementwiseKind::Mul && !lhs && rhs &&
          isIdentityRead(operands[0], elementwise->result)) {
        result.scale *= *rhs;
        current = operands[0].tensor;
      } else if (elementwise->kind == ElementwiseKind::Mul && lhs && !rhs &&
                 isIdentityRead(operands[1], elementwise->result)) {
        result.scale *= *lhs;
        current = operands[1].tensor;
      } else if (elementwise->kind == ElementwiseKind::Div && !lhs && rhs &&
                 isIdentityRead(operands[0], elementwise->result)) {
        result.scale /= *rhs;
        current = operands[0].tensor;
      } else {
        break;
      }
      roles->unscaled = current;
      roles->replayViews.assign(views.rbegin(), views.rend());
    }
  }
  if (!(result.scale > 0.0) || !std::isfinite(result.scale))
    return fail("the combined scale is not a finite positive number");

  Type elementType =
      cast<ShapedType>(result.query.value.getType()).getElementType();
  if (!elementType.isF32() && !elementType.isF16() && !elementType.isBF16()) {
    std::string name;
    llvm::raw_string_ostream os(name);
    os << elementType;
    return failUnsupported("element type " + name +
                           " is not supported: the accelerator takes f32, "
                           "f16 or bf16 graphs and quantizes them itself; "
                           "convert the graph to one of those first");
  }
  return result;
}

/// Builds a [B, H, S, D] tensor from a contraction operand.
Value buildCanonicalOperand(OpBuilder &builder, Location loc,
                            const OperandRoles &roles, int64_t batchSize,
                            int64_t heads) {
  Value value = roles.value;
  if (roles.unscaled) {
    IRMapping mapping;
    value = roles.unscaled;
    for (Operation *view : roles.replayViews) {
      mapping.map(view->getOperand(0), value);
      value = builder.clone(*view, mapping)->getResult(0);
    }
  }
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> permutation(roles.batch.begin(), roles.batch.end());
  permutation.push_back(roles.sequence);
  permutation.push_back(roles.feature);
  // An operand that is itself a transpose (the key transposed for the
  // contraction) is read from before that transpose when the two cancel.
  if (Operation *producer = value.getDefiningOp()) {
    std::optional<View> view = matchView(producer);
    if (view && !view->isReshape) {
      SmallVector<int64_t> composed;
      for (int64_t dim : permutation)
        composed.push_back(view->sourceDim[dim]);
      if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size()))) {
        value = view->source;
        type = cast<RankedTensorType>(value.getType());
        permutation = composed;
      }
    }
  }
  if (!llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size()))) {
    SmallVector<int64_t> shape;
    for (int64_t dim : permutation)
      shape.push_back(type.getDimSize(dim));
    Value init =
        tensor::EmptyOp::create(builder, loc, shape, type.getElementType());
    value = linalg::TransposeOp::create(builder, loc, value, init, permutation)
                .getResult()[0];
  }
  auto permuted = cast<RankedTensorType>(value.getType());
  int64_t rank = permuted.getRank();
  int64_t sequence = permuted.getDimSize(rank - 2);
  int64_t feature = permuted.getDimSize(rank - 1);
  auto target = RankedTensorType::get({batchSize, heads, sequence, feature},
                                      permuted.getElementType());
  std::optional<SmallVector<ReassociationIndices>> reassociation =
      getReassociationIndicesForReshape(permuted, target);
  if (reassociation) {
    if (rank < 4)
      return tensor::ExpandShapeOp::create(builder, loc, target, value,
                                           *reassociation);
    if (rank > 4)
      return tensor::CollapseShapeOp::create(builder, loc, target, value,
                                             *reassociation);
    return value;
  }
  // Batch dimensions that neither merge nor split into [B, H] directly go
  // through one flat batch dimension.
  SmallVector<ReassociationIndices> flatten(1);
  for (int64_t i = 0; i < rank - 2; ++i)
    flatten[0].push_back(i);
  flatten.push_back({rank - 2});
  flatten.push_back({rank - 1});
  Value flat = tensor::CollapseShapeOp::create(builder, loc, value, flatten);
  return tensor::ExpandShapeOp::create(
      builder, loc, target, flat,
      SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
}

/// Returns `value` multiplied elementwise by the constant `factor`.
Value scaleTensor(OpBuilder &builder, Location loc, Value value, double factor) {
  auto type = cast<RankedTensorType>(value.getType());
  Value init = tensor::EmptyOp::create(builder, loc, type.getShape(),
                                       type.getElementType());
  AffineMap identity = builder.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             builder, loc, type, ValueRange{value}, ValueRange{init},
             ArrayRef<AffineMap>{identity, identity}, iterators,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               Value constant = arith::ConstantOp::create(
                   nested, nestedLoc,
                   nested.getFloatAttr(type.getElementType(), factor));
               Value product =
                   arith::MulFOp::create(nested, nestedLoc, args[0], constant);
               linalg::YieldOp::create(nested, nestedLoc, product);
             })
      .getResult(0);
}

/// Builds the mask in [B, H, Sq, Skv] broadcastable form from the operand
/// that was added in the softmax's layout.
FailureOr<Value> buildCanonicalMask(OpBuilder &builder, Location loc,
                                    const AttentionMatch &match,
                                    ArrayRef<int64_t> softmaxBatch,
                                    int64_t batchSize, int64_t heads,
                                    std::string &reason) {
  Value mask = match.mask.tensor;
  AffineMap map = match.mask.map;
  auto type = cast<RankedTensorType>(mask.getType());
  int64_t rank = match.softmaxShape.size();
  // Rank-equal form: every softmax dimension the mask does not index gets
  // size 1; the indexed ones must appear in increasing order.
  SmallVector<int64_t> shape(rank, 1);
  int64_t previous = -1;
  for (auto [maskDim, expr] : llvm::enumerate(map.getResults())) {
    if (auto constant = dyn_cast<AffineConstantExpr>(expr)) {
      if (constant.getValue() != 0 || type.getDimSize(maskDim) != 1) {
        reason = "the mask reads a constant index other than a broadcast";
        return failure();
      }
      continue;
    }
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || static_cast<int64_t>(dim.getPosition()) <= previous) {
      reason = "the mask is read through a transposing map";
      return failure();
    }
    previous = dim.getPosition();
    shape[dim.getPosition()] = type.getDimSize(maskDim);
  }
  int64_t known = 1;
  for (int64_t size : shape)
    known *= size;
  if (known != type.getNumElements()) {
    reason = "the mask's indexing map drops a dimension of the mask";
    return failure();
  }
  auto rankEqual = RankedTensorType::get(shape, type.getElementType());
  if (rankEqual != type) {
    std::optional<SmallVector<ReassociationIndices>> reassociation =
        getReassociationIndicesForReshape(type, rankEqual);
    if (!reassociation) {
      reason = "the mask cannot be reshaped to the scores' rank";
      return failure();
    }
    if (type.getRank() < rank)
      mask = tensor::ExpandShapeOp::create(builder, loc, rankEqual, mask,
                                           *reassociation);
    else
      mask = tensor::CollapseShapeOp::create(builder, loc, rankEqual, mask,
                                             *reassociation);
  }

  // Reorder to (batch..., query, key).
  SmallVector<int64_t> permutation(softmaxBatch.begin(), softmaxBatch.end());
  permutation.push_back(match.queryAxis);
  permutation.push_back(match.keyAxis);
  if (!llvm::equal(permutation, llvm::seq<int64_t>(0, rank))) {
    SmallVector<int64_t> permutedShape;
    for (int64_t dim : permutation)
      permutedShape.push_back(shape[dim]);
    Value init = tensor::EmptyOp::create(builder, loc, permutedShape,
                                         type.getElementType());
    mask = linalg::TransposeOp::create(builder, loc, mask, init, permutation)
               .getResult()[0];
    shape = permutedShape;
  }

  // Bring the batch dimensions to [B, H].
  SmallVector<int64_t> batchShape(shape.begin(), shape.end() - 2);
  SmallVector<int64_t> target;
  if (batchShape.size() == 2) {
    return mask;
  } else if (batchShape.size() < 2) {
    int64_t single = batchShape.empty() ? 1 : batchShape[0];
    target = {1, single == 1 ? 1 : heads};
    if (single != 1 && batchSize != 1) {
      reason = "the mask's batch dimension does not split into [B, H]";
      return failure();
    }
  } else {
    bool allUnit = llvm::all_of(batchShape, [](int64_t s) { return s == 1; });
    int64_t leading = 1;
    for (size_t i = 0; i + 1 < batchShape.size(); ++i)
      leading *= batchShape[i];
    if (!allUnit && leading != batchSize) {
      reason = "the mask broadcasts over only part of the merged batch "
               "dimensions";
      return failure();
    }
    target = {allUnit ? 1 : batchSize, batchShape.back()};
  }
  target.push_back(shape[shape.size() - 2]);
  target.push_back(shape.back());
  auto targetType = RankedTensorType::get(target, type.getElementType());
  auto current = cast<RankedTensorType>(mask.getType());
  std::optional<SmallVector<ReassociationIndices>> reassociation =
      getReassociationIndicesForReshape(current, targetType);
  if (!reassociation) {
    reason = "the mask cannot be reshaped to [B, H, Sq, Skv]";
    return failure();
  }
  if (current.getRank() < 4)
    return Value(tensor::ExpandShapeOp::create(builder, loc, targetType, mask,
                                               *reassociation));
  return Value(tensor::CollapseShapeOp::create(builder, loc, targetType, mask,
                                               *reassociation));
}

/// Returns whether a score is low enough to act as minus infinity in a
/// softmax: -inf, or a finite value of at most -1e4.
bool isMaskedValue(double value) { return value <= -1.0e4; }

/// Returns whether `value` in a generic body is the constant `expected`, or
/// a block argument reading a splat tensor of that kind.
std::optional<double> bodyConstant(Value value, linalg::GenericOp generic) {
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getOwner() != &generic.getRegion().front() ||
        arg.getArgNumber() >= generic.getNumDpsInputs())
      return std::nullopt;
    return getScalarConstant(generic.getDpsInputs()[arg.getArgNumber()]);
  }
  FloatAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

/// Returns the loop dimension a body value reads with linalg.index.
std::optional<unsigned> indexDim(Value value) {
  if (auto index = value.getDefiningOp<linalg::IndexOp>())
    return index.getDim();
  return std::nullopt;
}

/// Returns whether a [Sq, Skv] generic computes the causal mask: a select
/// between a masked value and 0 on `key > query` (or `query < key`).
bool isCausalMaskGeneric(linalg::GenericOp generic) {
  if (generic.getNumReductionLoops() != 0 || generic.getNumLoops() != 2)
    return false;
  auto yield = cast<linalg::YieldOp>(generic.getRegion().front().getTerminator());
  auto select = yield.getNumOperands() == 1
                    ? yield.getOperand(0).getDefiningOp<arith::SelectOp>()
                    : nullptr;
  if (!select)
    return false;
  auto compare = select.getCondition().getDefiningOp<arith::CmpIOp>();
  if (!compare)
    return false;
  std::optional<unsigned> lhs = indexDim(compare.getLhs());
  std::optional<unsigned> rhs = indexDim(compare.getRhs());
  if (!lhs || !rhs)
    return false;
  arith::CmpIPredicate predicate = compare.getPredicate();
  bool keyAboveQuery =
      ((predicate == arith::CmpIPredicate::ugt ||
        predicate == arith::CmpIPredicate::sgt) && *lhs == 1 && *rhs == 0) ||
      ((predicate == arith::CmpIPredicate::ult ||
        predicate == arith::CmpIPredicate::slt) && *lhs == 0 && *rhs == 1);
  if (!keyAboveQuery)
    return false;
  std::optional<double> masked = bodyConstant(select.getTrueValue(), generic);
  std::optional<double> kept = bodyConstant(select.getFalseValue(), generic);
  return masked && kept && isMaskedValue(*masked) && *kept == 0.0;
}

/// Returns whether a constant [Sq, Skv] tensor is the causal mask.
bool isCausalMaskConstant(Value value) {
  DenseElementsAttr dense;
  if (!matchPattern(value, m_Constant(&dense)) || dense.isSplat() ||
      !isa<FloatType>(dense.getElementType()))
    return false;
  auto type = cast<ShapedType>(dense.getType());
  if (type.getRank() != 2)
    return false;
  int64_t columns = type.getDimSize(1);
  int64_t offset = columns - type.getDimSize(0);
  int64_t position = 0;
  for (APFloat element : dense.getValues<APFloat>()) {
    int64_t row = position / columns, column = position % columns;
    double value = element.convertToDouble();
    bool hidden = column > row + offset;
    if (hidden ? !isMaskedValue(value) : value != 0.0)
      return false;
    ++position;
  }
  return true;
}

/// Returns whether the match's mask is exactly the causal mask of its
/// scores, so the attention can state `causal` instead of carrying it. The
/// mask is followed through unit-dimension reshapes and broadcasting copies
/// to a [Sq, Skv] tensor whose dimensions keep the query-key order.
bool isCausalMask(const AttentionMatch &match) {
  if (match.queryAxis > match.keyAxis)
    return false;
  // The mask must be read in the scores' dimension order.
  int64_t previous = -1;
  for (AffineExpr expr : match.mask.map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim)
      continue;
    if (static_cast<int64_t>(dim.getPosition()) <= previous)
      return false;
    previous = dim.getPosition();
  }

  Value value = match.mask.tensor;
  while (Operation *op = value.getDefiningOp()) {
    if (std::optional<View> view = matchView(op)) {
      if (!view->isReshape &&
          !llvm::equal(view->sourceDim, llvm::seq<int64_t>(0, view->sourceDim.size())))
        return false;
      value = view->source;
      continue;
    }
    std::optional<Elementwise> copy = matchElementwise(op);
    if (copy && copy->kind == ElementwiseKind::Copy &&
        copy->operands[0].map.isProjectedPermutation() &&
        copy->operands[0].map.isMinorIdentity()) {
      value = copy->operands[0].tensor;
      continue;
    }
    break;
  }

  auto type = cast<ShapedType>(value.getType());
  SmallVector<int64_t> nonUnit;
  for (int64_t size : type.getShape())
    if (size != 1)
      nonUnit.push_back(size);
  int64_t queries = match.softmaxShape[match.queryAxis];
  int64_t keys = match.softmaxShape[match.keyAxis];
  if (nonUnit != SmallVector<int64_t>{queries, keys} || type.getRank() != 2 ||
      queries != keys)
    return false;

  if (auto generic = value.getDefiningOp<linalg::GenericOp>())
    return isCausalMaskGeneric(generic);
  return isCausalMaskConstant(value);
}

/// Builds lapa.attention for a match and replaces the value contraction.
LogicalResult rewriteMatchImpl(AttentionMatch &match, std::string &reason);

LogicalResult rewriteMatch(AttentionMatch &match, std::string &reason) {
  // On failure, erase whatever the rewrite created before the anchor.
  Operation *anchor = match.output.op;
  Operation *before = anchor->getPrevNode();
  if (succeeded(rewriteMatchImpl(match, reason)))
    return success();
  Operation *first = before ? before->getNextNode() : &anchor->getBlock()->front();
  SmallVector<Operation *> created;
  for (Operation *op = first; op && op != anchor; op = op->getNextNode())
    created.push_back(op);
  for (Operation *op : llvm::reverse(created))
    op->erase();
  return failure();
}

LogicalResult rewriteMatchImpl(AttentionMatch &match, std::string &reason) {
  Operation *anchor = match.output.op;
  OpBuilder builder(anchor);
  Location loc = anchor->getLoc();

  // [B, H] from the softmax layout's batch dimensions.
  SmallVector<int64_t> softmaxBatch;
  for (int64_t i = 0, e = match.softmaxShape.size(); i < e; ++i)
    if (i != match.keyAxis && i != match.queryAxis)
      softmaxBatch.push_back(i);
  int64_t batchSize = 1, heads = 1;
  for (size_t i = 0; i < softmaxBatch.size(); ++i) {
    int64_t size = match.softmaxShape[softmaxBatch[i]];
    if (i + 1 == softmaxBatch.size())
      heads = size;
    else
      batchSize *= size;
  }
  auto batchProduct = [](const OperandRoles &roles) {
    int64_t product = 1;
    for (int64_t dim : roles.batch)
      product *= shapeOf(roles.value)[dim];
    return product;
  };
  for (const OperandRoles *roles : {&match.query, &match.key, &match.value})
    if (batchProduct(*roles) != batchSize * heads) {
      reason = "the batch size of a contraction operand differs from the "
               "softmax's batch and head dimensions";
      return failure();
    }

  Type elementType =
      cast<ShapedType>(match.query.value.getType()).getElementType();
  Type outputType = cast<ShapedType>(match.output.result.getType()).getElementType();
  for (Value value : {match.key.value, match.value.value})
    if (cast<ShapedType>(value.getType()).getElementType() != elementType ||
        outputType != elementType) {
      reason = "query, key, value and output have different element types";
      return failure();
    }

  // A mask that is exactly the causal mask becomes the causal flag, which
  // prediction can use directly.
  bool causal = match.mask.tensor && isCausalMask(match);
  Value mask;
  if (match.mask.tensor && !causal) {
    if (cast<ShapedType>(match.mask.tensor.getType()).getElementType() !=
        elementType) {
      reason = "the mask's element type differs from the scores'";
      return failure();
    }
    FailureOr<Value> canonical = buildCanonicalMask(
        builder, loc, match, softmaxBatch, batchSize, heads, reason);
    if (failed(canonical))
      return failure();
    mask = *canonical;
    if (match.maskScale != 1.0)
      mask = scaleTensor(builder, loc, mask, match.maskScale);
  }

  Value query = buildCanonicalOperand(builder, loc, match.query, batchSize, heads);
  Value key = buildCanonicalOperand(builder, loc, match.key, batchSize, heads);
  Value value = buildCanonicalOperand(builder, loc, match.value, batchSize, heads);
  int64_t queries = cast<ShapedType>(query.getType()).getDimSize(2);
  int64_t valueFeature = cast<ShapedType>(value.getType()).getDimSize(3);
  auto resultType = RankedTensorType::get(
      {batchSize, heads, queries, valueFeature}, elementType);
  auto attention = AttentionOp::create(
      builder, loc, resultType, query, key, value, mask,
      builder.getF32FloatAttr(static_cast<float>(match.scale)),
      causal ? builder.getUnitAttr() : UnitAttr());

  // Back to the value contraction's layout: (batch..., Sq, Dv) in its order.
  auto outputType3 = cast<RankedTensorType>(match.output.result.getType());
  SmallVector<int64_t> order(match.outputBatch.begin(), match.outputBatch.end());
  order.push_back(match.outputSequence);
  order.push_back(match.outputFeature);
  SmallVector<int64_t> orderedShape;
  for (int64_t dim : order)
    orderedShape.push_back(outputType3.getDimSize(dim));
  auto orderedType = RankedTensorType::get(orderedShape, elementType);
  Value output = attention.getResult();
  if (orderedType != resultType) {
    std::optional<SmallVector<ReassociationIndices>> reassociation =
        getReassociationIndicesForReshape(resultType, orderedType);
    if (reassociation && orderedType.getRank() < 4) {
      output = tensor::CollapseShapeOp::create(builder, loc, orderedType, output,
                                               *reassociation);
    } else if (reassociation && orderedType.getRank() > 4) {
      output = tensor::ExpandShapeOp::create(builder, loc, orderedType, output,
                                             *reassociation);
    } else {
      Value flat = tensor::CollapseShapeOp::create(
          builder, loc, output,
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
      SmallVector<ReassociationIndices> expand(1);
      for (int64_t i = 0; i < orderedType.getRank() - 2; ++i)
        expand[0].push_back(i);
      expand.push_back({orderedType.getRank() - 2});
      expand.push_back({orderedType.getRank() - 1});
      output = tensor::ExpandShapeOp::create(builder, loc, orderedType, flat,
                                             expand);
    }
  }
  // `order[i]` is the output dimension that ordered dimension i holds.
  if (!llvm::equal(order, llvm::seq<int64_t>(0, order.size()))) {
    SmallVector<int64_t> inverse(order.size());
    for (auto [position, dim] : llvm::enumerate(order))
      inverse[dim] = position;
    Value init = tensor::EmptyOp::create(builder, loc, outputType3.getShape(),
                                         elementType);
    output = linalg::TransposeOp::create(builder, loc, output, init, inverse)
                 .getResult()[0];
  }
  match.output.result.replaceAllUsesWith(output);
  match.raised = attention;
  return success();
}

/// Erases the matched ops that no longer have uses, users first, and then
/// the side-effect-free producers that only fed them (inits, broadcasts of
/// the reductions).
void eraseDeadOps(ArrayRef<Operation *> ops) {
  llvm::SetVector<Operation *> pending(ops.begin(), ops.end());
  bool changed = true;
  while (changed) {
    changed = false;
    // Iterate over a copy: erasing and inserting change `pending`.
    SmallVector<Operation *> snapshot(pending.begin(), pending.end());
    for (Operation *op : snapshot) {
      if (!pending.contains(op) || !op->use_empty())
        continue;
      SmallVector<Operation *> producers;
      for (Value operand : op->getOperands())
        if (Operation *producer = operand.getDefiningOp())
          producers.push_back(producer);
      pending.remove(op);
      op->erase();
      changed = true;
      for (Operation *producer : producers)
        if (producer->use_empty() && isMemoryEffectFree(producer))
          pending.insert(producer);
    }
  }
}

/// Returns the first contraction found walking up from `value` through at
/// most `budget` producers, breadth first: the projection whose result,
/// after reshapes, transposes and elementwise steps such as a rotary
/// embedding, becomes `value`.
Operation *findProducingContraction(Value value, int budget = 48) {
  SmallVector<Value> queue = {value};
  llvm::SmallPtrSet<Operation *, 32> seen;
  for (size_t next = 0; next < queue.size() && budget > 0; ++next) {
    Operation *op = queue[next].getDefiningOp();
    if (!op || !seen.insert(op).second || op->getNumOperands() == 0)
      continue;
    --budget;
    if (matchContraction(op))
      return op;
    for (Value operand : op->getOperands())
      if (isa<RankedTensorType>(operand.getType()))
        queue.push_back(operand);
  }
  return nullptr;
}

/// Returns the first contraction reached from `value` through its users,
/// breadth first over at most `budget` ops: the projection that reads the
/// attention output after reshapes, slices and bias additions.
Operation *findConsumingContraction(Value value, int budget = 48) {
  SmallVector<Value> queue = {value};
  llvm::SmallPtrSet<Operation *, 32> seen;
  for (size_t next = 0; next < queue.size() && budget > 0; ++next) {
    for (Operation *user : queue[next].getUsers()) {
      if (!seen.insert(user).second)
        continue;
      if (matchContraction(user))
        return user;
      --budget;
      for (Value result : user->getResults())
        if (isa<RankedTensorType>(result.getType()))
          queue.push_back(result);
    }
  }
  return nullptr;
}

/// Marks the projections around a raised attention so later passes can find
/// the K and V projections that prediction makes sparse: each gets
/// `lapa.projection` ("query", "key", "value" or "output") and the
/// attention's index in `lapa.attention_index`, which the attention carries
/// too.
void tagProjections(AttentionOp attention, int64_t index) {
  Builder builder(attention.getContext());
  IntegerAttr indexAttr = builder.getI64IntegerAttr(index);
  attention->setAttr("lapa.attention_index", indexAttr);
  auto tag = [&](Operation *op, StringRef role) {
    if (!op || op->hasAttr("lapa.projection"))
      return;
    op->setAttr("lapa.projection", builder.getStringAttr(role));
    op->setAttr("lapa.attention_index", indexAttr);
  };
  tag(findProducingContraction(attention.getQuery()), "query");
  tag(findProducingContraction(attention.getKey()), "key");
  tag(findProducingContraction(attention.getValue()), "value");
  tag(findConsumingContraction(attention.getResult()), "output");
}

struct LapaRaiseAttentionPass
    : public mlir::lapa::impl::LapaRaiseAttentionBase<LapaRaiseAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    // Attention unrolled over heads becomes batched first.
    foldHeadSlices(getOperation());

    SmallVector<Candidate> candidates;
    getOperation()->walk([&](Operation *op) {
      if (isa<linalg::SoftmaxOp>(op)) {
        candidates.push_back({op, std::nullopt});
        return;
      }
      std::optional<Elementwise> elementwise = matchElementwise(op);
      if (elementwise && elementwise->kind == ElementwiseKind::Exp)
        candidates.push_back({op, elementwise});
    });

    int64_t raisedCount = 0;
    for (Candidate &candidate : candidates) {
      AttentionMatcher matcher(candidate);
      FailureOr<AttentionMatch> match = matcher.match();
      std::string reason = matcher.reason;
      if (succeeded(match) && succeeded(rewriteMatch(*match, reason))) {
        SmallVector<Operation *> dead = match->matchedOps;
        dead.push_back(match->output.op);
        eraseDeadOps(dead);
        // Statistics may be compiled out, so the index has its own count.
        tagProjections(match->raised, raisedCount++);
        ++numRaised;
        continue;
      }
      ++numRejected;
      // Attention that cannot be raised is always reported; other softmax
      // candidates only on request.
      bool attention = matcher.unsupported || succeeded(match);
      if (attention)
        candidate.op->emitWarning()
            << "attention not raised to lapa.attention: " << reason;
      else if (emitRemarks)
        candidate.op->emitRemark()
            << "softmax candidate not raised to lapa.attention: " << reason;
    }
  }
};

} // namespace
