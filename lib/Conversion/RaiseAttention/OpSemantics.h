//===- OpSemantics.h - What a linalg or TOSA op computes --------*- C++ -*-===//
//
// A small, dialect-neutral description of the ops that make up attention in
// front-end graphs: contractions, elementwise arithmetic, reductions and
// value-preserving views (reshapes, transposes, copies). The attention
// matcher reads linalg named ops, linalg.generic ops and TOSA ops through
// these descriptions, so one matcher serves every spelling.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_CONVERSION_RAISEATTENTION_OPSEMANTICS_H
#define LAPA_LIB_CONVERSION_RAISEATTENTION_OPSEMANTICS_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::lapa::raise {

/// A batched contraction `result[b.., m, n] = sum_k lhs[..] * rhs[..]` with
/// exactly one m, one n and one k dimension and any number of batch
/// dimensions. Positions are operand dimensions.
struct Contraction {
  Operation *op = nullptr;
  Value lhs, rhs, result;
  /// Batch dimensions of each operand and of the result, in the order of
  /// the result's batch dimensions.
  SmallVector<int64_t> lhsBatch, rhsBatch, resultBatch;
  int64_t lhsFree = -1, lhsReduced = -1;
  int64_t rhsFree = -1, rhsReduced = -1;
  /// Result dimensions of the lhs free (m) and rhs free (n) dimensions.
  int64_t resultLhsFree = -1, resultRhsFree = -1;
};

/// Returns the contraction `op` computes: linalg.matmul, linalg.batch_matmul
/// (with any indexing maps), a linalg.generic contraction, or tosa.matmul.
std::optional<Contraction> matchContraction(Operation *op);

enum class ElementwiseKind {
  Add, Sub, Mul, Div, Exp, Max, Sqrt, Rsqrt, Copy, Cast, Other
};

/// One operand of an elementwise op: a tensor read through an indexing map
/// (which may broadcast), or a scalar constant captured by a linalg.generic
/// body. A tensor operand may still be a splat constant, which `scalarOf`
/// returns.
struct ElementwiseOperand {
  Value tensor;
  AffineMap map;
  std::optional<double> scalar;
};

/// An op that applies one scalar operation to every element.
struct Elementwise {
  Operation *op = nullptr;
  ElementwiseKind kind = ElementwiseKind::Other;
  /// Operands in the order of the scalar operation (lhs, rhs).
  SmallVector<ElementwiseOperand, 2> operands;
  Value result;
};

/// Returns the constant value of an operand: its captured scalar, or the
/// splat constant its tensor holds.
std::optional<double> scalarOf(const ElementwiseOperand &operand);

/// Returns the elementwise operation of a linalg.generic whose body is one
/// arith or math op (or a plain yield), or of a TOSA elementwise op.
std::optional<Elementwise> matchElementwise(Operation *op);

enum class ReductionKind { Sum, Max };

/// A reduction of `input` over `dims` (input dimensions).
struct Reduction {
  Operation *op = nullptr;
  ReductionKind kind = ReductionKind::Sum;
  Value input;
  SmallVector<int64_t> dims;
};

/// Returns the reduction of a linalg.generic with reduction iterators, a
/// linalg.reduce, or tosa.reduce_sum / tosa.reduce_max.
std::optional<Reduction> matchReduction(Operation *op);

/// A value-preserving view of `source`: a reshape, or a permutation where
/// result dimension i is source dimension `sourceDim[i]` (a copy has the
/// identity permutation).
struct View {
  Operation *op = nullptr;
  Value source;
  bool isReshape = false;
  SmallVector<int64_t> sourceDim;
};

/// Returns the view `op` is: tensor.expand_shape, tensor.collapse_shape,
/// tosa.reshape, linalg.transpose, tosa.transpose, tosa.identity,
/// tensor.cast, or a linalg.generic that copies through a permutation.
std::optional<View> matchView(Operation *op);

/// Returns the value of a splat floating-point constant, looking through
/// broadcasts, reshapes, fills and elementwise arithmetic on constants, at
/// most `depth` ops deep so that a long elementwise chain costs little.
std::optional<double> getScalarConstant(Value value, int depth = 6);

/// Returns, for a reshape from `source` to `result` shapes, the result
/// dimension that each source dimension maps to one-to-one, or -1 where
/// dimensions merge or split (unit dimensions map to -1 too).
SmallVector<int64_t> mapReshapeDims(ArrayRef<int64_t> source,
                                    ArrayRef<int64_t> result);

} // namespace mlir::lapa::raise

#endif // LAPA_LIB_CONVERSION_RAISEATTENTION_OPSEMANTICS_H
