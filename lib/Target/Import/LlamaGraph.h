//===- LlamaGraph.h - Build the Llama forward pass in linalg ----*- C++ -*-===//
//
// The graph builder of the importer: given validated config values and the
// weight values of @forward, it writes the forward pass of a Llama decoder
// in upstream linalg, tensor, arith and math ops.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_TARGET_IMPORT_LLAMAGRAPH_H
#define LAPA_LIB_TARGET_IMPORT_LLAMAGRAPH_H

#include "LlamaWeights.h"

#include "mlir/IR/Builders.h"

namespace mlir::lapa::import {

/// Builds the forward pass at the insertion point of `builder` and returns
/// the logits, a `tensor<1 x seqLen x vocab_size x f32>`. `tokens` is a
/// `tensor<1 x seqLen x i64>` of token ids.
Value buildLlamaForward(OpBuilder &builder, const LlamaConfig &config,
                        int64_t seqLen, Value tokens,
                        const ModelWeights &weights);

} // namespace mlir::lapa::import

#endif // LAPA_LIB_TARGET_IMPORT_LLAMAGRAPH_H
