//===- OpSemantics.cpp - What a linalg or TOSA op computes ----------------===//
//
// Classifies linalg and TOSA ops into contractions, elementwise operations,
// reductions and views for the attention matcher.
//
//===----------------------------------------------------------------------===//

#include "OpSemantics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::lapa::raise;

namespace {

/// Returns the operand dimension that reads loop `loop`, or -1.
int64_t operandDimOfLoop(AffineMap map, unsigned loop) {
  for (auto [index, expr] : llvm::enumerate(map.getResults()))
    if (auto dim = dyn_cast<AffineDimExpr>(expr); dim && dim.getPosition() == loop)
      return index;
  return -1;
}

/// Returns whether `value` is a zero-filled accumulator: linalg.fill of 0
/// or a zero splat constant.
bool isZeroInit(Value value) {
  if (auto fill = value.getDefiningOp<linalg::FillOp>()) {
    std::optional<double> scalar = getScalarConstant(fill.getInputs()[0]);
    return scalar && *scalar == 0.0;
  }
  std::optional<double> scalar = getScalarConstant(value);
  return scalar && *scalar == 0.0;
}

/// Returns the scalar float constant a body operand refers to: a constant
/// defined outside the op's region or inside its body.
std::optional<double> bodyScalar(Value value) {
  if (isa<BlockArgument>(value))
    return std::nullopt;
  FloatAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

/// Returns the broadcast map of a TOSA operand of rank-equal broadcasting:
/// dimension i reads loop i, or the constant 0 where the operand has size 1
/// and the result does not.
AffineMap tosaBroadcastMap(Value operand, ShapedType resultType) {
  auto type = cast<ShapedType>(operand.getType());
  MLIRContext *context = operand.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (type.getDimSize(i) == 1 && resultType.getDimSize(i) != 1)
      exprs.push_back(getAffineConstantExpr(0, context));
    else
      exprs.push_back(getAffineDimExpr(i, context));
  }
  return AffineMap::get(resultType.getRank(), 0, exprs, context);
}

ElementwiseOperand tosaOperand(Value operand, ShapedType resultType) {
  ElementwiseOperand result;
  result.tensor = operand;
  result.map = tosaBroadcastMap(operand, resultType);
  return result;
}

std::optional<Elementwise> matchTosaElementwise(Operation *op) {
  if (op->getNumResults() != 1)
    return std::nullopt;
  auto resultType = dyn_cast<ShapedType>(op->getResult(0).getType());
  if (!resultType || !resultType.hasRank())
    return std::nullopt;
  Elementwise elementwise;
  elementwise.op = op;
  elementwise.result = op->getResult(0);
  auto addOperands = [&](ValueRange operands) {
    for (Value operand : operands) {
      if (cast<ShapedType>(operand.getType()).getRank() != resultType.getRank())
        return false;
      elementwise.operands.push_back(tosaOperand(operand, resultType));
    }
    return true;
  };
  bool ok =
      llvm::TypeSwitch<Operation *, bool>(op)
          .Case([&](tosa::AddOp add) {
            elementwise.kind = ElementwiseKind::Add;
            return addOperands({add.getInput1(), add.getInput2()});
          })
          .Case([&](tosa::SubOp sub) {
            elementwise.kind = ElementwiseKind::Sub;
            return addOperands({sub.getInput1(), sub.getInput2()});
          })
          .Case([&](tosa::MulOp mul) {
            elementwise.kind = ElementwiseKind::Mul;
            return addOperands({mul.getInput1(), mul.getInput2()});
          })
          .Case([&](tosa::MaximumOp max) {
            elementwise.kind = ElementwiseKind::Max;
            return addOperands({max.getInput1(), max.getInput2()});
          })
          .Case([&](tosa::ExpOp exp) {
            elementwise.kind = ElementwiseKind::Exp;
            return addOperands({exp.getInput1()});
          })
          .Case([&](tosa::ReciprocalOp reciprocal) {
            // 1 / x, stated as a division by the operand.
            elementwise.kind = ElementwiseKind::Div;
            ElementwiseOperand one;
            one.scalar = 1.0;
            elementwise.operands.push_back(one);
            return addOperands({reciprocal.getInput1()});
          })
          .Case([&](tosa::RsqrtOp rsqrt) {
            elementwise.kind = ElementwiseKind::Rsqrt;
            return addOperands({rsqrt.getInput1()});
          })
          .Case([&](tosa::IdentityOp identity) {
            elementwise.kind = ElementwiseKind::Copy;
            return addOperands({identity.getInput1()});
          })
          .Case([&](tosa::CastOp cast) {
            elementwise.kind = ElementwiseKind::Cast;
            return addOperands({cast.getInput()});
          })
          .Default([](Operation *) { return false; });
  if (!ok)
    return std::nullopt;
  return elementwise;
}

std::optional<Elementwise> matchGenericElementwise(linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1 || generic.getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0)
    return std::nullopt;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!maps.back().isIdentity())
    return std::nullopt;

  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return std::nullopt;
  Value yielded = yield.getOperand(0);
  unsigned numInputs = generic.getNumDpsInputs();

  Elementwise elementwise;
  elementwise.op = generic;
  elementwise.result = generic.getResult(0);
  auto addOperand = [&](Value value) {
    ElementwiseOperand operand;
    if (auto arg = dyn_cast<BlockArgument>(value);
        arg && arg.getOwner() == &body) {
      if (arg.getArgNumber() >= numInputs)
        return false;
      operand.tensor = generic.getDpsInputs()[arg.getArgNumber()];
      operand.map = maps[arg.getArgNumber()];
    } else {
      operand.scalar = bodyScalar(value);
      if (!operand.scalar)
        return false;
    }
    elementwise.operands.push_back(operand);
    return true;
  };

  // A plain yield of an input is a copy, possibly through a broadcasting or
  // permuting map.
  if (!yielded.getDefiningOp() || yielded.getDefiningOp()->getBlock() != &body) {
    elementwise.kind = ElementwiseKind::Copy;
    if (!addOperand(yielded) || !elementwise.operands[0].tensor)
      return std::nullopt;
    return elementwise;
  }

  // Otherwise the body is one scalar op and the yield, plus any constants
  // it reads.
  auto isConstant = [](Operation &bodyOp) { return isa<arith::ConstantOp>(bodyOp); };
  if (body.getOperations().size() - llvm::count_if(body, isConstant) != 2)
    return std::nullopt;
  Operation *scalarOp = yielded.getDefiningOp();
  elementwise.kind =
      llvm::TypeSwitch<Operation *, ElementwiseKind>(scalarOp)
          .Case<arith::AddFOp>([](auto) { return ElementwiseKind::Add; })
          .Case<arith::SubFOp>([](auto) { return ElementwiseKind::Sub; })
          .Case<arith::MulFOp>([](auto) { return ElementwiseKind::Mul; })
          .Case<arith::DivFOp>([](auto) { return ElementwiseKind::Div; })
          .Case<arith::MaximumFOp, arith::MaxNumFOp>(
              [](auto) { return ElementwiseKind::Max; })
          .Case<math::ExpOp>([](auto) { return ElementwiseKind::Exp; })
          .Case<math::SqrtOp>([](auto) { return ElementwiseKind::Sqrt; })
          .Case<math::RsqrtOp>([](auto) { return ElementwiseKind::Rsqrt; })
          .Case<arith::ExtFOp, arith::TruncFOp>(
              [](auto) { return ElementwiseKind::Cast; })
          .Default([](Operation *) { return ElementwiseKind::Other; });
  if (elementwise.kind == ElementwiseKind::Other)
    return std::nullopt;
  for (Value operand : scalarOp->getOperands())
    if (!addOperand(operand))
      return std::nullopt;
  return elementwise;
}

/// Returns the reduction kind of a combiner op reading `in` and `out`.
std::optional<ReductionKind> combinerKind(Block &body) {
  if (body.getOperations().size() != 2)
    return std::nullopt;
  Operation *combiner = &body.front();
  if (combiner->getNumOperands() != 2 ||
      !llvm::all_of(combiner->getOperands(), [&](Value value) {
        auto arg = dyn_cast<BlockArgument>(value);
        return arg && arg.getOwner() == &body;
      }))
    return std::nullopt;
  if (combiner->getOperand(0) == combiner->getOperand(1))
    return std::nullopt;
  if (isa<arith::AddFOp>(combiner))
    return ReductionKind::Sum;
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner))
    return ReductionKind::Max;
  return std::nullopt;
}

} // namespace

std::optional<Contraction> mlir::lapa::raise::matchContraction(Operation *op) {
  Contraction contraction;
  contraction.op = op;
  if (auto matmul = dyn_cast<tosa::MatMulOp>(op)) {
    contraction.lhs = matmul.getA();
    contraction.rhs = matmul.getB();
    contraction.result = matmul.getResult();
    contraction.lhsBatch = {0};
    contraction.rhsBatch = {0};
    contraction.resultBatch = {0};
    contraction.lhsFree = 1;
    contraction.lhsReduced = 2;
    contraction.rhsFree = 2;
    contraction.rhsReduced = 1;
    contraction.resultLhsFree = 1;
    contraction.resultRhsFree = 2;
    return contraction;
  }

  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumDpsInputs() != 2 ||
      linalgOp.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      !linalg::isaContractionOpInterface(linalgOp))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(linalgOp);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1)
    return std::nullopt;
  if (!isZeroInit(linalgOp.getDpsInits()[0]))
    return std::nullopt;

  SmallVector<AffineMap> maps = linalgOp.getIndexingMapsArray();
  contraction.lhs = linalgOp.getDpsInputs()[0];
  contraction.rhs = linalgOp.getDpsInputs()[1];
  contraction.result = op->getResult(0);
  contraction.lhsFree = operandDimOfLoop(maps[0], dims->m[0]);
  contraction.lhsReduced = operandDimOfLoop(maps[0], dims->k[0]);
  contraction.rhsFree = operandDimOfLoop(maps[1], dims->n[0]);
  contraction.rhsReduced = operandDimOfLoop(maps[1], dims->k[0]);
  contraction.resultLhsFree = operandDimOfLoop(maps[2], dims->m[0]);
  contraction.resultRhsFree = operandDimOfLoop(maps[2], dims->n[0]);
  // Batch dimensions in the order the result lists them.
  for (AffineExpr expr : maps[2].getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || !llvm::is_contained(dims->batch, dim.getPosition()))
      continue;
    contraction.resultBatch.push_back(
        operandDimOfLoop(maps[2], dim.getPosition()));
    contraction.lhsBatch.push_back(operandDimOfLoop(maps[0], dim.getPosition()));
    contraction.rhsBatch.push_back(operandDimOfLoop(maps[1], dim.getPosition()));
  }
  if (contraction.resultBatch.size() != dims->batch.size() ||
      llvm::is_contained(contraction.lhsBatch, -1) ||
      llvm::is_contained(contraction.rhsBatch, -1) ||
      contraction.lhsFree < 0 || contraction.lhsReduced < 0 ||
      contraction.rhsFree < 0 || contraction.rhsReduced < 0 ||
      contraction.resultLhsFree < 0 || contraction.resultRhsFree < 0)
    return std::nullopt;
  // Every operand dimension must be one of the roles above.
  auto rank = [](Value value) { return cast<ShapedType>(value.getType()).getRank(); };
  int64_t batch = contraction.resultBatch.size();
  if (rank(contraction.lhs) != batch + 2 || rank(contraction.rhs) != batch + 2 ||
      rank(contraction.result) != batch + 2)
    return std::nullopt;
  return contraction;
}

std::optional<Elementwise> mlir::lapa::raise::matchElementwise(Operation *op) {
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    return matchGenericElementwise(generic);
  if (isa<tosa::TosaDialect>(op->getDialect()))
    return matchTosaElementwise(op);
  return std::nullopt;
}

std::optional<Reduction> mlir::lapa::raise::matchReduction(Operation *op) {
  Reduction reduction;
  reduction.op = op;
  if (auto sum = dyn_cast<tosa::ReduceSumOp>(op)) {
    reduction.kind = ReductionKind::Sum;
    reduction.input = sum.getInput();
    reduction.dims = {static_cast<int64_t>(sum.getAxis())};
    return reduction;
  }
  if (auto max = dyn_cast<tosa::ReduceMaxOp>(op)) {
    reduction.kind = ReductionKind::Max;
    reduction.input = max.getInput();
    reduction.dims = {static_cast<int64_t>(max.getAxis())};
    return reduction;
  }
  if (auto reduce = dyn_cast<linalg::ReduceOp>(op)) {
    if (reduce.getInputs().size() != 1)
      return std::nullopt;
    std::optional<ReductionKind> kind = combinerKind(reduce.getCombiner().front());
    if (!kind)
      return std::nullopt;
    reduction.kind = *kind;
    reduction.input = reduce.getInputs()[0];
    reduction.dims.assign(reduce.getDimensions().begin(),
                          reduce.getDimensions().end());
    return reduction;
  }
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || generic.getNumReductionLoops() == 0)
    return std::nullopt;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!maps[0].isIdentity() || !maps[1].isProjectedPermutation())
    return std::nullopt;
  std::optional<ReductionKind> kind = combinerKind(generic.getRegion().front());
  if (!kind)
    return std::nullopt;
  reduction.kind = *kind;
  reduction.input = generic.getDpsInputs()[0];
  for (auto [index, type] : llvm::enumerate(generic.getIteratorTypesArray()))
    if (type == utils::IteratorType::reduction)
      reduction.dims.push_back(index);
  return reduction;
}

std::optional<View> mlir::lapa::raise::matchView(Operation *op) {
  View view;
  view.op = op;
  auto identity = [&](Value source) {
    view.source = source;
    int64_t rank = cast<ShapedType>(source.getType()).getRank();
    for (int64_t i = 0; i < rank; ++i)
      view.sourceDim.push_back(i);
  };
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tosa::ReshapeOp>(op)) {
    view.source = op->getOperand(0);
    view.isReshape = true;
    return view;
  }
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
    view.source = transpose.getInput();
    view.sourceDim.assign(transpose.getPermutation().begin(),
                          transpose.getPermutation().end());
    return view;
  }
  if (auto transpose = dyn_cast<tosa::TransposeOp>(op)) {
    view.source = transpose.getInput1();
    for (int32_t perm : transpose.getPerms())
      view.sourceDim.push_back(perm);
    return view;
  }
  if (isa<tosa::IdentityOp, tensor::CastOp>(op)) {
    identity(op->getOperand(0));
    return view;
  }
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1)
    return std::nullopt;
  std::optional<Elementwise> copy = matchGenericElementwise(generic);
  if (!copy || copy->kind != ElementwiseKind::Copy)
    return std::nullopt;
  AffineMap map = copy->operands[0].map;
  if (!map.isPermutation())
    return std::nullopt;
  view.source = copy->operands[0].tensor;
  view.sourceDim.assign(map.getNumDims(), -1);
  for (auto [sourceDim, expr] : llvm::enumerate(map.getResults()))
    view.sourceDim[cast<AffineDimExpr>(expr).getPosition()] = sourceDim;
  return view;
}

std::optional<double>
mlir::lapa::raise::scalarOf(const ElementwiseOperand &operand) {
  if (operand.scalar)
    return operand.scalar;
  return getScalarConstant(operand.tensor);
}

std::optional<double> mlir::lapa::raise::getScalarConstant(Value value,
                                                          int depth) {
  if (!value || depth <= 0)
    return std::nullopt;
  FloatAttr floatAttr;
  if (matchPattern(value, m_Constant(&floatAttr)))
    return floatAttr.getValueAsDouble();
  DenseElementsAttr dense;
  if (matchPattern(value, m_Constant(&dense)) && dense.isSplat() &&
      isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().convertToDouble();

  Operation *op = value.getDefiningOp();
  if (!op)
    return std::nullopt;
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return getScalarConstant(fill.getInputs()[0], depth - 1);
  if (auto broadcast = dyn_cast<linalg::BroadcastOp>(op))
    return getScalarConstant(broadcast.getInput(), depth - 1);
  if (std::optional<View> view = matchView(op))
    return getScalarConstant(view->source, depth - 1);
  std::optional<Elementwise> elementwise = matchElementwise(op);
  if (!elementwise)
    return std::nullopt;
  SmallVector<double, 2> values;
  for (const ElementwiseOperand &operand : elementwise->operands) {
    std::optional<double> scalar =
        operand.scalar ? operand.scalar
                       : getScalarConstant(operand.tensor, depth - 1);
    if (!scalar)
      return std::nullopt;
    values.push_back(*scalar);
  }
  switch (elementwise->kind) {
  case ElementwiseKind::Copy:
  case ElementwiseKind::Cast:
    return values[0];
  case ElementwiseKind::Add:
    return values[0] + values[1];
  case ElementwiseKind::Sub:
    return values[0] - values[1];
  case ElementwiseKind::Mul:
    return values[0] * values[1];
  case ElementwiseKind::Div:
    return values[0] / values[1];
  case ElementwiseKind::Sqrt:
    return std::sqrt(values[0]);
  case ElementwiseKind::Rsqrt:
    return 1.0 / std::sqrt(values[0]);
  default:
    return std::nullopt;
  }
}

SmallVector<int64_t> mlir::lapa::raise::mapReshapeDims(ArrayRef<int64_t> source,
                                                       ArrayRef<int64_t> result) {
  SmallVector<int64_t> mapping(source.size(), -1);
  bool collapsing = source.size() >= result.size();
  ArrayRef<int64_t> wide = collapsing ? source : result;
  ArrayRef<int64_t> narrow = collapsing ? result : source;
  std::optional<SmallVector<ReassociationIndices>> groups =
      getReassociationIndicesForCollapse(wide, narrow);
  if (!groups)
    return mapping;
  for (auto [narrowDim, group] : llvm::enumerate(*groups)) {
    // The group maps one-to-one when it has exactly one non-unit dimension
    // and that dimension keeps its size.
    SmallVector<int64_t> nonUnit;
    for (int64_t wideDim : group)
      if (wide[wideDim] != 1)
        nonUnit.push_back(wideDim);
    if (nonUnit.size() != 1 || wide[nonUnit[0]] != narrow[narrowDim])
      continue;
    if (collapsing)
      mapping[nonUnit[0]] = narrowDim;
    else
      mapping[narrowDim] = nonUnit[0];
  }
  return mapping;
}
