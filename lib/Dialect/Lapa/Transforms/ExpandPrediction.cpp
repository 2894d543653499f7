//===- ExpandPrediction.cpp - Spell out the LAPA flow as dialect ops ------===//
//
// Rewrites a predicted lapa.attention and its tagged key and value
// projections into quantization, K-hat, score prediction, selection,
// sparse projections and sparse attention. See the pass description.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "lapa/Predict/PredictorConfig.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPAEXPANDPREDICTION
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;
using namespace mlir::lapa;

namespace {

/// Returns the tagged projection of `role` for attention `index`, or null.
linalg::MatmulOp findProjection(func::FuncOp func, int64_t index,
                                StringRef role) {
  linalg::MatmulOp found;
  func.walk([&](linalg::MatmulOp op) {
    auto attr = op->getAttrOfType<IntegerAttr>("lapa.attention_index");
    auto tag = op->getAttrOfType<StringAttr>("lapa.projection");
    if (attr && tag && attr.getInt() == index && tag.getValue() == role)
      found = op;
  });
  return found;
}

/// Returns whether the matmul accumulates into a fill of zero.
bool startsAtZero(linalg::MatmulOp matmul) {
  auto fill = matmul.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  FloatAttr value;
  return matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
         value.getValue().isZero();
}

RankedTensorType withElement(RankedTensorType type, Type element) {
  return RankedTensorType::get(type.getShape(), element);
}

struct ExpandPrediction
    : public ::mlir::lapa::impl::LapaExpandPredictionBase<ExpandPrediction> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<AttentionOp> attentions;
    getOperation().walk([&](AttentionOp op) { attentions.push_back(op); });
    for (AttentionOp attention : attentions) {
      std::string reason;
      if (succeeded(expand(attention, reason))) {
        ++numExpanded;
      } else {
        ++numSkipped;
        attention.emitRemark() << "lapa-expand-prediction left this attention "
                               << "as it is: " << reason;
      }
    }
  }

  LogicalResult expand(AttentionOp attention, std::string &reason);
};

LogicalResult ExpandPrediction::expand(AttentionOp attention,
                                       std::string &reason) {
  func::FuncOp func = getOperation();
  MLIRContext *context = attention.getContext();
  auto predictorAttr =
      attention->getAttrOfType<PredictorAttr>("lapa.predictor");
  auto indexAttr =
      attention->getAttrOfType<IntegerAttr>("lapa.attention_index");
  if (!predictorAttr || !indexAttr) {
    reason = "it has no lapa.predictor and lapa.attention_index; run "
             "lapa-raise-attention and lapa-insert-prediction first";
    return failure();
  }
  ::lapa::predict::PredictorConfig config = predictorAttr.getConfig();
  if (config.scheme != ::lapa::predict::Scheme::Lapa &&
      config.scheme != ::lapa::predict::Scheme::Sofa) {
    reason = "its scheme is " +
             std::string(::lapa::predict::schemeName(config.scheme)) +
             ", and the expansion covers the ALOC schemes lapa and sofa";
    return failure();
  }
  if (config.select != ::lapa::predict::SelectMode::TopK) {
    reason = "its selection is a threshold, whose score scale is only known "
             "at run time; use select=topk";
    return failure();
  }

  // The key and value projections: [R, Hin] x [Hin, N] matmuls.
  int64_t index = indexAttr.getInt();
  linalg::MatmulOp projections[2] = {findProjection(func, index, "key"),
                                     findProjection(func, index, "value")};
  auto query = cast<RankedTensorType>(attention.getQuery().getType());
  auto key = cast<RankedTensorType>(attention.getKey().getType());
  if (!query.hasStaticShape() || !key.hasStaticShape()) {
    reason = "its shapes are dynamic; bound them with lapa-bound-dynamic-dims";
    return failure();
  }
  int64_t batch = key.getDimSize(0), kvHeads = key.getDimSize(1),
          keys = key.getDimSize(2), headDim = key.getDimSize(3);
  for (linalg::MatmulOp projection : projections) {
    if (!projection) {
      reason = "its key or value projection is not a linalg.matmul tagged by "
               "lapa-raise-attention";
      return failure();
    }
    auto lhs = cast<RankedTensorType>(projection.getDpsInputs()[0].getType());
    auto rhs = cast<RankedTensorType>(projection.getDpsInputs()[1].getType());
    if (lhs.getRank() != 2 || rhs.getRank() != 2 || !lhs.hasStaticShape() ||
        !rhs.hasStaticShape() || lhs.getDimSize(0) != batch * keys ||
        rhs.getDimSize(1) != kvHeads * headDim ||
        !isa<FloatType>(lhs.getElementType()) || !startsAtZero(projection)) {
      reason = "a key or value projection is not a static [batch x tokens, "
               "Hin] x [Hin, heads x head dim] float matmul accumulating into "
               "zeros";
      return failure();
    }
  }

  // Everything from the projections to the attention moves after the
  // prediction, which reads the queries. No value on that path may have a
  // user before the attention outside the path.
  Block *block = attention->getBlock();
  llvm::SetVector<Operation *> path;
  SmallVector<Operation *> worklist;
  for (linalg::MatmulOp projection : projections)
    if (projection->getBlock() == block)
      worklist.push_back(projection);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (op == attention || !path.insert(op))
      continue;
    for (Operation *user : op->getUsers()) {
      Operation *owner = block->findAncestorOpInBlock(*user);
      if (!owner || owner == attention)
        continue;
      if (!owner->isBeforeInBlock(attention)) {
        reason = "a value between a projection and the attention is also "
                 "used after the attention";
        return failure();
      }
      worklist.push_back(owner);
    }
  }
  // K-hat would need the keys' rotary embedding too, which the expansion
  // does not reproduce.
  for (Operation *op : path)
    if (auto tag = op->getAttrOfType<StringAttr>("lapa.layer"))
      if (tag.getValue() == "rotary_embedding") {
        reason = "its keys get a rotary embedding, which K-hat would need as "
                 "well; the expansion does not apply it";
        return failure();
      }
  if (llvm::is_contained(path, attention.getQuery().getDefiningOp())) {
    reason = "the queries depend on the key or value projection";
    return failure();
  }
  SmallVector<Operation *> ordered(path.begin(), path.end());
  llvm::sort(ordered, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  // The queries and the projections' inputs must come before the moved
  // ops' new place, which is just before the attention.
  for (Operation *op : ordered)
    op->moveBefore(attention);

  OpBuilder builder(ordered.empty() ? attention.getOperation() : ordered.front());
  Location loc = attention.getLoc();
  Type f32 = builder.getF32Type();
  auto intType = [&](unsigned width) {
    return builder.getIntegerType(width);
  };

  // 1. K-hat from the key projection's input and log-coded weight.
  linalg::MatmulOp keyProjection = projections[0];
  Value x = keyProjection.getDpsInputs()[0];
  Value wk = keyProjection.getDpsInputs()[1];
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(wk.getType());
  int64_t rows = xType.getDimSize(0), hin = xType.getDimSize(1),
          columns = wType.getDimSize(1);
  auto xq = QuantizeDynamicOp::create(
      builder, loc, withElement(xType, intType(8)),
      RankedTensorType::get({rows}, f32), x, builder.getI64IntegerAttr(1));
  auto wq = QuantizeDynamicOp::create(
      builder, loc, withElement(wType, intType(8)),
      RankedTensorType::get({columns}, f32), wk, builder.getI64IntegerAttr(0));
  auto wlog = LogEncodeOp::create(
      builder, loc, withElement(wType, LogCodeType::get(context, 8)),
      wq.getResult());
  auto khatAcc = PredictKeysOp::create(
      builder, loc, RankedTensorType::get({rows, columns}, intType(32)),
      xq.getResult(), wlog.getResult());
  // |term| <= 127 * 2^6, summed over Hin terms, plus the sign bit.
  double bound = 127.0 * 64.0 * double(hin);
  int64_t accBits = int64_t(std::ceil(std::log2(bound + 1.0))) + 1;
  int64_t shift = std::max<int64_t>(0, accBits - int64_t(config.keyBits));
  auto khat = RequantizeOp::create(
      builder, loc, RankedTensorType::get({rows, columns}, intType(config.keyBits)),
      khatAcc.getResult(), builder.getI64IntegerAttr(shift));
  // [B*S, Hkv*D] -> [B, S, Hkv, D] -> [B, Hkv, S, D].
  auto split = tensor::ExpandShapeOp::create(
      builder, loc,
      RankedTensorType::get({batch, keys, kvHeads, headDim},
                            intType(config.keyBits)),
      khat.getResult(), ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
  auto headsInit = tensor::EmptyOp::create(
      builder, loc, ArrayRef<int64_t>{batch, kvHeads, keys, headDim},
      intType(config.keyBits));
  auto khatHeads = linalg::TransposeOp::create(
      builder, loc, split.getResult(), headsInit.getResult(),
      ArrayRef<int64_t>{0, 2, 1, 3});

  // 2. Queries per row to query_bits, log-coded; scores and selection.
  Value q = attention.getQuery();
  SmallVector<int64_t> rowShape(query.getShape().drop_back());
  auto qq = QuantizeDynamicOp::create(
      builder, loc, withElement(query, intType(config.queryBits)),
      RankedTensorType::get(rowShape, f32), q,
      builder.getI64IntegerAttr(query.getRank() - 1));
  auto qlog = LogEncodeOp::create(
      builder, loc,
      withElement(query, LogCodeType::get(context, config.queryBits)),
      qq.getResult());
  int64_t heads = query.getDimSize(1), queries = query.getDimSize(2);
  unsigned scoreWidth = 32;
  for (unsigned bits : config.accumulatorBits)
    scoreWidth = std::max(scoreWidth, bits > 32 ? 64u : 32u);
  auto scores = PredictScoresOp::create(
      builder, loc,
      RankedTensorType::get({batch, heads, queries, keys}, intType(scoreWidth)),
      RankedTensorType::get({batch, heads, queries, keys}, builder.getI1Type()),
      qlog.getResult(), khatHeads.getResult()[0], predictorAttr,
      attention.getCausalAttr());
  int64_t keptKeys = int64_t(std::ceil(config.keepRatio * double(keys)));
  keptKeys = std::max<int64_t>(1, std::min<int64_t>(keptKeys, keys));
  auto select = SelectOp::create(
      builder, loc,
      RankedTensorType::get({batch, heads, queries, keptKeys}, intType(32)),
      RankedTensorType::get({batch, kvHeads, keys}, builder.getI1Type()),
      scores.getScores(), scores.getCandidates(), predictorAttr,
      /*score_scale=*/FloatAttr(), attention.getCausalAttr());

  // 3. Sparse projections in place of the matmuls, then sparse attention.
  for (linalg::MatmulOp projection : projections) {
    OpBuilder at(projection);
    Value input = projection.getDpsInputs()[0];
    Value weight = projection.getDpsInputs()[1];
    auto resultType = cast<RankedTensorType>(projection->getResult(0).getType());
    Value result;
    if (batch == 1) {
      result = SparseProjectOp::create(at, projection.getLoc(), resultType,
                                       input, weight, select.getNeeded());
    } else {
      auto inputType = cast<RankedTensorType>(input.getType());
      auto batched = tensor::ExpandShapeOp::create(
          at, projection.getLoc(),
          RankedTensorType::get({batch, keys, inputType.getDimSize(1)},
                                inputType.getElementType()),
          input, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
      auto sparse = SparseProjectOp::create(
          at, projection.getLoc(),
          RankedTensorType::get({batch, keys, resultType.getDimSize(1)},
                                resultType.getElementType()),
          batched.getResult(), weight, select.getNeeded());
      result = tensor::CollapseShapeOp::create(
                   at, projection.getLoc(), resultType, sparse.getResult(),
                   ArrayRef<ReassociationIndices>{{0, 1}, {2}})
                   .getResult();
    }
    projection->getResult(0).replaceAllUsesWith(result);
    projection->erase();
  }
  builder.setInsertionPoint(attention);
  auto sparse = SparseAttentionOp::create(
      builder, loc, attention.getResult().getType(), attention.getQuery(),
      attention.getKey(), attention.getValue(), select.getSelection(),
      attention.getMask(), attention.getScaleAttr());
  sparse->setAttr("lapa.attention_index", indexAttr);
  sparse->setAttr("lapa.predictor", predictorAttr);
  attention.getResult().replaceAllUsesWith(sparse.getResult());
  attention->erase();
  return success();
}

} // namespace
