//===- ExpandPrediction.cpp - Spell out the LAPA flow as dialect ops ------===//
//
// Rewrites a predicted lapa.attention and its tagged key and value
// projections into quantization, K-hat, score prediction, selection,
// sparse projections and sparse attention. See the pass description.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "PredictorOptions.h"

#include "lapa/Predict/PredictorConfig.h"

#include "mlir/IR/IRMapping.h"
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
    if (!predictor.empty() || !layerPredictors.empty()) {
      // Without `predictor`, the attributes stay the default of the layers
      // that `layer-predictors` does not name.
      llvm::Expected<PredictorChoice> choice = parsePredictorOptions(
          predictor.empty() ? StringRef("dense") : StringRef(predictor),
          layerPredictors);
      if (!choice) {
        getOperation().emitError() << llvm::toString(choice.takeError());
        return signalPassFailure();
      }
      for (AttentionOp attention : attentions) {
        int64_t index = -1;
        if (auto attr = attention->getAttrOfType<IntegerAttr>(
                "lapa.attention_index"))
          index = attr.getInt();
        if (predictor.empty() && !choice->perLayer.count(index))
          continue;
        attention->setAttr("lapa.predictor",
                           PredictorAttr::fromConfig(&getContext(),
                                                     choice->forIndex(index)));
      }
    }
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
  /// Expands an attention whose predictor scores the computed keys
  /// (FACT, Sanger, Energon, the oracle).
  LogicalResult expandPeer(AttentionOp attention, PredictorAttr predictorAttr,
                           IntegerAttr indexAttr, std::string &reason);
};

/// Builds `sparse_attention` over `selection` in place of `attention`.
void replaceWithSparse(OpBuilder &builder, AttentionOp attention,
                       Value selection, PredictorAttr predictorAttr,
                       IntegerAttr indexAttr) {
  builder.setInsertionPoint(attention);
  auto sparse = SparseAttentionOp::create(
      builder, attention.getLoc(), attention.getResult().getType(),
      attention.getQuery(), attention.getKey(), attention.getValue(),
      selection, attention.getMask(), attention.getScaleAttr());
  sparse->setAttr("lapa.attention_index", indexAttr);
  sparse->setAttr("lapa.predictor", predictorAttr);
  attention.getResult().replaceAllUsesWith(sparse.getResult());
  attention->erase();
}

/// Returns the logit scale of every score, `[B, H, Sq, Skv]`:
/// `attention scale * queryScales[b,h,i] * keyScales[b,h/group,j]`, for
/// scores of queries and keys quantized per row.
Value pairScales(OpBuilder &builder, Location loc, Value queryScales,
                 Value keyScales, int64_t keys, double attentionScale) {
  auto queryType = cast<RankedTensorType>(queryScales.getType());
  auto keyType = cast<RankedTensorType>(keyScales.getType());
  int64_t batch = queryType.getDimSize(0), heads = queryType.getDimSize(1),
          queries = queryType.getDimSize(2);
  int64_t group = heads / keyType.getDimSize(1);
  Type f32 = builder.getF32Type();
  MLIRContext *context = builder.getContext();
  auto init = tensor::EmptyOp::create(
      builder, loc, ArrayRef<int64_t>{batch, heads, queries, keys}, f32);
  AffineExpr b = getAffineDimExpr(0, context), h = getAffineDimExpr(1, context),
             i = getAffineDimExpr(2, context), j = getAffineDimExpr(3, context);
  SmallVector<AffineMap> maps = {
      AffineMap::get(4, 0, {b, h, i}, context),
      AffineMap::get(4, 0, {b, h.floorDiv(group), j}, context),
      AffineMap::get(4, 0, {b, h, i, j}, context)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  Value scale = arith::ConstantOp::create(
      builder, loc, builder.getF32FloatAttr(static_cast<float>(attentionScale)));
  auto generic = linalg::GenericOp::create(
      builder, loc, TypeRange{init.getType()},
      ValueRange{queryScales, keyScales}, ValueRange{init.getResult()}, maps,
      iterators, [&](OpBuilder &nested, Location l, ValueRange args) {
        Value value = arith::MulFOp::create(nested, l, args[0], args[1]);
        value = arith::MulFOp::create(nested, l, value, scale);
        linalg::YieldOp::create(nested, l, value);
      });
  return generic.getResult(0);
}

/// Builds the lapa.select of `scores`: the top-k as index lists, or the
/// threshold as a bitmap with the logit scale of every score
/// (`scoreScales`, or for the oracle's float scores the attention scale).
SelectOp buildSelect(OpBuilder &builder, Location loc, AttentionOp attention,
                     PredictorAttr predictorAttr, PredictScoresOp scores,
                     Value scoreScales, int64_t kvHeads) {
  ::lapa::predict::PredictorConfig config = predictorAttr.getConfig();
  auto scoreType = cast<RankedTensorType>(scores.getScores().getType());
  int64_t batch = scoreType.getDimSize(0), heads = scoreType.getDimSize(1),
          queries = scoreType.getDimSize(2), keys = scoreType.getDimSize(3);
  auto needed = RankedTensorType::get({batch, kvHeads, keys},
                                      builder.getI1Type());
  int64_t keptKeys = config.keptKeys(static_cast<unsigned>(keys));
  if (config.select == ::lapa::predict::SelectMode::TopK)
    return SelectOp::create(
        builder, loc,
        RankedTensorType::get({batch, heads, queries, keptKeys},
                              builder.getI32Type()),
        needed, scores.getScores(), scores.getCandidates(),
        /*score_scales=*/Value(), predictorAttr, /*score_scale=*/FloatAttr(),
        attention.getCausalAttr());
  FloatAttr scale;
  if (!scoreScales)
    scale = builder.getF32FloatAttr(
        static_cast<float>(attention.getScaleAttr().getValueAsDouble()));
  return SelectOp::create(
      builder, loc,
      RankedTensorType::get({batch, heads, queries, keys}, builder.getI1Type()),
      needed, scores.getScores(), scores.getCandidates(), scoreScales,
      predictorAttr, scale, attention.getCausalAttr());
}

/// Returns the dequantized K-hat of a [rows, columns] accumulator in f32,
/// `acc[r, c] * rowScales[r] * colScales[c]`.
Value dequantizeOuter(OpBuilder &builder, Location loc, Value acc,
                      Value rowScales, Value colScales) {
  auto type = cast<RankedTensorType>(acc.getType());
  Type f32 = builder.getF32Type();
  MLIRContext *context = builder.getContext();
  auto init = tensor::EmptyOp::create(builder, loc, type.getShape(), f32);
  AffineExpr r = getAffineDimExpr(0, context), c = getAffineDimExpr(1, context);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {r, c}, context),
                                 AffineMap::get(2, 0, {r}, context),
                                 AffineMap::get(2, 0, {c}, context),
                                 AffineMap::get(2, 0, {r, c}, context)};
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      builder, loc, TypeRange{init.getType()},
      ValueRange{acc, rowScales, colScales}, ValueRange{init.getResult()},
      maps, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value value = arith::SIToFPOp::create(b, l, f32, args[0]);
        value = arith::MulFOp::create(b, l, value, args[1]);
        value = arith::MulFOp::create(b, l, value, args[2]);
        linalg::YieldOp::create(b, l, value);
      });
  return generic.getResult(0);
}

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
  switch (config.scheme) {
  case ::lapa::predict::Scheme::Dense:
    reason = "its scheme is dense, which predicts nothing";
    return failure();
  case ::lapa::predict::Scheme::Spatten:
    reason = "its scheme is spatten, which ranks tokens by the attention "
             "probabilities of earlier layers rather than by predicted "
             "scores, and has no stage ops";
    return failure();
  default:
    break;
  }
  if (config.scheme != ::lapa::predict::Scheme::Lapa &&
      config.scheme != ::lapa::predict::Scheme::Sofa)
    return expandPeer(attention, predictorAttr, indexAttr, reason);

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
  // The key path: the ops from the key projection to the attention's key
  // operand. With a rotary embedding on it, K-hat takes the same path (in
  // f32) before the score prediction, as the accelerator does.
  // The ops of `path` that depend on `start`.
  auto reachableFrom = [&](Operation *start) {
    llvm::SetVector<Operation *> reached;
    SmallVector<Operation *> pending = {start};
    while (!pending.empty()) {
      Operation *op = pending.pop_back_val();
      if (!path.contains(op) || !reached.insert(op))
        continue;
      for (Operation *user : op->getUsers())
        if (Operation *owner = block->findAncestorOpInBlock(*user))
          pending.push_back(owner);
    }
    return reached;
  };
  llvm::SetVector<Operation *> fromKey = reachableFrom(projections[0]);
  llvm::SetVector<Operation *> toKey;
  {
    SmallVector<Value> values = {attention.getKey()};
    while (!values.empty()) {
      Operation *op = values.pop_back_val().getDefiningOp();
      if (!op || !fromKey.contains(op) || !toKey.insert(op))
        continue;
      for (Value operand : op->getOperands())
        values.push_back(operand);
    }
  }
  bool rotaryKeys = llvm::any_of(toKey, [](Operation *op) {
    auto tag = op->getAttrOfType<StringAttr>("lapa.layer");
    return tag && tag.getValue() == "rotary_embedding";
  });
  if (config.select == ::lapa::predict::SelectMode::Threshold && !rotaryKeys) {
    reason = "its selection is a threshold, and K-hat narrowed by a shift "
             "keeps the weight's per-channel scales, so a score has no "
             "single logit scale; use select=topk";
    return failure();
  }
  if (rotaryKeys) {
    // The copy of the key path reads K-hat in place of the key projection;
    // it cannot also read what the value projection computes.
    llvm::SetVector<Operation *> fromValue = reachableFrom(projections[1]);
    if (llvm::any_of(toKey, [&](Operation *op) { return fromValue.contains(op); })) {
      reason = "its keys get a rotary embedding and their path also reads "
               "the value projection, so K-hat cannot take that path alone";
      return failure();
    }
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
  Value khatHeads, khatScales;
  if (!rotaryKeys) {
    // |term| <= 127 * 2^6, summed over Hin terms, plus the sign bit.
    double bound = 127.0 * 64.0 * double(hin);
    int64_t accBits = int64_t(std::ceil(std::log2(bound + 1.0))) + 1;
    int64_t shift = std::max<int64_t>(0, accBits - int64_t(config.keyBits));
    auto khat = RequantizeOp::create(
        builder, loc,
        RankedTensorType::get({rows, columns}, intType(config.keyBits)),
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
    khatHeads = linalg::TransposeOp::create(builder, loc, split.getResult(),
                                            headsInit.getResult(),
                                            ArrayRef<int64_t>{0, 2, 1, 3})
                    .getResult()[0];
  } else {
    // Dequantize K-hat with the row and channel scales, send it through a
    // copy of the key path (head split, rotary embedding), and quantize
    // each key row to key_bits.
    Value khatF32 = dequantizeOuter(builder, loc, khatAcc.getResult(),
                                    xq.getScales(), wq.getScales());
    IRMapping mapping;
    mapping.map(keyProjection->getResult(0), khatF32);
    SmallVector<Operation *> keyOps(toKey.begin(), toKey.end());
    llvm::sort(keyOps, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    for (Operation *op : keyOps)
      if (op != keyProjection.getOperation())
        builder.clone(*op, mapping);
    Value rotated = mapping.lookupOrDefault(attention.getKey());
    auto rotatedType = cast<RankedTensorType>(rotated.getType());
    auto khatQuantized = QuantizeDynamicOp::create(
        builder, loc, withElement(rotatedType, intType(config.keyBits)),
        RankedTensorType::get(rotatedType.getShape().drop_back(), f32),
        rotated, builder.getI64IntegerAttr(rotatedType.getRank() - 1));
    khatHeads = khatQuantized.getResult();
    khatScales = khatQuantized.getScales();
  }

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
      qlog.getResult(), khatHeads, predictorAttr,
      attention.getCausalAttr());
  Value scoreScales;
  if (config.select == ::lapa::predict::SelectMode::Threshold)
    scoreScales = pairScales(builder, loc, qq.getScales(), khatScales, keys,
                             attention.getScaleAttr().getValueAsDouble());
  SelectOp select = buildSelect(builder, loc, attention, predictorAttr, scores,
                                scoreScales, kvHeads);

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
  replaceWithSparse(builder, attention, select.getSelection(), predictorAttr,
                    indexAttr);
  return success();
}

LogicalResult ExpandPrediction::expandPeer(AttentionOp attention,
                                           PredictorAttr predictorAttr,
                                           IntegerAttr indexAttr,
                                           std::string &reason) {
  ::lapa::predict::PredictorConfig config = predictorAttr.getConfig();
  auto query = cast<RankedTensorType>(attention.getQuery().getType());
  auto key = cast<RankedTensorType>(attention.getKey().getType());
  if (!query.hasStaticShape() || !key.hasStaticShape()) {
    reason = "its shapes are dynamic; bound them with lapa-bound-dynamic-dims";
    return failure();
  }
  if (!query.getElementType().isF32() || !key.getElementType().isF32()) {
    reason = "its query and key are not f32";
    return failure();
  }
  MLIRContext *context = attention.getContext();
  OpBuilder builder(attention);
  Location loc = attention.getLoc();
  Type f32 = builder.getF32Type();

  // The predictor reads the computed keys, so the K and V projections stay
  // dense: each operand is quantized per row to the width the scheme
  // scores at, and FACT log-codes both.
  // The per-row scales of the query and the key, for a threshold.
  Value queryScales, keyScales;
  auto quantize = [&](Value value, RankedTensorType type, unsigned bits,
                      Value &scales) {
    auto quantized = QuantizeDynamicOp::create(
        builder, loc, withElement(type, builder.getIntegerType(bits)),
        RankedTensorType::get(type.getShape().drop_back(), f32), value,
        builder.getI64IntegerAttr(type.getRank() - 1));
    scales = quantized.getScales();
    return quantized.getResult();
  };
  Value q = attention.getQuery(), k = attention.getKey();
  Type scoreElement = builder.getI32Type();
  switch (config.scheme) {
  case ::lapa::predict::Scheme::Fact:
    q = LogEncodeOp::create(
        builder, loc,
        withElement(query, LogCodeType::get(context, config.queryBits)),
        quantize(q, query, config.queryBits, queryScales));
    k = LogEncodeOp::create(
        builder, loc, withElement(key, LogCodeType::get(context, config.keyBits)),
        quantize(k, key, config.keyBits, keyScales));
    break;
  case ::lapa::predict::Scheme::Sanger:
    q = quantize(q, query, config.scoreBits, queryScales);
    k = quantize(k, key, config.scoreBits, keyScales);
    break;
  case ::lapa::predict::Scheme::Energon:
    q = quantize(q, query, config.queryBits, queryScales);
    k = quantize(k, key, config.queryBits, keyScales);
    break;
  case ::lapa::predict::Scheme::Oracle:
    scoreElement = f32;
    break;
  default:
    reason = "its scheme " +
             std::string(::lapa::predict::schemeName(config.scheme)) +
             " has no expansion";
    return failure();
  }

  int64_t batch = query.getDimSize(0), heads = query.getDimSize(1),
          queries = query.getDimSize(2), kvHeads = key.getDimSize(1),
          keys = key.getDimSize(2);
  auto scores = PredictScoresOp::create(
      builder, loc,
      RankedTensorType::get({batch, heads, queries, keys}, scoreElement),
      RankedTensorType::get({batch, heads, queries, keys}, builder.getI1Type()),
      q, k, predictorAttr, attention.getCausalAttr());
  Value scoreScales;
  if (config.select == ::lapa::predict::SelectMode::Threshold && queryScales)
    scoreScales = pairScales(builder, loc, queryScales, keyScales, keys,
                             attention.getScaleAttr().getValueAsDouble());
  SelectOp select = buildSelect(builder, loc, attention, predictorAttr, scores,
                                scoreScales, kvHeads);
  replaceWithSparse(builder, attention, select.getSelection(), predictorAttr,
                    indexAttr);
  return success();
}

} // namespace
