//===- Schedule.h - Tile, allocate and order a model's instructions -*- C++ -*-===//
//
// Turns a ModelDesc into an instruction stream for one hardware
// configuration. The steps:
//
//   quantize   weights to INT8 with one scale per output channel; W_K also
//              as log codes for the shift array (both at compile time)
//   predict    per layer, the predictor scheme decides the attention flow:
//              LAPA and SOFA predict K-hat with shift-adds from X and the
//              log-coded W_K, score it in MRSA rounds with the filter
//              between them, select the top-k and project K and V for the
//              needed tokens only; the peer schemes compute K densely and
//              predict from Q and K; dense selects every visible key
//   tile       row, column and inner tiles sized from the buffers and the
//              MAC array, with remainder tiles where sizes do not divide
//   allocate   buffer regions per role (token, weight, kv, temp,
//              speculation) and DRAM addresses for every tensor
//   order      dependency tokens derived from the bytes each instruction
//              reads and writes, so that DMA of tile t+1 overlaps the GEMM
//              of tile t and prediction of head h+1 overlaps attention of
//              head h wherever the buffers are separate
//
// Activations are quantized at run time: per row and per group of `group`
// columns (the inner tile), symmetric INT8, by Quant instructions; K and V
// of a head per tensor, Q for LAPA's prediction at the record's query
// width. docs/compiler.md explains each choice.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SCHEDULE_SCHEDULE_H
#define LAPA_SCHEDULE_SCHEDULE_H

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Schedule/ModelDesc.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/Support/Error.h"

#include <cstdint>

namespace lapa::schedule {

struct ScheduleOptions {
  /// Query rows per attention tile and token rows per projection tile; 0
  /// chooses from the configuration.
  int64_t rowTile = 0;
  /// Output columns per projection tile; 0 chooses.
  int64_t colTile = 0;
  /// Inner (reduction) columns per projection tile, also the activation
  /// quantization group; 0 chooses.
  int64_t innerTile = 0;
  /// Alternate two buffer regions for DMA tiles (double buffering).
  bool doubleBuffer = true;
  /// Store the quantized weights in the stream's constants segment. Off,
  /// the weights are memory-map entries bound at run time.
  bool embedWeights = true;
};

/// What the scheduler chose, for remarks and tests.
struct ScheduleSummary {
  int64_t rowTile = 0;
  int64_t colTile = 0;
  int64_t innerTile = 0;
  /// Instructions by opcode name.
  std::vector<std::pair<std::string, uint64_t>> opcodeCounts;
};

/// Checks that the compiler can schedule `predictor` and, when `config` is
/// given, that the configuration has the units the scheme runs on.
llvm::Error checkPredictorSupport(const predict::PredictorConfig &predictor,
                                  const hardware::HardwareConfig *config);

/// Schedules `model` for `config`. Errors name the layer, the value, the
/// limit and the fix: a tile that cannot fit its buffer, a scheme the
/// hardware cannot run, a weight of the wrong shape.
llvm::Expected<isa::StreamFile> scheduleModel(const ModelDesc &model,
                                              const hardware::HardwareConfig &config,
                                              const ScheduleOptions &options,
                                              ScheduleSummary *summary = nullptr);

} // namespace lapa::schedule

#endif // LAPA_SCHEDULE_SCHEDULE_H
