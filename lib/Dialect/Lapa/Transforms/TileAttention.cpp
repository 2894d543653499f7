//===- TileAttention.cpp - Tile lapa.attention with the SCF driver ------===//
//
// Drives the upstream scf::tileUsingSCF over every lapa.attention, which
// tiles through the op's TilingInterface.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPATILEATTENTION
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;

namespace {

struct TileAttention
    : public ::mlir::lapa::impl::LapaTileAttentionBase<TileAttention> {
  using Base::Base;

  void runOnOperation() override {
    if (tileSizes.size() != 4) {
      getOperation()->emitError()
          << "option tile-sizes has " << tileSizes.size()
          << " entries; give four, one per loop (b, h, i, c), e.g. "
             "tile-sizes=1,1,64,0";
      return signalPassFailure();
    }
    for (int64_t size : tileSizes)
      if (size < 0) {
        getOperation()->emitError()
            << "option tile-sizes has the entry " << size
            << "; a tile size is at least 1, or 0 to leave a loop untiled";
        return signalPassFailure();
      }

    SmallVector<mlir::lapa::AttentionOp> attentions;
    getOperation()->walk(
        [&](mlir::lapa::AttentionOp op) { attentions.push_back(op); });

    IRRewriter rewriter(&getContext());
    SmallVector<OpFoldResult> sizes;
    for (int64_t size : tileSizes)
      sizes.push_back(rewriter.getIndexAttr(size));
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes);
    if (forall)
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    for (mlir::lapa::AttentionOp op : attentions) {
      // Check the head tile here, so that the driver's own messages do not
      // follow the reason.
      auto queryType = op.getQuery().getType();
      auto keyType = op.getKey().getType();
      if (tileSizes[1] != 0 && !queryType.isDynamicDim(1) &&
          queryType.getDimSize(1) != keyType.getDimSize(1) &&
          tileSizes[1] < queryType.getDimSize(1)) {
        op.emitOpError()
            << "cannot split the heads of grouped-query attention ("
            << queryType.getDimSize(1) << " query heads, "
            << keyType.getDimSize(1)
            << " key/value heads) into tiles; give the head loop a tile "
               "size of 0 (untiled) or the whole head count";
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        return signalPassFailure();
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace
