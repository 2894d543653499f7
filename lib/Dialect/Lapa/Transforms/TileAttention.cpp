//===- TileAttention.cpp - Tile lapa.attention with the SCF driver ------===//
//
// Drives the upstream scf::tileUsingSCF over every lapa.attention, which
// tiles through the op's TilingInterface.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringExtras.h"

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
      mlir::emitError(getOperation()->getLoc())
          << "option tile-sizes has " << tileSizes.size()
          << " entries; give four, one per loop (b, h, i, c), e.g. "
             "tile-sizes=1,1,64,0";
      return signalPassFailure();
    }
    for (int64_t size : tileSizes)
      if (size < 0) {
        mlir::emitError(getOperation()->getLoc())
            << "option tile-sizes has the entry " << size
            << "; a tile size is at least 1, or 0 to leave a loop untiled";
        return signalPassFailure();
      }

    SmallVector<mlir::lapa::AttentionOp> attentions;
    getOperation()->walk(
        [&](mlir::lapa::AttentionOp op) { attentions.push_back(op); });

    IRRewriter rewriter(&getContext());
    for (mlir::lapa::AttentionOp op : attentions) {
      // The head loop: a tile of all heads is no tile, and a partial head
      // tile must divide the heads (the tiled op needs a static head count)
      // and may not split grouped-query heads. Checking here keeps the
      // driver's own messages from following the reason.
      SmallVector<int64_t> opSizes(tileSizes.begin(), tileSizes.end());
      auto queryType = op.getQuery().getType();
      auto keyType = op.getKey().getType();
      int64_t heads = queryType.getDimSize(1);
      if (!queryType.isDynamicDim(1) && opSizes[1] >= heads)
        opSizes[1] = 0;
      if (opSizes[1] != 0) {
        if (queryType.isDynamicDim(1) || keyType.isDynamicDim(1) ||
            heads != keyType.getDimSize(1)) {
          op.emitOpError()
              << "cannot split the heads of grouped-query attention ("
              << heads << " query heads, " << keyType.getDimSize(1)
              << " key/value heads) into tiles; give the head loop a tile "
                 "size of 0 (untiled) or the whole head count";
          return signalPassFailure();
        }
        if (heads % opSizes[1] != 0) {
          SmallVector<std::string> divisors;
          for (int64_t d = 1; d <= heads; ++d)
            if (heads % d == 0)
              divisors.push_back(std::to_string(d));
          op.emitOpError() << "head tile " << opSizes[1] << " does not divide "
                           << heads << " heads; give a divisor ("
                           << llvm::join(divisors, ", ")
                           << ") or 0 to leave the heads untiled";
          return signalPassFailure();
        }
      }
      SmallVector<OpFoldResult> sizes;
      for (int64_t size : opSizes)
        sizes.push_back(rewriter.getIndexAttr(size));
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      if (forall)
        options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
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
