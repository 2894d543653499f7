//===- Emitter.h - Instructions, memory and dependency tokens ---*- C++ -*-===//
//
// The scheduler's building blocks: buffer arenas per role, the DRAM memory
// map and constants segment, and an emitter that appends instructions and
// derives their dependency tokens from the bytes they read and write.
//
// Token rule: when instruction I on unit U must follow instruction J on
// another unit S (I reads bytes J writes, or writes bytes J reads or
// writes), J signals U and I waits on S, unless an earlier instruction of
// U already consumed a token from an S instruction at or after J (U runs
// in order, so I follows J already). Each signal is created together with
// the wait that consumes it, in the program order of both units, so the
// k-th token of a queue is always the one the k-th wait expects.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_SCHEDULE_EMITTER_H
#define LAPA_LIB_SCHEDULE_EMITTER_H

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lapa::schedule {

/// What a buffer region is used for.
enum class Role { Token, Weight, Kv, Temp, Speculation };
constexpr unsigned kNumRoles = 5;
llvm::StringRef roleName(Role role);

/// A byte range of one buffer.
/// An arena without room for an allocation. Automatic tiling retries with
/// smaller tiles on this error.
class NoRoomError : public llvm::ErrorInfo<NoRoomError> {
public:
  static char ID;
  explicit NoRoomError(std::string message) : message(std::move(message)) {}
  void log(llvm::raw_ostream &os) const override { os << message; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

private:
  std::string message;
};

struct Slot {
  uint8_t buffer = 0;
  uint32_t offset = 0;
  uint64_t bytes = 0;

  isa::BufRef ref(uint64_t byteOffset = 0) const {
    return {buffer, static_cast<uint32_t>(offset + byteOffset)};
  }
  uint32_t word(uint64_t byteOffset = 0) const { return ref(byteOffset).pack(); }
};

/// A bump allocator over one role's region of a buffer.
class Arena {
public:
  Arena() = default;
  Arena(Role role, uint8_t buffer, std::string bufferName, uint32_t base,
        uint32_t size)
      : role(role), buffer(buffer), bufferName(std::move(bufferName)),
        base(base), size(size) {}

  /// Allocates `bytes` aligned to the dependency granule. `what` names the
  /// data in the error when the region is full.
  llvm::Expected<Slot> allocate(uint64_t bytes, llvm::StringRef what);
  uint32_t mark() const { return used; }
  void release(uint32_t markValue) { used = markValue; }
  uint32_t capacity() const { return size; }
  llvm::StringRef buffer_name() const { return bufferName; }

private:
  Role role = Role::Temp;
  uint8_t buffer = 0;
  std::string bufferName;
  uint32_t base = 0;
  uint32_t size = 0;
  uint32_t used = 0;
};

/// A range of bytes an instruction reads or writes.
struct Access {
  uint8_t buffer = 0;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

/// A 2-D access: `rows` rows of `rowBytes` bytes, `strideBytes` apart.
Access access2d(const Slot &slot, uint64_t byteOffset, uint64_t rows,
                uint64_t rowBytes, uint64_t strideBytes);
Access access1d(const Slot &slot, uint64_t byteOffset, uint64_t bytes);

/// Granularity of dependency tracking; arenas align allocations to it.
constexpr uint32_t kGranule = 256;

/// The instruction that last touched each granule of a buffer, kept as
/// runs of granules with the same instruction. A stream touches whole
/// tiles, so a buffer has a few hundred runs but tens of thousands of
/// granules, and the emitter's cost follows the runs.
class GranuleRuns {
public:
  /// Calls `fn(instruction)` for every run that overlaps granules
  /// [first, end).
  template <typename Fn>
  void forEach(uint32_t first, uint32_t end, Fn fn) const {
    for (size_t i = firstOverlap(first); i < runs.size() && runs[i].first < end;
         ++i)
      fn(runs[i].instruction);
  }
  /// Sets granules [first, end) to `instruction`, or to none when it is -1.
  void assign(uint32_t first, uint32_t end, int32_t instruction);

private:
  struct Run {
    uint32_t first;
    uint32_t end;
    int32_t instruction;
  };
  /// The index of the first run that ends after `granule`.
  size_t firstOverlap(uint32_t granule) const;
  /// Sorted by `first`; runs do not overlap.
  std::vector<Run> runs;
};

class Emitter {
public:
  Emitter(isa::StreamFile &stream, const hardware::HardwareConfig &config);

  /// Appends `inst`, adding the waits it needs and the signals that feed
  /// them. Returns the instruction index.
  uint32_t emit(isa::Instruction inst, llvm::ArrayRef<Access> reads,
                llvm::ArrayRef<Access> writes);

  /// Starts a stage range (closing the previous one).
  void beginStage(llvm::StringRef stage, int32_t layer);
  void finish();

  /// Adds a DRAM tensor; `constant` (may be empty) becomes its initial
  /// content in the constants segment.
  const isa::TensorInfo &addTensor(llvm::StringRef name, isa::TensorRole role,
                                   isa::ElementType type,
                                   std::vector<uint64_t> shape,
                                   llvm::ArrayRef<uint8_t> constant = {},
                                   llvm::StringRef scaleTensor = "");
  uint64_t addressOf(llvm::StringRef name) const;

  isa::StreamFile &stream() { return file; }

private:
  isa::StreamFile &file;
  /// The unit of every emitted instruction, by index.
  std::vector<uint8_t> units;
  /// Per buffer: the granule count, the last writer of each granule, and
  /// per unit the last reader since that write.
  std::vector<uint32_t> granules;
  std::vector<GranuleRuns> lastWriter;
  std::vector<std::array<GranuleRuns, isa::kNumUnits>> lastReader;
  std::array<std::array<int64_t, isa::kNumUnits>, isa::kNumUnits> consumed;
  uint64_t nextDram = 0;
  bool stageOpen = false;
  /// The DRAM address of each tensor by name.
  llvm::StringMap<uint64_t> addresses;
};

} // namespace lapa::schedule

#endif // LAPA_LIB_SCHEDULE_EMITTER_H
