//===- LlamaGraph.cpp - Build the Llama forward pass in linalg ------------===//
//
// Writes the forward pass of a Llama decoder in the style in which PyTorch
// front ends lower Meta's reference model to linalg on tensors:
//  - one linalg.generic per elementwise operator, and reductions as
//    linalg.generic with a reduction loop;
//  - nn.Linear as a linalg.transpose of the weight and a linalg.matmul;
//  - heads split by tensor.expand_shape and linalg.transpose;
//  - attention scores and outputs as linalg.batch_matmul, and the softmax
//    decomposed into max, subtract, exp, sum and divide.
// Nothing is fused or pre-matched, because finding the attention in this
// graph is the job of lapa's raising passes.
//
// Batch is 1 and the sequence length T is static. Each op carries a name
// location ("layers.2.attention") that ties it to the model part it
// computes.
//
//===----------------------------------------------------------------------===//

#include "LlamaGraph.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::lapa;
using namespace mlir::lapa::import;

namespace {

using utils::IteratorType;

/// The scalar computation of an elementwise linalg.generic: it receives the
/// input elements and returns the output element.
using ElementFn = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;

class GraphBuilder {
public:
  GraphBuilder(OpBuilder &builder, const LlamaConfig &config, int64_t seqLen)
      : builder(builder), config(config), seqLen(seqLen),
        loc(builder.getUnknownLoc()), f32(builder.getF32Type()) {}

  Value forward(Value tokens, const ModelWeights &weights);

private:
  // Building blocks.
  void setScope(const Twine &name) {
    loc = NameLoc::get(builder.getStringAttr(name));
  }
  Value emptyTensor(ArrayRef<int64_t> shape, Type elementType);
  Value filledTensor(ArrayRef<int64_t> shape, double value);
  Value scalarConstant(double value);
  AffineMap selectDims(unsigned numDims, ArrayRef<int64_t> dims);
  Value elementwise(ArrayRef<int64_t> shape, ValueRange inputs,
                    ArrayRef<AffineMap> inputMaps, ElementFn fn);
  Value elementwise(Value input, ElementFn fn);
  Value reduceLastDim(Value input, bool max);
  Value expand(Value input, ArrayRef<int64_t> shape,
               ArrayRef<ReassociationIndices> reassociation);
  Value collapse(Value input, ArrayRef<ReassociationIndices> reassociation);
  Value transpose(Value input, ArrayRef<int64_t> permutation);

  // Model parts.
  Value embed(Value tokens, Value table);
  Value rmsNorm(Value x, Value gain);
  Value linear(Value x, Value weight);
  Value add(Value lhs, Value rhs);
  void buildPositionTables();
  void buildCausalMask();
  Value rotate(Value x);
  Value softmax(Value scores);
  Value attention(Value x, const LayerWeights &layer);
  Value feedForward(Value x, const LayerWeights &layer);

  static ArrayRef<int64_t> shapeOf(Value value) {
    return cast<RankedTensorType>(value.getType()).getShape();
  }

  OpBuilder &builder;
  const LlamaConfig &config;
  int64_t seqLen;
  Location loc;
  Type f32;
  /// cos and sin of the rotary angles, [T, head_dim / 2], shared by layers.
  Value cosTable, sinTable;
  /// Additive causal mask [T, T]: 0 on and below the diagonal, -inf above.
  Value causalMask;
};

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

Value GraphBuilder::emptyTensor(ArrayRef<int64_t> shape, Type elementType) {
  return tensor::EmptyOp::create(builder, loc, shape, elementType);
}

Value GraphBuilder::filledTensor(ArrayRef<int64_t> shape, double value) {
  Value init = emptyTensor(shape, f32);
  return linalg::FillOp::create(builder, loc, scalarConstant(value), init)
      .getResult(0);
}

Value GraphBuilder::scalarConstant(double value) {
  return arith::ConstantOp::create(builder, loc,
                                   builder.getF32FloatAttr(value));
}

/// Returns the map (d0, ..., d{numDims-1}) -> (d{dims[0]}, ...), where a
/// dimension of -1 reads index 0 (a broadcast unit dimension).
AffineMap GraphBuilder::selectDims(unsigned numDims, ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> results;
  for (int64_t dim : dims)
    results.push_back(dim < 0 ? builder.getAffineConstantExpr(0)
                              : builder.getAffineDimExpr(dim));
  return AffineMap::get(numDims, 0, results, builder.getContext());
}

Value GraphBuilder::elementwise(ArrayRef<int64_t> shape, ValueRange inputs,
                                ArrayRef<AffineMap> inputMaps, ElementFn fn) {
  SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.push_back(builder.getMultiDimIdentityMap(shape.size()));
  SmallVector<IteratorType> iterators(shape.size(), IteratorType::parallel);
  Value init = emptyTensor(shape, f32);
  auto generic = linalg::GenericOp::create(
      builder, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = fn(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value GraphBuilder::elementwise(Value input, ElementFn fn) {
  ArrayRef<int64_t> shape = shapeOf(input);
  return elementwise(shape, input, builder.getMultiDimIdentityMap(shape.size()),
                     fn);
}

/// Reduces the last dimension with a sum (from 0) or a max (from -inf) in a
/// linalg.generic with one reduction loop. The result drops that dimension.
Value GraphBuilder::reduceLastDim(Value input, bool max) {
  ArrayRef<int64_t> shape = shapeOf(input);
  unsigned rank = shape.size();
  SmallVector<int64_t> kept(shape.drop_back());
  double initial = max ? -std::numeric_limits<double>::infinity() : 0.0;
  Value init = filledTensor(kept, initial);
  SmallVector<IteratorType> iterators(rank - 1, IteratorType::parallel);
  iterators.push_back(IteratorType::reduction);
  SmallVector<AffineMap> maps = {
      builder.getMultiDimIdentityMap(rank),
      selectDims(rank, llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)))};
  auto generic = linalg::GenericOp::create(
      builder, loc, init.getType(), input, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value combined =
            max ? arith::MaximumFOp::create(nested, nestedLoc, args[0], args[1])
                      .getResult()
                : arith::AddFOp::create(nested, nestedLoc, args[0], args[1])
                      .getResult();
        linalg::YieldOp::create(nested, nestedLoc, combined);
      });
  return generic.getResult(0);
}

Value GraphBuilder::expand(Value input, ArrayRef<int64_t> shape,
                           ArrayRef<ReassociationIndices> reassociation) {
  auto type = RankedTensorType::get(shape, f32);
  return tensor::ExpandShapeOp::create(builder, loc, type, input,
                                       reassociation);
}

Value GraphBuilder::collapse(Value input,
                             ArrayRef<ReassociationIndices> reassociation) {
  return tensor::CollapseShapeOp::create(builder, loc, input, reassociation);
}

/// Returns `input` with result dimension i taken from input dimension
/// permutation[i].
Value GraphBuilder::transpose(Value input, ArrayRef<int64_t> permutation) {
  ArrayRef<int64_t> shape = shapeOf(input);
  SmallVector<int64_t> permuted;
  for (int64_t dim : permutation)
    permuted.push_back(shape[dim]);
  Value init = emptyTensor(permuted, f32);
  return linalg::TransposeOp::create(builder, loc, input, init, permutation)
      .getResult()[0];
}

//===----------------------------------------------------------------------===//
// Model parts
//===----------------------------------------------------------------------===//

/// h[0, t, :] = table[tokens[0, t], :], as a gather: a linalg.generic that
/// reads each token id and extracts the table element.
// NOTE: like the gathers that front ends emit, this does not check the ids.
// An id outside [0, vocab_size) reads out of bounds when the graph runs.
Value GraphBuilder::embed(Value tokens, Value table) {
  SmallVector<int64_t> shape = {1, seqLen, config.dim};
  Value init = emptyTensor(shape, f32);
  SmallVector<AffineMap> maps = {selectDims(3, {0, 1}),
                                 builder.getMultiDimIdentityMap(3)};
  SmallVector<IteratorType> iterators(3, IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      builder, loc, init.getType(), tokens, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value row = arith::IndexCastOp::create(nested, nestedLoc,
                                               nested.getIndexType(), args[0]);
        Value column = linalg::IndexOp::create(nested, nestedLoc, 2);
        Value element = tensor::ExtractOp::create(nested, nestedLoc, table,
                                                  ValueRange{row, column});
        linalg::YieldOp::create(nested, nestedLoc, element);
      });
  return generic.getResult(0);
}

/// RMSNorm(x; g) = x * rsqrt(mean_j(x_j^2) + eps) * g over the last
/// dimension, with the row statistics kept as [1, T, 1] (keepdim).
Value GraphBuilder::rmsNorm(Value x, Value gain) {
  SmallVector<int64_t> shape(shapeOf(x));
  Value squares = elementwise(x, [](OpBuilder &b, Location l, ValueRange v) {
    return arith::MulFOp::create(b, l, v[0], v[0]).getResult();
  });
  Value sums = reduceLastDim(squares, /*max=*/false);
  Value rowSums = expand(sums, {1, seqLen, 1}, {{0}, {1, 2}});
  Value count = scalarConstant(static_cast<double>(shape.back()));
  Value means =
      elementwise(rowSums, [&](OpBuilder &b, Location l, ValueRange v) {
        return arith::DivFOp::create(b, l, v[0], count).getResult();
      });
  Value eps = scalarConstant(config.normEps);
  Value shifted =
      elementwise(means, [&](OpBuilder &b, Location l, ValueRange v) {
        return arith::AddFOp::create(b, l, v[0], eps).getResult();
      });
  Value inverse =
      elementwise(shifted, [](OpBuilder &b, Location l, ValueRange v) {
        return math::RsqrtOp::create(b, l, v[0]).getResult();
      });
  auto multiply = [](OpBuilder &b, Location l, ValueRange v) {
    return arith::MulFOp::create(b, l, v[0], v[1]).getResult();
  };
  Value normalized = elementwise(
      shape, {x, inverse},
      {builder.getMultiDimIdentityMap(3), selectDims(3, {0, 1, -1})}, multiply);
  return elementwise(shape, {normalized, gain},
                     {builder.getMultiDimIdentityMap(3), selectDims(3, {2})},
                     multiply);
}

/// nn.Linear without bias: y = x W^T with W of shape [out, in] (PyTorch
/// layout). x is [1, T, in]; the product runs on the [T, in] view.
Value GraphBuilder::linear(Value x, Value weight) {
  ArrayRef<int64_t> weightShape = shapeOf(weight);
  int64_t outFeatures = weightShape[0];
  Value weightT = transpose(weight, {1, 0});
  Value rows = collapse(x, {{0, 1}, {2}});
  Value init = filledTensor({seqLen, outFeatures}, 0.0);
  Value product =
      linalg::MatmulOp::create(builder, loc, init.getType(),
                               ValueRange{rows, weightT}, ValueRange{init})
          .getResult(0);
  return expand(product, {1, seqLen, outFeatures}, {{0, 1}, {2}});
}

Value GraphBuilder::add(Value lhs, Value rhs) {
  ArrayRef<int64_t> shape = shapeOf(lhs);
  AffineMap identity = builder.getMultiDimIdentityMap(shape.size());
  return elementwise(
      shape, {lhs, rhs}, {identity, identity},
      [](OpBuilder &b, Location l, ValueRange v) {
        return arith::AddFOp::create(b, l, v[0], v[1]).getResult();
      });
}

/// The rotary tables for positions t = 0..T-1 and pairs i = 0..d/2-1:
/// angle = t * theta^(-2i/d), computed in double and rounded to float, as
/// the model's reference implementation does. Meta's reference precomputes
/// these tables once, so a traced model carries them as constants too.
void GraphBuilder::buildPositionTables() {
  int64_t pairs = config.headDim / 2;
  std::vector<float> cosValues, sinValues;
  cosValues.reserve(seqLen * pairs);
  sinValues.reserve(seqLen * pairs);
  for (int64_t t = 0; t < seqLen; ++t) {
    for (int64_t i = 0; i < pairs; ++i) {
      double frequency =
          std::pow(config.ropeTheta, -2.0 * static_cast<double>(i) /
                                         static_cast<double>(config.headDim));
      double angle = static_cast<double>(t) * frequency;
      cosValues.push_back(static_cast<float>(std::cos(angle)));
      sinValues.push_back(static_cast<float>(std::sin(angle)));
    }
  }
  auto type = RankedTensorType::get({seqLen, pairs}, f32);
  cosTable = arith::ConstantOp::create(
      builder, loc, DenseElementsAttr::get(type, ArrayRef<float>(cosValues)));
  sinTable = arith::ConstantOp::create(
      builder, loc, DenseElementsAttr::get(type, ArrayRef<float>(sinValues)));
}

/// triu(full([T, T], -inf), diagonal=1): -inf where key s > query t, else 0.
void GraphBuilder::buildCausalMask() {
  auto type = RankedTensorType::get({seqLen, seqLen}, f32);
  Value full = arith::ConstantOp::create(
      builder, loc,
      DenseElementsAttr::get(type, -std::numeric_limits<float>::infinity()));
  Value init = emptyTensor({seqLen, seqLen}, f32);
  AffineMap identity = builder.getMultiDimIdentityMap(2);
  SmallVector<IteratorType> iterators(2, IteratorType::parallel);
  causalMask =
      linalg::GenericOp::create(
          builder, loc, type, full, ValueRange{init},
          ArrayRef<AffineMap>{identity, identity}, iterators,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value query = linalg::IndexOp::create(b, l, 0);
            Value key = linalg::IndexOp::create(b, l, 1);
            Value above = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ugt,
                                                key, query);
            Value zero =
                arith::ConstantOp::create(b, l, b.getF32FloatAttr(0.0));
            Value masked = arith::SelectOp::create(b, l, above, args[0], zero);
            linalg::YieldOp::create(b, l, masked);
          })
          .getResult(0);
}

/// Interleaved rotary position embedding on x = [1, T, H, d]. Each pair
/// (x[2i], x[2i+1]) at position t becomes
///   y[2i]   = x[2i] * cos(angle) - x[2i+1] * sin(angle)
///   y[2i+1] = x[2i] * sin(angle) + x[2i+1] * cos(angle),
/// written as Meta's reference writes it: view the pairs as [.., d/2, 2],
/// take the two components, rotate them, and put them back.
Value GraphBuilder::rotate(Value x) {
  int64_t heads = config.numHeads;
  int64_t pairs = config.headDim / 2;
  SmallVector<int64_t> pairShape = {1, seqLen, heads, pairs, 2};
  SmallVector<int64_t> halfShape = {1, seqLen, heads, pairs};
  Value pairsView = expand(x, pairShape, {{0}, {1}, {2}, {3, 4}});

  auto index = [&](int64_t value) -> OpFoldResult {
    return builder.getIndexAttr(value);
  };
  SmallVector<OpFoldResult> sizes = {index(1), index(seqLen), index(heads),
                                     index(pairs), index(1)};
  SmallVector<OpFoldResult> strides(5, index(1));
  auto offsets = [&](int64_t component) {
    return SmallVector<OpFoldResult>{index(0), index(0), index(0), index(0),
                                     index(component)};
  };
  auto halfType = RankedTensorType::get(halfShape, f32);
  Value even = tensor::ExtractSliceOp::create(builder, loc, halfType, pairsView,
                                              offsets(0), sizes, strides);
  Value odd = tensor::ExtractSliceOp::create(builder, loc, halfType, pairsView,
                                             offsets(1), sizes, strides);

  AffineMap identity = builder.getMultiDimIdentityMap(4);
  AffineMap table = selectDims(4, {1, 3});
  auto multiply = [](OpBuilder &b, Location l, ValueRange v) {
    return arith::MulFOp::create(b, l, v[0], v[1]).getResult();
  };
  auto subtract = [](OpBuilder &b, Location l, ValueRange v) {
    return arith::SubFOp::create(b, l, v[0], v[1]).getResult();
  };
  auto plus = [](OpBuilder &b, Location l, ValueRange v) {
    return arith::AddFOp::create(b, l, v[0], v[1]).getResult();
  };
  Value evenCos =
      elementwise(halfShape, {even, cosTable}, {identity, table}, multiply);
  Value oddSin =
      elementwise(halfShape, {odd, sinTable}, {identity, table}, multiply);
  Value rotatedEven =
      elementwise(halfShape, {evenCos, oddSin}, {identity, identity}, subtract);
  Value evenSin =
      elementwise(halfShape, {even, sinTable}, {identity, table}, multiply);
  Value oddCos =
      elementwise(halfShape, {odd, cosTable}, {identity, table}, multiply);
  Value rotatedOdd =
      elementwise(halfShape, {evenSin, oddCos}, {identity, identity}, plus);

  Value joined = emptyTensor(pairShape, f32);
  joined = tensor::InsertSliceOp::create(builder, loc, rotatedEven, joined,
                                         offsets(0), sizes, strides);
  joined = tensor::InsertSliceOp::create(builder, loc, rotatedOdd, joined,
                                         offsets(1), sizes, strides);
  return collapse(joined, {{0}, {1}, {2}, {3, 4}});
}

/// softmax over the last dimension of [1, H, T, T], decomposed:
/// p = exp(s - max(s)) / sum(exp(s - max(s))).
Value GraphBuilder::softmax(Value scores) {
  SmallVector<int64_t> shape(shapeOf(scores));
  SmallVector<int64_t> rowShape = {shape[0], shape[1], shape[2], 1};
  SmallVector<ReassociationIndices> keepDim = {{0}, {1}, {2, 3}};
  AffineMap identity = builder.getMultiDimIdentityMap(4);
  AffineMap row = selectDims(4, {0, 1, 2, -1});

  Value maxima = expand(reduceLastDim(scores, /*max=*/true), rowShape, keepDim);
  Value shifted =
      elementwise(shape, {scores, maxima}, {identity, row},
                  [](OpBuilder &b, Location l, ValueRange v) {
                    return arith::SubFOp::create(b, l, v[0], v[1]).getResult();
                  });
  Value exps = elementwise(shifted, [](OpBuilder &b, Location l, ValueRange v) {
    return math::ExpOp::create(b, l, v[0]).getResult();
  });
  Value sums = expand(reduceLastDim(exps, /*max=*/false), rowShape, keepDim);
  return elementwise(
      shape, {exps, sums}, {identity, row},
      [](OpBuilder &b, Location l, ValueRange v) {
        return arith::DivFOp::create(b, l, v[0], v[1]).getResult();
      });
}

/// Builds one attention block of Meta's reference, on x = [1, T, dim]:
///   q, k, v = x Wq^T, x Wk^T, x Wv^T, viewed as [1, T, H, d]
///   q, k = RoPE(q), RoPE(k); then q, k, v transposed to [1, H, T, d]
///   s = q k^T / sqrt(d) + mask; p = softmax(s); o = p v
///   o transposed back to [1, T, H, d], merged to [1, T, dim], times Wo^T.
Value GraphBuilder::attention(Value x, const LayerWeights &layer) {
  int64_t heads = config.numHeads;
  int64_t headDim = config.headDim;
  SmallVector<int64_t> headShape = {1, seqLen, heads, headDim};
  SmallVector<ReassociationIndices> splitHeads = {{0}, {1}, {2, 3}};
  SmallVector<ReassociationIndices> mergeBatch = {{0, 1}, {2}, {3}};

  Value q = expand(linear(x, layer.wq), headShape, splitHeads);
  Value k = expand(linear(x, layer.wk), headShape, splitHeads);
  Value v = expand(linear(x, layer.wv), headShape, splitHeads);
  q = rotate(q);
  k = rotate(k);
  q = transpose(q, {0, 2, 1, 3});
  k = transpose(k, {0, 2, 1, 3});
  v = transpose(v, {0, 2, 1, 3});

  // Scores: [H, T, d] x [H, d, T] -> [H, T, T].
  Value keysT = transpose(k, {0, 1, 3, 2});
  Value scoreInit = filledTensor({heads, seqLen, seqLen}, 0.0);
  Value scores =
      linalg::BatchMatmulOp::create(
          builder, loc, scoreInit.getType(),
          ValueRange{collapse(q, mergeBatch), collapse(keysT, mergeBatch)},
          ValueRange{scoreInit})
          .getResult(0);
  SmallVector<int64_t> scoreShape = {1, heads, seqLen, seqLen};
  scores = expand(scores, scoreShape, mergeBatch);

  // PyTorch divides by the Python float math.sqrt(head_dim), which becomes
  // an f32 constant.
  Value root = scalarConstant(std::sqrt(static_cast<double>(headDim)));
  scores = elementwise(scores, [&](OpBuilder &b, Location l, ValueRange v) {
    return arith::DivFOp::create(b, l, v[0], root).getResult();
  });
  scores =
      elementwise(scoreShape, {scores, causalMask},
                  {builder.getMultiDimIdentityMap(4), selectDims(4, {2, 3})},
                  [](OpBuilder &b, Location l, ValueRange v) {
                    return arith::AddFOp::create(b, l, v[0], v[1]).getResult();
                  });

  Value probs = softmax(scores);

  // Outputs: [H, T, T] x [H, T, d] -> [H, T, d].
  Value outputInit = filledTensor({heads, seqLen, headDim}, 0.0);
  Value outputs =
      linalg::BatchMatmulOp::create(
          builder, loc, outputInit.getType(),
          ValueRange{collapse(probs, mergeBatch), collapse(v, mergeBatch)},
          ValueRange{outputInit})
          .getResult(0);
  outputs = expand(outputs, {1, heads, seqLen, headDim}, mergeBatch);
  outputs = transpose(outputs, {0, 2, 1, 3});
  Value merged = collapse(outputs, {{0}, {1}, {2, 3}});
  return linear(merged, layer.wo);
}

/// Builds the SwiGLU feed-forward network (silu(x W1^T) * (x W3^T)) W2^T with
/// silu(z) = z * sigmoid(z) and sigmoid(z) = 1 / (1 + exp(-z)), each
/// operator one linalg.generic.
Value GraphBuilder::feedForward(Value x, const LayerWeights &layer) {
  Value gate = linear(x, layer.w1);
  Value up = linear(x, layer.w3);
  ArrayRef<int64_t> hiddenShape = shapeOf(gate);
  AffineMap identity = builder.getMultiDimIdentityMap(3);
  Value one = scalarConstant(1.0);
  Value sigmoid =
      elementwise(gate, [&](OpBuilder &b, Location l, ValueRange v) {
        Value negated = arith::NegFOp::create(b, l, v[0]);
        Value exp = math::ExpOp::create(b, l, negated);
        Value denominator = arith::AddFOp::create(b, l, exp, one);
        return arith::DivFOp::create(b, l, one, denominator).getResult();
      });
  auto multiply = [](OpBuilder &b, Location l, ValueRange v) {
    return arith::MulFOp::create(b, l, v[0], v[1]).getResult();
  };
  Value activated =
      elementwise(hiddenShape, {gate, sigmoid}, {identity, identity}, multiply);
  Value gated =
      elementwise(hiddenShape, {activated, up}, {identity, identity}, multiply);
  return linear(gated, layer.w2);
}

Value GraphBuilder::forward(Value tokens, const ModelWeights &weights) {
  setScope("tok_embeddings");
  Value hidden = embed(tokens, weights.embeddings);
  setScope("rope");
  buildPositionTables();
  setScope("mask");
  buildCausalMask();

  for (auto [index, layer] : llvm::enumerate(weights.layers)) {
    std::string prefix = "layers." + std::to_string(index) + ".";
    setScope(prefix + "attention_norm");
    Value normed = rmsNorm(hidden, layer.attentionNorm);
    setScope(prefix + "attention");
    Value attended = attention(normed, layer);
    hidden = add(hidden, attended);
    setScope(prefix + "ffn_norm");
    normed = rmsNorm(hidden, layer.ffnNorm);
    setScope(prefix + "feed_forward");
    hidden = add(hidden, feedForward(normed, layer));
  }

  setScope("norm");
  Value normed = rmsNorm(hidden, weights.norm);
  setScope("output");
  return linear(normed, weights.output);
}

} // namespace

Value mlir::lapa::import::buildLlamaForward(OpBuilder &builder,
                                            const LlamaConfig &config,
                                            int64_t seqLen, Value tokens,
                                            const ModelWeights &weights) {
  GraphBuilder graph(builder, config, seqLen);
  return graph.forward(tokens, weights);
}
