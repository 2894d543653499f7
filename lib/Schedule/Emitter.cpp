//===- Emitter.cpp - Instructions, memory and dependency tokens ---------===//

#include "Emitter.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace lapa;
using namespace lapa::schedule;

llvm::StringRef lapa::schedule::roleName(Role role) {
  switch (role) {
  case Role::Token:
    return "token";
  case Role::Weight:
    return "weight";
  case Role::Kv:
    return "kv";
  case Role::Temp:
    return "temp";
  case Role::Speculation:
    return "speculation";
  }
  return "";
}

char NoRoomError::ID = 0;

llvm::Expected<Slot> Arena::allocate(uint64_t bytes, llvm::StringRef what) {
  uint64_t aligned = llvm::alignTo(std::max<uint64_t>(bytes, 1), kGranule);
  if (aligned > size)
    return llvm::make_error<NoRoomError>(
        llvm::formatv("no room for {0} ({1} bytes) in {2} (the {3} region): "
                      "it is larger than the whole region of {4} bytes, so "
                      "smaller tiles cannot help; use a shorter sequence or a "
                      "configuration with a larger {2}",
                      what, bytes, bufferName, roleName(role), size)
            .str());
  if (used + aligned > size)
    return llvm::make_error<NoRoomError>(
        llvm::formatv("no room for {0} ({1} bytes) in {2} (the {3} region): "
                      "only {4} of its {5} bytes are free; choose smaller "
                      "tiles (lapa-compile's row-tile, col-tile and "
                      "inner-tile, or lapa-run --tiles) or a configuration "
                      "with a larger {2}",
                      what, bytes, bufferName, roleName(role), size - used,
                      size)
            .str());
  Slot slot{buffer, base + used, bytes};
  used += static_cast<uint32_t>(aligned);
  return slot;
}

Access lapa::schedule::access2d(const Slot &slot, uint64_t byteOffset,
                                uint64_t rows, uint64_t rowBytes,
                                uint64_t strideBytes) {
  uint64_t span = rows == 0 ? 0 : (rows - 1) * strideBytes + rowBytes;
  return {slot.buffer, slot.offset + byteOffset, span};
}

Access lapa::schedule::access1d(const Slot &slot, uint64_t byteOffset,
                                uint64_t bytes) {
  return {slot.buffer, slot.offset + byteOffset, bytes};
}

size_t GranuleRuns::firstOverlap(uint32_t granule) const {
  auto it = std::partition_point(runs.begin(), runs.end(), [&](const Run &run) {
    return run.end <= granule;
  });
  return static_cast<size_t>(it - runs.begin());
}

void GranuleRuns::assign(uint32_t first, uint32_t end, int32_t instruction) {
  if (first >= end)
    return;
  size_t begin = firstOverlap(first);
  size_t stop = begin;
  while (stop < runs.size() && runs[stop].first < end)
    ++stop;
  // The parts of the first and last overlapping runs outside the range
  // survive.
  llvm::SmallVector<Run, 3> replacement;
  if (begin < stop && runs[begin].first < first)
    replacement.push_back({runs[begin].first, first, runs[begin].instruction});
  if (instruction >= 0)
    replacement.push_back({first, end, instruction});
  if (begin < stop && runs[stop - 1].end > end)
    replacement.push_back({end, runs[stop - 1].end, runs[stop - 1].instruction});
  size_t removed = stop - begin;
  if (replacement.size() <= removed) {
    std::copy(replacement.begin(), replacement.end(), runs.begin() + begin);
    runs.erase(runs.begin() + begin + replacement.size(), runs.begin() + stop);
  } else {
    std::copy(replacement.begin(), replacement.begin() + removed,
              runs.begin() + begin);
    runs.insert(runs.begin() + stop, replacement.begin() + removed,
                replacement.end());
  }
}

Emitter::Emitter(isa::StreamFile &stream,
                 const hardware::HardwareConfig &config)
    : file(stream) {
  for (const hardware::BufferConfig &buffer : config.buffers)
    granules.push_back(
        static_cast<uint32_t>((buffer.bytes + kGranule - 1) / kGranule));
  lastWriter.resize(granules.size());
  lastReader.resize(granules.size());
  for (auto &row : consumed)
    row.fill(-1);
}

uint32_t Emitter::emit(isa::Instruction inst, llvm::ArrayRef<Access> reads,
                       llvm::ArrayRef<Access> writes) {
  uint32_t index = static_cast<uint32_t>(file.instructions.size());
  unsigned unit = static_cast<unsigned>(isa::opcodeUnit(inst.opcode()));

  // The latest instruction of each other unit that this one must follow.
  std::array<int64_t, isa::kNumUnits> after;
  after.fill(-1);
  auto needWriter = [&](int32_t writer) {
    unsigned writerUnit = units[writer];
    if (writerUnit != unit)
      after[writerUnit] = std::max<int64_t>(after[writerUnit], writer);
  };
  // The granules [first, end) of an access, clipped to its buffer.
  auto granuleRange = [&](const Access &a) {
    uint64_t first = a.offset / kGranule;
    uint64_t last = a.bytes ? (a.offset + a.bytes - 1) / kGranule : first;
    uint64_t size = granules[a.buffer];
    return std::make_pair(static_cast<uint32_t>(std::min(first, size)),
                          static_cast<uint32_t>(std::min(last + 1, size)));
  };
  for (const Access &read : reads) {
    auto [first, end] = granuleRange(read);
    lastWriter[read.buffer].forEach(first, end, needWriter);
  }
  for (const Access &write : writes) {
    auto [first, end] = granuleRange(write);
    lastWriter[write.buffer].forEach(first, end, needWriter);
    for (unsigned other = 0; other < isa::kNumUnits; ++other)
      if (other != unit)
        lastReader[write.buffer][other].forEach(first, end, [&](int32_t reader) {
          after[other] = std::max<int64_t>(after[other], reader);
        });
  }

  uint8_t wait = inst.waitMask();
  for (unsigned other = 0; other < isa::kNumUnits; ++other) {
    if (after[other] < 0 || after[other] <= consumed[other][unit])
      continue;
    isa::Instruction &producer = file.instructions[after[other]];
    producer.setHeader(producer.opcode(), producer.waitMask(),
                       producer.signalMask() | uint8_t(1u << unit),
                       producer.flags());
    wait |= uint8_t(1u << other);
    consumed[other][unit] = after[other];
  }
  inst.setHeader(inst.opcode(), wait, inst.signalMask(), inst.flags());
  file.instructions.push_back(inst);
  units.push_back(static_cast<uint8_t>(unit));

  for (const Access &read : reads) {
    auto [first, end] = granuleRange(read);
    lastReader[read.buffer][unit].assign(first, end,
                                         static_cast<int32_t>(index));
  }
  for (const Access &write : writes) {
    auto [first, end] = granuleRange(write);
    lastWriter[write.buffer].assign(first, end, static_cast<int32_t>(index));
    for (GranuleRuns &readers : lastReader[write.buffer])
      readers.assign(first, end, -1);
  }
  return index;
}

void Emitter::beginStage(llvm::StringRef stage, int32_t layer) {
  uint32_t now = static_cast<uint32_t>(file.instructions.size());
  if (stageOpen) {
    isa::StageRange &open = file.stages.back();
    if (open.stage == stage && open.layer == layer)
      return;
    open.end = now;
    if (open.end == open.first)
      file.stages.pop_back();
  }
  file.stages.push_back({stage.str(), layer, now, now});
  stageOpen = true;
}

void Emitter::finish() {
  if (!stageOpen)
    return;
  file.stages.back().end = static_cast<uint32_t>(file.instructions.size());
  if (file.stages.back().end == file.stages.back().first)
    file.stages.pop_back();
  stageOpen = false;
}

const isa::TensorInfo &Emitter::addTensor(llvm::StringRef name,
                                          isa::TensorRole role,
                                          isa::ElementType type,
                                          std::vector<uint64_t> shape,
                                          llvm::ArrayRef<uint8_t> constant,
                                          llvm::StringRef scaleTensor) {
  isa::TensorInfo info;
  info.name = name.str();
  info.role = role;
  info.type = type;
  info.shape = std::move(shape);
  info.scaleTensor = scaleTensor.str();
  info.dramAddress = nextDram;
  nextDram = llvm::alignTo(nextDram + info.byteSize(), 64);
  if (!constant.empty()) {
    size_t offset = llvm::alignTo(file.constants.size(), 8);
    file.constants.resize(offset);
    file.constants.insert(file.constants.end(), constant.begin(),
                          constant.end());
    info.constantOffset = offset;
  }
  // The first tensor of a name wins, as a search of the memory map would.
  addresses.try_emplace(info.name, info.dramAddress);
  file.tensors.push_back(std::move(info));
  return file.tensors.back();
}

uint64_t Emitter::addressOf(llvm::StringRef name) const {
  auto found = addresses.find(name);
  return found == addresses.end() ? UINT64_MAX : found->second;
}
