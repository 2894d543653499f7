//===- FoldHeadSlices.h - Batch attention unrolled over heads ---*- C++ -*-===//
//
// Rewrites per-head 2-D matmuls on slices of stacked tensors into batched
// contractions, and recognizes per-head pieces joined by insert_slice.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_CONVERSION_RAISEATTENTION_FOLDHEADSLICES_H
#define LAPA_LIB_CONVERSION_RAISEATTENTION_FOLDHEADSLICES_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Operation.h"

namespace mlir::lapa::raise {

/// Replaces every complete set of head matmuls `matmul(A[h], B[h])`, one per
/// index h of the stacked tensors A and B (each operand the collapse of a
/// one-index extract_slice), with one batch_matmul(A, B) whose slices feed
/// the former users. Returns the number of sets folded.
int64_t foldHeadSlices(Operation *root);

/// Pieces written along dimension 0 of a fresh tensor by a chain of
/// insert_slice ops, in the order of their offsets.
struct ConcatenatedHeads {
  SmallVector<Value> pieces;
  SmallVector<tensor::InsertSliceOp> inserts;
};

/// Returns the pieces when `value` is such a concatenation of equal pieces
/// that covers dimension 0 exactly.
std::optional<ConcatenatedHeads> matchConcatenatedHeads(Value value);

} // namespace mlir::lapa::raise

#endif // LAPA_LIB_CONVERSION_RAISEATTENTION_FOLDHEADSLICES_H
