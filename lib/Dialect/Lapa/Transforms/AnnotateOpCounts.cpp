//===- AnnotateOpCounts.cpp - Static operation counts of lapa ops ---------===//
//
// Attaches to every lapa op the work its shapes imply: shift-adds,
// multiply-accumulates, exponentials, comparisons, leading-one detections,
// elementwise vector operations, and bits read and written. Data-dependent
// work (filter survivors, needed tokens, selected pairs) is counted at its
// upper bound and marked as such.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPAANNOTATEOPCOUNTS
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;
using namespace mlir::lapa;

namespace {

/// The work of one op. Counts are in operations; bits are in bits.
struct OpCounts {
  int64_t shiftAdds = 0;
  int64_t macs = 0;
  int64_t exps = 0;
  int64_t comparisons = 0;
  int64_t leadingOneDetections = 0;
  int64_t vectorOps = 0;
  int64_t bitsRead = 0;
  int64_t bitsWritten = 0;
  /// True when some count is an upper bound of data-dependent work.
  bool upperBound = false;
};

/// Returns the storage width of one element: the code width for a log
/// code, else the type's bit width.
int64_t elementBits(Type type) {
  if (auto code = dyn_cast<LogCodeType>(type))
    return code.getCodeWidth();
  return type.getIntOrFloatBitWidth();
}

int64_t tensorBits(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.getNumElements() * elementBits(type.getElementType());
}

int64_t operandBits(Operation *op) {
  int64_t bits = 0;
  for (Value operand : op->getOperands())
    bits += tensorBits(operand);
  return bits;
}

int64_t resultBits(Operation *op) {
  int64_t bits = 0;
  for (Value result : op->getResults())
    bits += tensorBits(result);
  return bits;
}

/// Returns the number of visible (query, key) pairs of one head: all
/// Sq * Skv pairs, or with a causal mask those with j <= i + Skv - Sq.
int64_t visiblePairs(int64_t queries, int64_t keys, bool causal) {
  if (!causal)
    return queries * keys;
  int64_t pairs = 0;
  for (int64_t i = 0; i < queries; ++i)
    pairs += std::clamp<int64_t>(i + 1 + keys - queries, 0, keys);
  return pairs;
}

bool hasStaticShapes(Operation *op) {
  auto isStatic = [](Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    return !shaped || shaped.hasStaticShape();
  };
  return llvm::all_of(op->getOperandTypes(), isStatic) &&
         llvm::all_of(op->getResultTypes(), isStatic);
}

/// Returns the counts of a lapa op, or nothing for an op of another dialect.
std::optional<OpCounts> computeOpCounts(Operation *op) {
  OpCounts counts;
  bool known =
      llvm::TypeSwitch<Operation *, bool>(op)
          .Case([&](AttentionOp attention) {
            auto query = attention.getQuery().getType();
            auto value = attention.getValue().getType();
            int64_t pairs =
                query.getDimSize(0) * query.getDimSize(1) *
                visiblePairs(query.getDimSize(2),
                             attention.getKey().getType().getDimSize(2),
                             attention.getCausal());
            counts.macs = pairs * (query.getDimSize(3) + value.getDimSize(3));
            counts.exps = pairs;
            return true;
          })
          .Case<QuantizeOp, DequantizeOp, RequantizeOp>([&](Operation *) {
            counts.vectorOps =
                cast<RankedTensorType>(op->getResult(0).getType())
                    .getNumElements();
            return true;
          })
          .Case([&](LogEncodeOp encode) {
            counts.leadingOneDetections =
                encode.getResult().getType().getNumElements();
            return true;
          })
          .Case([&](PredictKeysOp predict) {
            auto input = predict.getInput().getType();
            counts.shiftAdds = input.getNumElements() *
                               predict.getWeight().getType().getDimSize(1);
            return true;
          })
          .Case([&](PredictScoresOp predict) {
            auto query = predict.getQuery().getType();
            int64_t pairs = query.getDimSize(0) * query.getDimSize(1) *
                            visiblePairs(query.getDimSize(2),
                                         predict.getKey().getType().getDimSize(2),
                                         predict.getCausal());
            ::lapa::predict::PredictorConfig config =
                predict.getPredictor().getConfig();
            int64_t rounds = config.scheme == ::lapa::predict::Scheme::Energon
                                 ? config.roundBits.size()
                                 : config.rounds;
            int64_t perRound = pairs * query.getDimSize(3);
            if (config.scheme == ::lapa::predict::Scheme::Oracle ||
                config.scheme == ::lapa::predict::Scheme::Sanger ||
                config.scheme == ::lapa::predict::Scheme::Energon)
              counts.macs = perRound * rounds;
            else
              counts.shiftAdds = perRound * rounds;
            // One filter comparison per pair between rounds.
            counts.comparisons = pairs * (rounds - 1);
            counts.upperBound = rounds > 1;
            return true;
          })
          .Case([&](SelectOp select) {
            counts.comparisons =
                select.getScores().getType().getNumElements();
            counts.vectorOps = select.getScores().getType().getNumElements();
            counts.upperBound = true;
            return true;
          })
          .Case([&](SparseProjectOp project) {
            auto input = project.getInput().getType();
            counts.macs = input.getNumElements() *
                          project.getWeight().getType().getDimSize(1);
            counts.upperBound = true;
            return true;
          })
          .Case([&](SparseAttentionOp attention) {
            auto selection = attention.getSelection().getType();
            auto query = attention.getQuery().getType();
            auto value = attention.getValue().getType();
            int64_t pairs = selection.getNumElements();
            counts.macs = pairs * (query.getDimSize(3) + value.getDimSize(3));
            counts.exps = pairs;
            counts.upperBound = true;
            return true;
          })
          .Default([](Operation *) { return false; });
  if (!known)
    return std::nullopt;
  counts.bitsRead = operandBits(op);
  counts.bitsWritten = resultBits(op);
  return counts;
}

DictionaryAttr toAttribute(MLIRContext *context, const OpCounts &counts) {
  Builder builder(context);
  SmallVector<NamedAttribute> entries;
  auto add = [&](StringRef name, int64_t value) {
    if (value != 0)
      entries.push_back(builder.getNamedAttr(name, builder.getI64IntegerAttr(value)));
  };
  entries.push_back(builder.getNamedAttr(
      "bound", builder.getStringAttr(counts.upperBound ? "upper" : "exact")));
  add("shift_adds", counts.shiftAdds);
  add("macs", counts.macs);
  add("exps", counts.exps);
  add("comparisons", counts.comparisons);
  add("leading_one_detections", counts.leadingOneDetections);
  add("vector_ops", counts.vectorOps);
  add("bits_read", counts.bitsRead);
  add("bits_written", counts.bitsWritten);
  return builder.getDictionaryAttr(entries);
}

struct LapaAnnotateOpCountsPass
    : public mlir::lapa::impl::LapaAnnotateOpCountsBase<
          LapaAnnotateOpCountsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    getOperation()->walk([&](Operation *op) {
      if (!isa<LapaDialect>(op->getDialect()))
        return;
      if (!hasStaticShapes(op)) {
        op->emitRemark() << "no operation counts: the op has a dynamic "
                            "dimension; make its shapes static first";
        return;
      }
      std::optional<OpCounts> counts = computeOpCounts(op);
      if (!counts)
        return;
      DictionaryAttr attr = toAttribute(context, *counts);
      op->setAttr("lapa.op_counts", attr);
      if (emitRemarks)
        op->emitRemark() << "operation counts: " << attr;
    });
  }
};

} // namespace
