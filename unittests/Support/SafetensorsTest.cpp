//===- SafetensorsTest.cpp - Reading and rejecting safetensors files ------===//
//
// Builds small safetensors files in memory, valid and malformed, and checks
// that the reader returns the tensors and metadata of a valid file and a
// clear error for each kind of damage. Also reads the header of the
// repository's tinyllama-kjv reference file.
//
//===----------------------------------------------------------------------===//

#include "lapa/Support/Safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace lapa::support;

namespace {

// Returns the bytes of a safetensors file with `header` and `data`.
std::string makeFile(const std::string &header, const std::string &data) {
  std::string bytes(8, '\0');
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::string floatBytes(std::initializer_list<float> values) {
  std::string bytes;
  for (float value : values) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    for (int i = 0; i < 4; ++i)
      bytes.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  return bytes;
}

llvm::Expected<SafetensorsFile> parseBytes(const std::string &bytes) {
  return SafetensorsFile::parse(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "test"), "test.safetensors");
}

std::string errorOf(const std::string &bytes) {
  llvm::Expected<SafetensorsFile> file = parseBytes(bytes);
  if (file)
    return "";
  return llvm::toString(file.takeError());
}

const char *kValidHeader =
    R"({"__metadata__":{"note":"hi"},)"
    R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"I32","shape":[1,1],"data_offsets":[8,12]}})";

TEST(Safetensors, ReadsTensorsAndMetadata) {
  std::string data = floatBytes({1.5f, -2.0f}) + std::string("\x07\0\0\0", 4);
  llvm::Expected<SafetensorsFile> file =
      parseBytes(makeFile(kValidHeader, data));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->tensors().size(), 2u);
  EXPECT_EQ(file->metadata().at("note"), "hi");

  llvm::Expected<std::vector<float>> a = file->readF32("a", {2});
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(*a, (std::vector<float>{1.5f, -2.0f}));
  llvm::Expected<std::vector<int32_t>> b = file->readI32("b");
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  EXPECT_EQ(*b, (std::vector<int32_t>{7}));
}

TEST(Safetensors, WrongDtypeShapeOrName) {
  std::string data = floatBytes({1.5f, -2.0f}) + std::string("\x07\0\0\0", 4);
  llvm::Expected<SafetensorsFile> file =
      parseBytes(makeFile(kValidHeader, data));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());

  llvm::Expected<std::vector<int32_t>> wrongType = file->readI32("a");
  ASSERT_FALSE(bool(wrongType));
  EXPECT_EQ(llvm::toString(wrongType.takeError()),
            "test.safetensors: tensor 'a' has dtype F32, expected I32");

  llvm::Expected<std::vector<float>> wrongShape = file->readF32("a", {3});
  ASSERT_FALSE(bool(wrongShape));
  EXPECT_EQ(llvm::toString(wrongShape.takeError()),
            "test.safetensors: tensor 'a' has shape [2], expected [3]");

  llvm::Expected<std::vector<float>> missing = file->readF32("c");
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("tensor 'c' not found"),
            std::string::npos);
}

TEST(Safetensors, ShorterThanLengthField) {
  EXPECT_NE(errorOf("abc").find("file is 3 bytes, shorter than the 8-byte "
                                "header length"),
            std::string::npos);
}

TEST(Safetensors, HeaderLongerThanFile) {
  std::string bytes = makeFile(kValidHeader, "");
  bytes.resize(20);
  std::string message = errorOf(bytes);
  EXPECT_NE(message.find("exceeds the 12 bytes that follow the length "
                         "field; the file is truncated"),
            std::string::npos)
      << message;
}

TEST(Safetensors, HugeHeaderLength) {
  std::string bytes(16, '\0');
  bytes[7] = '\x7f';
  EXPECT_NE(errorOf(bytes).find("exceeds the limit of 100000000 bytes"),
            std::string::npos);
}

TEST(Safetensors, InvalidJson) {
  EXPECT_NE(errorOf(makeFile("{\"a\":", "")).find("header is not valid JSON"),
            std::string::npos);
  EXPECT_NE(errorOf(makeFile("[1, 2]", "")).find("header is not a JSON "
                                                 "object"),
            std::string::npos);
}

TEST(Safetensors, DeeplyNestedHeader) {
  // 200000 nested arrays would overflow the stack of a recursive parser;
  // the reader rejects them before parsing.
  std::string header(200000, '[');
  std::string message = errorOf(makeFile(header, ""));
  EXPECT_NE(message.find("header nests arrays or objects more than 64 levels "
                         "deep"),
            std::string::npos)
      << message;
  // Brackets inside strings do not count as nesting.
  std::string quoted = "{\"__metadata__\": {\"text\": \"" +
                       std::string(100, '[') + "\"}}";
  EXPECT_EQ(errorOf(makeFile(quoted, "")).find("nests"), std::string::npos);
}

TEST(Safetensors, TruncatedData) {
  // The header promises 12 bytes of data; only 10 follow.
  std::string data = floatBytes({1.5f, -2.0f}) + std::string("\x07\0", 2);
  std::string message = errorOf(makeFile(kValidHeader, data));
  EXPECT_NE(message.find("tensor 'b' ends at data offset 12 but the data "
                         "section has only 10 bytes; the file is truncated"),
            std::string::npos)
      << message;
}

TEST(Safetensors, SizeDisagreesWithShape) {
  std::string header =
      R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
  std::string message = errorOf(makeFile(header, floatBytes({1, 2})));
  EXPECT_NE(message.find("tensor 'a' with dtype F32 and shape [3] needs 12 "
                         "bytes but data_offsets [0, 8] span 8"),
            std::string::npos)
      << message;
}

TEST(Safetensors, OverlappingTensors) {
  std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_NE(errorOf(makeFile(header, floatBytes({1, 2})))
                .find("have overlapping data_offsets"),
            std::string::npos);
}

TEST(Safetensors, BadFields) {
  EXPECT_NE(errorOf(makeFile(
                R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}})",
                floatBytes({1})))
                .find("unknown dtype 'Q4'"),
            std::string::npos);
  EXPECT_NE(errorOf(makeFile(
                R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                floatBytes({1})))
                .find("shape entry that is not a non-negative integer"),
            std::string::npos);
  EXPECT_NE(errorOf(makeFile(R"({"a":{"dtype":"F32","shape":[1]}})",
                             floatBytes({1})))
                .find("needs 'data_offsets'"),
            std::string::npos);
  EXPECT_NE(errorOf(makeFile(
                R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})",
                floatBytes({1})))
                .find("with begin after end"),
            std::string::npos);
  EXPECT_NE(errorOf(makeFile(R"({"a":3})", "")).find("is not a JSON object"),
            std::string::npos);
  // A shape whose byte count overflows 64 bits.
  EXPECT_NE(errorOf(makeFile(
                R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],)"
                R"("data_offsets":[0,8]}})",
                floatBytes({1, 2})))
                .find("overflows a 64-bit byte count"),
            std::string::npos);
}

TEST(Safetensors, MissingFile) {
  llvm::Expected<SafetensorsFile> file =
      SafetensorsFile::open("/nonexistent/lapa/missing.safetensors");
  ASSERT_FALSE(bool(file));
  EXPECT_NE(llvm::toString(file.takeError()).find("cannot open file"),
            std::string::npos);
}

TEST(Safetensors, TinyllamaReferenceHeader) {
  llvm::Expected<SafetensorsFile> file = SafetensorsFile::open(
      LAPA_SOURCE_DIR "/examples/tinyllama-kjv/reference.safetensors");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const TensorInfo *q = file->find("w0.layer0.q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->shape, (std::vector<uint64_t>{4, 128, 32}));
  llvm::Expected<std::vector<int32_t>> tokens =
      file->readI32("w0.tokens", {128});
  ASSERT_TRUE(bool(tokens)) << llvm::toString(tokens.takeError());
  // Window 0 starts at a verse of 2 Thessalonians 2:2; every token is one
  // of the 63 character ids.
  for (int32_t token : *tokens) {
    EXPECT_GE(token, 0);
    EXPECT_LT(token, 63);
  }
  EXPECT_EQ(file->metadata().count("w0.text"), 1u);
}

TensorData makeTensor(const std::string &name, DType dtype,
                      std::vector<uint64_t> shape, std::string bytes) {
  TensorData tensor;
  tensor.name = name;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  tensor.bytes.assign(bytes.begin(), bytes.end());
  return tensor;
}

TEST(SafetensorsWriter, RoundTrip) {
  std::vector<TensorData> tensors;
  tensors.push_back(
      makeTensor("z.weights", DType::F32, {2, 2},
                 floatBytes({1.5f, -2.0f, 0.25f, 1e30f})));
  tensors.push_back(makeTensor("a.ids", DType::I32, {3},
                               std::string("\x01\0\0\0\xff\xff\xff\xff"
                                           "\x07\0\0\0",
                                           12)));
  tensors.push_back(makeTensor("m.bytes", DType::I8, {1}, std::string("\x80", 1)));
  llvm::Expected<std::vector<uint8_t>> bytes =
      writeSafetensors(tensors, {{"source", "test"}});
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  // The data section starts at a multiple of 8 bytes.
  uint64_t headerLength = 0;
  for (int i = 0; i < 8; ++i)
    headerLength |= uint64_t((*bytes)[i]) << (8 * i);
  EXPECT_EQ((8 + headerLength) % 8, 0u);

  llvm::Expected<SafetensorsFile> file = SafetensorsFile::parse(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(bytes->data()),
                          bytes->size())),
      "written");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  ASSERT_EQ(file->tensors().size(), 3u);
  // Entries are written in name order.
  EXPECT_EQ(file->tensors()[0].name, "a.ids");
  EXPECT_EQ(file->tensors()[2].name, "z.weights");
  llvm::Expected<std::vector<float>> weights =
      file->readF32("z.weights", {2, 2});
  ASSERT_TRUE(bool(weights)) << llvm::toString(weights.takeError());
  EXPECT_EQ(*weights, (std::vector<float>{1.5f, -2.0f, 0.25f, 1e30f}));
  llvm::Expected<std::vector<int32_t>> ids = file->readI32("a.ids", {3});
  ASSERT_TRUE(bool(ids)) << llvm::toString(ids.takeError());
  EXPECT_EQ(*ids, (std::vector<int32_t>{1, -1, 7}));
  const TensorInfo *single = file->find("m.bytes");
  ASSERT_NE(single, nullptr);
  EXPECT_EQ(file->rawData(*single)[0], 0x80);
  EXPECT_EQ(file->metadata().at("source"), "test");
}

TEST(SafetensorsWriter, RejectsWrongByteCount) {
  std::vector<TensorData> tensors;
  tensors.push_back(makeTensor("x", DType::F32, {3}, floatBytes({1.0f})));
  llvm::Expected<std::vector<uint8_t>> bytes = writeSafetensors(tensors);
  ASSERT_FALSE(bool(bytes));
  std::string message = llvm::toString(bytes.takeError());
  EXPECT_NE(message.find("'x' has 4 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("need 12"), std::string::npos) << message;
}

TEST(SafetensorsWriter, RejectsDuplicateName) {
  std::vector<TensorData> tensors;
  tensors.push_back(makeTensor("x", DType::F32, {1}, floatBytes({1.0f})));
  tensors.push_back(makeTensor("x", DType::F32, {1}, floatBytes({2.0f})));
  llvm::Expected<std::vector<uint8_t>> bytes = writeSafetensors(tensors);
  ASSERT_FALSE(bool(bytes));
  EXPECT_NE(llvm::toString(bytes.takeError()).find("two tensors named 'x'"),
            std::string::npos);
}

TEST(SafetensorsWriter, RejectsReservedName) {
  std::vector<TensorData> tensors;
  tensors.push_back(
      makeTensor("__metadata__", DType::F32, {1}, floatBytes({1.0f})));
  llvm::Expected<std::vector<uint8_t>> bytes = writeSafetensors(tensors);
  ASSERT_FALSE(bool(bytes));
  EXPECT_NE(llvm::toString(bytes.takeError()).find("reserved"),
            std::string::npos);
}

} // namespace
