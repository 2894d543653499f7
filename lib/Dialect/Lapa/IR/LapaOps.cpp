//===- LapaOps.cpp - Operations of the lapa dialect -----------------------===//
//
// Verifiers of the lapa operations. Each message names the operand, its
// shape or type, the rule it breaks and what to change.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/IR/LapaDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "lapa/Predict/LogCode.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::lapa;
namespace predict = ::lapa::predict;

namespace {

bool dimsMatch(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks that `type` has rank `rank`; `layout` names its dimensions.
LogicalResult verifyRank(Operation *op, StringRef name, RankedTensorType type,
                         int64_t rank, StringRef layout) {
  if (type.getRank() == rank)
    return success();
  return op->emitOpError() << name << " must have rank " << rank << " "
                           << layout << ", got rank " << type.getRank()
                           << " (" << type << ")";
}

/// Checks dimension `dimA` of `a` against dimension `dimB` of `b`.
LogicalResult verifySameDim(Operation *op, StringRef what, StringRef nameA,
                            RankedTensorType a, int64_t dimA, StringRef nameB,
                            RankedTensorType b, int64_t dimB) {
  if (dimsMatch(a.getDimSize(dimA), b.getDimSize(dimB)))
    return success();
  return op->emitOpError() << what << " of " << nameA << " ("
                           << a.getDimSize(dimA) << ") and " << nameB << " ("
                           << b.getDimSize(dimB) << ") differ: " << nameA
                           << " " << a << ", " << nameB << " " << b;
}

/// Checks that the query heads split evenly into key/value heads.
LogicalResult verifyHeadGroups(Operation *op, StringRef queryName,
                               RankedTensorType query, int64_t queryHeadDim,
                               StringRef keyName, RankedTensorType key,
                               int64_t keyHeadDim) {
  int64_t heads = query.getDimSize(queryHeadDim);
  int64_t kvHeads = key.getDimSize(keyHeadDim);
  if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(kvHeads))
    return success();
  if (kvHeads > 0 && heads % kvHeads == 0)
    return success();
  return op->emitOpError()
         << "query heads (" << heads << ") must be a multiple of key/value "
         << "heads (" << kvHeads << ") for grouped-query attention: "
         << queryName << " " << query << ", " << keyName << " " << key;
}

/// Checks that `actual` has exactly the dimensions `expected` (dynamic
/// entries match anything).
LogicalResult verifyShape(Operation *op, StringRef name,
                          RankedTensorType actual,
                          ArrayRef<int64_t> expected, StringRef layout) {
  bool matches = actual.getRank() == static_cast<int64_t>(expected.size());
  for (size_t i = 0; matches && i < expected.size(); ++i)
    matches = dimsMatch(actual.getDimSize(i), expected[i]);
  if (matches)
    return success();
  InFlightDiagnostic diag = op->emitOpError();
  diag << name << " must have shape " << layout << " = [";
  llvm::interleaveComma(expected, diag, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      diag << "?";
    else
      diag << dim;
  });
  diag << "], got " << actual;
  return diag;
}

/// Checks the additive mask of an attention op: same element type, rank at
/// most 4, and broadcastable to [B, H, Sq, Skv] by the NumPy rule.
LogicalResult verifyAttentionMask(Operation *op, RankedTensorType mask,
                                  ArrayRef<int64_t> target,
                                  Type elementType) {
  if (mask.getElementType() != elementType)
    return op->emitOpError()
           << "mask element type " << mask.getElementType()
           << " must match the query element type " << elementType
           << "; the mask is added to the scores";
  if (mask.getRank() > 4 || mask.getRank() == 0)
    return op->emitOpError()
           << "mask must have rank 1 to 4 to broadcast to [B, H, Sq, Skv], "
           << "got " << mask;
  int64_t offset = 4 - mask.getRank();
  for (int64_t i = 0; i < mask.getRank(); ++i) {
    int64_t dim = mask.getDimSize(i);
    int64_t want = target[offset + i];
    if (dim == 1 || dimsMatch(dim, want))
      continue;
    return op->emitOpError()
           << "mask " << mask << " does not broadcast to the scores shape ["
           << target[0] << ", " << target[1] << ", " << target[2] << ", "
           << target[3] << "]: mask dimension " << i << " is " << dim
           << " but must be 1 or " << want;
  }
  return success();
}

/// Checks `scale` is a finite positive number.
LogicalResult verifyScale(Operation *op, FloatAttr scale) {
  double value = scale.getValueAsDouble();
  if (std::isfinite(value) && value > 0.0)
    return success();
  return op->emitOpError() << "scale must be finite and positive, got "
                           << value << "; it is usually 1/sqrt(head size)";
}

/// Shapes of an attention-like op, after its operands verified.
struct AttentionDims {
  int64_t batch, heads, queries, kvHeads, keys, headSize;
};

/// Verifies query [B, H, Sq, D] against key [B, Hkv, Skv, D].
FailureOr<AttentionDims> verifyQueryKey(Operation *op, RankedTensorType query,
                                        RankedTensorType key) {
  if (failed(verifyRank(op, "query", query, 4, "[B, H, Sq, D]")) ||
      failed(verifyRank(op, "key", key, 4, "[B, Hkv, Skv, D]")) ||
      failed(verifySameDim(op, "batch sizes", "query", query, 0, "key", key,
                           0)) ||
      failed(verifySameDim(op, "head sizes (last dimension)", "query", query,
                           3, "key", key, 3)) ||
      failed(verifyHeadGroups(op, "query", query, 1, "key", key, 1)))
    return failure();
  return AttentionDims{query.getDimSize(0), query.getDimSize(1),
                       query.getDimSize(2), key.getDimSize(1),
                       key.getDimSize(2), query.getDimSize(3)};
}

/// Verifies the shared operands of lapa.attention and lapa.sparse_attention
/// and returns the dimensions.
FailureOr<AttentionDims>
verifyAttentionOperands(Operation *op, RankedTensorType query,
                        RankedTensorType key, RankedTensorType value,
                        RankedTensorType result) {
  FailureOr<AttentionDims> dims = verifyQueryKey(op, query, key);
  if (failed(dims))
    return failure();
  Type elementType = query.getElementType();
  if (key.getElementType() != elementType ||
      value.getElementType() != elementType)
    return op->emitOpError()
           << "query, key and value must have one element type, got "
           << elementType << ", " << key.getElementType() << " and "
           << value.getElementType();
  if (failed(verifyRank(op, "value", value, 4, "[B, Hkv, Skv, Dv]")) ||
      failed(verifySameDim(op, "batch sizes", "key", key, 0, "value", value,
                           0)) ||
      failed(verifySameDim(op, "head counts", "key", key, 1, "value", value,
                           1)) ||
      failed(verifySameDim(op, "sequence lengths", "key", key, 2, "value",
                           value, 2)))
    return failure();
  if (result.getElementType() != elementType)
    return op->emitOpError() << "result element type "
                             << result.getElementType()
                             << " must match the query element type "
                             << elementType;
  if (failed(verifyShape(op, "result", result,
                         {dims->batch, dims->heads, dims->queries,
                          value.getDimSize(3)},
                         "[B, H, Sq, Dv]")))
    return failure();
  return dims;
}

/// Verifies a selection operand: a bitmap [B, H, Sq, Skv] of i1, or an
/// index list [B, H, Sq, K] of i32 with K <= Skv.
LogicalResult verifySelectionShape(Operation *op, RankedTensorType selection,
                                   const AttentionDims &dims) {
  if (failed(verifyRank(op, "selection", selection, 4,
                        "[B, H, Sq, Skv] or [B, H, Sq, K]")))
    return failure();
  if (selection.getElementType().isInteger(1))
    return verifyShape(op, "bitmap selection", selection,
                       {dims.batch, dims.heads, dims.queries, dims.keys},
                       "[B, H, Sq, Skv]");
  if (failed(verifyShape(op, "index selection", selection,
                         {dims.batch, dims.heads, dims.queries,
                          selection.getDimSize(3)},
                         "[B, H, Sq, K]")))
    return failure();
  int64_t kept = selection.getDimSize(3);
  if (!ShapedType::isDynamic(kept) && !ShapedType::isDynamic(dims.keys) &&
      kept > dims.keys)
    return op->emitOpError()
           << "index selection keeps K = " << kept << " keys per row but "
           << "there are only Skv = " << dims.keys << " keys: " << selection;
  return success();
}

/// Returns the width of a signless integer element type, or 0.
unsigned intWidth(Type type) {
  if (auto intType = dyn_cast<IntegerType>(type))
    if (intType.isSignless())
      return intType.getWidth();
  return 0;
}

/// Verifies the scales and axis shared by quantize and dequantize.
LogicalResult verifyScales(Operation *op, RankedTensorType floatType,
                           ArrayRef<float> scales,
                           std::optional<int64_t> axis) {
  if (scales.empty())
    return op->emitOpError() << "needs at least one scale";
  for (auto [index, scale] : llvm::enumerate(scales))
    if (!std::isfinite(scale) || scale <= 0.0f)
      return op->emitOpError() << "scale " << index << " is " << scale
                               << "; every scale must be finite and positive";
  if (!axis) {
    if (scales.size() != 1)
      return op->emitOpError()
             << "has " << scales.size() << " scales but no axis; give one "
             << "scale for per-tensor quantization, or an axis for "
             << "per-channel scales";
    return success();
  }
  if (*axis < 0 || *axis >= floatType.getRank())
    return op->emitOpError() << "axis " << *axis << " is outside [0, "
                             << floatType.getRank() << ") for " << floatType;
  int64_t channels = floatType.getDimSize(*axis);
  if (!ShapedType::isDynamic(channels) &&
      channels != static_cast<int64_t>(scales.size()))
    return op->emitOpError()
           << "has " << scales.size() << " scales but dimension " << *axis
           << " of " << floatType << " has " << channels
           << " channels; give one scale per channel";
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  RankedTensorType query = getQuery().getType();
  FailureOr<AttentionDims> dims =
      verifyAttentionOperands(*this, query, getKey().getType(),
                              getValue().getType(), getResult().getType());
  if (failed(dims) || failed(verifyScale(*this, getScaleAttr())))
    return failure();
  if (Value mask = getMask())
    return verifyAttentionMask(
        *this, cast<RankedTensorType>(mask.getType()),
        {dims->batch, dims->heads, dims->queries, dims->keys},
        query.getElementType());
  return success();
}

//===----------------------------------------------------------------------===//
// Quantization ops
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  unsigned width = intWidth(getResult().getType().getElementType());
  if (width < 2 || width > 16)
    return emitOpError() << "result element type "
                         << getResult().getType().getElementType()
                         << " must be a signless integer of 2 to 16 bits; "
                         << "the accelerator uses i8 and i16";
  return verifyScales(*this, getInput().getType(), getScales(), getAxis());
}

LogicalResult QuantizeDynamicOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  auto scalesType = cast<RankedTensorType>(getScales().getType());
  unsigned width = intWidth(resultType.getElementType());
  if (width < 2 || width > 16)
    return emitOpError() << "result element type "
                         << resultType.getElementType()
                         << " must be a signless integer of 2 to 16 bits; "
                         << "the accelerator uses i8 and i16";
  if (resultType.getShape() != inputType.getShape())
    return emitOpError() << "result shape must equal the input shape "
                         << inputType;
  int64_t rank = inputType.getRank();
  int64_t over = getOver();
  if (over < 0 || over >= rank)
    return emitOpError() << "dimension `over` is " << over
                         << ", outside [0, " << rank << ") for a rank-" << rank
                         << " input";
  SmallVector<int64_t> expected;
  for (int64_t d = 0; d < rank; ++d)
    if (d != over)
      expected.push_back(inputType.getDimSize(d));
  if (scalesType.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError() << "scales have the shape " << scalesType
                         << "; expected the input shape without dimension "
                         << over;
  return success();
}

LogicalResult DequantizeOp::verify() {
  return verifyScales(*this, getResult().getType(), getScales(), getAxis());
}

LogicalResult RequantizeOp::verify() {
  unsigned inWidth = intWidth(getInput().getType().getElementType());
  unsigned outWidth = intWidth(getResult().getType().getElementType());
  if (outWidth >= inWidth)
    return emitOpError() << "result width " << outWidth
                         << " must be smaller than the input width "
                         << inWidth << "; requantization narrows";
  int64_t shift = getShift();
  if (shift < 0 || shift >= static_cast<int64_t>(inWidth))
    return emitOpError() << "shift " << shift << " is outside [0, "
                         << inWidth << ") for an " << inWidth
                         << "-bit input";
  return success();
}

LogicalResult LogEncodeOp::verify() {
  unsigned width = intWidth(getInput().getType().getElementType());
  auto codeType = cast<LogCodeType>(getResult().getType().getElementType());
  if (width != codeType.getSourceWidth())
    return emitOpError() << "result element type " << codeType
                         << " must encode the " << width
                         << "-bit input; use !lapa.log_code<" << width << ">";
  return success();
}

OpFoldResult LogEncodeOp::fold(FoldAdaptor adaptor) {
  auto values = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getInput());
  if (!values)
    return {};
  unsigned width = intWidth(getInput().getType().getElementType());
  // Only values of the symmetric range have a code; -2^(N-1) is left to
  // the run-time encoder, which reports it.
  SmallVector<int8_t> codes;
  codes.reserve(values.getNumElements());
  for (const APInt &value : values.getValues<APInt>()) {
    llvm::Expected<predict::LogCode> code =
        predict::encodeLogCode(value.getSExtValue(), width);
    if (!code) {
      llvm::consumeError(code.takeError());
      return {};
    }
    codes.push_back(static_cast<int8_t>(predict::packLogCode(*code, width)));
  }
  auto codeType = RankedTensorType::get(getType().getShape(),
                                        IntegerType::get(getContext(), 8));
  return DenseIntElementsAttr::get(codeType, ArrayRef<int8_t>(codes));
}

//===----------------------------------------------------------------------===//
// LogConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult LogConstantOp::fold(FoldAdaptor) { return getCodesAttr(); }

LogicalResult LogConstantOp::verify() {
  auto codes = dyn_cast<DenseIntElementsAttr>(getCodesAttr());
  if (!codes || !codes.getElementType().isInteger(8))
    return emitOpError() << "codes must be a dense tensor of i8, got "
                         << getCodesAttr().getType();
  auto resultType = getResult().getType();
  if (codes.getType().getShape() != resultType.getShape())
    return emitOpError() << "codes " << codes.getType()
                         << " must have the shape of the result "
                         << resultType;

  auto codeType = cast<LogCodeType>(resultType.getElementType());
  unsigned exponentBits = codeType.getExponentWidth();
  uint64_t exponentMask = (uint64_t{1} << exponentBits) - 1;
  // The exponent value N - 1, one past the largest leading-one position,
  // is the zero code.
  uint64_t zero = codeType.getMaxLeadingOne() + 1;
  for (auto [index, packed] : llvm::enumerate(codes.getValues<APInt>())) {
    uint64_t bits = packed.getZExtValue();
    uint64_t exponent = bits & exponentMask;
    bool negative = (bits >> exponentBits) & 1;
    if ((bits >> codeType.getCodeWidth()) != 0 ||
        exponent > zero ||
        (exponent == zero && negative))
      return emitOpError() << "code " << bits << " at index " << index
                           << " is not a valid " << codeType
                           << " code: the sign is bit "
                           << codeType.getCodeWidth() - 1
                           << ", the exponent field holds 0 to "
                           << codeType.getMaxLeadingOne() << " or " << zero
                           << " for zero, and zero has no sign";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// PredictKeysOp
//===----------------------------------------------------------------------===//

LogicalResult PredictKeysOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType result = getResult().getType();
  if (input.getRank() != 2 && input.getRank() != 3)
    return emitOpError() << "input must have rank 2 [S, Hin] or 3 "
                         << "[B, S, Hin], got " << input;
  if (failed(verifyRank(*this, "weight", weight, 2, "[Hin, N]")) ||
      failed(verifySameDim(*this, "reduction sizes (Hin)", "input", input,
                           input.getRank() - 1, "weight", weight, 0)))
    return failure();

  auto inputCode = dyn_cast<LogCodeType>(input.getElementType());
  auto weightCode = dyn_cast<LogCodeType>(weight.getElementType());
  if (!inputCode && !weightCode)
    return emitOpError()
           << "needs at least one log-coded operand, got " << input << " and "
           << weight << "; encode the weight with lapa.log_encode (ALOC), "
           << "or use linalg.matmul for an exact integer product";

  // Width of one term: a shifted integer, or a power of two for the
  // symmetric product. The accumulator must hold at least one term.
  unsigned termWidth;
  if (inputCode && weightCode)
    termWidth = inputCode.getMaxLeadingOne() + weightCode.getMaxLeadingOne() + 2;
  else if (weightCode)
    termWidth = intWidth(input.getElementType()) + weightCode.getMaxLeadingOne();
  else
    termWidth = intWidth(weight.getElementType()) + inputCode.getMaxLeadingOne();
  unsigned accWidth = intWidth(result.getElementType());
  if (accWidth < termWidth)
    return emitOpError() << "accumulator " << result.getElementType()
                         << " is narrower than one shifted term ("
                         << termWidth << " bits); use a wider integer such "
                         << "as i32";

  SmallVector<int64_t> expected(input.getShape());
  expected.back() = weight.getDimSize(1);
  return verifyShape(*this, "result", result, expected,
                     input.getRank() == 2 ? "[S, N]" : "[B, S, N]");
}

//===----------------------------------------------------------------------===//
// PredictScoresOp
//===----------------------------------------------------------------------===//

LogicalResult PredictScoresOp::verify() {
  predict::PredictorConfig config = getPredictor().getConfig();
  predict::Scheme scheme = config.scheme;
  if (scheme == predict::Scheme::Dense || scheme == predict::Scheme::Spatten)
    return emitOpError() << "scheme " << predict::schemeName(scheme)
                         << " predicts no per-pair scores; "
                         << (scheme == predict::Scheme::Dense
                                 ? "lower lapa.attention without prediction"
                                 : "SpAtten ranks tokens by the attention "
                                   "probabilities of earlier layers");

  RankedTensorType query = getQuery().getType();
  RankedTensorType key = getKey().getType();
  FailureOr<AttentionDims> dims = verifyQueryKey(*this, query, key);
  if (failed(dims))
    return failure();

  Type queryElement = query.getElementType();
  Type keyElement = key.getElementType();
  auto queryCode = dyn_cast<LogCodeType>(queryElement);
  auto keyCode = dyn_cast<LogCodeType>(keyElement);
  StringRef name = predict::schemeName(scheme);
  switch (scheme) {
  case predict::Scheme::Lapa:
  case predict::Scheme::Sofa:
    if (!queryCode || queryCode.getSourceWidth() != config.queryBits)
      return emitOpError() << "scheme " << name << " needs the query as "
                           << "!lapa.log_code<" << config.queryBits
                           << "> (query_bits = " << config.queryBits
                           << "), got " << queryElement;
    if (intWidth(keyElement) != config.keyBits)
      return emitOpError() << "scheme " << name << " needs K-hat as i"
                           << config.keyBits << " (key_bits = "
                           << config.keyBits << "), got " << keyElement
                           << "; requantize it with lapa.requantize";
    break;
  case predict::Scheme::Fact:
    if (!queryCode || !keyCode)
      return emitOpError() << "scheme fact log-codes both operands, got "
                           << queryElement << " and " << keyElement;
    break;
  case predict::Scheme::Sanger:
    if (intWidth(queryElement) != config.scoreBits ||
        intWidth(keyElement) != config.scoreBits)
      return emitOpError() << "scheme sanger needs query and key quantized "
                           << "to i" << config.scoreBits << " (score_bits = "
                           << config.scoreBits << "), got " << queryElement
                           << " and " << keyElement;
    break;
  case predict::Scheme::Energon:
    if (intWidth(queryElement) != config.queryBits ||
        intWidth(keyElement) != config.queryBits)
      return emitOpError() << "scheme energon filters on the most "
                           << "significant bits of i" << config.queryBits
                           << " query and key, got " << queryElement
                           << " and " << keyElement;
    break;
  case predict::Scheme::Oracle:
    if (!isa<FloatType>(queryElement) || queryElement != keyElement)
      return emitOpError() << "scheme oracle scores the float query and key "
                           << "of one element type, got " << queryElement
                           << " and " << keyElement;
    break;
  case predict::Scheme::Dense:
  case predict::Scheme::Spatten:
    break;
  }

  RankedTensorType scores = getScores().getType();
  Type scoreElement = scores.getElementType();
  if (scheme == predict::Scheme::Oracle) {
    if (scoreElement != queryElement)
      return emitOpError() << "scores of scheme oracle must have the query "
                           << "element type " << queryElement << ", got "
                           << scoreElement;
  } else {
    unsigned width = intWidth(scoreElement);
    unsigned needed = config.accumulatorBits.back();
    if (scheme != predict::Scheme::Lapa && scheme != predict::Scheme::Sofa)
      needed = 16;
    if (width < needed)
      return emitOpError() << "scores element type " << scoreElement
                           << " must be a signless integer of at least "
                           << needed << " bits to hold the last round's "
                           << "accumulator";
  }
  SmallVector<int64_t> scoreShape = {dims->batch, dims->heads, dims->queries,
                                     dims->keys};
  if (failed(verifyShape(*this, "scores", scores, scoreShape,
                         "[B, H, Sq, Skv]")) ||
      failed(verifyShape(*this, "candidates", getCandidates().getType(),
                         scoreShape, "[B, H, Sq, Skv]")))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// SelectOp
//===----------------------------------------------------------------------===//

bool SelectOp::hasIndexSelection() {
  return getSelection().getType().getElementType().isInteger(32);
}

LogicalResult SelectOp::verify() {
  predict::PredictorConfig config = getPredictor().getConfig();
  if (config.scheme == predict::Scheme::Dense)
    return emitOpError() << "scheme dense selects every key, so it needs no "
                         << "selection; use lapa.attention";
  if (config.scheme == predict::Scheme::Spatten)
    return emitOpError() << "scheme spatten prunes tokens from the attention "
                         << "probabilities of earlier layers instead of "
                         << "selecting keys per query row";

  // The selection must use the predictor the scores were predicted with:
  // the safe filter keeps every key of the final top-k only for the k it
  // was computed for.
  if (auto producer = getScores().getDefiningOp<PredictScoresOp>())
    if (producer.getPredictor() != getPredictor())
      return emitOpError() << "predictor " << getPredictor()
                           << " differs from the predictor "
                           << producer.getPredictor()
                           << " of the lapa.predict_scores that produced the "
                           << "scores; use the same predictor for both";

  RankedTensorType scores = getScores().getType();
  if (failed(verifyRank(*this, "scores", scores, 4, "[B, H, Sq, Skv]")) ||
      failed(verifyShape(*this, "candidates", getCandidates().getType(),
                         scores.getShape(), "[B, H, Sq, Skv]")))
    return failure();
  AttentionDims dims{scores.getDimSize(0), scores.getDimSize(1),
                     scores.getDimSize(2), 0, scores.getDimSize(3), 0};

  bool threshold = config.select == predict::SelectMode::Threshold;
  if (threshold) {
    if (getScoreScaleAttr() && getScoreScales())
      return emitOpError() << "has both score_scale(...) and scales(...); "
                           << "give the scale once";
    if (!getScoreScaleAttr() && !getScoreScales())
      return emitOpError() << "select = threshold needs score_scale(...) or "
                           << "scales(...) to turn the scores into softmax "
                           << "logits";
    if (getScoreScaleAttr() && failed(verifyScale(*this, getScoreScaleAttr())))
      return failure();
    if (getScoreScales() &&
        failed(verifyShape(*this, "scales", getScoreScales().getType(),
                           scores.getShape(), "[B, H, Sq, Skv]")))
      return failure();
  } else if (getScoreScaleAttr() || getScoreScales()) {
    return emitOpError() << "score_scale and scales apply only with select = "
                         << "threshold; remove them or change the predictor";
  }

  RankedTensorType selection = getSelection().getType();
  if (failed(verifySelectionShape(*this, selection, dims)))
    return failure();
  if (hasIndexSelection()) {
    if (threshold)
      return emitOpError() << "select = threshold keeps a varying number of "
                           << "keys per row; use a bitmap selection "
                           << "tensor<...xi1>";
    int64_t keys = dims.keys;
    int64_t kept = selection.getDimSize(3);
    if (!ShapedType::isDynamic(keys) && !ShapedType::isDynamic(kept)) {
      int64_t want = config.keptKeys(static_cast<unsigned>(keys));
      if (kept != want)
        return emitOpError()
               << "index selection has K = " << kept << " but keep_ratio = "
               << config.keepRatio << " of Skv = " << keys << " keys keeps "
               << want << "; use tensor<...x" << want << "xi32>";
    }
  }

  RankedTensorType needed = getNeeded().getType();
  if (failed(verifyRank(*this, "needed", needed, 3, "[B, Hkv, Skv]")) ||
      failed(verifySameDim(*this, "batch sizes", "scores", scores, 0,
                           "needed", needed, 0)) ||
      failed(verifySameDim(*this, "key counts", "scores", scores, 3, "needed",
                           needed, 2)) ||
      failed(verifyHeadGroups(*this, "scores", scores, 1, "needed", needed,
                              1)))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// SparseProjectOp
//===----------------------------------------------------------------------===//

LogicalResult SparseProjectOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType needed = getNeeded().getType();
  RankedTensorType result = getResult().getType();
  if (input.getRank() != 2 && input.getRank() != 3)
    return emitOpError() << "input must have rank 2 [S, Hin] or 3 "
                         << "[B, S, Hin], got " << input;
  if (failed(verifyRank(*this, "weight", weight, 2, "[Hin, N]")) ||
      failed(verifyRank(*this, "needed", needed, 3, "[B, Hkv, S]")) ||
      failed(verifySameDim(*this, "reduction sizes (Hin)", "input", input,
                           input.getRank() - 1, "weight", weight, 0)) ||
      failed(verifySameDim(*this, "token counts", "input", input,
                           input.getRank() - 2, "needed", needed, 2)))
    return failure();
  if (input.getRank() == 3) {
    if (failed(verifySameDim(*this, "batch sizes", "input", input, 0,
                             "needed", needed, 0)))
      return failure();
  } else if (!dimsMatch(needed.getDimSize(0), 1)) {
    return emitOpError() << "needed has batch " << needed.getDimSize(0)
                         << " but the rank-2 input " << input
                         << " is one sequence; use a batch of 1";
  }

  int64_t columns = weight.getDimSize(1);
  int64_t heads = needed.getDimSize(1);
  if (!ShapedType::isDynamic(columns) && !ShapedType::isDynamic(heads) &&
      (heads <= 0 || columns % heads != 0))
    return emitOpError() << "weight columns (" << columns
                         << ") must split evenly into the " << heads
                         << " heads of needed: weight " << weight
                         << ", needed " << needed;

  Type element = input.getElementType();
  if (weight.getElementType() != element)
    return emitOpError() << "input and weight must have one element type, "
                         << "got " << element << " and "
                         << weight.getElementType();
  Type resultElement = result.getElementType();
  if (isa<FloatType>(element)) {
    if (resultElement != element)
      return emitOpError() << "result element type " << resultElement
                           << " must match the float operands " << element;
  } else {
    unsigned width = intWidth(element);
    unsigned accWidth = intWidth(resultElement);
    if (accWidth < 2 * width)
      return emitOpError() << "accumulator " << resultElement
                           << " must be at least twice as wide as the i"
                           << width << " operands";
  }
  SmallVector<int64_t> expected(input.getShape());
  expected.back() = columns;
  return verifyShape(*this, "result", result, expected,
                     input.getRank() == 2 ? "[S, N]" : "[B, S, N]");
}

//===----------------------------------------------------------------------===//
// SparseAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult SparseAttentionOp::verify() {
  RankedTensorType query = getQuery().getType();
  FailureOr<AttentionDims> dims =
      verifyAttentionOperands(*this, query, getKey().getType(),
                              getValue().getType(), getResult().getType());
  if (failed(dims) || failed(verifyScale(*this, getScaleAttr())) ||
      failed(verifySelectionShape(*this, getSelection().getType(), *dims)))
    return failure();
  if (Value mask = getMask())
    return verifyAttentionMask(
        *this, cast<RankedTensorType>(mask.getType()),
        {dims->batch, dims->heads, dims->queries, dims->keys},
        query.getElementType());
  return success();
}

//===----------------------------------------------------------------------===//
// Tiling of lapa.attention
//===----------------------------------------------------------------------===//

namespace {

/// Returns the size of dimension `dim` of `value` as a constant or a
/// tensor.dim.
OpFoldResult sizeOf(OpBuilder &b, Location loc, Value value, int64_t dim) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.isDynamicDim(dim))
    return b.getIndexAttr(type.getDimSize(dim));
  return tensor::DimOp::create(b, loc, value, dim).getResult();
}

/// Returns `a + b - c`, folded when all three are constants.
OpFoldResult addSub(OpBuilder &b, Location loc, OpFoldResult a, OpFoldResult c,
                    OpFoldResult d, OpFoldResult e) {
  std::optional<int64_t> ca = getConstantIntValue(a), cc = getConstantIntValue(c),
                         cd = getConstantIntValue(d), ce = getConstantIntValue(e);
  if (ca && cc && cd && ce)
    return b.getIndexAttr(*ca + *cc + *cd - *ce);
  Value va = getValueOrCreateConstantIndexOp(b, loc, a);
  Value vc = getValueOrCreateConstantIndexOp(b, loc, c);
  Value vd = getValueOrCreateConstantIndexOp(b, loc, d);
  Value ve = getValueOrCreateConstantIndexOp(b, loc, e);
  Value sum = arith::AddIOp::create(
      b, loc, arith::AddIOp::create(b, loc, va, vc), vd);
  return arith::SubIOp::create(b, loc, sum, ve).getResult();
}

/// Extracts the slice `offsets`/`sizes` (unit strides) of `source`.
Value slice(OpBuilder &b, Location loc, Value source,
            ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
            SmallVector<Operation *> &slices) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  auto op = tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                           strides);
  slices.push_back(op);
  return op.getResult();
}

} // namespace

LogicalResult
AttentionOp::reifyResultShapes(OpBuilder &b,
                               ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  reified.push_back({sizeOf(b, loc, getQuery(), 0),
                     sizeOf(b, loc, getQuery(), 1),
                     sizeOf(b, loc, getQuery(), 2),
                     sizeOf(b, loc, getValue(), 3)});
  return success();
}

SmallVector<utils::IteratorType> AttentionOp::getLoopIteratorTypes() {
  return SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel);
}

SmallVector<Range> AttentionOp::getIterationDomain(OpBuilder &b) {
  Location loc = getLoc();
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  return {Range{zero, sizeOf(b, loc, getQuery(), 0), one},
          Range{zero, sizeOf(b, loc, getQuery(), 1), one},
          Range{zero, sizeOf(b, loc, getQuery(), 2), one},
          Range{zero, sizeOf(b, loc, getValue(), 3), one}};
}

FailureOr<TilingResult>
AttentionOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                                    ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  auto qType = cast<RankedTensorType>(getQuery().getType());
  auto kType = cast<RankedTensorType>(getKey().getType());
  OpFoldResult zero = b.getIndexAttr(0);

  // Grouped-query heads: a tile must cover every head, because the tiled
  // op maps its heads to key/value heads by its own head counts.
  bool grouped = qType.isDynamicDim(1) || kType.isDynamicDim(1) ||
                 qType.getDimSize(1) != kType.getDimSize(1);
  if (grouped) {
    // A tile of every head starts at head 0 whatever its offset value.
    std::optional<int64_t> headSize = getConstantIntValue(sizes[1]);
    if (qType.isDynamicDim(1) || !headSize ||
        *headSize != qType.getDimSize(1))
      return emitOpError()
             << "cannot split the heads of grouped-query attention ("
             << qType.getDimSize(1) << " query heads, " << kType.getDimSize(1)
             << " key/value heads) into tiles; give the head loop a tile "
                "size of 0 (untiled) or the whole head count";
  }
  OpFoldResult kvOffset = grouped ? zero : offsets[1];
  OpFoldResult kvSize = grouped ? sizeOf(b, loc, getKey(), 1) : sizes[1];

  // With `causal`, rows [i0, i0 + rows) see at most the first
  // i0 + rows + Skv - Sq keys. Cutting the keys there keeps the causal rule
  // of the tiled op, which aligns its last row with its last key.
  OpFoldResult keyCount = sizeOf(b, loc, getKey(), 2);
  if (getCausal()) {
    keyCount = addSub(b, loc, offsets[2], sizes[2], keyCount,
                      sizeOf(b, loc, getQuery(), 2));
    // With fewer keys than queries the first rows see no key at all.
    if (std::optional<int64_t> count = getConstantIntValue(keyCount))
      keyCount = b.getIndexAttr(std::max<int64_t>(*count, 0));
    else
      keyCount = arith::MaxSIOp::create(
                     b, loc, getValueOrCreateConstantIndexOp(b, loc, keyCount),
                     arith::ConstantIndexOp::create(b, loc, 0))
                     .getResult();
  }

  SmallVector<Operation *> slices;
  OpFoldResult headDim = sizeOf(b, loc, getQuery(), 3);
  Value query = slice(b, loc, getQuery(), {offsets[0], offsets[1], offsets[2], zero},
                      {sizes[0], sizes[1], sizes[2], headDim}, slices);
  Value key = slice(b, loc, getKey(), {offsets[0], kvOffset, zero, zero},
                    {sizes[0], kvSize, keyCount, sizeOf(b, loc, getKey(), 3)},
                    slices);
  Value value = slice(b, loc, getValue(), {offsets[0], kvOffset, zero, offsets[3]},
                      {sizes[0], kvSize, keyCount, sizes[3]}, slices);

  // The mask broadcasts from the trailing dimensions: a dimension of size 1
  // stays whole, any other follows the tile (the key dimension its count).
  Value mask;
  if (Value fullMask = getMask()) {
    auto maskType = cast<RankedTensorType>(fullMask.getType());
    int64_t rank = maskType.getRank();
    SmallVector<OpFoldResult> maskOffsets, maskSizes;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t target = 4 - rank + d;
      if (!maskType.isDynamicDim(d) && maskType.getDimSize(d) == 1) {
        maskOffsets.push_back(zero);
        maskSizes.push_back(b.getIndexAttr(1));
      } else if (target == 3) {
        maskOffsets.push_back(zero);
        maskSizes.push_back(keyCount);
      } else {
        maskOffsets.push_back(offsets[target]);
        maskSizes.push_back(sizes[target]);
      }
    }
    mask = slice(b, loc, fullMask, maskOffsets, maskSizes, slices);
  }

  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes) {
    std::optional<int64_t> constant = getConstantIntValue(size);
    shape.push_back(constant ? *constant : ShapedType::kDynamic);
  }
  auto resultType = RankedTensorType::get(shape, qType.getElementType());
  Operation *tiled = b.clone(*getOperation());
  tiled->setOperand(0, query);
  tiled->setOperand(1, key);
  tiled->setOperand(2, value);
  if (mask)
    tiled->setOperand(3, mask);
  tiled->getResult(0).setType(resultType);
  return TilingResult{{tiled}, {tiled->getResult(0)}, slices};
}

LogicalResult AttentionOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  resultOffsets.assign(offsets.begin(), offsets.end());
  resultSizes.assign(sizes.begin(), sizes.end());
  return success();
}

FailureOr<TilingResult> AttentionOp::generateResultTileValue(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes) {
  // The result's dimensions are the loops, so a result tile is a loop tile.
  return getTiledImplementation(b, offsets, sizes);
}

#define GET_OP_CLASSES
#include "lapa/Dialect/Lapa/IR/LapaOps.cpp.inc"
