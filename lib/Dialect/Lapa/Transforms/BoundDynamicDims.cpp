//===- BoundDynamicDims.cpp - Static sizes for dynamic arguments --------===//
//
// Replaces the dynamic dimensions of function arguments with the sizes the
// user gives, then lets canonicalization carry the static shapes through
// the graph, so that a graph exported with a dynamic sequence length can
// be compiled for a fixed one.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPABOUNDDYNAMICDIMS
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;

namespace {

struct BoundDynamicDims
    : public ::mlir::lapa::impl::LapaBoundDynamicDimsBase<BoundDynamicDims> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions;
    int64_t dynamicDims = 0;
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      functions.push_back(func);
      for (Type type : func.getArgumentTypes())
        if (auto shaped = dyn_cast<RankedTensorType>(type))
          dynamicDims += shaped.getNumDynamicDims();
    }
    if (dynamicDims == 0)
      return;
    StringRef noun = dynamicDims == 1 ? "dimension" : "dimensions";
    if (sizes.empty()) {
      mlir::emitError(module.getLoc())
          << "the arguments have " << dynamicDims << " dynamic " << noun
          << " but option sizes is empty; give one size "
             "for all, or one per dynamic dimension, e.g. sizes=128";
      return signalPassFailure();
    }
    if (sizes.size() != 1 && int64_t(sizes.size()) != dynamicDims) {
      mlir::emitError(module.getLoc())
          << "option sizes (dynamic-sizes of lapa-compile and lapa-run) has "
          << sizes.size()
          << (sizes.size() == 1 ? " entry" : " entries")
          << ", but the arguments have " << dynamicDims << " dynamic " << noun
          << "; give one size for all, or one per "
             "dynamic dimension in argument order";
      return signalPassFailure();
    }
    for (int64_t size : sizes)
      if (size <= 0) {
        mlir::emitError(module.getLoc())
            << "option sizes (dynamic-sizes of lapa-compile and lapa-run) has "
               "the entry "
            << size
            << "; a dimension size must be at least 1";
        return signalPassFailure();
      }

    unsigned next = 0;
    for (func::FuncOp func : functions) {
      Block &entry = func.getBody().front();
      OpBuilder builder = OpBuilder::atBlockBegin(&entry);
      SmallVector<Type> argTypes(func.getArgumentTypes());
      for (auto [i, argument] : llvm::enumerate(entry.getArguments())) {
        auto type = dyn_cast<RankedTensorType>(argument.getType());
        if (!type || type.hasStaticShape())
          continue;
        SmallVector<int64_t> shape(type.getShape());
        for (int64_t &dim : shape)
          if (ShapedType::isDynamic(dim)) {
            dim = sizes.size() == 1 ? sizes[0] : sizes[next];
            ++next;
            ++numBounded;
          }
        auto bounded = type.clone(shape);
        argument.setType(bounded);
        argTypes[i] = bounded;
        auto cast =
            tensor::CastOp::create(builder, argument.getLoc(), type, argument);
        argument.replaceAllUsesExcept(cast.getResult(), cast);
      }
      func.setFunctionType(
          builder.getFunctionType(argTypes, func.getResultTypes()));
    }

    // Carry the static sizes through the graph.
    RewritePatternSet patterns(&getContext());
    for (Dialect *dialect : getContext().getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : getContext().getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, &getContext());
    FrozenRewritePatternSet frozen(std::move(patterns));
    for (func::FuncOp func : functions)
      if (failed(applyPatternsGreedily(func, frozen))) {
        func.emitError("canonicalization did not converge while carrying "
                       "the static sizes through the function");
        return signalPassFailure();
      }

    bool failedCheck = false;
    for (func::FuncOp func : functions) {
      // A result that became static gets its static type.
      Operation *terminator = func.getBody().back().getTerminator();
      SmallVector<Type> resultTypes(func.getResultTypes());
      for (OpOperand &operand : terminator->getOpOperands()) {
        auto cast = operand.get().getDefiningOp<tensor::CastOp>();
        if (!cast || !isa<func::ReturnOp>(terminator))
          continue;
        auto source = dyn_cast<RankedTensorType>(cast.getSource().getType());
        if (!source || !source.hasStaticShape())
          continue;
        operand.set(cast.getSource());
        resultTypes[operand.getOperandNumber()] = source;
        if (cast->use_empty())
          cast->erase();
      }
      func.setFunctionType(FunctionType::get(
          &getContext(), func.getArgumentTypes(), resultTypes));

      func.walk([&](Operation *op) {
        for (Type type : op->getResultTypes()) {
          auto shaped = dyn_cast<ShapedType>(type);
          if (!shaped || !shaped.hasRank() || shaped.hasStaticShape())
            continue;
          op->emitError() << "this result is still dynamic (" << type
                          << ") after bounding the arguments; its size "
                             "depends on something other than the argument "
                             "shapes, which the accelerator cannot run";
          failedCheck = true;
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
    }
    if (failedCheck)
      signalPassFailure();
  }
};

} // namespace
