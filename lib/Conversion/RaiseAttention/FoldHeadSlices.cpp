//===- FoldHeadSlices.cpp - Batch attention unrolled over heads -----------===//
//
// Some importers (TensorFlow through IREE, for MobileBERT) unroll attention
// over heads: each head slices its query, key, probabilities and value out
// of a stacked tensor, runs its own 2-D matmul, and the per-head scores are
// joined again with tensor.insert_slice. This file rewrites those matmuls
// into one batched contraction over the stacked tensors, so that the
// attention matcher reads the same shape of graph as for batched exporters.
//
//===----------------------------------------------------------------------===//

#include "FoldHeadSlices.h"
#include "OpSemantics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

using namespace mlir;
using namespace mlir::lapa::raise;

namespace {

/// A 2-D operand that is head `index` of a stacked tensor: the collapse of
/// an extract_slice taking one index of the stacked tensor's first
/// dimension and all of the others.
struct HeadSlice {
  Value stacked;
  int64_t index = -1;
};

std::optional<HeadSlice> matchHeadSlice(Value value) {
  auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse)
    return std::nullopt;
  auto slice = collapse.getSrc().getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || !slice.hasUnitStride())
    return std::nullopt;
  RankedTensorType stackedType = slice.getSourceType();
  if (!stackedType.hasStaticShape() ||
      slice.getResultType().getRank() != stackedType.getRank())
    return std::nullopt;
  ArrayRef<int64_t> offsets = slice.getStaticOffsets();
  ArrayRef<int64_t> sizes = slice.getStaticSizes();
  if (ShapedType::isDynamic(offsets[0]) || sizes[0] != 1)
    return std::nullopt;
  for (int64_t dim = 1; dim < stackedType.getRank(); ++dim)
    if (offsets[dim] != 0 || sizes[dim] != stackedType.getDimSize(dim))
      return std::nullopt;
  return HeadSlice{slice.getSource(), offsets[0]};
}

/// A 2-D matmul of two head slices: `lhsStacked[h] x rhsStacked[h]`.
struct HeadMatmul {
  Operation *op;
  Value lhsStacked, rhsStacked;
  int64_t head;
};

std::optional<HeadMatmul> matchHeadMatmul(Operation *op) {
  if (!isa<linalg::MatmulOp>(op))
    return std::nullopt;
  std::optional<Contraction> contraction = matchContraction(op);
  if (!contraction || !contraction->lhsBatch.empty() ||
      contraction->lhsFree != 0 || contraction->rhsFree != 1)
    return std::nullopt;
  std::optional<HeadSlice> lhs = matchHeadSlice(contraction->lhs);
  std::optional<HeadSlice> rhs = matchHeadSlice(contraction->rhs);
  if (!lhs || !rhs || lhs->index != rhs->index)
    return std::nullopt;
  auto lhsType = cast<RankedTensorType>(lhs->stacked.getType());
  auto rhsType = cast<RankedTensorType>(rhs->stacked.getType());
  if (lhsType.getRank() != 3 || rhsType.getRank() != 3 ||
      lhsType.getDimSize(0) != rhsType.getDimSize(0))
    return std::nullopt;
  return HeadMatmul{op, lhs->stacked, rhs->stacked, lhs->index};
}

/// Creates `batch_matmul(lhs, rhs)` into a zero-filled tensor before `at`.
Value createBatchMatmul(OpBuilder &builder, Location loc, Value lhs, Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  SmallVector<int64_t> shape = {lhsType.getDimSize(0), lhsType.getDimSize(1),
                                rhsType.getDimSize(2)};
  Type elementType = lhsType.getElementType();
  Value empty = tensor::EmptyOp::create(builder, loc, shape, elementType);
  Value zero = arith::ConstantOp::create(builder, loc,
                                         builder.getZeroAttr(elementType));
  Value init = linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
  return linalg::BatchMatmulOp::create(builder, loc, TypeRange{init.getType()},
                                       ValueRange{lhs, rhs}, ValueRange{init})
      .getResult(0);
}

/// Returns the ops that read head matmuls of one stacked pair, keyed by the
/// pair, when every head of the stack has exactly one matmul.
llvm::MapVector<std::pair<Value, Value>, SmallVector<HeadMatmul>>
groupHeadMatmuls(Operation *root) {
  llvm::MapVector<std::pair<Value, Value>, SmallVector<HeadMatmul>> groups;
  root->walk([&](Operation *op) {
    if (std::optional<HeadMatmul> matmul = matchHeadMatmul(op))
      groups[{matmul->lhsStacked, matmul->rhsStacked}].push_back(*matmul);
  });
  llvm::MapVector<std::pair<Value, Value>, SmallVector<HeadMatmul>> complete;
  for (auto &[key, matmuls] : groups) {
    int64_t heads = cast<RankedTensorType>(key.first.getType()).getDimSize(0);
    if (static_cast<int64_t>(matmuls.size()) != heads)
      continue;
    llvm::sort(matmuls, [](const HeadMatmul &a, const HeadMatmul &b) {
      return a.head < b.head;
    });
    bool everyHead = true;
    for (int64_t head = 0; head < heads; ++head)
      everyHead &= matmuls[head].head == head &&
                   matmuls[head].op->getBlock() == matmuls[0].op->getBlock();
    if (everyHead)
      complete[key] = matmuls;
  }
  return complete;
}

/// Returns the op among `ops` that comes first in their common block.
Operation *firstInBlock(ArrayRef<Operation *> ops) {
  Operation *first = ops.front();
  for (Operation *op : ops)
    if (op->isBeforeInBlock(first))
      first = op;
  return first;
}

/// Returns whether `value` is defined before `op` or is a block argument
/// that dominates it.
bool isAvailableBefore(Value value, Operation *op) {
  Operation *producer = value.getDefiningOp();
  if (!producer)
    return true;
  if (producer->getBlock() != op->getBlock())
    return producer->getBlock()->getParentOp()->isAncestor(op) ||
           producer->isBeforeInBlock(op->getBlock()->getParentOp());
  return producer->isBeforeInBlock(op);
}

} // namespace

int64_t mlir::lapa::raise::foldHeadSlices(Operation *root) {
  int64_t folded = 0;
  for (auto &[key, matmuls] : groupHeadMatmuls(root)) {
    SmallVector<Operation *> ops;
    for (const HeadMatmul &matmul : matmuls)
      ops.push_back(matmul.op);
    // The batched contraction goes where the first head's matmul was; both
    // stacked tensors must already exist there.
    Operation *first = firstInBlock(ops);
    if (!isAvailableBefore(key.first, first) ||
        !isAvailableBefore(key.second, first))
      continue;
    OpBuilder builder(first);
    Location loc = first->getLoc();
    Value batched = createBatchMatmul(builder, loc, key.first, key.second);
    auto batchedType = cast<RankedTensorType>(batched.getType());

    // Each head's result becomes its slice of the batched result.
    for (const HeadMatmul &matmul : matmuls) {
      builder.setInsertionPoint(matmul.op);
      SmallVector<OpFoldResult> offsets = {builder.getIndexAttr(matmul.head),
                                           builder.getIndexAttr(0),
                                           builder.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {
          builder.getIndexAttr(1), builder.getIndexAttr(batchedType.getDimSize(1)),
          builder.getIndexAttr(batchedType.getDimSize(2))};
      SmallVector<OpFoldResult> strides(3, builder.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(builder, loc, batched,
                                                   offsets, sizes, strides);
      Value head = tensor::CollapseShapeOp::create(
          builder, loc, slice,
          SmallVector<ReassociationIndices>{{0, 1}, {2}});
      matmul.op->getResult(0).replaceAllUsesWith(head);
      // The head's operand slices and the matmul's init are dead now; erase
      // them so that the stacked tensors have no stale users.
      SmallVector<Value> operands(matmul.op->getOperands());
      matmul.op->erase();
      for (Value operand : operands) {
        while (Operation *producer = operand.getDefiningOp()) {
          if (!producer->use_empty() || !isMemoryEffectFree(producer))
            break;
          Value next =
              producer->getNumOperands() ? producer->getOperand(0) : Value();
          producer->erase();
          if (!next)
            break;
          operand = next;
        }
      }
    }
    ++folded;
  }
  return folded;
}

std::optional<ConcatenatedHeads>
mlir::lapa::raise::matchConcatenatedHeads(Value value) {
  // The last insert_slice of a chain that starts from tensor.empty and
  // writes equal pieces along dimension 0 in order.
  SmallVector<tensor::InsertSliceOp> inserts;
  Value dest = value;
  while (auto insert = dest.getDefiningOp<tensor::InsertSliceOp>()) {
    inserts.push_back(insert);
    dest = insert.getDest();
  }
  if (inserts.empty() || !dest.getDefiningOp<tensor::EmptyOp>())
    return std::nullopt;
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.hasStaticShape())
    return std::nullopt;

  ConcatenatedHeads result;
  result.pieces.assign(inserts.size(), Value());
  int64_t pieceRows = -1;
  for (tensor::InsertSliceOp insert : inserts) {
    if (!insert.hasUnitStride() ||
        insert.getSourceType().getRank() != type.getRank())
      return std::nullopt;
    ArrayRef<int64_t> offsets = insert.getStaticOffsets();
    ArrayRef<int64_t> sizes = insert.getStaticSizes();
    if (ShapedType::isDynamic(offsets[0]) || ShapedType::isDynamic(sizes[0]))
      return std::nullopt;
    for (int64_t dim = 1; dim < type.getRank(); ++dim)
      if (offsets[dim] != 0 || sizes[dim] != type.getDimSize(dim))
        return std::nullopt;
    if (pieceRows < 0)
      pieceRows = sizes[0];
    if (sizes[0] != pieceRows || offsets[0] % pieceRows != 0)
      return std::nullopt;
    int64_t index = offsets[0] / pieceRows;
    if (index >= static_cast<int64_t>(result.pieces.size()) ||
        result.pieces[index])
      return std::nullopt;
    result.pieces[index] = insert.getSource();
  }
  if (pieceRows * static_cast<int64_t>(result.pieces.size()) !=
      type.getDimSize(0))
    return std::nullopt;
  result.inserts.assign(inserts.begin(), inserts.end());
  return result;
}
