//===- LowerToIsa.cpp - Compile a raised Transformer to lapa_isa --------===//
//
// Extracts the model (ExtractModel), schedules it for the hardware
// configuration (lapa::schedule), and replaces the function with the
// lapa_isa.program that holds the stream.
//
//===----------------------------------------------------------------------===//

#include "lapa/Conversion/Passes.h"

#include "ExtractModel.h"

#include "lapa/Dialect/LapaIsa/IR/StreamConversion.h"
#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Schedule/Schedule.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::lapa {
#define GEN_PASS_DEF_LAPALOWERTOISA
#include "lapa/Conversion/Passes.h.inc"
} // namespace mlir::lapa

using namespace mlir;
using namespace mlir::lapa;

namespace {

struct LowerToIsa : public ::mlir::lapa::impl::LapaLowerToIsaBase<LowerToIsa> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (hwPath.empty()) {
      mlir::emitError(module.getLoc()) << "lapa-lower-to-isa needs a hardware configuration: "
                            "give hw=PATH, e.g. hw=examples/hw/lapa-28nm.yaml";
      return signalPassFailure();
    }
    llvm::Expected<::lapa::hardware::HardwareConfig> config =
        ::lapa::hardware::loadHardwareConfig(hwPath);
    if (!config) {
      mlir::emitError(module.getLoc()) << "cannot use hardware configuration '" << hwPath
                         << "': " << llvm::toString(config.takeError());
      return signalPassFailure();
    }
    llvm::Expected<::lapa::predict::PredictorConfig> predictor =
        ::lapa::predict::parsePredictorConfig(defaultPredictor);
    if (!predictor) {
      mlir::emitError(module.getLoc()) << "invalid option predictor='" << defaultPredictor
                         << "': " << llvm::toString(predictor.takeError());
      return signalPassFailure();
    }

    SmallVector<func::FuncOp> functions;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        functions.push_back(func);
    if (functions.size() != 1) {
      mlir::emitError(module.getLoc()) << "lapa-lower-to-isa compiles one function per "
                            "module, and this module defines "
                         << functions.size();
      return signalPassFailure();
    }
    func::FuncOp func = functions.front();
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
      auto shaped = dyn_cast<ShapedType>(type);
      if (shaped && !shaped.hasStaticShape()) {
        func.emitError() << "argument " << i << " of '" << func.getSymName()
                         << "' has the type " << type
                         << " with a dynamic dimension, and the accelerator "
                            "needs static shapes; give each dynamic "
                            "dimension a size with the lapa-compile option "
                            "dynamic-sizes (e.g. dynamic-sizes=128) or the "
                            "pass lapa-bound-dynamic-dims";
        return signalPassFailure();
      }
    }

    FailureOr<::lapa::schedule::ModelDesc> model = extractModel(func, *predictor);
    if (failed(model))
      return signalPassFailure();

    ::lapa::schedule::ScheduleOptions options;
    options.rowTile = rowTile;
    options.colTile = colTile;
    options.innerTile = innerTile;
    options.embedWeights = embedWeights;
    ::lapa::schedule::ScheduleSummary summary;
    llvm::Expected<::lapa::isa::StreamFile> stream =
        ::lapa::schedule::scheduleModel(*model, *config, options, &summary);
    if (!stream) {
      mlir::emitError(func.getLoc())
          << "cannot schedule '" << func.getSymName() << "' for '"
                       << config->name << "': "
                       << llvm::toString(stream.takeError());
      return signalPassFailure();
    }

    OpBuilder builder(func);
    FailureOr<lapa_isa::ProgramOp> program = lapa_isa::buildProgram(
        builder, func.getLoc(), func.getSymName(), *stream, *config,
        foldRepeats);
    if (failed(program))
      return signalPassFailure();
    (*program)->setAttr("lapa_isa.tiles",
                        builder.getDenseI64ArrayAttr({summary.rowTile,
                                                      summary.colTile,
                                                      summary.innerTile}));
    numInstructions += stream->instructions.size();
    numLayers += model->layers.size();
    func.erase();
  }
};

} // namespace
