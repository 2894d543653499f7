//===- SampleStream.h - A small valid stream using every opcode -*- C++ -*-===//
//
// The stream the stream tests share. Its words are set by hand from the
// operand lists in the comments of Isa.h, not through the operand table, so
// that the tests also check the table against the header. Buffer indices
// follow examples/hw/lapa-28nm.yaml sorted by name: 0 kv_buffer, 1
// speculation_buffer, 2 temp_buffer, 3 token_buffer, 4 weight_buffer; every
// instruction passes verifyInstruction against that configuration.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_UNITTESTS_STREAM_SAMPLESTREAM_H
#define LAPA_UNITTESTS_STREAM_SAMPLESTREAM_H

#include "lapa/Target/Stream/Stream.h"

#include <cstring>

namespace lapa::isa::testing {

enum SampleBuffer : uint8_t {
  KvBuffer = 0,
  SpeculationBuffer = 1,
  TempBuffer = 2,
  TokenBuffer = 3,
  WeightBuffer = 4,
};

inline uint32_t ref(uint8_t buffer, uint32_t offset) {
  return BufRef{buffer, offset}.pack();
}

inline uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

/// Returns an instruction with the given header and operand words w1, w2...
inline Instruction makeInstruction(Opcode op, uint8_t wait, uint8_t signal,
                                   uint8_t flags,
                                   std::initializer_list<uint32_t> operands) {
  Instruction inst;
  inst.setHeader(op, wait, signal, flags);
  unsigned word = 1;
  for (uint32_t value : operands)
    inst.words[word++] = value;
  return inst;
}

constexpr uint8_t unitBit(Unit unit) {
  return uint8_t(1u << static_cast<unsigned>(unit));
}

/// Returns the sample stream: a memory map of four tensors, 64 bytes of
/// constants, two predictor records, two stages and 25 instructions: one of
/// each of the 24 opcodes and a second gemm.
inline StreamFile makeSampleStream(uint64_t fingerprint = 0x0123456789abcdefu) {
  StreamFile stream;
  stream.configFingerprint = fingerprint;
  stream.configName = "lapa-28nm";

  TensorInfo input;
  input.name = "x";
  input.role = TensorRole::Input;
  input.type = ElementType::I8;
  input.shape = {4, 64};
  input.dramAddress = 0;
  stream.tensors.push_back(input);

  TensorInfo table;
  table.name = "embed.weight";
  table.role = TensorRole::Weight;
  table.type = ElementType::I8;
  table.shape = {8, 64};
  table.dramAddress = 0x100;
  table.scaleTensor = "embed.scale";
  stream.tensors.push_back(table);

  TensorInfo scale;
  scale.name = "embed.scale";
  scale.role = TensorRole::Weight;
  scale.type = ElementType::F32;
  scale.shape = {};
  scale.dramAddress = 0x300;
  scale.constantOffset = 0x20;
  stream.tensors.push_back(scale);

  TensorInfo output;
  output.name = "y";
  output.role = TensorRole::Output;
  output.type = ElementType::F32;
  output.shape = {4, 16};
  output.dramAddress = 0x400;
  stream.tensors.push_back(output);

  for (unsigned i = 0; i < 64; ++i)
    stream.constants.push_back(static_cast<uint8_t>(i * 7 + 1));

  stream.predictors = {
      "lapa keep_ratio=0.25",
      "sanger select=threshold threshold=0.002 keep_ratio=1",
  };
  stream.stages = {{"prediction", 0, 0, 3}, {"attention", 0, 3, 22}};

  const uint8_t dma = unitBit(Unit::Dma), mac = unitBit(Unit::Mac),
                vector = unitBit(Unit::Vector), shift = unitBit(Unit::Shift);
  std::vector<Instruction> &code = stream.instructions;
  // load: w1-w2 DRAM address, w3 dst, w4 rows, w5 bytes per row, w6 DRAM
  // stride, w7 buffer stride.
  code.push_back(makeInstruction(Opcode::Load, 0, mac, 0,
                                 {0x0, 0, ref(TokenBuffer, 0), 4, 64, 64, 64}));
  // store: y (4 x 16 f32 = 64 bytes per row) from temp_buffer.
  code.push_back(makeInstruction(Opcode::Store, vector, 0, 0,
                                 {0x400, 0, ref(TempBuffer, 0x100), 4, 64, 64,
                                  64}));
  // load_rows: w8 index vector, w9 table rows.
  code.push_back(makeInstruction(Opcode::LoadRows, 0, 0, 0,
                                 {0x100, 0, ref(TokenBuffer, 0x100), 4, 64, 64,
                                  64, ref(TempBuffer, 0x200), 8}));
  // gemm with a row mask: w10 bitmap, w11 bit of row 0.
  code.push_back(makeInstruction(
      Opcode::Gemm, dma, vector, Accumulate | Gather,
      {ref(TokenBuffer, 0), ref(WeightBuffer, 0), ref(TempBuffer, 0x400), 4,
       16, 64, 64, 16, 16, ref(SpeculationBuffer, 0x10), 3}));
  code.push_back(makeInstruction(
      Opcode::Gemm, 0, 0, TransB,
      {ref(TokenBuffer, 0), ref(WeightBuffer, 0), ref(TempBuffer, 0x400), 4,
       16, 64, 64, 64, 16}));
  code.push_back(makeInstruction(
      Opcode::Sddmm, 0, 0, 0,
      {ref(TempBuffer, 0), ref(KvBuffer, 0), ref(TempBuffer, 0x1000), 4, 8,
       64, 64, 64, 8, ref(SpeculationBuffer, 0x2000), 0}));
  code.push_back(makeInstruction(
      Opcode::Spmm, 0, 0, 0,
      {ref(TempBuffer, 0), ref(KvBuffer, 0), ref(TempBuffer, 0x2000), 4, 64,
       8, 8, 64, 64, ref(SpeculationBuffer, 0x2000), 0}));
  code.push_back(makeInstruction(
      Opcode::Softmax, 0, 0, 0,
      {ref(TempBuffer, 0x1000), ref(TempBuffer, 0x1100), 4, 8,
       floatBits(0.125f), kNoBuffer}));
  code.push_back(makeInstruction(
      Opcode::Dequant, mac, dma, Accumulate,
      {ref(TempBuffer, 0x400), ref(TempBuffer, 0x100), 4, 16,
       ref(TempBuffer, 0x3000), kNoBuffer, floatBits(0.5f), 16, 16}));
  code.push_back(makeInstruction(
      Opcode::Quant, 0, 0, PerTensor,
      {ref(TempBuffer, 0x100), ref(TokenBuffer, 0x400), 4, 16, 8,
       ref(TempBuffer, 0x3000), 16, 16}));
  code.push_back(makeInstruction(
      Opcode::Add, 0, 0, RowBroadcast,
      {ref(TempBuffer, 0x100), ref(TokenBuffer, 0x800), ref(TempBuffer, 0x500),
       4, 16, 16, 16, 16}));
  code.push_back(makeInstruction(
      Opcode::Mul, 0, 0, 0,
      {ref(TempBuffer, 0x100), ref(TokenBuffer, 0x800), ref(TempBuffer, 0x500),
       4, 16, 16, 16, 16}));
  code.push_back(makeInstruction(
      Opcode::RmsNorm, 0, 0, 0,
      {ref(TempBuffer, 0x100), ref(TokenBuffer, 0x800), ref(TempBuffer, 0x500),
       4, 16, floatBits(1e-5f), 16, 16}));
  code.push_back(makeInstruction(
      Opcode::LayerNorm, 0, 0, 0,
      {ref(TempBuffer, 0x100), ref(TokenBuffer, 0x800), ref(TempBuffer, 0x500),
       4, 16, floatBits(1e-6f), 16, 16, ref(TokenBuffer, 0x840)}));
  code.push_back(makeInstruction(
      Opcode::Silu, 0, 0, 0,
      {ref(TempBuffer, 0x100), ref(TempBuffer, 0x500), 4, 16, 16, 16}));
  code.push_back(makeInstruction(
      Opcode::Gelu, 0, 0, 0,
      {ref(TempBuffer, 0x100), ref(TempBuffer, 0x500), 4, 16, 16, 16}));
  // rope: w7 cosine table, w8 head dimension, w9 sine table; each table is
  // 4 rows of 8/2 f32 = 64 bytes.
  code.push_back(makeInstruction(
      Opcode::Rope, 0, 0, HalfSplit,
      {ref(TempBuffer, 0x100), ref(TempBuffer, 0x500), 4, 16, 16, 16,
       ref(TempBuffer, 0x600), 8, ref(TempBuffer, 0x640)}));
  // log_encode: w5 input bits, w6 ldx, w7 ldc.
  code.push_back(makeInstruction(
      Opcode::LogEncode, 0, shift, 0,
      {ref(TempBuffer, 0x100), ref(SpeculationBuffer, 0), 4, 16, 16, 16,
       16}));
  code.push_back(makeInstruction(
      Opcode::KeyPredict, 0, 0, Accumulate,
      {ref(TokenBuffer, 0), ref(WeightBuffer, 0), ref(SpeculationBuffer, 0x400),
       4, 16, 64, 64, 16, 16}));
  // shift_accumulate: w7 query base, w8 round, w9 survivors, w10 record.
  code.push_back(makeInstruction(
      Opcode::ShiftAccumulate, unitBit(Unit::Encode), unitBit(Unit::Filter),
      Causal,
      {ref(SpeculationBuffer, 0), ref(SpeculationBuffer, 0x400),
       ref(SpeculationBuffer, 0x800), 4, 8, 16, 0, 1,
       ref(SpeculationBuffer, 0x1000), 0}));
  // filter: w2 must be kNoBuffer.
  code.push_back(makeInstruction(
      Opcode::Filter, shift, shift, 0,
      {ref(SpeculationBuffer, 0), kNoBuffer, ref(SpeculationBuffer, 0x800), 4,
       8, 16, 0, 0, ref(SpeculationBuffer, 0x1000), 0}));
  // topk: w8 unused, w12 logit scale.
  code.push_back(makeInstruction(
      Opcode::TopK, 0, mac, Causal,
      {ref(SpeculationBuffer, 0x800), ref(SpeculationBuffer, 0x1000),
       ref(SpeculationBuffer, 0x2000), 4, 8, 2, 0, 0,
       ref(SpeculationBuffer, 0x3000), 0, 0, floatBits(0.03125f)}));
  // predict: w8 D, w11 and w12 the f32 query and key steps, w13 extra input.
  code.push_back(makeInstruction(
      Opcode::Predict, 0, 0, 0,
      {ref(SpeculationBuffer, 0), ref(SpeculationBuffer, 0x400),
       ref(SpeculationBuffer, 0x2000), 4, 8, 2, 0, 16,
       ref(SpeculationBuffer, 0x3000), 1, ref(SpeculationBuffer, 0x3100),
       ref(SpeculationBuffer, 0x3104), kNoBuffer}));
  // SpAtten's importance: probabilities [4 x 8] from the softmax above,
  // key lists [4 x 8] u16, sums over 16 keys.
  code.push_back(makeInstruction(
      Opcode::Importance, 0, 0, 0,
      {ref(TempBuffer, 0x1100), ref(SpeculationBuffer, 0x2000),
       ref(TempBuffer, 0x3800), 4, 8, 16, 0}));
  // relu is last because the tests name the instructions above by index.
  code.push_back(makeInstruction(
      Opcode::Relu, 0, 0, 0,
      {ref(TempBuffer, 0x500), ref(TempBuffer, 0x3900), 4, 16, 16, 16}));
  return stream;
}

} // namespace lapa::isa::testing

#endif // LAPA_UNITTESTS_STREAM_SAMPLESTREAM_H
