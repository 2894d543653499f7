//===- BindInputs.cpp - Fix function arguments to splat constants --------===//
//
// Replaces the uses of named function arguments with a constant whose
// elements all take one value, so that what the graph computes from them
// (an attention mask, token-type embeddings) folds at compile time.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPABINDINPUTS
#include "lapa/Dialect/Lapa/Transforms/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;

namespace {

/// Returns the names that select an argument: argN, and the names front
/// ends give it.
SmallVector<std::string> argumentNames(func::FuncOp func, unsigned index) {
  SmallVector<std::string> names = {"arg" + std::to_string(index)};
  if (auto name = func.getArgAttrOfType<StringAttr>(index, "lapa.weight"))
    names.push_back(name.getValue().str());
  if (auto path =
          func.getArgAttrOfType<ArrayAttr>(index, "tf_saved_model.index_path"))
    for (Attribute part : path)
      if (auto name = dyn_cast<StringAttr>(part))
        names.push_back(name.getValue().str());
  return names;
}

struct BindInputs : public ::mlir::lapa::impl::LapaBindInputsBase<BindInputs> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Parse NAME=VALUE entries.
    llvm::StringMap<std::string> requested;
    for (const std::string &entry : values) {
      auto [name, value] = StringRef(entry).split('=');
      if (name.empty() || value.empty() || !StringRef(entry).contains('=')) {
        emitError(module.getLoc())
            << "lapa-bind-inputs entry '" << entry
            << "' is not NAME=VALUE; write for example arg1=1";
        return signalPassFailure();
      }
      if (!requested.try_emplace(name.trim(), value.trim().str()).second) {
        emitError(module.getLoc())
            << "lapa-bind-inputs names '" << name.trim()
            << "' twice; give each argument one value";
        return signalPassFailure();
      }
    }
    llvm::StringMap<bool> found;
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      OpBuilder builder = OpBuilder::atBlockBegin(&func.getBody().front());
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        std::string name, text;
        for (const std::string &candidate : argumentNames(func, i)) {
          auto it = requested.find(candidate);
          if (it != requested.end()) {
            name = candidate;
            text = it->second;
          }
        }
        if (name.empty())
          continue;
        found[name] = true;
        BlockArgument arg = func.getArgument(i);
        auto type = dyn_cast<RankedTensorType>(arg.getType());
        if (!type || !type.hasStaticShape() ||
            !(isa<IntegerType, FloatType>(type.getElementType()))) {
          func.emitError() << "lapa-bind-inputs: argument " << i << " ('"
                           << name << "') has the type " << arg.getType()
                           << "; only statically shaped tensors of integers "
                              "or floats can be bound";
          return signalPassFailure();
        }
        Attribute element;
        if (auto intType = dyn_cast<IntegerType>(type.getElementType())) {
          StringRef digits = StringRef(text);
          bool negative = digits.consume_front("-");
          if (!negative)
            digits.consume_front("+");
          APInt parsed;
          unsigned width = intType.getWidth();
          // Signless integers take the signed range, i1 takes 0 and 1.
          int64_t low = width == 1 ? 0 : -(int64_t(1) << (std::min(width, 63u) - 1));
          int64_t high = width == 1 ? 1 : (int64_t(1) << (std::min(width, 63u) - 1)) - 1;
          if (digits.getAsInteger(10, parsed)) {
            func.emitError() << "lapa-bind-inputs: value '" << text
                             << "' for '" << name << "' is not an integer, and "
                             << "the argument holds " << intType;
            return signalPassFailure();
          }
          // The magnitude is unsigned; it must fit 63 bits before the sign.
          bool fits = parsed.getActiveBits() <= 63;
          int64_t value = fits ? int64_t(parsed.getZExtValue()) : 0;
          if (negative)
            value = -value;
          if (!fits || value < low || value > high) {
            func.emitError() << "lapa-bind-inputs: value " << text << " for '"
                             << name << "' is outside [" << low << ", " << high
                             << "], the range of its element type " << intType;
            return signalPassFailure();
          }
          element = IntegerAttr::get(intType, value);
        } else {
          double parsed;
          if (StringRef(text).getAsDouble(parsed)) {
            func.emitError() << "lapa-bind-inputs: value '" << text
                             << "' for '" << name << "' is not a number";
            return signalPassFailure();
          }
          auto floatType = cast<FloatType>(type.getElementType());
          APFloat value(parsed);
          bool lost = false;
          value.convert(floatType.getFloatSemantics(),
                        APFloat::rmNearestTiesToEven, &lost);
          if (!std::isfinite(parsed) || !value.isFinite()) {
            func.emitError() << "lapa-bind-inputs: value " << text << " for '"
                             << name << "' is not a finite " << floatType;
            return signalPassFailure();
          }
          element = FloatAttr::get(floatType, value);
        }
        auto constant = arith::ConstantOp::create(builder,
            arg.getLoc(), DenseElementsAttr::get(type, element));
        arg.replaceAllUsesWith(constant.getResult());
        ++numBound;
      }
    }
    for (auto &entry : requested)
      if (!found.count(entry.getKey())) {
        emitError(module.getLoc())
            << "lapa-bind-inputs: no function argument is named '"
            << entry.getKey()
            << "'; name it argN (its position) or by its "
               "tf_saved_model.index_path or lapa.weight name";
        return signalPassFailure();
      }
  }
};

} // namespace
