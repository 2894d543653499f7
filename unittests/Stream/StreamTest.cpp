//===- StreamTest.cpp - Binary and assembly forms of a stream -------------===//
//
// Round trips of the sample stream (every opcode) through the binary and
// the assembly form, and the binary layout checked against offsets computed
// by hand. Then one case per reader error: truncation at every byte,
// flipped bytes, and each field that the reader checks.
//
//===----------------------------------------------------------------------===//

#include "SampleStream.h"

#include "lapa/Target/Stream/Isa.h"
#include "lapa/Target/Stream/Stream.h"
#include "lapa/Target/Stream/StreamVerify.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

using namespace lapa::isa;
using namespace lapa::isa::testing;

namespace {

std::string toAssembly(const StreamFile &stream,
                       llvm::ArrayRef<std::string> names = {}) {
  std::string text;
  llvm::raw_string_ostream os(text);
  writeAssembly(stream, os, names);
  return text;
}

/// Returns the reader's error message, or "" if the bytes were accepted.
std::string binaryError(llvm::ArrayRef<uint8_t> bytes) {
  llvm::Expected<StreamFile> stream = readBinary(bytes);
  if (stream)
    return "";
  return llvm::toString(stream.takeError());
}

std::string assemblyError(llvm::StringRef text) {
  llvm::Expected<StreamFile> stream = readAssembly(text);
  if (stream)
    return "";
  return llvm::toString(stream.takeError());
}

std::string streamError(const StreamFile &stream) {
  return binaryError(writeBinary(stream));
}

void putU32(std::vector<uint8_t> &bytes, size_t offset, uint32_t value) {
  for (unsigned i = 0; i < 4; ++i)
    bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint32_t getU32(llvm::ArrayRef<uint8_t> bytes, size_t offset) {
  uint32_t value = 0;
  for (unsigned i = 0; i < 4; ++i)
    value |= uint32_t(bytes[offset + i]) << (8 * i);
  return value;
}

uint64_t getU64(llvm::ArrayRef<uint8_t> bytes, size_t offset) {
  return uint64_t(getU32(bytes, offset)) |
         uint64_t(getU32(bytes, offset + 4)) << 32;
}

// Offsets of the sample stream's binary form, computed by hand from the
// layout in docs/ISA.md. Records round up to 8 bytes:
//   header 32 + section table 5 x 24 = 152, name "lapa-28nm" 9 -> 168
//   memory map: x 32+16+1 -> 56, embed.weight 32+16+12+11 -> 72,
//               embed.scale 32+0+11 -> 48, y 32+16+1 -> 56; total 232
//   constants 64
//   predictors: 4+20 -> 24, 4+52 -> 56; total 80
//   stages: 16+10 -> 32, 16+9 -> 32; total 64
//   instructions: 25 x 64 = 1600
constexpr uint64_t kMemoryMapOffset = 168;
constexpr uint64_t kConstantsOffset = 400;
constexpr uint64_t kPredictorsOffset = 464;
constexpr uint64_t kStagesOffset = 544;
constexpr uint64_t kInstructionsOffset = 608;
constexpr uint64_t kFileBytes = 2208;

//===----------------------------------------------------------------------===//
// Round trips and layout
//===----------------------------------------------------------------------===//

TEST(Isa, NamesRoundTrip) {
  unsigned opcodes = 0;
  for (unsigned raw = 0; raw < 256; ++raw) {
    if (!isValidOpcode(static_cast<uint8_t>(raw)))
      continue;
    ++opcodes;
    Opcode op = static_cast<Opcode>(raw);
    EXPECT_EQ(parseOpcode(opcodeName(op)), op) << raw;
  }
  // Isa.h lists opcodes 1 to 24.
  EXPECT_EQ(opcodes, 24u);
  EXPECT_EQ(kLastOpcode, 24u);
  EXPECT_FALSE(isValidOpcode(0));
  EXPECT_FALSE(isValidOpcode(25));
  EXPECT_EQ(opcodeName(Opcode::ShiftAccumulate), "shift_accumulate");
  EXPECT_EQ(opcodeName(Opcode::Relu), "relu");
  EXPECT_EQ(parseOpcode("relu"), Opcode::Relu);
  EXPECT_EQ(opcodeUnit(Opcode::Relu), Unit::Vector);
  EXPECT_EQ(allowedFlags(Opcode::Relu), 0u);
  EXPECT_EQ(opcodeName(Opcode::TopK), "topk");
  EXPECT_EQ(opcodeUnit(Opcode::LogEncode), Unit::Encode);
  EXPECT_EQ(opcodeUnit(Opcode::Predict), Unit::Filter);
  for (unsigned unit = 0; unit < kNumUnits; ++unit)
    EXPECT_EQ(parseUnit(unitName(static_cast<Unit>(unit))),
              static_cast<Unit>(unit));
  for (unsigned bit = 0; bit < 7; ++bit) {
    Flag flag = static_cast<Flag>(1u << bit);
    EXPECT_EQ(parseFlag(flagName(flag)), flag) << bit;
  }
  EXPECT_FALSE(parseOpcode("jump").has_value());
}

TEST(Isa, OperandTablesAreConsistent) {
  for (unsigned raw = 0; raw < 256; ++raw) {
    if (!isValidOpcode(static_cast<uint8_t>(raw)))
      continue;
    Opcode op = static_cast<Opcode>(raw);
    uint32_t words = 0;
    for (const OperandField &field : operandFields(op)) {
      unsigned last = field.word +
                      (field.kind == OperandKind::DramAddress ? 1 : 0);
      EXPECT_GE(field.word, 1u) << opcodeName(op) << " " << field.name;
      EXPECT_LT(last, kInstructionWords) << opcodeName(op);
      for (unsigned word = field.word; word <= last; ++word) {
        EXPECT_FALSE(words & (1u << word))
            << opcodeName(op) << " uses word " << word << " twice";
        words |= 1u << word;
      }
      EXPECT_EQ(findOperandField(op, field.name), &field);
      if (field.onlyWithFlag)
        EXPECT_TRUE(allowedFlags(op) & field.onlyWithFlag);
    }
  }
}

TEST(Stream, SampleUsesEveryOpcode) {
  StreamFile stream = makeSampleStream();
  for (unsigned raw = 0; raw < 256; ++raw) {
    if (!isValidOpcode(static_cast<uint8_t>(raw)))
      continue;
    bool found = llvm::any_of(stream.instructions, [&](const Instruction &i) {
      return static_cast<unsigned>(i.opcode()) == raw;
    });
    EXPECT_TRUE(found) << "opcode " << raw;
  }
}

TEST(Stream, SamplePassesChecks) {
  llvm::Error error = checkStream(makeSampleStream());
  EXPECT_FALSE(bool(error)) << llvm::toString(std::move(error));
}

TEST(Stream, BinaryRoundTrip) {
  StreamFile stream = makeSampleStream();
  std::vector<uint8_t> bytes = writeBinary(stream);
  llvm::Expected<StreamFile> read = readBinary(bytes);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_TRUE(*read == stream);
  EXPECT_EQ(writeBinary(*read), bytes);
}

TEST(Stream, EmptyStreamRoundTrip) {
  StreamFile stream;
  std::vector<uint8_t> bytes = writeBinary(stream);
  // Header and section table only: 32 + 5 x 24 bytes.
  EXPECT_EQ(bytes.size(), 152u);
  llvm::Expected<StreamFile> read = readBinary(bytes);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_TRUE(*read == stream);
}

TEST(Stream, BinaryHeaderLayout) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  ASSERT_EQ(bytes.size(), kFileBytes);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "LAPASTRM");
  EXPECT_EQ(getU32(bytes, 8), 1u);
  EXPECT_EQ(getU32(bytes, 12), 5u);
  EXPECT_EQ(getU64(bytes, 16), 0x0123456789abcdefu);
  EXPECT_EQ(getU32(bytes, 24), 9u);
  EXPECT_EQ(std::string(bytes.begin() + 152, bytes.begin() + 161),
            "lapa-28nm");

  const uint64_t offsets[] = {kMemoryMapOffset, kConstantsOffset,
                              kPredictorsOffset, kStagesOffset,
                              kInstructionsOffset};
  const uint64_t lengths[] = {232, 64, 80, 64, 1600};
  const uint32_t counts[] = {4, 0, 2, 2, 25};
  for (unsigned i = 0; i < 5; ++i) {
    size_t entry = 32 + 24 * i;
    EXPECT_EQ(getU32(bytes, entry), i + 1) << "section " << i;
    EXPECT_EQ(getU32(bytes, entry + 4), counts[i]) << "section " << i;
    EXPECT_EQ(getU64(bytes, entry + 8), offsets[i]) << "section " << i;
    EXPECT_EQ(getU64(bytes, entry + 16), lengths[i]) << "section " << i;
  }
}

TEST(Stream, BinaryRecordLayout) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  // Second tensor, embed.weight, starts after the 56 bytes of x.
  size_t tensor = kMemoryMapOffset + 56;
  EXPECT_EQ(getU32(bytes, tensor), 12u);      // name length
  EXPECT_EQ(bytes[tensor + 4], 1u);           // role weight
  EXPECT_EQ(bytes[tensor + 5], 0u);           // type i8
  EXPECT_EQ(bytes[tensor + 6], 2u);           // rank
  EXPECT_EQ(getU64(bytes, tensor + 8), 0x100u); // DRAM address
  EXPECT_EQ(getU64(bytes, tensor + 16), UINT64_MAX); // no constants
  EXPECT_EQ(getU32(bytes, tensor + 24), 11u); // scale name length
  EXPECT_EQ(getU64(bytes, tensor + 32), 8u);  // dims
  EXPECT_EQ(getU64(bytes, tensor + 40), 64u);
  EXPECT_EQ(std::string(bytes.begin() + tensor + 48,
                        bytes.begin() + tensor + 60),
            "embed.weight");
  // embed.scale, the third tensor, has its constant at 0x20.
  EXPECT_EQ(getU64(bytes, kMemoryMapOffset + 56 + 72 + 16), 0x20u);

  // Stage 1: "attention", layer 0, instructions [3, 22).
  size_t stage = kStagesOffset + 32;
  EXPECT_EQ(getU32(bytes, stage), 9u);
  EXPECT_EQ(getU32(bytes, stage + 4), 0u);
  EXPECT_EQ(getU32(bytes, stage + 8), 3u);
  EXPECT_EQ(getU32(bytes, stage + 12), 22u);

  // Instruction 3, the gathered gemm: opcode 3, wait dma (bit 0), signal
  // vector (bit 6), flags accumulate | gather = 5.
  size_t gemm = kInstructionsOffset + 3 * 64;
  EXPECT_EQ(getU32(bytes, gemm), 3u | 1u << 8 | (1u << 6) << 16 | 5u << 24);
  EXPECT_EQ(getU32(bytes, gemm + 4), 3u << 24);            // a = b3+0
  EXPECT_EQ(getU32(bytes, gemm + 12), 2u << 24 | 0x400u);  // c = b2+0x400
  EXPECT_EQ(getU32(bytes, gemm + 40), 1u << 24 | 0x10u);   // w10 row mask
  EXPECT_EQ(getU32(bytes, gemm + 44), 3u);                 // w11
  EXPECT_EQ(getU32(bytes, gemm + 48), 0u);                 // w12 unused

  // Instruction 24, relu: opcode 24, no tokens or flags, then x, y, m, n,
  // ldx and ldy in w1 to w6.
  size_t relu = kInstructionsOffset + 24 * 64;
  EXPECT_EQ(getU32(bytes, relu), 24u);
  EXPECT_EQ(getU32(bytes, relu + 4), 2u << 24 | 0x500u);  // x = b2+0x500
  EXPECT_EQ(getU32(bytes, relu + 8), 2u << 24 | 0x3900u); // y = b2+0x3900
  EXPECT_EQ(getU32(bytes, relu + 12), 4u);                // m
  EXPECT_EQ(getU32(bytes, relu + 16), 16u);               // n
  EXPECT_EQ(getU32(bytes, relu + 20), 16u);               // ldx
  EXPECT_EQ(getU32(bytes, relu + 24), 16u);               // ldy
  EXPECT_EQ(getU32(bytes, relu + 28), 0u);                // w7 unused
}

TEST(Stream, AssemblyRoundTripIsByteIdentical) {
  StreamFile stream = makeSampleStream();
  std::string text = toAssembly(stream);
  llvm::Expected<StreamFile> read = readAssembly(text);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError()) << "\n" << text;
  EXPECT_TRUE(*read == stream);
  EXPECT_EQ(writeBinary(*read), writeBinary(stream));
  EXPECT_EQ(toAssembly(*read), text);
}

TEST(Stream, AssemblyInstructionText) {
  std::string text = toAssembly(makeSampleStream());
  EXPECT_NE(text.find("\ngemm a=b3+0x0 b=b4+0x0 c=b2+0x400 m=4 n=16 k=64 "
                      "lda=64 ldb=16 ldc=16 row_mask=b1+0x10 row_mask_bit=3 "
                      "flags=[accumulate,gather] wait=[dma] signal=[vector]  "
                      "# 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nsoftmax s=b2+0x1000 p=b2+0x1100 m=4 t=8 scale=0.125 "
                      "row_scale=none  # 7\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nload dram=0x0 dst=b3+0x0 rows=4 row_bytes=64 "
                      "dram_stride=64 buf_stride=64 signal=[mac]  # 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nrelu x=b2+0x500 y=b2+0x3900 m=4 n=16 ldx=16 "
                      "ldy=16  # 24\n"),
            std::string::npos)
      << text;
  // filter's unused khat slot is not written.
  EXPECT_EQ(text.find("khat=none"), std::string::npos) << text;
  EXPECT_NE(text.find(".stream version=1 fingerprint=0x0123456789abcdef "
                      "config=lapa-28nm\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(".tensor embed.weight role=weight type=i8 shape=[8,64] "
                      "address=0x100 scale=embed.scale\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(".stage attention layer=0 first=3 end=22\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(".predictor lapa keep_ratio=0.25\n"), std::string::npos)
      << text;
}

TEST(Stream, AssemblyBufferNameComment) {
  std::vector<std::string> names = {"kv_buffer", "speculation_buffer",
                                    "temp_buffer", "token_buffer",
                                    "weight_buffer"};
  std::string text = toAssembly(makeSampleStream(), names);
  EXPECT_NE(text.find("# 3 a=token_buffer b=weight_buffer c=temp_buffer "
                      "row_mask=speculation_buffer\n"),
            std::string::npos)
      << text;
  llvm::Expected<StreamFile> read = readAssembly(text);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_TRUE(*read == makeSampleStream());
}

TEST(Stream, FloatFieldsRoundTripExactly) {
  // Raw f32 bits for softmax's scale: a NaN with a payload, negative zero,
  // the smallest subnormal, infinity, and 0.1f, which needs its shortest
  // form.
  const uint32_t cases[] = {0x7fc00001u, 0xffc00000u, 0x80000000u, 0x1u,
                            0x7f800000u, 0x3dcccccdu};
  for (uint32_t bits : cases) {
    StreamFile stream = makeSampleStream();
    stream.instructions[7].words[5] = bits;
    std::string text = toAssembly(stream);
    llvm::Expected<StreamFile> read = readAssembly(text);
    ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
    EXPECT_EQ(read->instructions[7].words[5], bits) << std::hex << bits;
  }
  StreamFile stream = makeSampleStream();
  stream.instructions[7].words[5] = 0x3dcccccdu;
  EXPECT_NE(toAssembly(stream).find("scale=0.1 "), std::string::npos);
  stream.instructions[7].words[5] = 0x7fc00001u;
  EXPECT_NE(toAssembly(stream).find("scale=0x7fc00001 "), std::string::npos);
  stream.instructions[7].words[5] = 0x80000000u;
  EXPECT_NE(toAssembly(stream).find("scale=-0 "), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Binary reader errors
//===----------------------------------------------------------------------===//

TEST(StreamReader, RejectsEveryTruncation) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  for (size_t size = 0; size < bytes.size(); ++size) {
    std::string message =
        binaryError(llvm::ArrayRef<uint8_t>(bytes).take_front(size));
    EXPECT_FALSE(message.empty()) << "accepted a prefix of " << size
                                  << " bytes";
  }
}

TEST(StreamReader, FlippedBytesNeverCrash) {
  // Every byte flipped to its complement: the reader may accept the result
  // only if it is a canonical file, which writing it back shows.
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  size_t accepted = 0;
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    std::vector<uint8_t> copy = bytes;
    copy[pos] ^= 0xff;
    llvm::Expected<StreamFile> read = readBinary(copy);
    if (!read) {
      llvm::consumeError(read.takeError());
      continue;
    }
    ++accepted;
    EXPECT_EQ(writeBinary(*read), copy) << "byte " << pos;
  }
  // Constants and fingerprint bytes may take any value, but most others may
  // not.
  EXPECT_LT(accepted, bytes.size() / 2);
}

TEST(StreamReader, RejectsWrongMagic) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  bytes[0] = 'X';
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("field 'magic'"), std::string::npos) << message;
  EXPECT_NE(message.find("not a lapa instruction stream"), std::string::npos)
      << message;
}

TEST(StreamReader, RejectsVersion2) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, 8, 2);
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("field 'version' is 2"), std::string::npos)
      << message;
  EXPECT_NE(message.find("only version 1"), std::string::npos) << message;
}

TEST(StreamReader, RejectsSectionCount) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, 12, 4);
  EXPECT_NE(binaryError(bytes).find("'section_count' is 4"),
            std::string::npos);
}

TEST(StreamReader, RejectsReservedHeaderField) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  bytes[28] = 1;
  EXPECT_NE(binaryError(bytes).find("reserved field at byte 28"),
            std::string::npos);
}

TEST(StreamReader, RejectsLongConfigName) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, 24, 256);
  EXPECT_NE(binaryError(bytes).find("'config_name_length' is 256, over the "
                                    "limit of 255"),
            std::string::npos);
}

TEST(StreamReader, RejectsSectionIdOutOfOrder) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, 32 + 24, 3);
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("section table entry 1: field 'id' is 3"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsMovedSectionOffset) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, 32 + 24 * 2 + 8, kPredictorsOffset + 8);
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("entry 2 (predictors): field 'offset' is 472, but "
                         "the section must start at 464"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsSectionLengthPastFile) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  // The instructions' length field is at 32 + 4 x 24 + 16. Claim 2^63 bytes.
  putU32(bytes, 32 + 24 * 4 + 16, 0);
  putU32(bytes, 32 + 24 * 4 + 20, 0x80000000u);
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("(instructions): field 'length' is "
                         "9223372036854775808"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsTrailingBytes) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  bytes.push_back(0);
  EXPECT_NE(binaryError(bytes).find("remove the trailing bytes"),
            std::string::npos);
}

TEST(StreamReader, RejectsInstructionLengthMismatch) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, 32 + 24 * 4 + 4, 22); // count 22 for 25 x 64 bytes
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("22 instructions of 64 bytes need 1408"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsConstantsRecordCount) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, 32 + 24 + 4, 1);
  EXPECT_NE(binaryError(bytes).find("constants section has no records"),
            std::string::npos);
}

TEST(StreamReader, RejectsNonZeroPadding) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  // x's record is 49 bytes padded to 56, so byte 50 is padding.
  bytes[kMemoryMapOffset + 50] = 1;
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("memory map record 0: the padding"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsRankOverLimit) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  bytes[kMemoryMapOffset + 6] = 9;
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("memory map record 0: field 'rank' is 9, over the "
                         "limit of 8"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsUnknownRoleAndType) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  std::vector<uint8_t> role = bytes;
  role[kMemoryMapOffset + 4] = 4;
  EXPECT_NE(binaryError(role).find("field 'role' is 4"), std::string::npos);
  std::vector<uint8_t> type = bytes;
  type[kMemoryMapOffset + 5] = 6;
  EXPECT_NE(binaryError(type).find("field 'type' is 6"), std::string::npos);
}

TEST(StreamReader, RejectsNameLengthPastSection) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, kMemoryMapOffset, 200);
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("memory map record 0: field 'name' runs past the "
                         "end of the section"),
            std::string::npos)
      << message;
  putU32(bytes, kMemoryMapOffset, 4000);
  EXPECT_NE(binaryError(bytes).find("field 'name' has length 4000, over the "
                                    "limit of 255"),
            std::string::npos);
}

TEST(StreamReader, RejectsHugeRecordCount) {
  // A count far beyond what the section can contain fails at the first
  // missing record instead of allocating.
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  putU32(bytes, 32 + 4, 0xffffffffu);
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("memory map record 4"), std::string::npos)
      << message;
}

TEST(StreamReader, RejectsUnknownOpcode) {
  std::vector<uint8_t> bytes = writeBinary(makeSampleStream());
  bytes[kInstructionsOffset + 64] = 25;
  std::string message = binaryError(bytes);
  EXPECT_NE(message.find("instruction 1: field 'opcode' is 25, which is "
                         "not an opcode; valid opcodes are 1 to 24"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsDisallowedFlag) {
  StreamFile stream = makeSampleStream();
  // load accepts no flags.
  stream.instructions[0].setHeader(Opcode::Load, 0, 0, Causal);
  std::string message = streamError(stream);
  EXPECT_NE(message.find("instruction 0: load: field 'flags' sets causal"),
            std::string::npos)
      << message;
  stream.instructions[0].setHeader(Opcode::Load, 0, 0, 0x80);
  EXPECT_NE(streamError(stream).find("sets bit 7"), std::string::npos);
}

TEST(StreamReader, RejectsNonZeroUnusedWord) {
  StreamFile stream = makeSampleStream();
  stream.instructions[0].words[15] = 1;
  std::string message = streamError(stream);
  EXPECT_NE(message.find("instruction 0: load: word 15 is 0x00000001"),
            std::string::npos)
      << message;

  // gemm without gather must leave w10 and w11 zero.
  stream = makeSampleStream();
  stream.instructions[4].words[11] = 2;
  message = streamError(stream);
  EXPECT_NE(message.find("instruction 4: gemm: word 11"), std::string::npos)
      << message;
}

TEST(StreamReader, RejectsFilterKhatSlot) {
  StreamFile stream = makeSampleStream();
  stream.instructions[20].words[2] = ref(SpeculationBuffer, 0);
  std::string message = streamError(stream);
  EXPECT_NE(message.find("filter: field 'khat' is 0x01000000"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsAbsentRequiredBuffer) {
  StreamFile stream = makeSampleStream();
  stream.instructions[3].words[1] = kNoBuffer;
  EXPECT_NE(streamError(stream).find("gemm: field 'a' is absent"),
            std::string::npos);
}

TEST(StreamReader, RejectsUnitMasks) {
  StreamFile stream = makeSampleStream();
  stream.instructions[0].setHeader(Opcode::Load, 0x80, 0, 0);
  EXPECT_NE(streamError(stream).find("field 'wait' is 0x80"),
            std::string::npos);
  stream.instructions[0].setHeader(Opcode::Load, 0, unitBit(Unit::Dma), 0);
  EXPECT_NE(streamError(stream).find("field 'signal' names the "
                                     "instruction's own unit dma"),
            std::string::npos);
}

TEST(StreamReader, RejectsRecordIndex) {
  StreamFile stream = makeSampleStream();
  stream.instructions[21].words[10] = 2; // topk
  std::string message = streamError(stream);
  EXPECT_NE(message.find("instruction 21: topk: field 'record' is 2, but the "
                         "stream has 2 predictor records"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsRoundPastRecord) {
  StreamFile stream = makeSampleStream();
  stream.instructions[19].words[8] = 2; // shift_accumulate, record of 2 rounds
  std::string message = streamError(stream);
  EXPECT_NE(message.find("field 'round' is 2, but predictor record 0 has 2 "
                         "rounds"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsStageOutsideInstructions) {
  StreamFile stream = makeSampleStream();
  stream.stages[1].end = 26;
  EXPECT_NE(streamError(stream).find("stage record 1: field 'end' is 26, "
                                     "past the 25 instructions"),
            std::string::npos);
  stream = makeSampleStream();
  stream.stages[0].first = 5;
  EXPECT_NE(streamError(stream).find("field 'first' is 5, after"),
            std::string::npos);
  stream = makeSampleStream();
  stream.stages[0].stage = "decode";
  EXPECT_NE(streamError(stream).find("field 'stage' is 'decode'"),
            std::string::npos);
  stream = makeSampleStream();
  stream.stages[0].layer = -2;
  EXPECT_NE(streamError(stream).find("field 'layer' is -2"),
            std::string::npos);
}

TEST(StreamReader, RejectsOverlappingTensors) {
  StreamFile stream = makeSampleStream();
  // x spans [0, 256), so embed.weight moved to 0xff overlaps its last byte.
  stream.tensors[1].dramAddress = 0xff;
  std::string message = streamError(stream);
  EXPECT_NE(message.find("memory map record 1 ('embed.weight'): field "
                         "'address' is 0xff, inside tensor 'x'"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsTensorPastDramLimit) {
  StreamFile stream = makeSampleStream();
  stream.tensors[3].dramAddress = kMaxDramBytes - 255; // y has 256 bytes
  std::string message = streamError(stream);
  EXPECT_NE(message.find("ends past the DRAM limit"), std::string::npos)
      << message;
  // Dimensions whose product overflows 64 bits saturate and are rejected.
  stream = makeSampleStream();
  stream.tensors[3].shape = {1ull << 40, 1ull << 40};
  EXPECT_NE(streamError(stream).find("ends past the DRAM limit"),
            std::string::npos);
}

TEST(StreamReader, RejectsConstantPastSegment) {
  StreamFile stream = makeSampleStream();
  // embed.scale is one f32 at constant 0x20, and 61 + 4 > 64.
  stream.tensors[2].constantOffset = 61;
  std::string message = streamError(stream);
  EXPECT_NE(message.find("field 'constant' is 61, and its 4 bytes end past "
                         "the constants segment of 64 bytes"),
            std::string::npos)
      << message;
}

TEST(StreamReader, RejectsBadScaleTensor) {
  StreamFile stream = makeSampleStream();
  stream.tensors[1].scaleTensor = "missing";
  EXPECT_NE(streamError(stream).find("'missing', which is not in the memory "
                                     "map"),
            std::string::npos);
  stream.tensors[1].scaleTensor = "x";
  EXPECT_NE(streamError(stream).find("which is of type i8"),
            std::string::npos);
}

TEST(StreamReader, RejectsBadNames) {
  StreamFile stream = makeSampleStream();
  stream.tensors[1].name = "x";
  EXPECT_NE(streamError(stream).find("already used"), std::string::npos);
  stream = makeSampleStream();
  stream.tensors[0].name = "a b";
  EXPECT_NE(streamError(stream).find("contains the byte 0x20 at position 1"),
            std::string::npos);
  stream = makeSampleStream();
  stream.tensors[0].name = "";
  EXPECT_NE(streamError(stream).find("field 'name' is empty"),
            std::string::npos);
  stream = makeSampleStream();
  stream.configName = "lapa 28nm";
  EXPECT_NE(streamError(stream).find("field 'config_name' contains"),
            std::string::npos);
}

TEST(StreamReader, RejectsInvalidPredictorRecord) {
  StreamFile stream = makeSampleStream();
  stream.predictors[1] = "sanger speed=3";
  std::string message = streamError(stream);
  EXPECT_NE(message.find("predictor record 1: unknown predictor parameter "
                         "'speed'"),
            std::string::npos)
      << message;
  stream.predictors[1] = "lapa\tkeep_ratio=0.25";
  EXPECT_NE(streamError(stream).find("contains the byte 0x09"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Assembly reader errors
//===----------------------------------------------------------------------===//

const char *const kHeader = ".stream version=1 fingerprint=0x1\n";

TEST(StreamAssembly, ParsesMinimalText) {
  llvm::Expected<StreamFile> read = readAssembly(
      std::string(kHeader) +
      ".tensor x role=input type=i8 shape=[4,64] address=0x0\n"
      "load dram=0x0 dst=b3 rows=4 row_bytes=64 dram_stride=64 "
      "buf_stride=64  # comment\n");
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  ASSERT_EQ(read->instructions.size(), 1u);
  const Instruction &load = read->instructions[0];
  EXPECT_EQ(load.words[0], 1u);
  EXPECT_EQ(load.words[3], 3u << 24);
  EXPECT_EQ(load.words[4], 4u);
  EXPECT_EQ(load.words[7], 64u);
}

TEST(StreamAssembly, ReportsLineAndColumn) {
  std::string message =
      assemblyError(std::string(kHeader) + "\nload dram=0x0 dst=b3+0x0 "
                                           "rows=4 row_bytes=64 speed=1\n");
  EXPECT_NE(message.find("3:46: 'load' has no field 'speed'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("dram_stride"), std::string::npos) << message;
}

TEST(StreamAssembly, RejectsUnknownOpcode) {
  EXPECT_NE(assemblyError(std::string(kHeader) + "  jump x=1\n")
                .find("2:3: unknown opcode or directive 'jump'"),
            std::string::npos);
}

TEST(StreamAssembly, RejectsMissingField) {
  std::string message = assemblyError(
      std::string(kHeader) + "silu x=b2 y=b2+0x100 m=4 n=16 ldx=16\n");
  EXPECT_NE(message.find("2:1: 'silu' needs the field 'ldy'"),
            std::string::npos)
      << message;
}

TEST(StreamAssembly, RejectsRepeatedKey) {
  std::string message = assemblyError(
      std::string(kHeader) + "silu x=b2 x=b2 y=b2 m=4 n=16 ldx=16 ldy=16\n");
  EXPECT_NE(message.find("2:11: key 'x' appears twice"), std::string::npos)
      << message;
}

TEST(StreamAssembly, RejectsBadValues) {
  std::string base = std::string(kHeader) + "silu x=";
  EXPECT_NE(assemblyError(base + "b256 y=b2 m=4 n=16 ldx=16 ldy=16\n")
                .find("expected a buffer reference"),
            std::string::npos);
  EXPECT_NE(assemblyError(base + "b2+0x1000000 y=b2 m=4 n=16 ldx=16 ldy=16\n")
                .find("expected a buffer reference"),
            std::string::npos);
  EXPECT_NE(assemblyError(base + "none y=b2 m=4 n=16 ldx=16 ldy=16\n")
                .find("'x' is required and cannot be none"),
            std::string::npos);
  EXPECT_NE(assemblyError(base + "b2 y=b2 m=-4 n=16 ldx=16 ldy=16\n")
                .find("2:18: 'm' is '-4'; expected a decimal integer"),
            std::string::npos);
  EXPECT_NE(assemblyError(base + "b2 y=b2 m=4294967296 n=16 ldx=16 ldy=16\n")
                .find("in [0, 4294967295]"),
            std::string::npos);
  EXPECT_NE(assemblyError(std::string(kHeader) +
                          "softmax s=b2 p=b2 m=4 t=8 scale=nan "
                          "row_scale=none\n")
                .find("expected a decimal f32"),
            std::string::npos);
  EXPECT_NE(assemblyError(std::string(kHeader) +
                          "softmax s=b2 p=b2 m=4 t=8 scale=1 row_scale=none "
                          "wait=[dma,gpu]\n")
                .find("unknown unit 'gpu'"),
            std::string::npos);
  EXPECT_NE(assemblyError(std::string(kHeader) +
                          "softmax s=b2 p=b2 m=4 t=8 scale=1 row_scale=none "
                          "flags=[fast]\n")
                .find("unknown flag 'fast'"),
            std::string::npos);
}

TEST(StreamAssembly, GatherFieldsNeedTheFlag) {
  std::string line = "gemm a=b3 b=b4 c=b2 m=4 n=16 k=64 lda=64 ldb=16 "
                     "ldc=16 row_mask=b1 row_mask_bit=0";
  EXPECT_NE(assemblyError(std::string(kHeader) + line + "\n")
                .find("'gemm' has no field 'row_mask' with these flags"),
            std::string::npos);
  EXPECT_EQ(assemblyError(std::string(kHeader) + line + " flags=[gather]\n"),
            "");
}

TEST(StreamAssembly, RejectsConstantGaps) {
  std::string message = assemblyError(
      std::string(kHeader) + ".constants 4\n.data 0x2 0102\n");
  EXPECT_NE(message.find("3:7: .data offset is 0x2, but the bytes so far end "
                         "at 0x0"),
            std::string::npos)
      << message;
  message = assemblyError(std::string(kHeader) +
                          ".constants 4\n.data 0x0 0102\n");
  EXPECT_NE(message.find(".constants declares 4 bytes, but the .data lines "
                         "give 2"),
            std::string::npos)
      << message;
  message = assemblyError(std::string(kHeader) +
                          ".constants 1\n.data 0x0 0102\n");
  EXPECT_NE(message.find("runs past the 1 bytes"), std::string::npos)
      << message;
}

TEST(StreamAssembly, RejectsMissingStreamLine) {
  EXPECT_NE(assemblyError("# nothing\n").find("no .stream line"),
            std::string::npos);
}

TEST(StreamAssembly, EndsWithStreamChecks) {
  // The text parses, but the record index fails checkStream.
  std::string message = assemblyError(
      std::string(kHeader) +
      "topk p=b1 survivors=b1 indices=b1 m=1 n=1 t=1 query_base=0 needed=b1 "
      "record=0 logit_scale=1\n");
  EXPECT_NE(message.find("instruction 0: topk: field 'record' is 0, but the "
                         "stream has 0 predictor records"),
            std::string::npos)
      << message;
}

} // namespace
