//===- EmitterTest.cpp - Dependency tokens of the scheduler's emitter ----===//
//
// Each case emits a few instructions with their byte accesses and checks
// the wait and signal masks against the token rule worked out by hand:
// an instruction waits on another unit whose earlier instruction wrote
// bytes it reads (or touched bytes it writes), and that instruction
// signals it, unless an earlier wait already covers it.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "gtest/gtest.h"

using namespace lapa;
using namespace lapa::schedule;
using isa::Instruction;
using isa::Opcode;
using isa::Unit;

namespace {

uint8_t bit(Unit unit) { return uint8_t(1u << static_cast<unsigned>(unit)); }

/// A configuration with one 64 KiB buffer is all the emitter reads.
hardware::HardwareConfig oneBuffer() {
  hardware::HardwareConfig config;
  hardware::BufferConfig buffer;
  buffer.name = "token_buffer";
  buffer.bytes = 65536;
  config.buffers.push_back(buffer);
  return config;
}

Instruction inst(Opcode op) {
  Instruction result;
  result.setHeader(op, 0, 0, 0);
  return result;
}

Access bytes(uint64_t offset, uint64_t count) { return {0, offset, count}; }

class EmitterTest : public ::testing::Test {
protected:
  isa::StreamFile stream;
  hardware::HardwareConfig config = oneBuffer();
  Emitter emitter{stream, config};

  uint8_t waits(uint32_t index) { return stream.instructions[index].waitMask(); }
  uint8_t signals(uint32_t index) {
    return stream.instructions[index].signalMask();
  }
};

TEST_F(EmitterTest, ReadAfterWriteAcrossUnits) {
  uint32_t load = emitter.emit(inst(Opcode::Load), {}, {bytes(0, 1024)});
  uint32_t gemm = emitter.emit(inst(Opcode::Gemm), {bytes(0, 1024)}, {});
  EXPECT_EQ(signals(load), bit(Unit::Mac));
  EXPECT_EQ(waits(gemm), bit(Unit::Dma));
  EXPECT_EQ(waits(load), 0);
  EXPECT_EQ(signals(gemm), 0);
}

TEST_F(EmitterTest, SameUnitNeedsNoToken) {
  uint32_t first = emitter.emit(inst(Opcode::Load), {}, {bytes(0, 256)});
  uint32_t second = emitter.emit(inst(Opcode::Store), {bytes(0, 256)}, {});
  EXPECT_EQ(signals(first), 0);
  EXPECT_EQ(waits(second), 0);
}

TEST_F(EmitterTest, WriteAfterReadWaitsForReader) {
  emitter.emit(inst(Opcode::Load), {}, {bytes(0, 256)});
  uint32_t gemm = emitter.emit(inst(Opcode::Gemm), {bytes(0, 256)}, {});
  uint32_t reload = emitter.emit(inst(Opcode::Load), {}, {bytes(0, 256)});
  // The second load must not overwrite the tile before the GEMM read it.
  EXPECT_EQ(signals(gemm), bit(Unit::Dma));
  EXPECT_EQ(waits(reload), bit(Unit::Mac));
}

TEST_F(EmitterTest, DoubleBufferedTilesPairTokensInOrder) {
  // Two tiles in separate granules: each GEMM waits for its own load, and
  // each load signals exactly once, so the k-th token is the k-th wait's.
  uint32_t load0 = emitter.emit(inst(Opcode::Load), {}, {bytes(0, 256)});
  uint32_t load1 = emitter.emit(inst(Opcode::Load), {}, {bytes(256, 256)});
  uint32_t gemm0 = emitter.emit(inst(Opcode::Gemm), {bytes(0, 256)}, {});
  uint32_t gemm1 = emitter.emit(inst(Opcode::Gemm), {bytes(256, 256)}, {});
  EXPECT_EQ(signals(load0), bit(Unit::Mac));
  EXPECT_EQ(signals(load1), bit(Unit::Mac));
  EXPECT_EQ(waits(gemm0), bit(Unit::Dma));
  EXPECT_EQ(waits(gemm1), bit(Unit::Dma));
}

TEST_F(EmitterTest, LaterTokenCoversEarlierWrites) {
  // The GEMM reads both tiles; waiting for the second load's token also
  // orders it after the first load (the DMA queue runs in order), so the
  // first load gives no token.
  uint32_t load0 = emitter.emit(inst(Opcode::Load), {}, {bytes(0, 256)});
  uint32_t load1 = emitter.emit(inst(Opcode::Load), {}, {bytes(256, 256)});
  uint32_t gemm = emitter.emit(inst(Opcode::Gemm), {bytes(0, 512)}, {});
  EXPECT_EQ(signals(load0), 0);
  EXPECT_EQ(signals(load1), bit(Unit::Mac));
  EXPECT_EQ(waits(gemm), bit(Unit::Dma));
}

TEST_F(EmitterTest, ConsumedTokenCoversLaterReader) {
  // A second GEMM on the same tile follows the first GEMM in the MAC
  // queue, which already waited for the load.
  uint32_t load = emitter.emit(inst(Opcode::Load), {}, {bytes(0, 256)});
  uint32_t gemm0 = emitter.emit(inst(Opcode::Gemm), {bytes(0, 256)}, {});
  uint32_t gemm1 = emitter.emit(inst(Opcode::Gemm), {bytes(0, 256)}, {});
  EXPECT_EQ(signals(load), bit(Unit::Mac));
  EXPECT_EQ(waits(gemm0), bit(Unit::Dma));
  EXPECT_EQ(waits(gemm1), 0);
}

TEST_F(EmitterTest, ThreeUnitChain) {
  // DMA -> MAC -> vector -> DMA: each hop one token.
  uint32_t load = emitter.emit(inst(Opcode::Load), {}, {bytes(0, 256)});
  uint32_t gemm =
      emitter.emit(inst(Opcode::Gemm), {bytes(0, 256)}, {bytes(1024, 256)});
  uint32_t dequant = emitter.emit(inst(Opcode::Dequant), {bytes(1024, 256)},
                                  {bytes(2048, 256)});
  uint32_t store = emitter.emit(inst(Opcode::Store), {bytes(2048, 256)}, {});
  EXPECT_EQ(signals(load), bit(Unit::Mac));
  EXPECT_EQ(waits(gemm), bit(Unit::Dma));
  EXPECT_EQ(signals(gemm), bit(Unit::Vector));
  EXPECT_EQ(waits(dequant), bit(Unit::Mac));
  EXPECT_EQ(signals(dequant), bit(Unit::Dma));
  EXPECT_EQ(waits(store), bit(Unit::Vector));
}

TEST_F(EmitterTest, StageRangesCloseAndDropEmpty) {
  emitter.beginStage("other", -1);
  emitter.emit(inst(Opcode::Load), {}, {bytes(0, 64)});
  emitter.beginStage("attention", 0);
  emitter.beginStage("ffn", 0);
  emitter.emit(inst(Opcode::Silu), {bytes(0, 64)}, {bytes(0, 64)});
  emitter.finish();
  ASSERT_EQ(stream.stages.size(), 2u);
  EXPECT_EQ(stream.stages[0].stage, "other");
  EXPECT_EQ(stream.stages[0].first, 0u);
  EXPECT_EQ(stream.stages[0].end, 1u);
  EXPECT_EQ(stream.stages[1].stage, "ffn");
  EXPECT_EQ(stream.stages[1].first, 1u);
  EXPECT_EQ(stream.stages[1].end, 2u);
}

TEST(Arena, ReportsBufferNeedAndCapacity) {
  Arena arena(Role::Temp, 2, "temp_buffer", 0, 1024);
  llvm::Expected<Slot> first = arena.allocate(600, "a tile");
  ASSERT_TRUE(bool(first));
  // 600 bytes round up to the 256-byte granule: 768 used, 256 free.
  EXPECT_EQ(first->offset, 0u);
  llvm::Expected<Slot> second = arena.allocate(300, "the scores");
  ASSERT_FALSE(bool(second));
  std::string message = llvm::toString(second.takeError());
  EXPECT_NE(message.find("no room for the scores (300 bytes) in temp_buffer"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("only 256 of its 1024 bytes are free"),
            std::string::npos)
      << message;
}

} // namespace
