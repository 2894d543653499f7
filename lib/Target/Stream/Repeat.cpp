//===- Repeat.cpp - Loops over instructions with stepped fields ---------===//
//
// findRepeats works level by level. A level is a list of items (an
// instruction, or a repeat found on an earlier level). At each position it
// tries each body length up to RepeatOptions::maxBody whose second
// iteration starts with an item of the same shape. The body repeats when
// the items that follow have the same shapes (header, fixed fields, nested
// counts and steps), and each steppable field grows by the same amount from
// one iteration to the next. Shapes are interned, so comparing two items'
// shapes is comparing two integers. Stage markers take part as
// pseudo-instructions (opcode 0, which no instruction uses) whose layer
// may step, so that the layers of a model fold too. The candidate that
// covers the most items wins, the shorter body on a tie. A level that folds
// nothing ends the search. Otherwise its result is the next level's input.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Stream/Repeat.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <unordered_map>
#include <tuple>

using namespace lapa;
using namespace lapa::isa;

namespace {

/// The behaviour of an instruction word across iterations.
enum class WordRole : uint8_t {
  /// Must be equal in every iteration.
  Fixed,
  /// A buffer reference: same buffer, the offset may step.
  BufferRef,
  /// A buffer reference or kNoBuffer: absent in all iterations or a
  /// buffer reference in all.
  OptionalBufferRef,
  /// A 32-bit integer that may step.
  Integer,
  /// The low word of a DRAM address that may step (the high word follows).
  DramLow,
  /// The high word of a DRAM address, stepped with the low word.
  DramHigh,
};

using WordRoles = std::array<WordRole, kInstructionWords>;

/// The opcode of a stage marker's pseudo-instruction.
constexpr uint8_t kMarkerOpcode = 0;

/// Returns the pseudo-instruction of a stage marker. `nameIndex` indexes
/// the stage names that findRepeats collects.
Instruction markerInstruction(int32_t layer, uint32_t nameIndex) {
  Instruction inst;
  inst.words[0] = kMarkerOpcode;
  inst.words[1] = static_cast<uint32_t>(layer + 1);
  inst.words[2] = nameIndex;
  return inst;
}

bool isMarker(const Instruction &inst) {
  return (inst.words[0] & 0xff) == kMarkerOpcode;
}

/// Returns the roles of each opcode's words, indexed by the raw opcode.
const std::array<WordRoles, 256> &roleTable() {
  static const std::array<WordRoles, 256> table = [] {
    std::array<WordRoles, 256> roles;
    for (unsigned raw = 0; raw < 256; ++raw)
      roles[raw].fill(WordRole::Fixed);
    // Stage markers: word 1 is the layer plus one, word 2 the stage.
    roles[kMarkerOpcode][1] = WordRole::Integer;
    for (unsigned raw = 1; raw < 256; ++raw) {
      if (!isValidOpcode(static_cast<uint8_t>(raw)))
        continue;
      for (const OperandField &field : operandFields(static_cast<Opcode>(raw))) {
        WordRole &role = roles[raw][field.word];
        switch (field.kind) {
        case OperandKind::Buffer:
          role = WordRole::BufferRef;
          break;
        case OperandKind::OptionalBuffer:
          role = WordRole::OptionalBufferRef;
          break;
        case OperandKind::Count:
        case OperandKind::Stride:
        case OperandKind::Index:
          role = WordRole::Integer;
          break;
        case OperandKind::DramAddress:
          role = WordRole::DramLow;
          roles[raw][field.word + 1] = WordRole::DramHigh;
          break;
        case OperandKind::NoBuffer:
        case OperandKind::Float:
        case OperandKind::Record:
          break;
        }
      }
    }
    return roles;
  }();
  return table;
}

const WordRoles &rolesOf(const Instruction &inst) {
  return roleTable()[inst.words[0] & 0xff];
}

/// Returns the value of word `w` that steps: an offset, an integer or a
/// whole DRAM address.
int64_t steppedValue(const Instruction &inst, unsigned w, WordRole role) {
  switch (role) {
  case WordRole::BufferRef:
  case WordRole::OptionalBufferRef:
    return inst.words[w] & kMaxBufferOffset;
  case WordRole::DramLow:
    return static_cast<int64_t>(inst.dramAddress());
  case WordRole::Integer:
    return inst.words[w];
  case WordRole::Fixed:
  case WordRole::DramHigh:
    return 0;
  }
  return 0;
}

bool isStepped(WordRole role) {
  return role == WordRole::BufferRef || role == WordRole::Integer ||
         role == WordRole::DramLow ||
         role == WordRole::OptionalBufferRef;
}

/// The fixed words of an instruction: what must be equal in every
/// iteration of a repeat.
std::array<uint32_t, kInstructionWords> fixedWords(const Instruction &inst) {
  std::array<uint32_t, kInstructionWords> fixed{};
  const WordRoles &roles = rolesOf(inst);
  fixed[0] = inst.words[0];
  for (unsigned w = 1; w < kInstructionWords; ++w) {
    switch (roles[w]) {
    case WordRole::Fixed:
      fixed[w] = inst.words[w];
      break;
    case WordRole::BufferRef:
      fixed[w] = inst.words[w] >> 24;
      break;
    case WordRole::OptionalBufferRef:
      fixed[w] = inst.words[w] == kNoBuffer ? 0x100 : inst.words[w] >> 24;
      break;
    case WordRole::Integer:
    case WordRole::DramLow:
    case WordRole::DramHigh:
      break;
    }
  }
  return fixed;
}

/// Numbers shapes so that equal shapes get equal numbers. A leaf's shape
/// is its fixed words; a repeat's is its count, body shapes and steps.
class ShapeTable {
public:
  uint64_t leaf(const Instruction &inst) {
    auto [it, inserted] = leaves.try_emplace(fixedWords(inst), next);
    if (inserted)
      ++next;
    return it->second;
  }

  uint64_t repeat(uint32_t count, std::vector<uint64_t> body,
                  const std::vector<WordSteps> &steps) {
    RepeatKey key{count, std::move(body), steps};
    auto [it, inserted] = repeats.try_emplace(std::move(key), next);
    if (inserted)
      ++next;
    return it->second;
  }

private:
  struct RepeatKey {
    uint32_t count;
    std::vector<uint64_t> body;
    std::vector<WordSteps> steps;
    bool operator<(const RepeatKey &other) const {
      return std::tie(count, body, steps) <
             std::tie(other.count, other.body, other.steps);
    }
  };
  struct WordsHash {
    size_t operator()(const std::array<uint32_t, kInstructionWords> &words) const {
      // A multiply-xor mix: cheap enough for every instruction of a
      // stream; equal keys are compared in full.
      uint64_t hash = 0x9e3779b97f4a7c15ull;
      for (uint32_t word : words)
        hash = (hash ^ word) * 0xff51afd7ed558ccdull;
      return static_cast<size_t>(hash ^ (hash >> 29));
    }
  };
  std::unordered_map<std::array<uint32_t, kInstructionWords>, uint64_t,
                     WordsHash>
      leaves;
  std::map<RepeatKey, uint64_t> repeats;
  uint64_t next = 0;
};

/// One item of a level: a node, its shape number, and the range of its
/// first-iteration instructions in the level's leaf list.
struct Item {
  uint64_t shape = 0;
  uint32_t leafBegin = 0;
  uint32_t leafCount = 0;
  /// The repeat in Folder::repeats, or kLeaf for an instruction or marker
  /// (the only leaf of the item).
  uint32_t repeat = kLeaf;
  /// For a leaf: its instruction or marker.
  const Instruction *leaf = nullptr;
  static constexpr uint32_t kLeaf = UINT32_MAX;
};

/// A repeat found so far: its count, body items and steps.
struct FoundRepeat {
  uint32_t count;
  std::vector<Item> body;
  std::vector<WordSteps> steps;
};

/// A level of the search over one segment.
struct Level {
  std::vector<Item> items;
  /// The first-iteration instructions of every item, item after item.
  std::vector<const Instruction *> leaves;
};

class Folder {
public:
  explicit Folder(ShapeTable &shapes) : shapes(shapes) {}

  /// Folds repeats of bodies up to `maxBody` items of `level` into `next`,
  /// moving every item. Returns false when nothing folded.
  bool fold(Level &level, Level &next, unsigned maxBody);

private:
  /// The number of iterations of the body items[i, i + length) that
  /// follow one another from position i, at least 1. Fills `steps` with
  /// the steps of the body's leaves.
  uint32_t iterations(const Level &level, size_t i, size_t length,
                      std::vector<WordSteps> &steps);

  ShapeTable &shapes;

public:
  std::vector<FoundRepeat> repeats;
};

uint32_t Folder::iterations(const Level &level, size_t i, size_t length,
                            std::vector<WordSteps> &steps) {
  const std::vector<Item> &items = level.items;
  if (i + 2 * length > items.size())
    return 1;
  for (size_t j = 0; j < length; ++j)
    if (items[i + j].shape != items[i + length + j].shape)
      return 1;

  // The steps: the difference between the second iteration and the first.
  steps.clear();
  for (size_t j = 0; j < length; ++j) {
    const Item &first = items[i + j];
    const Item &second = items[i + length + j];
    for (uint32_t l = 0; l < first.leafCount; ++l) {
      const Instruction &a = *level.leaves[first.leafBegin + l];
      const Instruction &b = *level.leaves[second.leafBegin + l];
      const WordRoles &roles = rolesOf(a);
      WordSteps step{};
      for (unsigned w = 1; w < kInstructionWords; ++w)
        if (isStepped(roles[w]))
          step[w] = steppedValue(b, w, roles[w]) - steppedValue(a, w, roles[w]);
      steps.push_back(step);
    }
  }

  // Later iterations must continue the same steps.
  uint32_t count = 2;
  for (;; ++count) {
    size_t start = i + count * length;
    if (start + length > items.size())
      break;
    bool matches = true;
    for (size_t j = 0; j < length && matches; ++j)
      matches = items[i + j].shape == items[start + j].shape;
    size_t leaf = 0;
    for (size_t j = 0; j < length && matches; ++j) {
      const Item &first = items[i + j];
      const Item &other = items[start + j];
      for (uint32_t l = 0; l < first.leafCount && matches; ++l, ++leaf) {
        const Instruction &a = *level.leaves[first.leafBegin + l];
        const Instruction &b = *level.leaves[other.leafBegin + l];
        const WordRoles &roles = rolesOf(a);
        for (unsigned w = 1; w < kInstructionWords && matches; ++w)
          if (isStepped(roles[w]))
            matches = steppedValue(b, w, roles[w]) - steppedValue(a, w, roles[w]) ==
                      static_cast<int64_t>(count) * steps[leaf][w];
      }
    }
    if (!matches)
      break;
  }
  return count;
}

bool Folder::fold(Level &level, Level &next, unsigned maxBody) {
  std::vector<Item> &items = level.items;
  bool folded = false;
  std::vector<WordSteps> steps, bestSteps;
  size_t i = 0;
  auto moveLeaves = [&](const Item &item) {
    next.leaves.insert(next.leaves.end(),
                       level.leaves.begin() + item.leafBegin,
                       level.leaves.begin() + item.leafBegin + item.leafCount);
  };
  // nextSame[x]: the next item after x with the same shape, or none. Only
  // those positions can start the second iteration of a body that starts
  // at x.
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> nextSame(items.size(), kNone);
  {
    llvm::DenseMap<uint64_t, uint32_t> seen;
    for (size_t x = items.size(); x-- > 0;) {
      auto [it, inserted] = seen.try_emplace(items[x].shape, x);
      if (!inserted) {
        nextSame[x] = it->second;
        it->second = static_cast<uint32_t>(x);
      }
    }
  }
  while (i < items.size()) {
    size_t bestLength = 0;
    uint32_t bestCount = 1;
    // A body that repeats over a long run makes its multiples repeat over
    // the same run. They cover more only when the run continues with other
    // steps, which is rare, so skipping them keeps the search linear in a
    // long run of one pattern.
    size_t longRun = 0;
    for (uint32_t second = nextSame[i]; second != kNone; second = nextSame[second]) {
      size_t length = second - i;
      if (length > maxBody || i + 2 * length > items.size())
        break;
      if (longRun && length % longRun == 0)
        continue;
      uint32_t count = iterations(level, i, length, steps);
      if (count < 2)
        continue;
      if (!longRun && count * length >= 2 * maxBody)
        longRun = length;
      if (count * length > bestCount * bestLength) {
        bestLength = length;
        bestCount = count;
        bestSteps = steps;
      }
    }

    if (bestLength == 0) {
      Item moved = items[i];
      moved.leafBegin = static_cast<uint32_t>(next.leaves.size());
      moveLeaves(items[i]);
      next.items.push_back(moved);
      ++i;
      continue;
    }

    folded = true;
    Item repeat;
    repeat.leafBegin = static_cast<uint32_t>(next.leaves.size());
    repeat.repeat = static_cast<uint32_t>(repeats.size());
    FoundRepeat found{bestCount, {}, bestSteps};
    std::vector<uint64_t> bodyShapes;
    for (size_t j = 0; j < bestLength; ++j) {
      const Item &body = items[i + j];
      bodyShapes.push_back(body.shape);
      // The body keeps its own leaf ranges, in this level's list.
      found.body.push_back(body);
      moveLeaves(body);
      repeat.leafCount += body.leafCount;
    }
    repeat.shape = shapes.repeat(bestCount, std::move(bodyShapes), bestSteps);
    repeats.push_back(std::move(found));
    next.items.push_back(repeat);
    i += bestLength * bestCount;
  }
  return folded;
}

/// Folds `leaves` (instructions and markers) into `out`.
void foldSegment(llvm::ArrayRef<const Instruction *> leaves,
                 llvm::ArrayRef<std::string> stageNames,
                 const RepeatOptions &options, std::vector<RepeatNode> &out) {
  ShapeTable shapes;
  Folder folder(shapes);
  Level level;
  level.items.reserve(leaves.size());
  level.leaves.reserve(leaves.size());
  for (const Instruction *inst : leaves) {
    Item item;
    item.shape = shapes.leaf(*inst);
    item.leafBegin = static_cast<uint32_t>(level.leaves.size());
    item.leafCount = 1;
    item.leaf = inst;
    level.leaves.push_back(inst);
    level.items.push_back(item);
  }
  for (unsigned depth = 0; depth < options.maxDepth; ++depth) {
    Level next;
    bool folded = folder.fold(level, next, options.maxBody);
    level = std::move(next);
    if (!folded)
      break;
  }

  // Builds the node of an item.
  std::function<RepeatNode(const Item &)> build = [&](const Item &item) {
    RepeatNode node;
    if (item.repeat == Item::kLeaf) {
      const Instruction &inst = *item.leaf;
      if (isMarker(inst)) {
        node.kind = RepeatNode::Kind::Stage;
        node.layer = static_cast<int32_t>(inst.words[1]) - 1;
        node.stage = stageNames[inst.words[2]];
      } else {
        node.instruction = inst;
      }
      return node;
    }
    const FoundRepeat &found = folder.repeats[item.repeat];
    node.kind = RepeatNode::Kind::Repeat;
    node.count = found.count;
    node.steps = found.steps;
    for (const Item &body : found.body)
      node.body.push_back(build(body));
    return node;
  };
  for (const Item &item : level.items)
    out.push_back(build(item));
}

void applyOffset(Instruction &inst, const WordSteps &offset) {
  const WordRoles &roles = rolesOf(inst);
  for (unsigned w = 1; w < kInstructionWords; ++w) {
    if (offset[w] == 0)
      continue;
    if (roles[w] == WordRole::DramLow)
      inst.setDramAddress(inst.dramAddress() + static_cast<uint64_t>(offset[w]));
    else
      inst.words[w] += static_cast<uint32_t>(offset[w]);
  }
}

/// Expands nodes, adding `offset[leaf]` to each leaf.
class Expander {
public:
  /// Writes instructions through `sink`, and stage ranges to `stages`
  /// when given.
  Expander(llvm::function_ref<void(const Instruction &, uint32_t)> sink,
           std::vector<StageRange> *stages)
      : sink(sink), stages(stages) {}

  void expand(llvm::ArrayRef<RepeatNode> nodes,
              llvm::ArrayRef<WordSteps> offset) {
    size_t leaf = 0;
    for (const RepeatNode &node : nodes)
      expandNode(node, offset, leaf);
  }

  void finish() { closeStage(); }

private:
  void expandNode(const RepeatNode &node, llvm::ArrayRef<WordSteps> offset,
                  size_t &leaf) {
    switch (node.kind) {
    case RepeatNode::Kind::Instruction: {
      Instruction inst = node.instruction;
      if (!offset.empty())
        applyOffset(inst, offset[leaf]);
      sink(inst, node.origin);
      ++written;
      ++leaf;
      return;
    }
    case RepeatNode::Kind::Stage: {
      ++leaf;
      if (!stages)
        return;
      closeStage();
      int64_t layer = node.layer + (offset.empty() ? 0 : offset[leaf - 1][1]);
      uint32_t now = static_cast<uint32_t>(written);
      stages->push_back({node.stage, static_cast<int32_t>(layer), now, now});
      stageOpen = true;
      return;
    }
    case RepeatNode::Kind::Repeat:
      break;
    }
    // The offsets of this repeat's leaves, kept in a buffer per nesting
    // depth so that entering a repeat allocates nothing after the first
    // time.
    size_t leaves = node.steps.size();
    if (depth == scratch.size())
      scratch.emplace_back();
    std::vector<WordSteps> &inner = scratch[depth];
    inner.assign(leaves, WordSteps{});
    if (!offset.empty())
      std::copy(offset.begin() + leaf, offset.begin() + leaf + leaves,
                inner.begin());
    ++depth;
    for (uint32_t iteration = 0; iteration < node.count; ++iteration) {
      expand(node.body, inner);
      for (size_t l = 0; l < leaves; ++l)
        for (unsigned w = 1; w < kInstructionWords; ++w)
          inner[l][w] += node.steps[l][w];
    }
    --depth;
    leaf += leaves;
  }

  void closeStage() {
    if (!stageOpen)
      return;
    stages->back().end = static_cast<uint32_t>(written);
    if (stages->back().end == stages->back().first)
      stages->pop_back();
    stageOpen = false;
  }

  llvm::function_ref<void(const Instruction &, uint32_t)> sink;
  std::vector<StageRange> *stages;
  uint64_t written = 0;
  bool stageOpen = false;
  /// Per nesting depth, the offsets of the leaves of the repeat being
  /// expanded at that depth.
  /// (A deque, so that growing it keeps references to outer depths.)
  std::deque<std::vector<WordSteps>> scratch;
  size_t depth = 0;
};

} // namespace

bool lapa::isa::isSteppableWord(Opcode op, unsigned word) {
  if (word == 0 || word >= kInstructionWords)
    return false;
  WordRole role = roleTable()[static_cast<uint8_t>(op)][word];
  return isStepped(role);
}

bool lapa::isa::isAddressWord(Opcode op, unsigned word) {
  if (word == 0 || word >= kInstructionWords)
    return false;
  WordRole role = roleTable()[static_cast<uint8_t>(op)][word];
  return role == WordRole::BufferRef || role == WordRole::OptionalBufferRef ||
         role == WordRole::DramLow;
}

void lapa::isa::addSteps(Instruction &inst, const WordSteps &steps,
                         int64_t times) {
  if (times == 0)
    return;
  WordSteps scaled;
  for (unsigned w = 0; w < kInstructionWords; ++w)
    scaled[w] = steps[w] * times;
  applyOffset(inst, scaled);
}

std::vector<RepeatNode>
lapa::isa::findRepeats(llvm::ArrayRef<Instruction> instructions,
                       llvm::ArrayRef<StageRange> stages,
                       const RepeatOptions &options) {
  // The instructions with a marker before each stage's first instruction.
  std::vector<std::string> names;
  // Pointers to the instructions and to markers, which a deque keeps in
  // place as it grows.
  std::deque<Instruction> markers;
  std::vector<const Instruction *> leaves;
  leaves.reserve(instructions.size() + stages.size());
  size_t nextStage = 0;
  for (size_t i = 0; i <= instructions.size(); ++i) {
    while (nextStage < stages.size() && stages[nextStage].first == i) {
      const StageRange &range = stages[nextStage++];
      auto found = llvm::find(names, range.stage);
      uint32_t nameIndex = static_cast<uint32_t>(found - names.begin());
      if (found == names.end())
        names.push_back(range.stage);
      markers.push_back(markerInstruction(range.layer, nameIndex));
      leaves.push_back(&markers.back());
    }
    if (i < instructions.size())
      leaves.push_back(&instructions[i]);
  }
  std::vector<RepeatNode> out;
  foldSegment(leaves, names, options, out);
  return out;
}

void lapa::isa::expandRepeats(llvm::ArrayRef<RepeatNode> nodes,
                              std::vector<Instruction> &instructions,
                              std::vector<StageRange> &stages,
                              std::vector<uint32_t> *origins) {
  // The sink must outlive the expander, which keeps a function_ref to it.
  auto sink = [&](const Instruction &inst, uint32_t origin) {
    instructions.push_back(inst);
    if (origins)
      origins->push_back(origin);
  };
  Expander expander(sink, &stages);
  expander.expand(nodes, {});
  expander.finish();
}

void lapa::isa::forEachInstruction(
    llvm::ArrayRef<RepeatNode> nodes,
    llvm::function_ref<void(const Instruction &, uint32_t)> fn) {
  Expander expander(fn, nullptr);
  expander.expand(nodes, {});
}

uint64_t lapa::isa::expandedCount(llvm::ArrayRef<RepeatNode> nodes) {
  uint64_t count = 0;
  for (const RepeatNode &node : nodes) {
    if (node.isRepeat())
      count += node.count * expandedCount(node.body);
    else if (node.kind == RepeatNode::Kind::Instruction)
      ++count;
  }
  return count;
}

uint64_t lapa::isa::nodeCount(llvm::ArrayRef<RepeatNode> nodes) {
  uint64_t count = 0;
  for (const RepeatNode &node : nodes)
    count += 1 + (node.isRepeat() ? nodeCount(node.body) : 0);
  return count;
}
