//===- BindWeights.cpp - Weight arguments from a safetensors file -------===//
//
// Turns the weight arguments of a graph into constants read from a
// safetensors file, so that a graph exported with its weights as arguments
// compiles to a stream that runs functionally.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "lapa/Support/Safetensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/BitVector.h"

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPABINDWEIGHTS
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;

namespace {

struct BindWeights
    : public ::mlir::lapa::impl::LapaBindWeightsBase<BindWeights> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (file.empty()) {
      mlir::emitError(module.getLoc())
          << "lapa-bind-weights needs a safetensors file: give file=PATH";
      return signalPassFailure();
    }
    llvm::Expected<::lapa::support::SafetensorsFile> weights =
        ::lapa::support::SafetensorsFile::open(file);
    if (!weights) {
      mlir::emitError(module.getLoc())
          << "cannot read weights: " << llvm::toString(weights.takeError());
      return signalPassFailure();
    }

    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      Block &entry = func.getBody().front();
      OpBuilder builder = OpBuilder::atBlockBegin(&entry);
      llvm::BitVector bound(func.getNumArguments());
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        auto name = func.getArgAttrOfType<StringAttr>(i, "lapa.weight");
        if (!name)
          continue;
        auto type = dyn_cast<RankedTensorType>(func.getArgument(i).getType());
        if (!type || !type.hasStaticShape() || !type.getElementType().isF32()) {
          func.emitError() << "argument " << i << " ('" << name.getValue()
                           << "') has the type " << func.getArgument(i).getType()
                           << "; lapa-bind-weights binds f32 tensors of static "
                              "shape";
          return signalPassFailure();
        }
        std::vector<uint64_t> shape(type.getShape().begin(),
                                    type.getShape().end());
        llvm::Expected<std::vector<float>> data =
            weights->readF32(name.getValue(), shape);
        if (!data) {
          func.emitError() << "cannot bind argument " << i << " ('"
                           << name.getValue()
                           << "'): " << llvm::toString(data.takeError());
          return signalPassFailure();
        }
        auto attr = DenseF32ResourceElementsAttr::get(
            type, name.getValue(),
            HeapAsmResourceBlob::allocateAndCopyInferAlign<float>(*data));
        auto constant = arith::ConstantOp::create(
            builder, func.getArgument(i).getLoc(), cast<TypedAttr>(attr));
        func.getArgument(i).replaceAllUsesWith(constant.getResult());
        bound.set(i);
        ++numBound;
      }
      if (bound.none())
        continue;
      // Calls of the function stop passing the bound weights.
      if (std::optional<SymbolTable::UseRange> uses =
              SymbolTable::getSymbolUses(func, module))
        for (SymbolTable::SymbolUse use : *uses)
          if (auto call = dyn_cast<func::CallOp>(use.getUser()))
            call->eraseOperands(bound);
      if (failed(func.eraseArguments(bound))) {
        func.emitError("cannot remove the bound weight arguments");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
