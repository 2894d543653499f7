//===- DecomposeAttention.cpp - lapa.attention as linalg ------------------===//
//
// Rewrites lapa.attention into linalg.generic ops on tensors that compute
// its definition step by step, so that upstream pipelines can run it.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPADECOMPOSEATTENTION
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;
using namespace mlir::lapa;

namespace {

using utils::IteratorType;

/// Returns a constant-filled tensor of `sizes` (static or dynamic).
Value filledTensor(OpBuilder &builder, Location loc,
                   ArrayRef<OpFoldResult> sizes, Type elementType,
                   double value) {
  Value empty = tensor::EmptyOp::create(builder, loc, sizes, elementType);
  Value constant = arith::ConstantOp::create(
      builder, loc, builder.getFloatAttr(elementType, value));
  return linalg::FillOp::create(builder, loc, constant, empty).getResult(0);
}

struct DecomposeAttention : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    auto queryType = op.getQuery().getType();
    auto keyType = op.getKey().getType();
    // The head counts fix the key/value head of each query head in the
    // indexing maps; every other size may be dynamic.
    if (queryType.isDynamicDim(1) || keyType.isDynamicDim(1))
      return rewriter.notifyMatchFailure(op, "dynamic head counts");
    Type elementType = queryType.getElementType();
    auto sizeOf = [&](Value value, int64_t dim) -> OpFoldResult {
      auto type = cast<RankedTensorType>(value.getType());
      if (!type.isDynamicDim(dim))
        return rewriter.getIndexAttr(type.getDimSize(dim));
      return tensor::DimOp::create(rewriter, loc, value, dim).getResult();
    };
    OpFoldResult batch = sizeOf(op.getQuery(), 0);
    OpFoldResult heads = sizeOf(op.getQuery(), 1);
    OpFoldResult queries = sizeOf(op.getQuery(), 2);
    OpFoldResult keys = sizeOf(op.getKey(), 2);
    int64_t group = queryType.getDimSize(1) / keyType.getDimSize(1);
    OpFoldResult valueFeature = sizeOf(op.getValue(), 3);

    // Loops (b, h, i, j, d). The key/value head of query head h is h / group.
    AffineExpr b, h, i, j, d;
    bindDims(context, b, h, i, j, d);
    AffineExpr kvHead = h.floorDiv(group);
    auto map5 = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(5, 0, exprs, context);
    };
    auto map4 = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(4, 0, exprs, context);
    };

    // S = scale * Q . K^T, accumulated from zero.
    SmallVector<OpFoldResult> scoreShape = {batch, heads, queries, keys};
    Value scoreInit = filledTensor(rewriter, loc, scoreShape, elementType, 0.0);
    Value scale = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getFloatAttr(elementType, op.getScale().convertToDouble()));
    SmallVector<IteratorType> contractIterators = {
        IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
        IteratorType::parallel, IteratorType::reduction};
    Value scores =
        linalg::GenericOp::create(
            rewriter, loc, scoreInit.getType(),
            ValueRange{op.getQuery(), op.getKey()}, ValueRange{scoreInit},
            ArrayRef<AffineMap>{map5({b, h, i, d}), map5({b, kvHead, j, d}),
                                map5({b, h, i, j})},
            contractIterators,
            [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
              Value product =
                  arith::MulFOp::create(nested, nestedLoc, args[0], args[1]);
              Value scaled =
                  arith::MulFOp::create(nested, nestedLoc, product, scale);
              Value sum = arith::AddFOp::create(nested, nestedLoc, scaled, args[2]);
              linalg::YieldOp::create(nested, nestedLoc, sum);
            })
            .getResult(0);

    // The additive mask, read through a broadcasting map, and the causal
    // mask: -inf where j > i + Skv - Sq.
    AffineExpr mb, mh, mi, mj;
    bindDims(context, mb, mh, mi, mj);
    SmallVector<Value> maskInputs = {scores};
    SmallVector<AffineMap> maskMaps = {map4({mb, mh, mi, mj})};
    if (Value mask = op.getMask()) {
      auto maskType = cast<RankedTensorType>(mask.getType());
      SmallVector<AffineExpr> exprs;
      AffineExpr all[4] = {mb, mh, mi, mj};
      int64_t offset = 4 - maskType.getRank();
      for (int64_t k = 0; k < maskType.getRank(); ++k)
        exprs.push_back(maskType.getDimSize(k) == 1 &&
                                getConstantIntValue(scoreShape[offset + k]) !=
                                    std::optional<int64_t>(1)
                            ? getAffineConstantExpr(0, context)
                            : all[offset + k]);
      maskInputs.push_back(mask);
      maskMaps.push_back(map4(exprs));
    }
    maskMaps.push_back(map4({mb, mh, mi, mj}));
    bool causal = op.getCausal();
    // Row i sees keys up to i + Skv - Sq.
    Value shift;
    if (causal) {
      std::optional<int64_t> k = getConstantIntValue(keys);
      std::optional<int64_t> q = getConstantIntValue(queries);
      shift = k && q ? arith::ConstantIndexOp::create(rewriter, loc, *k - *q)
                           .getResult()
                     : arith::SubIOp::create(
                           rewriter, loc,
                           getValueOrCreateConstantIndexOp(rewriter, loc, keys),
                           getValueOrCreateConstantIndexOp(rewriter, loc, queries))
                           .getResult();
    }
    SmallVector<IteratorType> parallel4(4, IteratorType::parallel);
    Value masked = scores;
    if (op.getMask() || causal) {
      Value empty = tensor::EmptyOp::create(rewriter, loc, scoreShape, elementType);
      masked =
          linalg::GenericOp::create(
              rewriter, loc, empty.getType(), maskInputs, ValueRange{empty},
              maskMaps, parallel4,
              [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                Value value = args[0];
                if (op.getMask())
                  value = arith::AddFOp::create(nested, nestedLoc, value, args[1]);
                if (causal) {
                  Value row = linalg::IndexOp::create(nested, nestedLoc, 2);
                  Value column = linalg::IndexOp::create(nested, nestedLoc, 3);
                  Value last = arith::AddIOp::create(nested, nestedLoc, row, shift);
                  Value hidden = arith::CmpIOp::create(
                      nested, nestedLoc, arith::CmpIPredicate::sgt, column, last);
                  Value minusInf = arith::ConstantOp::create(
                      nested, nestedLoc,
                      nested.getFloatAttr(elementType,
                                          -std::numeric_limits<double>::infinity()));
                  value = arith::SelectOp::create(nested, nestedLoc, hidden,
                                                  minusInf, value);
                }
                linalg::YieldOp::create(nested, nestedLoc, value);
              })
              .getResult(0);
    }

    // Softmax over j: max, exp(s - max), sum, divide.
    SmallVector<OpFoldResult> rowShape = {batch, heads, queries};
    SmallVector<IteratorType> rowIterators = {
        IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
        IteratorType::reduction};
    AffineMap full = map4({mb, mh, mi, mj});
    AffineMap row = map4({mb, mh, mi});
    // Reduces the rows of `input` over j with `combine`, from `initial`.
    auto reduceRows = [&](Value input, double initial, auto combine) {
      Value init = filledTensor(rewriter, loc, rowShape, elementType, initial);
      return linalg::GenericOp::create(
                 rewriter, loc, init.getType(), ValueRange{input},
                 ValueRange{init}, ArrayRef<AffineMap>{full, row}, rowIterators,
                 [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                   Value combined = combine(nested, nestedLoc, args[0], args[1]);
                   linalg::YieldOp::create(nested, nestedLoc, combined);
                 })
          .getResult(0);
    };
    Value rowMax = reduceRows(
        masked, -std::numeric_limits<double>::infinity(),
        [](OpBuilder &nested, Location nestedLoc, Value a, Value b) -> Value {
          return arith::MaximumFOp::create(nested, nestedLoc, a, b);
        });
    Value expEmpty = tensor::EmptyOp::create(rewriter, loc, scoreShape, elementType);
    Value exps =
        linalg::GenericOp::create(
            rewriter, loc, expEmpty.getType(), ValueRange{masked, rowMax},
            ValueRange{expEmpty}, ArrayRef<AffineMap>{full, row, full}, parallel4,
            [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
              // A row without a visible key has maximum -inf; subtracting 0
              // instead keeps its exponentials at 0 rather than NaN.
              Value minusInf = arith::ConstantOp::create(
                  nested, nestedLoc,
                  nested.getFloatAttr(elementType,
                                      -std::numeric_limits<double>::infinity()));
              Value zero = arith::ConstantOp::create(
                  nested, nestedLoc, nested.getFloatAttr(elementType, 0.0));
              Value empty = arith::CmpFOp::create(
                  nested, nestedLoc, arith::CmpFPredicate::OEQ, args[1], minusInf);
              Value rowMax =
                  arith::SelectOp::create(nested, nestedLoc, empty, zero, args[1]);
              Value shifted = arith::SubFOp::create(nested, nestedLoc, args[0], rowMax);
              Value exp = math::ExpOp::create(nested, nestedLoc, shifted);
              linalg::YieldOp::create(nested, nestedLoc, exp);
            })
            .getResult(0);
    Value rowSum = reduceRows(
        exps, 0.0,
        [](OpBuilder &nested, Location nestedLoc, Value a, Value b) -> Value {
          return arith::AddFOp::create(nested, nestedLoc, a, b);
        });
    Value probsEmpty = tensor::EmptyOp::create(rewriter, loc, scoreShape, elementType);
    Value probs =
        linalg::GenericOp::create(
            rewriter, loc, probsEmpty.getType(), ValueRange{exps, rowSum},
            ValueRange{probsEmpty}, ArrayRef<AffineMap>{full, row, full}, parallel4,
            [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
              // A row without a visible key sums to 0 and yields zeros.
              Value zero = arith::ConstantOp::create(
                  nested, nestedLoc, nested.getFloatAttr(elementType, 0.0));
              Value empty = arith::CmpFOp::create(
                  nested, nestedLoc, arith::CmpFPredicate::OEQ, args[1], zero);
              Value quotient =
                  arith::DivFOp::create(nested, nestedLoc, args[0], args[1]);
              Value probability =
                  arith::SelectOp::create(nested, nestedLoc, empty, zero, quotient);
              linalg::YieldOp::create(nested, nestedLoc, probability);
            })
            .getResult(0);

    // O = P . V over j; loops (b, h, i, j, c) with c in place of d.
    SmallVector<OpFoldResult> outputShape = {batch, heads, queries, valueFeature};
    Value outputInit = filledTensor(rewriter, loc, outputShape, elementType, 0.0);
    Value output =
        linalg::GenericOp::create(
            rewriter, loc, outputInit.getType(), ValueRange{probs, op.getValue()},
            ValueRange{outputInit},
            ArrayRef<AffineMap>{map5({b, h, i, j}), map5({b, kvHead, j, d}),
                                map5({b, h, i, d})},
            SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                      IteratorType::parallel, IteratorType::reduction,
                                      IteratorType::parallel},
            [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
              Value product =
                  arith::MulFOp::create(nested, nestedLoc, args[0], args[1]);
              Value sum = arith::AddFOp::create(nested, nestedLoc, product, args[2]);
              linalg::YieldOp::create(nested, nestedLoc, sum);
            })
            .getResult(0);
    rewriter.replaceOp(op, output);
    return success();
  }
};

struct LapaDecomposeAttentionPass
    : public mlir::lapa::impl::LapaDecomposeAttentionBase<
          LapaDecomposeAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeAttention>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // An attention left over has dynamic head counts, which the indexing
    // maps cannot express.
    WalkResult result = getOperation()->walk([](AttentionOp op) {
      op.emitOpError() << "was not decomposed: its head counts must be static";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
