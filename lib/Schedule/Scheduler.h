//===- Scheduler.h - The scheduler's state and helpers ----------*- C++ -*-===//
//
// Shared by the scheduler's source files: Schedule.cpp (roles, weights,
// the row-wise passes and the model order) and ScheduleAttention.cpp (the
// attention of one layer with its prediction).
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_SCHEDULE_SCHEDULER_H
#define LAPA_LIB_SCHEDULE_SCHEDULER_H

#include "lapa/Schedule/Schedule.h"

#include "Emitter.h"

#include "lapa/Predict/PredictorConfig.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace lapa::schedule::detail {

using isa::ElementType;
using isa::Instruction;
using isa::Opcode;
using isa::TensorRole;
using predict::Scheme;


inline uint32_t f32Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

inline std::vector<uint8_t> floatBytes(llvm::ArrayRef<float> values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

inline uint32_t u32(int64_t value) { return static_cast<uint32_t>(value); }

inline Instruction makeInst(Opcode op, uint8_t flags,
                     std::initializer_list<std::pair<unsigned, uint32_t>> words) {
  Instruction inst;
  inst.setHeader(op, 0, 0, flags);
  for (auto [word, value] : words)
    inst.words[word] = value;
  return inst;
}

inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

/// Bytes of an integer container for a quantization width.
inline unsigned containerBytes(unsigned bits) { return bits <= 8 ? 1 : 4; }

/// Propagates the error of an Expected<Slot> from the enclosing function.
#define ALLOC(var, arena, bytes, what)                                         \
  auto var##OrErr = (arena).allocate((bytes), (what));                         \
  if (!var##OrErr)                                                             \
    return var##OrErr.takeError();                                             \
  Slot var = *var##OrErr;

/// As ALLOC, from the first of `roles` with room.
#define ALLOC_ANY(var, roles, bytes, what)                                     \
  auto var##OrErr = allocateAny(roles, (bytes), (what));                       \
  if (!var##OrErr)                                                             \
    return var##OrErr.takeError();                                             \
  Slot var = *var##OrErr;

/// The epilogue of a projection tile, applied to the f32 tile in order.
struct Epilogue {
  bool rope = false;
  int64_t headDim = 0;
  bool silu = false;
  bool gelu = false;
  bool relu = false;
  /// Multiply by, or add, the tile of this f32 DRAM tensor (same layout
  /// as the output); UINT64_MAX for none.
  uint64_t multiplyBy = UINT64_MAX;
  uint64_t addFrom = UINT64_MAX;
};

struct Projection {
  std::string what;
  /// Quantized input [rows x inner] and its per-row scales.
  uint64_t xq = 0, xs = 0;
  int64_t inner = 0;
  /// Weight tensor [inner x weightCols] (i8) and its scales (f32 per
  /// column); the projection reads columns [colBase, colBase + cols).
  uint64_t w = 0, ws = 0, bias = UINT64_MAX;
  int64_t weightCols = 0;
  int64_t colBase = 0;
  int64_t cols = 0;
  /// Output f32 [rows x outCols] at column outColBase.
  uint64_t out = 0;
  int64_t outCols = 0;
  Epilogue epilogue;
  /// Column alignment of the output tile (the head dimension for rotary).
  int64_t align = 1;
};

/// DRAM addresses of one layer's attention: the f32 queries and output
/// [rows x heads * headDim], and the quantized rows (INT8 and per-row
/// scales) that its key and value projections read.
struct AttentionIo {
  uint64_t q = 0, out = 0;
  uint64_t keyXq = 0, keyXs = 0, valueXq = 0, valueXs = 0;
  int64_t keyWidth = 0, valueWidth = 0;
};

class Scheduler {
public:
  Scheduler(const ModelDesc &model, const hardware::HardwareConfig &config,
            const ScheduleOptions &options)
      : model(model), config(config), options(options), emitter(file, config) {}

  llvm::Expected<isa::StreamFile> run(ScheduleSummary *summary);

private:
  llvm::Error assignRoles();
  llvm::Error chooseTiles();
  llvm::Error addWeights();
  llvm::Error scheduleEmbedding();
  /// Copies the last hidden state (at DRAM address `last`) to the
  /// "hidden" and "result" outputs.
  llvm::Error scheduleOutputs(uint64_t last);
  llvm::Expected<isa::StreamFile> finishSummary(ScheduleSummary *summary);
  /// Normalizes (when `norm` is given) and quantizes the rows of `src`
  /// into xq and xs; `normalizedOut`, when set, also receives the f32
  /// normalized rows.
  llvm::Error scheduleNormQuant(const NormDesc *norm, llvm::StringRef normName,
                                uint64_t src, int64_t cols, llvm::StringRef what,
                                uint64_t normalizedOut = UINT64_MAX,
                                llvm::StringRef quantized = "xq");
  llvm::Error scheduleProjection(const Projection &p);
  /// Returns the projection of the quantized input (xq, xs) by the weight
  /// named `weightName` over all of its columns, into an output as wide.
  Projection projectionOf(llvm::StringRef weightName, const WeightDesc &weight,
                          const std::string &what);
  llvm::Error scheduleAttention(unsigned layer);

  // A model read as a program (ModelDesc::program), in ScheduleProgram.cpp.
  llvm::Expected<isa::StreamFile> runProgram(ScheduleSummary *summary);
  llvm::Error addProgramWeights(
      llvm::function_ref<llvm::Error(llvm::StringRef, const WeightDesc &,
                                     bool)>
          addWeight,
      llvm::function_ref<void(llvm::StringRef, const VectorDesc &)> addVector);
  llvm::Error addProgramTensors();
  llvm::Error scheduleStep(unsigned index);
  llvm::Error scheduleLookup(const StepDesc &step);
  /// Schedules a row-wise pass over the step's columns: out = in plus
  /// `other` or the constant table, or in * gain + bias.
  llvm::Error scheduleElementwise(const StepDesc &step);
  llvm::Error scheduleProgramOutputs();
  uint64_t valueAddress(int value) const {
    return emitter.addressOf(valueTensor[size_t(value)]);
  }
  /// The DRAM tensor of each program value.
  std::vector<std::string> valueTensor;

  // Instruction helpers. Each emits one instruction with its accesses.
  void load(uint64_t dram, const Slot &slot, uint64_t offset, int64_t rows,
            int64_t rowBytes, int64_t dramStride, int64_t bufStride);
  void store(uint64_t dram, const Slot &slot, uint64_t offset, int64_t rows,
             int64_t rowBytes, int64_t dramStride, int64_t bufStride);
  void dequant(const Slot &x, const Slot &y, int64_t m, int64_t n,
               const Slot *rowScales, uint64_t rowOffset, const Slot *colScales,
               uint64_t colOffset, int64_t ld, bool accumulate);
  void quant(const Slot &x, uint64_t xOffset, int64_t ldx, const Slot &y,
             int64_t ldy, const Slot &scales, uint64_t scaleOffset, int64_t m,
             int64_t n, unsigned bits, bool perTensor);
  void binary(Opcode op, const Slot &a, const Slot &b, const Slot &y, int64_t m,
              int64_t n, int64_t lda, int64_t ldb, int64_t ldy,
              bool rowBroadcast);

  Arena &arena(Role role) {
    return arenas[roleArena[static_cast<unsigned>(role)]];
  }
  using Marks = std::array<uint32_t, kNumRoles>;
  Marks markAll() const {
    Marks marks;
    for (unsigned i = 0; i < kNumRoles; ++i)
      marks[i] = arenas[roleArena[i]].mark();
    return marks;
  }
  void releaseAll(const Marks &marks) {
    for (unsigned i = 0; i < kNumRoles; ++i)
      arenas[roleArena[i]].release(marks[i]);
  }
  /// Allocates from the first of `roles` with room; the error names the
  /// last one tried.
  llvm::Expected<Slot> allocateAny(std::initializer_list<Role> roles,
                                   uint64_t bytes, llvm::StringRef what);
  /// Emits a Rope of `rows` rows of `cols` columns of the f32 tile `y`
  /// (row stride `ld`), whose first row is at sequence position `position`.
  llvm::Error rope(const Slot &y, int64_t rows, int64_t cols, int64_t ld,
                   int64_t position, llvm::StringRef what);
  uint32_t recordFor(const predict::PredictorConfig &predictor);
  uint64_t tensor(llvm::StringRef name) const {
    return emitter.addressOf(name);
  }
  /// Rows of every row-wise pass: all tokens of all sequences.
  int64_t totalRows() const { return model.batch * model.seqLen; }
  std::string layerName(unsigned layer, llvm::StringRef what) const {
    return llvm::formatv("layer{0}.{1}", layer, what).str();
  }

  const ModelDesc &model;
  const hardware::HardwareConfig &config;
  const ScheduleOptions &options;
  isa::StreamFile file;
  Emitter emitter;
  /// One arena per buffer; roles that share a buffer share its arena.
  std::vector<Arena> arenas;
  std::array<unsigned, kNumRoles> roleArena{};
  int64_t rowTile = 0, colTile = 0, innerTile = 0;
  unsigned tokenPingPong = 0, weightPingPong = 0;
  llvm::StringMap<uint32_t> records;
  AttentionIo attentionIo;
  /// Set once a SpAtten layer has added its probabilities to "importance".
  bool importanceReady = false;
};

} // namespace lapa::schedule::detail

#endif // LAPA_LIB_SCHEDULE_SCHEDULER_H
