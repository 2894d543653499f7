//===- StreamVerify.h - Checks of instructions and streams -------*- C++ -*-===//
//
// Two levels of checks. checkInstructionEncoding needs nothing but the
// instruction: a valid opcode, allowed flags, unit masks, zero unused words.
// verifyInstruction adds a hardware configuration: the unit exists, buffer
// indices and byte ranges lie inside the buffers, each buffer lists the
// unit as a reader or writer, and bit widths fit the hardware. The MLIR
// dialect calls verifyInstruction on each operation, so neither function
// reads any StreamFile state.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TARGET_STREAM_STREAMVERIFY_H
#define LAPA_TARGET_STREAM_STREAMVERIFY_H

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Predict/PredictorConfig.h"
#include "lapa/Target/Stream/Isa.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace lapa::isa {

/// Checks the parts of an instruction that need no configuration. The
/// opcode must be valid and the flag byte may set only allowed flags. The
/// wait and signal masks may name only units 0..6, and not the
/// instruction's own unit. Every word outside the operand table must be
/// zero, required buffer operands must be present, and predictor record
/// indices must be below `predictorCount`. The message starts with the
/// opcode and names the field, the value and the limit.
llvm::Error checkInstructionEncoding(const Instruction &inst,
                                     size_t predictorCount);

/// The bytes of one buffer that an instruction reads or writes.
struct BufferAccess {
  /// The operand's name in the operand table ("a", "survivors", ...).
  std::string_view field;
  uint8_t buffer = 0;
  /// Byte range [begin, end) inside the buffer. `end` saturates at
  /// UINT64_MAX instead of wrapping.
  uint64_t begin = 0;
  uint64_t end = 0;
  bool read = false;
  bool write = false;
};

/// The accesses of one instruction; no instruction has more than six, so
/// the list needs no allocation.
using BufferAccessList = llvm::SmallVector<BufferAccess, 6>;

/// The DRAM bytes a DMA instruction reads or writes.
struct DramAccess {
  uint64_t begin = 0;
  /// One past the last byte, saturated at UINT64_MAX.
  uint64_t end = 0;
  bool read = false;
  bool write = false;
};

/// Returns every buffer range `inst` may touch, one per present buffer
/// operand, computed from the counts, strides and element sizes of Isa.h.
/// The instruction must pass checkInstructionEncoding. `record` is the
/// predictor record that the instruction's record field names; it sets the
/// element size of shift_accumulate's K-hat and of predict's Q and K (i8 up
/// to 8 bits, else i32). Without it those operands are taken as i8, the
/// smallest container, so the ranges may be too short.
///
/// NOTE: the rows of B that Sddmm and Spmm read depend on the run-time
/// index list. The range covers only the first row, so the simulator must
/// check the others when it reads them.
BufferAccessList
bufferAccesses(const Instruction &inst,
               const predict::PredictorConfig *record = nullptr);

/// Returns the DRAM range of a load, store or load_rows, or nothing for
/// other opcodes. load_rows covers all index_limit rows of its table.
std::optional<DramAccess> dramAccess(const Instruction &inst);

/// Checks one instruction against a hardware configuration. The checks are
/// the encoding (see checkInstructionEncoding), the unit's presence in the
/// configuration, buffer indices, byte ranges, and the buffers' reader and
/// writer lists. They also cover non-zero counts, strides of written rows,
/// bit widths, and DRAM ranges inside [0, dramBytes) when `dramBytes` is
/// given. `record` is as for bufferAccesses.
llvm::Error verifyInstruction(const Instruction &inst,
                              const hardware::HardwareConfig &config,
                              size_t predictorCount,
                              std::optional<uint64_t> dramBytes = std::nullopt,
                              const predict::PredictorConfig *record = nullptr);

/// Checks a whole stream against a configuration: the fingerprint equals
/// config.fingerprint() (the message names the configuration the stream was
/// built for), then every instruction with verifyInstruction and its
/// predictor record, prefixing the instruction index. Expects a stream that
/// passed checkStream.
llvm::Error verifyAgainstConfig(const StreamFile &stream,
                                const hardware::HardwareConfig &config);

} // namespace lapa::isa

#endif // LAPA_TARGET_STREAM_STREAMVERIFY_H
