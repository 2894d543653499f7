//===- RepeatTest.cpp - Folding instructions into repeats -----------------===//
//
// The instructions here are written out by hand, so the repeats and steps
// that findRepeats must find are known in advance. Every test also checks
// that expanding the result gives back the input word for word.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Stream/Repeat.h"

#include "SampleStream.h"

#include "gtest/gtest.h"

#include <random>

using namespace lapa::isa;
using namespace lapa::isa::testing;

namespace {

/// Returns a DMA load of `rows` rows of 64 bytes from DRAM `dram` to the weight
/// buffer at `offset`.
Instruction load(uint64_t dram, uint32_t offset, uint32_t rows = 64) {
  Instruction inst = makeInstruction(Opcode::Load, 0, 0, 0,
                                     {0, 0, ref(WeightBuffer, offset), rows,
                                      64, 64, 64});
  inst.setDramAddress(dram);
  return inst;
}

/// Returns a GEMM of a 16 x 64 tile of the token buffer by the weight tile at
/// `offset`, into the temp buffer at `out`.
Instruction gemm(uint32_t offset, uint32_t out, uint8_t flags = 0) {
  return makeInstruction(Opcode::Gemm, 0, 0, flags,
                         {ref(TokenBuffer, 0), ref(WeightBuffer, offset),
                          ref(TempBuffer, out), 16, 64, 64, 64, 64, 64,
                          kNoBuffer, 0});
}

/// Returns a softmax with the given scale, whose f32 field cannot step.
Instruction softmax(float scale) {
  return makeInstruction(Opcode::Softmax, 0, 0, 0,
                         {ref(TempBuffer, 0), ref(TempBuffer, 4096), 16, 16,
                          floatBits(scale), kNoBuffer});
}

void expectSameInstructions(const std::vector<Instruction> &actual,
                            const std::vector<Instruction> &expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(actual[i].words, expected[i].words) << "instruction " << i;
}

/// Folds and unfolds `instructions` with `stages`, checks the round trip
/// and returns the nodes.
std::vector<RepeatNode> roundTrip(const std::vector<Instruction> &instructions,
                                  const std::vector<StageRange> &stages = {},
                                  const RepeatOptions &options = {}) {
  std::vector<RepeatNode> nodes = findRepeats(instructions, stages, options);
  std::vector<Instruction> expanded;
  std::vector<StageRange> expandedStages;
  expandRepeats(nodes, expanded, expandedStages);
  expectSameInstructions(expanded, instructions);
  EXPECT_EQ(expandedStages, stages);
  EXPECT_EQ(expandedCount(nodes), instructions.size());
  return nodes;
}

TEST(Repeat, ConstantStepsFold) {
  // Four loads of consecutive 4 KiB blocks into the same place.
  std::vector<Instruction> input;
  for (uint64_t i = 0; i < 4; ++i)
    input.push_back(load(0x10000 + 4096 * i, 0));
  std::vector<RepeatNode> nodes = roundTrip(input);
  ASSERT_EQ(nodes.size(), 1u);
  ASSERT_TRUE(nodes[0].isRepeat());
  EXPECT_EQ(nodes[0].count, 4u);
  ASSERT_EQ(nodes[0].body.size(), 1u);
  EXPECT_EQ(nodes[0].body[0].instruction.dramAddress(), 0x10000u);
  ASSERT_EQ(nodes[0].steps.size(), 1u);
  WordSteps expected{};
  expected[1] = 4096;
  EXPECT_EQ(nodes[0].steps[0], expected);
}

TEST(Repeat, TiledProjectionNests) {
  // Three column tiles; in each, two inner tiles of (load, gemm). Column j,
  // inner tile k loads DRAM 0x1000 + 8192 j + 4096 k into weight offset
  // 4096 k, and the GEMM writes temp offset 1024 j.
  std::vector<Instruction> input;
  for (uint32_t j = 0; j < 3; ++j)
    for (uint32_t k = 0; k < 2; ++k) {
      input.push_back(load(0x1000 + 8192 * j + 4096 * k, 4096 * k));
      input.push_back(gemm(4096 * k, 1024 * j, k ? Accumulate : 0));
    }
  std::vector<RepeatNode> nodes = roundTrip(input);
  // The accumulate flag differs between the two inner tiles, so the inner
  // pair cannot repeat; each column is a body of four instructions.
  ASSERT_EQ(nodes.size(), 1u);
  ASSERT_TRUE(nodes[0].isRepeat());
  EXPECT_EQ(nodes[0].count, 3u);
  ASSERT_EQ(nodes[0].body.size(), 4u);
  ASSERT_EQ(nodes[0].steps.size(), 4u);
  EXPECT_EQ(nodes[0].steps[0][1], 8192); // first load: DRAM
  EXPECT_EQ(nodes[0].steps[0][3], 0);    // and the same weight offset
  EXPECT_EQ(nodes[0].steps[1][3], 1024); // first gemm: C offset
  EXPECT_EQ(nodes[0].steps[2][1], 8192); // second load
  EXPECT_EQ(nodes[0].steps[3][3], 1024); // second gemm
}

TEST(Repeat, InnerLoopsNest) {
  // Two column tiles of five accumulating (load, gemm) pairs. A column (11
  // instructions) is longer than the longest body allowed here, so the
  // pairs fold first, and then the columns fold around them.
  std::vector<Instruction> input;
  for (uint32_t j = 0; j < 2; ++j) {
    input.push_back(softmax(1.0f)); // a fixed separator per column
    for (uint32_t k = 0; k < 5; ++k) {
      input.push_back(load(0x100000 * (j + 1) + 4096 * k, 0));
      input.push_back(gemm(0, 2048 * j, Accumulate));
    }
  }
  RepeatOptions options;
  options.maxBody = 4;
  std::vector<RepeatNode> nodes = roundTrip(input, {}, options);
  ASSERT_EQ(nodes.size(), 1u);
  const RepeatNode &outer = nodes[0];
  ASSERT_TRUE(outer.isRepeat());
  EXPECT_EQ(outer.count, 2u);
  ASSERT_EQ(outer.body.size(), 2u);
  EXPECT_EQ(outer.body[0].instruction.opcode(), Opcode::Softmax);
  const RepeatNode &inner = outer.body[1];
  ASSERT_TRUE(inner.isRepeat());
  EXPECT_EQ(inner.count, 5u);
  EXPECT_EQ(inner.steps[0][1], 4096);
  // The outer steps: one per leaf (softmax, load, gemm).
  ASSERT_EQ(outer.steps.size(), 3u);
  EXPECT_EQ(outer.steps[1][1], 0x100000);
  EXPECT_EQ(outer.steps[2][3], 2048);
  EXPECT_EQ(nodeCount(nodes), 5u);

  // With the default limit, the first level folds whole columns: one
  // repeat of the eleven instructions.
  std::vector<RepeatNode> flat = roundTrip(input);
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat[0].count, 2u);
  EXPECT_EQ(flat[0].body.size(), 11u);
}

TEST(Repeat, AlternatingBuffersPairIterations) {
  // Double buffering: tiles alternate between weight offsets 0 and 8192,
  // so one iteration is two tiles.
  std::vector<Instruction> input;
  for (uint32_t k = 0; k < 8; ++k) {
    input.push_back(load(4096 * k, 8192 * (k % 2)));
    input.push_back(gemm(8192 * (k % 2), 0, Accumulate));
  }
  std::vector<RepeatNode> nodes = roundTrip(input);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].count, 4u);
  EXPECT_EQ(nodes[0].body.size(), 4u);
  EXPECT_EQ(nodes[0].steps[0][1], 8192); // DRAM: two tiles per iteration
  EXPECT_EQ(nodes[0].steps[0][3], 0);    // the same half of the buffer
}

TEST(Repeat, FixedFieldsStopRepeat) {
  // f32 scales differ: nothing folds.
  std::vector<Instruction> input = {softmax(1.0f), softmax(2.0f),
                                    softmax(3.0f)};
  EXPECT_EQ(roundTrip(input).size(), 3u);
  // The same offsets in another buffer are another shape.
  std::vector<Instruction> buffers = {load(0, 0), load(64, 0)};
  buffers[1].words[3] = ref(TokenBuffer, 0);
  EXPECT_EQ(roundTrip(buffers).size(), 2u);
  // Tokens differ: another shape.
  std::vector<Instruction> tokens = {load(0, 0), load(64, 0)};
  tokens[1].setHeader(Opcode::Load, 0, unitBit(Unit::Mac), 0);
  EXPECT_EQ(roundTrip(tokens).size(), 2u);
}

TEST(Repeat, ChangingStepsStopRepeat) {
  // DRAM 0, 64, 128, 192, 1000: the first four repeat, the last does not.
  // (A body of two loads covers the first four too, with steps 128 and
  // 128; on a tie the shorter body wins.)
  std::vector<Instruction> input = {load(0, 0), load(64, 0), load(128, 0),
                                    load(192, 0), load(1000, 0)};
  std::vector<RepeatNode> nodes = roundTrip(input);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].count, 4u);
  EXPECT_FALSE(nodes[1].isRepeat());
  EXPECT_EQ(nodes[1].instruction.dramAddress(), 1000u);
}

TEST(Repeat, LayersFoldWithMarkers) {
  // Three layers of (attention: load; ffn: load), with the layer index
  // and the DRAM addresses growing per layer.
  std::vector<Instruction> input;
  std::vector<StageRange> stages;
  for (int32_t layer = 0; layer < 3; ++layer) {
    uint32_t first = static_cast<uint32_t>(input.size());
    input.push_back(load(0x10000 * (layer + 1), 0));
    stages.push_back({"attention", layer, first, first + 1});
    input.push_back(load(0x10000 * (layer + 1) + 0x8000, 0));
    stages.push_back({"ffn", layer, first + 1, first + 2});
  }
  std::vector<RepeatNode> nodes = roundTrip(input, stages);
  ASSERT_EQ(nodes.size(), 1u);
  const RepeatNode &repeat = nodes[0];
  EXPECT_EQ(repeat.count, 3u);
  ASSERT_EQ(repeat.body.size(), 4u);
  EXPECT_EQ(repeat.body[0].kind, RepeatNode::Kind::Stage);
  EXPECT_EQ(repeat.body[0].stage, "attention");
  EXPECT_EQ(repeat.body[0].layer, 0);
  EXPECT_EQ(repeat.steps[0][1], 1);        // layer + 1 per iteration
  EXPECT_EQ(repeat.steps[1][1], 0x10000);  // the attention load
  EXPECT_EQ(repeat.body[2].stage, "ffn");
}

TEST(Repeat, ForEachMatchesExpand) {
  std::vector<Instruction> input;
  for (uint32_t k = 0; k < 6; ++k)
    input.push_back(load(512 * k, 0));
  input.push_back(softmax(0.5f));
  std::vector<RepeatNode> nodes = findRepeats(input);
  // Tag each leaf, then check the tags come back with the instructions.
  nodes[0].body[0].origin = 7;
  nodes[1].origin = 9;
  std::vector<Instruction> seen;
  std::vector<uint32_t> origins;
  forEachInstruction(nodes, [&](const Instruction &inst, uint32_t origin) {
    seen.push_back(inst);
    origins.push_back(origin);
  });
  expectSameInstructions(seen, input);
  EXPECT_EQ(origins, (std::vector<uint32_t>{7, 7, 7, 7, 7, 7, 9}));
}

TEST(Repeat, RandomStreamsRoundTrip) {
  // Random mixes of a few patterns with random counts and steps, so that
  // repeats of every kind meet at their edges.
  std::mt19937 random(20261205);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Instruction> input;
    std::vector<StageRange> stages;
    int pieces = 1 + random() % 12;
    for (int p = 0; p < pieces; ++p) {
      if (random() % 4 == 0) {
        uint32_t first = static_cast<uint32_t>(input.size());
        if (!stages.empty())
          stages.back().end = first;
        stages.push_back({random() % 2 ? "ffn" : "attention",
                          static_cast<int32_t>(random() % 3) - 1, first,
                          first});
      }
      uint32_t count = 1 + random() % 9;
      uint64_t dramStep = 64 * (random() % 5);
      uint32_t offsetStep = 256 * (random() % 3);
      for (uint32_t k = 0; k < count; ++k) {
        switch (random() % 4) {
        case 0:
          input.push_back(load(dramStep * k, offsetStep * k % 65536));
          break;
        case 1:
          input.push_back(gemm(offsetStep * (k % 2), 0, k % 3 ? Accumulate : 0));
          break;
        case 2:
          input.push_back(softmax(k % 2 ? 1.0f : 0.5f));
          break;
        default:
          input.push_back(load(dramStep * k, 0, 1 + k % 4));
          break;
        }
      }
    }
    if (!stages.empty()) {
      stages.back().end = static_cast<uint32_t>(input.size());
      // Empty ranges do not survive a round trip; drop them from the input.
      std::vector<StageRange> nonEmpty;
      for (const StageRange &range : stages)
        if (range.end > range.first)
          nonEmpty.push_back(range);
      stages = nonEmpty;
    }
    SCOPED_TRACE("trial " + std::to_string(trial));
    roundTrip(input, stages);
  }
}

TEST(Repeat, SteppableWords) {
  // load: DRAM (word 1), buffer offset (3) and counts step; word 2 is the
  // DRAM address's high word and steps with word 1.
  EXPECT_TRUE(isSteppableWord(Opcode::Load, 1));
  EXPECT_FALSE(isSteppableWord(Opcode::Load, 2));
  EXPECT_TRUE(isSteppableWord(Opcode::Load, 3));
  EXPECT_TRUE(isSteppableWord(Opcode::Load, 4));
  EXPECT_TRUE(isAddressWord(Opcode::Load, 3));
  EXPECT_FALSE(isAddressWord(Opcode::Load, 4));
  // softmax: the scale (word 5) is f32.
  EXPECT_FALSE(isSteppableWord(Opcode::Softmax, 5));
  EXPECT_FALSE(isSteppableWord(Opcode::Load, 0));
}

} // namespace
