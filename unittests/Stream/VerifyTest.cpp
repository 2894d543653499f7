//===- VerifyTest.cpp - Checks of instructions against a configuration ---===//
//
// The sample stream against examples/hw/lapa-28nm.yaml passes; each rule of
// verifyInstruction gets one failing case against lapa-28nm.yaml or
// dense-28nm.yaml (no speculation unit). Byte ranges are computed by hand
// in the comments.
//
//===----------------------------------------------------------------------===//

#include "SampleStream.h"

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Target/Stream/StreamVerify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using namespace lapa::isa;
using namespace lapa::isa::testing;
using lapa::hardware::HardwareConfig;

namespace {

HardwareConfig loadConfig(llvm::StringRef file) {
  std::string path = std::string(LAPA_SOURCE_DIR) + "/examples/hw/" +
                     file.str();
  llvm::Expected<HardwareConfig> config =
      lapa::hardware::loadHardwareConfig(path);
  if (!config) {
    ADD_FAILURE() << llvm::toString(config.takeError());
    return HardwareConfig();
  }
  return std::move(*config);
}

const HardwareConfig &lapaConfig() {
  static const HardwareConfig config = loadConfig("lapa-28nm.yaml");
  return config;
}

const HardwareConfig &denseConfig() {
  static const HardwareConfig config = loadConfig("dense-28nm.yaml");
  return config;
}

std::string verifyError(const Instruction &inst,
                        const HardwareConfig &config = lapaConfig(),
                        size_t predictorCount = 2,
                        std::optional<uint64_t> dramBytes = std::nullopt,
                        const lapa::predict::PredictorConfig *record = nullptr) {
  llvm::Error error =
      verifyInstruction(inst, config, predictorCount, dramBytes, record);
  return error ? llvm::toString(std::move(error)) : "";
}

TEST(StreamVerify, BufferOrderMatchesSample) {
  const HardwareConfig &config = lapaConfig();
  ASSERT_EQ(config.buffers.size(), 5u);
  EXPECT_EQ(config.buffers[KvBuffer].name, "kv_buffer");
  EXPECT_EQ(config.buffers[SpeculationBuffer].name, "speculation_buffer");
  EXPECT_EQ(config.buffers[TempBuffer].name, "temp_buffer");
  EXPECT_EQ(config.buffers[TokenBuffer].name, "token_buffer");
  EXPECT_EQ(config.buffers[WeightBuffer].name, "weight_buffer");
}

TEST(StreamVerify, SamplePassesLapa) {
  StreamFile stream = makeSampleStream(lapaConfig().fingerprint());
  llvm::Error error = verifyAgainstConfig(stream, lapaConfig());
  EXPECT_FALSE(bool(error)) << llvm::toString(std::move(error));
}

TEST(StreamVerify, RejectsOtherFingerprint) {
  StreamFile stream = makeSampleStream(lapaConfig().fingerprint());
  llvm::Error error = verifyAgainstConfig(stream, denseConfig());
  ASSERT_TRUE(bool(error));
  std::string message = llvm::toString(std::move(error));
  EXPECT_NE(message.find("built for configuration 'lapa-28nm'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("not for 'dense-28nm'"), std::string::npos)
      << message;
}

TEST(StreamVerify, PrefixesInstructionIndex) {
  StreamFile stream = makeSampleStream(lapaConfig().fingerprint());
  stream.instructions[9].words[5] = 17; // quant bits
  llvm::Error error = verifyAgainstConfig(stream, lapaConfig());
  ASSERT_TRUE(bool(error));
  EXPECT_EQ(llvm::toString(std::move(error)),
            "instruction 9: quant: field 'bits' is 17, outside [2, 16]");
}

TEST(StreamVerify, DenseRejectsPredictionOpcodes) {
  StreamFile stream = makeSampleStream();
  // log_encode, key_predict, shift_accumulate, filter, topk, predict.
  const std::pair<size_t, const char *> cases[] = {
      {17, "log_encode: runs on the encode unit, but configuration "
           "'dense-28nm' has no speculation_unit.leading_one_encoders"},
      {18, "key_predict: runs on the shift unit, but configuration "
           "'dense-28nm' has no speculation_unit.shift_array"},
      {19, "shift_accumulate: runs on the shift unit"},
      {20, "filter: runs on the filter unit, but configuration 'dense-28nm' "
           "has no speculation_unit.filter"},
      {21, "topk: runs on the filter unit"},
      {22, "predict: runs on the filter unit"},
  };
  for (const auto &[index, expected] : cases) {
    std::string message =
        verifyError(stream.instructions[index], denseConfig());
    EXPECT_NE(message.find(expected), std::string::npos)
        << index << ": " << message;
  }
}

TEST(StreamVerify, DenseAcceptsExecutionOpcodes) {
  // dense-28nm buffers by name: 0 kv, 1 temp, 2 token, 3 weight.
  Instruction gemm = makeInstruction(
      Opcode::Gemm, 0, 0, 0,
      {ref(2, 0), ref(3, 0), ref(1, 0), 4, 16, 64, 64, 16, 16});
  EXPECT_EQ(verifyError(gemm, denseConfig()), "");
  Instruction softmax = makeInstruction(
      Opcode::Softmax, 0, 0, 0,
      {ref(1, 0), ref(1, 0x100), 4, 8, floatBits(1.0f), kNoBuffer});
  EXPECT_EQ(verifyError(softmax, denseConfig()), "");
}

TEST(StreamVerify, RejectsBufferIndex) {
  Instruction inst = makeSampleStream().instructions[14]; // silu
  inst.words[2] = ref(5, 0);
  EXPECT_EQ(verifyError(inst),
            "silu: field 'y' names buffer 5, but configuration 'lapa-28nm' "
            "has 5 buffers (indices 0 to 4 in name order)");
}

TEST(StreamVerify, RejectsRangePastBuffer) {
  // gemm C: 4 rows of 16 i32 with ldc = 16 covers (4-1)*64 + 64 = 256 bytes;
  // at 0x7f01 in the 32768-byte temp_buffer it ends at 32769.
  Instruction inst = makeSampleStream().instructions[4];
  inst.words[3] = ref(TempBuffer, 0x7f01);
  EXPECT_EQ(verifyError(inst),
            "gemm: field 'c' covers bytes [32513, 32769) of buffer 2 "
            "(temp_buffer), past its 32768 bytes; reduce the offset, counts "
            "or strides");
  inst.words[3] = ref(TempBuffer, 0x7f00);
  EXPECT_EQ(verifyError(inst), "");
}

TEST(StreamVerify, TransBChangesTheShapeOfB) {
  // With TransB, B is N x K = 16 rows of 64 bytes, and ldb = 64 covers
  // 15*64 + 64 = 1024 bytes, so B fits exactly at the end of the 98304-byte
  // weight_buffer. ldb = 65 covers 15*65 + 64 = 1039 bytes.
  Instruction inst = makeSampleStream().instructions[4]; // gemm trans_b
  inst.words[2] = ref(WeightBuffer, 98304 - 1024);
  EXPECT_EQ(verifyError(inst), "");
  inst.words[8] = 65; // ldb: 15*65 + 64 = 1039 bytes
  EXPECT_NE(verifyError(inst).find("field 'b' covers bytes [97280, 98319)"),
            std::string::npos);
}

TEST(StreamVerify, RejectsUnlistedReader) {
  // softmax reading token_buffer, whose readers are dma, shift_array,
  // mac_array and vector.
  Instruction inst = makeSampleStream().instructions[7];
  inst.words[1] = ref(TokenBuffer, 0);
  EXPECT_EQ(verifyError(inst),
            "softmax: field 's' reads buffer 3 (token_buffer), but its "
            "readers do not list softmax; the softmax unit cannot read it");
}

TEST(StreamVerify, RejectsUnlistedWriter) {
  // silu writing weight_buffer, which only dma writes.
  Instruction inst = makeSampleStream().instructions[14];
  inst.words[2] = ref(WeightBuffer, 0);
  EXPECT_NE(verifyError(inst).find("field 'y' writes buffer 4 "
                                   "(weight_buffer), but its writers do not "
                                   "list vector"),
            std::string::npos);
}

TEST(StreamVerify, AccumulateReadsTheOutput) {
  // key_predict writes Y in speculation_buffer, and with Accumulate it also
  // reads Y. A copy of the configuration whose speculation_buffer lists
  // shift_array as a writer only accepts the plain form.
  HardwareConfig config = lapaConfig();
  std::vector<std::string> &readers =
      config.buffers[SpeculationBuffer].readers;
  readers.erase(std::remove(readers.begin(), readers.end(), "shift_array"),
                readers.end());
  Instruction inst = makeSampleStream().instructions[18];
  inst.words[2] = ref(WeightBuffer, 0);
  inst.words[1] = ref(TokenBuffer, 0);
  EXPECT_NE(verifyError(inst, config)
                .find("field 'y' reads buffer 1 (speculation_buffer), but "
                      "its readers do not list shift_array"),
            std::string::npos);
  inst.setHeader(Opcode::KeyPredict, 0, 0, 0);
  EXPECT_EQ(verifyError(inst, config), "");
}

TEST(StreamVerify, RejectsQuantBits) {
  Instruction inst = makeSampleStream().instructions[9];
  inst.words[5] = 1;
  EXPECT_EQ(verifyError(inst), "quant: field 'bits' is 1, outside [2, 16]");
  inst.words[5] = 16;
  EXPECT_EQ(verifyError(inst), "");
}

TEST(StreamVerify, RejectsEncoderBitsOverInput) {
  // lapa-28nm's leading-one encoders take 16 input bits.
  Instruction inst = makeSampleStream().instructions[17];
  inst.words[5] = 17;
  EXPECT_EQ(verifyError(inst),
            "log_encode: field 'bits' is 17, outside [2, 16], the input "
            "width of the leading-one encoders of configuration 'lapa-28nm'");
}

TEST(StreamVerify, RejectsZeroCount) {
  Instruction inst = makeSampleStream().instructions[15]; // gelu
  inst.words[4] = 0;
  EXPECT_EQ(verifyError(inst),
            "gelu: field 'n' is 0; counts must be at least 1");
}

TEST(StreamVerify, ReluAccessesAndChecks) {
  Instruction inst = makeSampleStream().instructions[24];
  ASSERT_EQ(inst.opcode(), Opcode::Relu);
  EXPECT_EQ(verifyError(inst), "");

  // x and y are 4 rows of 16 f32 with stride 16: 3 * 64 + 64 = 256 bytes.
  BufferAccessList accesses = bufferAccesses(inst);
  ASSERT_EQ(accesses.size(), 2u);
  EXPECT_EQ(accesses[0].field, "x");
  EXPECT_EQ(accesses[0].buffer, TempBuffer);
  EXPECT_EQ(accesses[0].begin, 0x500u);
  EXPECT_EQ(accesses[0].end, 0x600u);
  EXPECT_TRUE(accesses[0].read);
  EXPECT_FALSE(accesses[0].write);
  EXPECT_EQ(accesses[1].field, "y");
  EXPECT_EQ(accesses[1].buffer, TempBuffer);
  EXPECT_EQ(accesses[1].begin, 0x3900u);
  EXPECT_EQ(accesses[1].end, 0x3a00u);
  EXPECT_FALSE(accesses[1].read);
  EXPECT_TRUE(accesses[1].write);

  Instruction overlapping = inst;
  overlapping.words[6] = 15; // ldy < n = 16
  EXPECT_EQ(verifyError(overlapping),
            "relu: field 'ldy' is 15, smaller than field 'n' = 16, so the "
            "written rows overlap; give a stride of at least 16");

  Instruction flagged = inst;
  flagged.setHeader(Opcode::Relu, 0, 0, Accumulate);
  EXPECT_EQ(verifyError(flagged),
            "relu: field 'flags' sets accumulate, which relu does not "
            "accept; it accepts: none");
}

TEST(StreamVerify, RejectsOverlappingWrittenRows) {
  Instruction inst = makeSampleStream().instructions[4]; // gemm
  inst.words[9] = 15;                                    // ldc < n = 16
  EXPECT_EQ(verifyError(inst),
            "gemm: field 'ldc' is 15, smaller than field 'n' = 16, so the "
            "written rows overlap; give a stride of at least 16");
}

TEST(StreamVerify, RejectsRopeHeadDimension) {
  Instruction inst = makeSampleStream().instructions[16];
  inst.words[8] = 6; // 16 % 6 != 0
  EXPECT_NE(verifyError(inst).find("must be even and divide n"),
            std::string::npos);
}

TEST(StreamVerify, RopeTablesFollowHeadDimension) {
  // With head_dim 16 the cosine table is 4 rows of 8 f32 = 128 bytes, so it
  // fits exactly at the end of the 32768-byte temp_buffer.
  Instruction inst = makeSampleStream().instructions[16];
  inst.words[8] = 16;
  inst.words[7] = ref(TempBuffer, 32768 - 128);
  EXPECT_EQ(verifyError(inst), "");
  inst.words[7] = ref(TempBuffer, 32768 - 127);
  EXPECT_NE(verifyError(inst).find("field 'cos' covers bytes [32641, 32769)"),
            std::string::npos);
}

TEST(StreamVerify, RecordSetsKeyContainer) {
  // shift_accumulate reads K-hat of N x D = 8 x 16 elements: 128 bytes as
  // i8, 512 as i32 when the record's key_bits exceeds 8.
  Instruction inst = makeSampleStream().instructions[19];
  inst.words[2] = ref(SpeculationBuffer, 65536 - 128);
  lapa::predict::PredictorConfig narrow =
      lapa::predict::PredictorConfig::defaults(lapa::predict::Scheme::Lapa);
  EXPECT_EQ(verifyError(inst, lapaConfig(), 2, std::nullopt, &narrow), "");
  lapa::predict::PredictorConfig wide = narrow;
  wide.keyBits = 12;
  wide.sliceWidths = {6, 6};
  std::string message =
      verifyError(inst, lapaConfig(), 2, std::nullopt, &wide);
  EXPECT_NE(message.find("field 'khat' covers bytes [65408, 65920)"),
            std::string::npos)
      << message;
}

TEST(StreamVerify, PredictNeedsOperandsTheSchemeReads) {
  // Record 1 is sanger, which reads 4-bit Q and K.
  Instruction inst = makeSampleStream().instructions[22];
  inst.words[2] = kNoBuffer;
  lapa::predict::PredictorConfig sanger =
      lapa::predict::PredictorConfig::defaults(lapa::predict::Scheme::Sanger);
  std::string message =
      verifyError(inst, lapaConfig(), 2, std::nullopt, &sanger);
  EXPECT_NE(message.find("predict: field 'k' is absent (0xffffffff), but "
                         "scheme sanger reads"),
            std::string::npos)
      << message;
}

TEST(StreamVerify, RejectsDramPastMemoryMap) {
  // The sample's memory map ends at y: 0x400 + 4*16*4 = 0x500. A store of 4
  // rows of 64 bytes, 64 apart, covers 0x100 bytes, so at 0x401 it ends at
  // 0x501.
  Instruction inst = makeSampleStream().instructions[1];
  inst.setDramAddress(0x401);
  EXPECT_EQ(verifyError(inst, lapaConfig(), 2, 0x500),
            "store: field 'dram' covers DRAM bytes [0x401, 0x501), past the "
            "end of the memory map at 0x500");
  inst.setDramAddress(0x400);
  EXPECT_EQ(verifyError(inst, lapaConfig(), 2, 0x500), "");
}

TEST(StreamVerify, LoadRowsCoversTheWholeTable) {
  // Table of 8 rows, 64 bytes apart, at 0x100: it ends at 0x300.
  Instruction inst = makeSampleStream().instructions[2];
  std::optional<DramAccess> access = dramAccess(inst);
  ASSERT_TRUE(access.has_value());
  EXPECT_EQ(access->begin, 0x100u);
  EXPECT_EQ(access->end, 0x300u);
  EXPECT_TRUE(access->read);
  EXPECT_FALSE(access->write);
}

TEST(StreamVerify, RejectsMasksAndRecords) {
  Instruction inst = makeSampleStream().instructions[21]; // topk
  EXPECT_EQ(verifyError(inst, lapaConfig(), 0),
            "topk: field 'record' is 0, but the stream has 0 predictor "
            "records");
  inst.setHeader(Opcode::TopK, unitBit(Unit::Filter), 0, Causal);
  EXPECT_NE(verifyError(inst).find("field 'wait' names the instruction's "
                                   "own unit filter"),
            std::string::npos);
}

TEST(StreamVerify, BitmapAccessRanges) {
  // gemm gather: rows 3..6 of the mask are bits 3..6, all in byte 0x10.
  BufferAccessList accesses =
      bufferAccesses(makeSampleStream().instructions[3]);
  ASSERT_EQ(accesses.size(), 4u);
  EXPECT_EQ(accesses[3].field, "row_mask");
  EXPECT_EQ(accesses[3].begin, 0x10u);
  EXPECT_EQ(accesses[3].end, 0x11u);
  // shift_accumulate survivors: 4 x 8 bits = 4 bytes at 0x1000. Round 1
  // reads P and the survivors and writes only P.
  accesses = bufferAccesses(makeSampleStream().instructions[19]);
  ASSERT_EQ(accesses.size(), 4u);
  EXPECT_EQ(accesses[3].field, "survivors");
  EXPECT_EQ(accesses[3].begin, 0x1000u);
  EXPECT_EQ(accesses[3].end, 0x1004u);
  EXPECT_TRUE(accesses[3].read);
  EXPECT_FALSE(accesses[3].write);
  EXPECT_TRUE(accesses[2].read);
  EXPECT_TRUE(accesses[2].write);
}

} // namespace
