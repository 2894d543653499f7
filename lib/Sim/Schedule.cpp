//===- Schedule.cpp - Issue of the unit queues with counting tokens -------===//
//
// Each unit issues its own instructions in program order. An instruction
// starts when its unit is free and every queue it waits on contains a
// token. The token it takes is the oldest one, so the k-th wait on queue (S -> U)
// consumes the k-th signal of S to U. When the instruction ends it pushes
// one token into each queue it signals. The k-th push into a queue needs
// the (k - depth)-th token to have been taken, so a push into a full queue
// waits for that pop and holds the signalling unit until then.
//
// Start times depend only on the unit's previous instruction and on the
// tokens, never on the order in which this code visits the units, so the
// pass sweeps the units round-robin, issuing on each as far as its tokens
// allow, until every queue is empty or no unit can move (a deadlock).
//
//===----------------------------------------------------------------------===//

#include "SimInternal.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <deque>

using namespace lapa;
using namespace lapa::sim;
using namespace lapa::sim::detail;
using isa::kNumUnits;
using isa::kTokenQueueDepth;

namespace {

/// One token queue (S -> D).
struct TokenQueue {
  /// Arrival cycles of the tokens pushed and not yet taken, oldest first.
  std::deque<uint64_t> tokens;
  uint64_t pushes = 0;
  uint64_t pops = 0;
  /// Cycle of the last kTokenQueueDepth pops, by pop number modulo depth.
  uint64_t popCycles[kTokenQueueDepth] = {};
};

struct UnitState {
  std::vector<uint32_t> program;
  size_t head = 0;
  /// Cycle at which the unit can start its next instruction.
  uint64_t freeAt = 0;
  /// Set while the head instruction has ended but still has tokens to push.
  bool signalling = false;
  uint64_t end = 0;
  uint64_t lastPush = 0;
  uint8_t pendingSignals = 0;
};

void mergeInterval(std::vector<TimelineEntry> &merged, TimelineEntry entry) {
  if (entry.end <= entry.start)
    return;
  if (!merged.empty() && entry.start <= merged.back().end) {
    merged.back().end = std::max(merged.back().end, entry.end);
    return;
  }
  merged.push_back(entry);
}

uint64_t totalLength(const std::vector<TimelineEntry> &intervals) {
  uint64_t total = 0;
  for (const TimelineEntry &entry : intervals)
    total += entry.end - entry.start;
  return total;
}

/// Returns the length of the intersection of two sorted disjoint lists.
uint64_t intersectionLength(const std::vector<TimelineEntry> &a,
                            const std::vector<TimelineEntry> &b) {
  uint64_t total = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    uint64_t start = std::max(a[i].start, b[j].start);
    uint64_t end = std::min(a[i].end, b[j].end);
    if (start < end)
      total += end - start;
    if (a[i].end < b[j].end)
      ++i;
    else
      ++j;
  }
  return total;
}

} // namespace

llvm::Error lapa::sim::detail::schedule(const ScheduleInput &input,
                                        ScheduleOutput &output) {
  const isa::StreamFile &stream = *input.stream;
  const std::vector<uint64_t> &cycles = *input.cycles;
  const size_t count = stream.instructions.size();
  output.timeline.assign(count, TimelineEntry{});

  UnitState units[kNumUnits];
  for (size_t i = 0; i < count; ++i)
    units[unsigned(isa::opcodeUnit(stream.instructions[i].opcode()))]
        .program.push_back(uint32_t(i));
  TokenQueue queues[kNumUnits][kNumUnits];

  // Pushes the pending tokens of unit `u`. Returns false while a queue is
  // full, until its consumer takes the token that frees a slot.
  auto pushSignals = [&](unsigned u) {
    UnitState &state = units[u];
    for (unsigned d = 0; d < kNumUnits; ++d) {
      if (!(state.pendingSignals & (1u << d)))
        continue;
      TokenQueue &queue = queues[u][d];
      uint64_t at = state.end;
      if (queue.pushes >= kTokenQueueDepth) {
        uint64_t needed = queue.pushes - kTokenQueueDepth;
        if (queue.pops <= needed)
          return false;
        at = std::max(at, queue.popCycles[needed % kTokenQueueDepth]);
      }
      queue.tokens.push_back(at);
      ++queue.pushes;
      state.lastPush = std::max(state.lastPush, at);
      state.pendingSignals &= uint8_t(~(1u << d));
    }
    return true;
  };

  auto finish = [&](unsigned u) {
    UnitState &state = units[u];
    uint64_t releasedAt = std::max(state.end, state.lastPush);
    output.units[u].stallCycles += releasedAt - state.end;
    state.freeAt = releasedAt;
    state.signalling = false;
    ++state.head;
  };

  uint64_t done = 0;
  const SimOptions &options = *input.options;
  bool progress = true;
  while (progress) {
    progress = false;
    for (unsigned u = 0; u < kNumUnits; ++u) {
      UnitState &state = units[u];
      while (true) {
        if (state.signalling) {
          if (!pushSignals(u))
            break;
          finish(u);
          progress = true;
          continue;
        }
        if (state.head == state.program.size())
          break;
        uint32_t index = state.program[state.head];
        const isa::Instruction &inst = stream.instructions[index];
        uint8_t waits = inst.waitMask();
        bool ready = true;
        for (unsigned s = 0; s < kNumUnits && ready; ++s)
          if ((waits & (1u << s)) && queues[s][u].tokens.empty())
            ready = false;
        if (!ready)
          break;

        uint64_t start = state.freeAt;
        for (unsigned s = 0; s < kNumUnits; ++s)
          if (waits & (1u << s))
            start = std::max(start, queues[s][u].tokens.front());
        for (unsigned s = 0; s < kNumUnits; ++s) {
          if (!(waits & (1u << s)))
            continue;
          TokenQueue &queue = queues[s][u];
          queue.tokens.pop_front();
          queue.popCycles[queue.pops % kTokenQueueDepth] = start;
          ++queue.pops;
        }
        uint64_t latency =
            isDmaOpcode(inst.opcode())
                ? std::max<uint64_t>(
                      input.dram->transferCycles(dramRequest(inst), start), 1)
                : cycles[index];
        output.units[u].stallCycles += start - state.freeAt;
        output.units[u].busyCycles += latency;
        ++output.units[u].instructions;
        output.timeline[index] = {start, start + latency};

        state.end = start + latency;
        state.lastPush = state.end;
        state.pendingSignals = inst.signalMask() & ~uint8_t(1u << u);
        state.signalling = true;
        progress = true;
        if (options.progress && (++done & 0xffff) == 0)
          options.progress("timing", done, count);
      }
    }
  }

  // Any unit with instructions left waits for a token that no unit will
  // send.
  std::string blocked;
  for (unsigned u = 0; u < kNumUnits; ++u) {
    UnitState &state = units[u];
    if (state.head == state.program.size())
      continue;
    uint32_t index = state.program[state.head];
    const isa::Instruction &inst = stream.instructions[index];
    std::string reason;
    if (state.signalling) {
      for (unsigned d = 0; d < kNumUnits; ++d)
        if (state.pendingSignals & (1u << d))
          reason += llvm::formatv("cannot signal {0}, whose queue from {1} "
                                  "is full ({2} tokens); ",
                                  isa::unitName(isa::Unit(d)),
                                  isa::unitName(isa::Unit(u)),
                                  kTokenQueueDepth)
                        .str();
    } else {
      for (unsigned s = 0; s < kNumUnits; ++s)
        if ((inst.waitMask() & (1u << s)) && queues[s][u].tokens.empty())
          reason += llvm::formatv("waits for a token from {0}; ",
                                  isa::unitName(isa::Unit(s)))
                        .str();
    }
    if (!reason.empty())
      reason.resize(reason.size() - 2);
    blocked += llvm::formatv("\n  unit {0}: instruction {1} ({2}) {3}",
                             isa::unitName(isa::Unit(u)), index,
                             isa::opcodeName(inst.opcode()), reason)
                   .str();
  }
  if (!blocked.empty())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "deadlock: no unit can issue its next instruction; add the missing "
        "signal or remove the wait:" +
            blocked);

  for (unsigned u = 0; u < kNumUnits; ++u)
    output.totalCycles = std::max(output.totalCycles, units[u].freeAt);

  // Busy intervals of the prediction units (merged) and of the MAC array.
  std::vector<TimelineEntry> prediction, mac;
  {
    std::vector<TimelineEntry> all;
    for (isa::Unit unit :
         {isa::Unit::Shift, isa::Unit::Encode, isa::Unit::Filter})
      for (uint32_t index : units[unsigned(unit)].program)
        all.push_back(output.timeline[index]);
    std::sort(all.begin(), all.end(),
              [](const TimelineEntry &a, const TimelineEntry &b) {
                return a.start < b.start;
              });
    for (const TimelineEntry &entry : all)
      mergeInterval(prediction, entry);
    for (uint32_t index : units[unsigned(isa::Unit::Mac)].program)
      mergeInterval(mac, output.timeline[index]);
  }
  output.predictionBusyCycles = totalLength(prediction);
  output.predictionMacOverlapCycles = intersectionLength(prediction, mac);
  return llvm::Error::success();
}
