//===- Repeat.h - Loops over instructions with stepped fields ---*- C++ -*-===//
//
// A compiled stream repeats a few instruction patterns many times: a
// projection loads a weight tile and multiplies it, column tile after
// column tile, with addresses that grow by a fixed amount. A repeat stores
// such a pattern once, with an iteration count and, for every operand
// field, the amount it grows per iteration. Repeats nest.
//
// `findRepeats` folds a flat instruction list into repeats and
// `expandRepeats` unfolds them. Expanding what `findRepeats` returns gives
// back the input exactly. lapa_isa keeps repeats in its IR (the
// `lapa_isa.repeat` op), so a large model's program has thousands of ops
// rather than close to a million. The binary stream stays flat.
//
// Which fields may step: buffer offsets (the buffer index stays the
// same), counts, strides, indices and DRAM addresses. The header word
// (opcode, tokens, flags), f32 scalars, predictor records and absent
// buffer operands are the same in every iteration.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TARGET_STREAM_REPEAT_H
#define LAPA_TARGET_STREAM_REPEAT_H

#include "lapa/Target/Stream/Isa.h"
#include "lapa/Target/Stream/Stream.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lapa::isa {

/// The per-iteration increment of each word of one instruction. Word 1
/// is the 64-bit increment of a DRAM address (words 1 and 2), and word 2 is
/// then 0. A buffer reference's increment applies to its offset. For a
/// stage marker, word 1 is the increment of the layer.
using WordSteps = std::array<int64_t, kInstructionWords>;

/// An instruction, a stage marker, or a repeat of a body of nodes.
struct RepeatNode {
  enum class Kind : uint8_t { Instruction, Stage, Repeat };
  Kind kind = Kind::Instruction;
  /// For an instruction: the instruction (of the first iteration).
  Instruction instruction;
  /// For a stage marker: the stage that starts here, and its layer (of the
  /// first iteration).
  std::string stage;
  int32_t layer = -1;
  /// For a repeat: the iteration count (at least 1; findRepeats makes 2 or
  /// more).
  uint32_t count = 0;
  /// For a repeat: the nodes of one iteration, in program order.
  std::vector<RepeatNode> body;
  /// For a repeat: the steps of every instruction and stage marker of the
  /// body, nested ones included, in program order of their first
  /// iteration.
  std::vector<WordSteps> steps;
  /// For an instruction or stage marker: a tag of the caller's, which
  /// expandRepeats reports for each instruction it writes.
  uint32_t origin = 0;

  bool isRepeat() const { return kind == Kind::Repeat; }
};

/// The options of findRepeats.
struct RepeatOptions {
  /// The maximum body length of a repeat, in nodes of the level it folds.
  unsigned maxBody = 400;
  /// The maximum nesting depth; 0 folds nothing.
  unsigned maxDepth = 8;
};

/// Folds `instructions`, with a stage marker at the start of every range
/// of `stages`, into a list of nodes. The ranges must be sorted and must
/// not overlap.
std::vector<RepeatNode> findRepeats(llvm::ArrayRef<Instruction> instructions,
                                    llvm::ArrayRef<StageRange> stages = {},
                                    const RepeatOptions &options = {});

/// Appends the instructions of `nodes` in program order to `instructions`,
/// and the stage ranges their markers start to `stages`. A range ends
/// where the next marker or the instructions end; empty ranges are
/// dropped.
/// When `origins` is given, the `origin` of each instruction's node is
/// appended to it.
void expandRepeats(llvm::ArrayRef<RepeatNode> nodes,
                   std::vector<Instruction> &instructions,
                   std::vector<StageRange> &stages,
                   std::vector<uint32_t> *origins = nullptr);

/// Calls `fn(instruction, origin)` for every instruction of `nodes` in
/// program order, without keeping them; stage markers are skipped.
void forEachInstruction(
    llvm::ArrayRef<RepeatNode> nodes,
    llvm::function_ref<void(const Instruction &, uint32_t)> fn);

/// The number of instructions `nodes` expand to.
uint64_t expandedCount(llvm::ArrayRef<RepeatNode> nodes);

/// The number of nodes, nested ones included.
uint64_t nodeCount(llvm::ArrayRef<RepeatNode> nodes);

/// True when word `word` of an instruction with opcode `op` may differ
/// between the iterations of a repeat; for a DRAM address, word 1 only.
bool isSteppableWord(Opcode op, unsigned word);

/// True when word `word` is a buffer reference or the low word of a DRAM
/// address: a steppable word that only moves where the instruction reads
/// or writes.
bool isAddressWord(Opcode op, unsigned word);

/// Adds `times` times `steps` to `inst` (the instruction of iteration
/// `times` of a repeat with these steps).
void addSteps(Instruction &inst, const WordSteps &steps, int64_t times);

} // namespace lapa::isa

#endif // LAPA_TARGET_STREAM_REPEAT_H
