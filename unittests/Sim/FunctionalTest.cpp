//===- FunctionalTest.cpp - Results of the functional model ---------------===//
//
// Runs small streams on examples/hw/lapa-28nm.yaml and checks the outputs
// against independent computations: a GEMM against a plain integer loop,
// relu against bit patterns written by hand, a LAPA prediction sequence
// against predictScoresMrsa, and the rejection of uninitialized reads,
// races, bad indices and bad bindings.
//
//===----------------------------------------------------------------------===//

#include "SimTestSupport.h"

#include "lapa/Predict/LogCode.h"
#include "lapa/Predict/Mrsa.h"
#include "lapa/Predict/PredictorConfig.h"

#include <random>

using namespace lapa;
using namespace lapa::sim;
using namespace lapa::sim::test;
using isa::Opcode;
using isa::TensorRole;
using isa::Unit;

namespace {

constexpr uint8_t kDma = 1u << unsigned(Unit::Dma);
constexpr uint8_t kMac = 1u << unsigned(Unit::Mac);
constexpr uint8_t kShift = 1u << unsigned(Unit::Shift);
constexpr uint8_t kEncode = 1u << unsigned(Unit::Encode);
constexpr uint8_t kFilter = 1u << unsigned(Unit::Filter);

support::TensorData makeData(const std::string &name, support::DType dtype,
                             std::vector<uint64_t> shape,
                             std::vector<uint8_t> bytes) {
  support::TensorData data;
  data.name = name;
  data.dtype = dtype;
  data.shape = std::move(shape);
  data.bytes = std::move(bytes);
  return data;
}

/// A GEMM of A [m x k] (input) by B [k x n] (constant) into C (output).
struct GemmCase {
  unsigned m = 40, n = 24, k = 70;
  std::vector<int8_t> a, b;
  StreamBuilder builder;

  explicit GemmCase(const hardware::HardwareConfig &config)
      : builder(config) {
    std::mt19937 random(7);
    std::uniform_int_distribution<int> values(-128, 127);
    a.resize(m * k);
    b.resize(k * n);
    for (int8_t &value : a)
      value = int8_t(values(random));
    for (int8_t &value : b)
      value = int8_t(values(random));
    uint64_t aAddress = 0, bAddress = 4096, cAddress = 8192;
    builder.tensor("a", TensorRole::Input, isa::ElementType::I8, {m, k},
                   aAddress);
    builder.tensor("b", TensorRole::Weight, isa::ElementType::I8, {k, n},
                   bAddress, toBytes(b));
    builder.tensor("c", TensorRole::Output, isa::ElementType::I32, {m, n},
                   cAddress);
    builder.load(aAddress, ref(kTokenBuffer, 0), m, k);
    builder.load(bAddress, ref(kWeightBuffer, 0), k, n, 0, kMac);
    builder.add(Opcode::Gemm,
                {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
                 ref(kTempBuffer, 0), m, n, k, k, n, n},
                0, kDma, kDma);
    builder.load(cAddress, ref(kTempBuffer, 0), m, n * 4, kMac, 0,
                 Opcode::Store);
  }

  support::TensorData input() const {
    return makeData("a", support::DType::I8, {m, k},
                    std::vector<uint8_t>(a.begin(), a.end()));
  }
};

TEST(SimFunctional, GemmMatchesIntegerLoop) {
  hardware::HardwareConfig config = loadReferenceConfig();
  GemmCase gemm(config);
  support::TensorData input = gemm.input();
  std::vector<support::TensorData> outputs;
  llvm::Expected<SimResult> result =
      runStream(gemm.builder.stream, config, {{"a", &input}}, &outputs);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  ASSERT_EQ(outputs.size(), 1u);
  std::vector<int32_t> c = fromBytes<int32_t>(outputs[0].bytes);
  ASSERT_EQ(c.size(), size_t(gemm.m) * gemm.n);
  for (unsigned i = 0; i < gemm.m; ++i)
    for (unsigned j = 0; j < gemm.n; ++j) {
      int32_t expected = 0;
      for (unsigned t = 0; t < gemm.k; ++t)
        expected += int32_t(gemm.a[i * gemm.k + t]) * gemm.b[t * gemm.n + j];
      EXPECT_EQ(c[i * gemm.n + j], expected) << "C[" << i << ", " << j << "]";
    }
  EXPECT_EQ(result->actions.macs, uint64_t(gemm.m) * gemm.n * gemm.k);
}

TEST(SimFunctional, RunsAreBitIdentical) {
  hardware::HardwareConfig config = loadReferenceConfig();
  GemmCase gemm(config);
  support::TensorData input = gemm.input();
  std::vector<support::TensorData> first, second;
  llvm::Expected<SimResult> one =
      runStream(gemm.builder.stream, config, {{"a", &input}}, &first);
  llvm::Expected<SimResult> two =
      runStream(gemm.builder.stream, config, {{"a", &input}}, &second);
  ASSERT_TRUE(bool(one)) << llvm::toString(one.takeError());
  ASSERT_TRUE(bool(two)) << llvm::toString(two.takeError());
  ASSERT_EQ(first.size(), second.size());
  EXPECT_EQ(first[0].bytes, second[0].bytes);
  EXPECT_EQ(one->totalCycles, two->totalCycles);
  EXPECT_EQ(one->totalEnergyPj(), two->totalEnergyPj());
}

TEST(SimFunctional, MissingBindingIsNamed) {
  hardware::HardwareConfig config = loadReferenceConfig();
  GemmCase gemm(config);
  llvm::Expected<SimResult> result = runStream(gemm.builder.stream, config);
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  EXPECT_NE(message.find("missing binding for input tensor 'a'"),
            std::string::npos)
      << message;
}

TEST(SimFunctional, WrongShapeIsNamed) {
  hardware::HardwareConfig config = loadReferenceConfig();
  GemmCase gemm(config);
  support::TensorData input = gemm.input();
  input.shape = {gemm.k, gemm.m};
  llvm::Expected<SimResult> result =
      runStream(gemm.builder.stream, config, {{"a", &input}});
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  EXPECT_NE(message.find("'a' is bound as I8 [70, 40], but the stream "
                         "expects I8 [40, 70]"),
            std::string::npos)
      << message;
}

TEST(SimFunctional, WrongDtypeIsNamed) {
  hardware::HardwareConfig config = loadReferenceConfig();
  GemmCase gemm(config);
  support::TensorData input = gemm.input();
  input.dtype = support::DType::U8;
  llvm::Expected<SimResult> result =
      runStream(gemm.builder.stream, config, {{"a", &input}});
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("bound as U8"),
            std::string::npos);
}

TEST(SimFunctional, OtherConfigIsRejected) {
  hardware::HardwareConfig config = loadReferenceConfig();
  GemmCase gemm(config);
  gemm.builder.stream.configFingerprint ^= 1;
  support::TensorData input = gemm.input();
  llvm::Expected<SimResult> result =
      runStream(gemm.builder.stream, config, {{"a", &input}});
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("fingerprint"),
            std::string::npos);
}

TEST(SimFunctional, UninitializedReadIsReported) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  // The GEMM reads B from the weight buffer, which nothing has written.
  builder.tensor("a", TensorRole::Input, isa::ElementType::I8, {1024}, 0,
                 std::vector<uint8_t>(1024, 1));
  builder.load(0, ref(kTokenBuffer, 0), 32, 16, 0, kMac);
  builder.add(Opcode::Gemm,
              {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
               ref(kTempBuffer, 0), 32, 16, 16, 16, 16, 16},
              0, kDma, 0);
  llvm::Expected<SimResult> result = runStream(builder.stream, config);
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  EXPECT_NE(message.find("instruction 1 (gemm): operand 'b' reads byte 0 of "
                         "buffer weight_buffer, which nothing has written"),
            std::string::npos)
      << message;
}

TEST(SimFunctional, MissingTokenIsARace) {
  hardware::HardwareConfig config = loadReferenceConfig();
  GemmCase gemm(config);
  // Without the load's token the GEMM starts at cycle 0, before the data it
  // reads has arrived.
  gemm.builder.stream.instructions[1].setHeader(Opcode::Load, 0, 0, 0);
  gemm.builder.stream.instructions[2].setHeader(Opcode::Gemm, 0, kDma, 0);
  support::TensorData input = gemm.input();
  llvm::Expected<SimResult> result =
      runStream(gemm.builder.stream, config, {{"a", &input}});
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  EXPECT_NE(message.find("instruction 2 (gemm): race"), std::string::npos)
      << message;
  EXPECT_NE(message.find("make it wait for a token from dma"),
            std::string::npos)
      << message;
}

TEST(SimFunctional, LoadRowsIndexOutOfRange) {
  hardware::HardwareConfig config = loadReferenceConfig();
  StreamBuilder builder(config);
  // An embedding table of 4 rows of 8 bytes and the token ids {1, 9}.
  builder.tensor("table", TensorRole::Weight, isa::ElementType::I8, {4, 8}, 0,
                 std::vector<uint8_t>(32, 3));
  builder.tensor("ids", TensorRole::Input, isa::ElementType::I32, {2}, 64,
                 toBytes(std::vector<int32_t>{1, 9}));
  builder.load(64, ref(kTokenBuffer, 0), 1, 8);
  builder.add(Opcode::LoadRows,
              {0, 0, ref(kTokenBuffer, 64), 2, 8, 8, 8, ref(kTokenBuffer, 0),
               4});
  llvm::Expected<SimResult> result = runStream(builder.stream, config);
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  EXPECT_NE(message.find("instruction 1 (load_rows): index 9 (row 1 of the "
                         "index vector) is outside [0, 4)"),
            std::string::npos)
      << message;
}

TEST(SimFunctional, MacAccumulatorOverflow) {
  hardware::HardwareConfig config = loadReferenceConfig();
  config.executionUnit.macArray.accumulatorBits = 16;
  StreamBuilder builder(config);
  // 16 products of 127 x 127 = 258,064, above the 16-bit maximum 32,767.
  builder.tensor("a", TensorRole::Input, isa::ElementType::I8, {512}, 0,
                 std::vector<uint8_t>(512, 127));
  builder.load(0, ref(kTokenBuffer, 0), 32, 16);
  builder.load(0, ref(kWeightBuffer, 0), 16, 16, 0, kMac);
  builder.add(Opcode::Gemm,
              {ref(kTokenBuffer, 0), ref(kWeightBuffer, 0),
               ref(kTempBuffer, 0), 32, 16, 16, 16, 16, 16},
              0, kDma, 0);
  llvm::Expected<SimResult> result = runStream(builder.stream, config);
  ASSERT_FALSE(bool(result));
  std::string message = llvm::toString(result.takeError());
  EXPECT_NE(message.find("instruction 2 (gemm): C[0, 0] after term 2 is "
                         "48387, outside the 16-bit accumulator"),
            std::string::npos)
      << message;
}

TEST(SimFunctional, ReluIsExact) {
  hardware::HardwareConfig config = loadReferenceConfig();
  const uint8_t vector = unitBit(Unit::Vector);
  // Two rows of 8 f32 values as raw bits, and the outputs written by hand:
  // positive values (subnormals and +inf included) pass through, every
  // other number becomes +0.0, and NaNs keep their sign and payload.
  const std::vector<uint32_t> inputBits = {
      0xc0200000u, // -2.5
      0x80000000u, // -0.0
      0x00000000u, // +0.0
      0x40500000u, // 3.25
      0x7fc00001u, // quiet NaN with payload 1
      0xffc00000u, // quiet NaN with the sign bit set
      0x7f800001u, // signaling NaN
      0x7f800000u, // +inf
      0xff800000u, // -inf
      0x00000001u, // smallest positive subnormal
      0x80000001u, // negative subnormal of smallest magnitude
      0x7f7fffffu, // largest finite f32
      0xff7fffffu, // lowest finite f32
      0x3f800000u, // 1.0
      0xbf800000u, // -1.0
      0x00800000u, // smallest positive normal
  };
  const std::vector<uint32_t> expectedBits = {
      0x00000000u, 0x00000000u, 0x00000000u, 0x40500000u,
      0x7fc00001u, 0xffc00000u, 0x7f800001u, 0x7f800000u,
      0x00000000u, 0x00000001u, 0x00000000u, 0x7f7fffffu,
      0x00000000u, 0x3f800000u, 0x00000000u, 0x00800000u,
  };
  const uint32_t rows = 2, columns = 8, ldy = 12;

  StreamBuilder builder(config);
  builder.tensor("x", TensorRole::Input, isa::ElementType::F32,
                 {rows, columns}, 0);
  builder.tensor("y", TensorRole::Output, isa::ElementType::F32,
                 {rows, columns}, 4096);
  builder.load(0, ref(kTempBuffer, 0), rows, columns * 4, 0, vector);
  // Y rows are 12 floats apart in the buffer, so the output stride differs
  // from the input's.
  builder.add(Opcode::Relu,
              {ref(kTempBuffer, 0), ref(kTempBuffer, 0x100), rows, columns,
               columns, ldy},
              0, kDma, kDma);
  builder.add(Opcode::Store,
              {4096, 0, ref(kTempBuffer, 0x100), rows, columns * 4,
               columns * 4, ldy * 4},
              0, vector, 0);

  support::TensorData input = makeData("x", support::DType::F32,
                                       {rows, columns}, toBytes(inputBits));
  std::vector<support::TensorData> outputs;
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {{"x", &input}}, &outputs);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  ASSERT_EQ(outputs.size(), 1u);
  std::vector<uint32_t> outputBits = fromBytes<uint32_t>(outputs[0].bytes);
  ASSERT_EQ(outputBits.size(), expectedBits.size());
  for (size_t i = 0; i < expectedBits.size(); ++i)
    EXPECT_EQ(outputBits[i], expectedBits[i])
        << "element " << i << ", input 0x" << std::hex << inputBits[i];
  // One vector operation per element, as for silu and gelu.
  EXPECT_EQ(result->actions.vectorOps, uint64_t(rows) * columns);
}

/// The LAPA prediction of one tile through the instruction sequence
/// log_encode, shift_accumulate (round 0), filter, shift_accumulate (round
/// 1), topk, compared with predictScoresMrsa on the same data.
TEST(SimFunctional, LapaSequenceMatchesLibrary) {
  hardware::HardwareConfig config = loadReferenceConfig();
  const unsigned m = 8, n = 48, d = 32, queryBase = 20;
  predict::PredictorConfig record =
      predict::PredictorConfig::defaults(predict::Scheme::Lapa);
  record.keepRatio = 0.25;

  std::mt19937 random(11);
  std::uniform_int_distribution<int> queryValues(-32767, 32767);
  std::uniform_int_distribution<int> keyValues(-128, 127);
  std::vector<int32_t> query(m * d), keys(n * d);
  for (int32_t &value : query)
    value = queryValues(random);
  for (int32_t &value : keys)
    value = keyValues(random);
  // A few zero query lanes exercise the zero code.
  query[3] = 0;
  query[40] = 0;

  // Reference: the library on the same tile.
  llvm::Expected<std::vector<predict::LogCode>> codes =
      predict::encodeLogCodes(query, record.queryBits);
  ASSERT_TRUE(bool(codes)) << llvm::toString(codes.takeError());
  predict::TileShape shape{m, n, d, queryBase, true};
  double logitScale = 0.001;
  llvm::Expected<predict::ScorePrediction> expected = predict::predictScoresMrsa(
      *codes, keys, shape, predict::MrsaParams::fromConfig(record),
      predict::FilterParams::fromConfig(record),
      predict::SelectParams::fromConfig(record, logitScale));
  ASSERT_TRUE(bool(expected)) << llvm::toString(expected.takeError());

  StreamBuilder builder(config);
  builder.stream.predictors.push_back(predict::printPredictorConfig(record));
  std::vector<int8_t> keyBytes(keys.begin(), keys.end());
  const uint32_t t = n;
  builder.tensor("q", TensorRole::Input, isa::ElementType::I32, {m, d}, 0,
                 toBytes(query));
  builder.tensor("khat", TensorRole::Input, isa::ElementType::I8, {n, d},
                 4096, toBytes(keyBytes));
  builder.tensor("zeros", TensorRole::Weight, isa::ElementType::U8, {64},
                 8192, std::vector<uint8_t>(64, 0));
  builder.tensor("indices", TensorRole::Output, isa::ElementType::U16, {m, t},
                 12288);
  builder.tensor("needed", TensorRole::Output, isa::ElementType::U8,
                 {(n + 7) / 8}, 16384);

  // Buffers: Q (i32) in temp, codes, P, survivors, indices and the needed
  // set in the speculation buffer, K-hat in the token buffer.
  const uint32_t qCodes = ref(kSpeculationBuffer, 0);
  const uint32_t partial = ref(kSpeculationBuffer, 1024);
  const uint32_t survivors = ref(kSpeculationBuffer, 4096);
  const uint32_t indices = ref(kSpeculationBuffer, 4608);
  const uint32_t needed = ref(kSpeculationBuffer, 6144);
  builder.load(0, ref(kTempBuffer, 0), m, d * 4, 0, kEncode);
  builder.load(4096, ref(kTokenBuffer, 0), n, d, 0, kShift);
  builder.add(Opcode::LogEncode,
              {ref(kTempBuffer, 0), qCodes, m, d, record.queryBits, d, d}, 0,
              kDma, kShift);
  builder.add(Opcode::ShiftAccumulate,
              {qCodes, ref(kTokenBuffer, 0), partial, m, n, d, queryBase, 0,
               survivors, 0},
              isa::Causal, kDma | kEncode, kFilter);
  builder.add(Opcode::Filter,
              {qCodes, isa::kNoBuffer, partial, m, n, d, queryBase, 0,
               survivors, 0},
              isa::Causal, kShift, kShift);
  builder.add(Opcode::ShiftAccumulate,
              {qCodes, ref(kTokenBuffer, 0), partial, m, n, d, queryBase, 1,
               survivors, 0},
              isa::Causal, kFilter, kFilter);
  builder.add(Opcode::TopK,
              {partial, survivors, indices, m, n, t, queryBase, 0, needed, 0,
               0, floatBits(float(logitScale))},
              isa::Causal, kShift, 0);

  SimOptions options;
  options.keepBuffers = true;
  llvm::Expected<SimResult> result =
      runStream(builder.stream, config, {}, nullptr, options);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  const std::vector<uint8_t> &speculation =
      result->finalBuffers[kSpeculationBuffer];

  const predict::Selection &selection = expected->selection;
  for (unsigned i = 0; i < m; ++i) {
    llvm::ArrayRef<uint32_t> keptRow = selection.row(i);
    for (unsigned slot = 0; slot < t; ++slot) {
      uint16_t index;
      std::memcpy(&index, &speculation[4608 + (i * t + slot) * 2], 2);
      uint16_t want =
          slot < keptRow.size() ? uint16_t(keptRow[slot]) : isa::kNoIndex;
      EXPECT_EQ(index, want) << "row " << i << ", slot " << slot;
    }
  }
  for (unsigned j = 0; j < n; ++j) {
    bool bit = (speculation[6144 + j / 8] >> (j % 8)) & 1;
    EXPECT_EQ(bit, selection.neededTokens.test(0, j)) << "key " << j;
  }
  // The filter removed keys: round 2 scored fewer pairs than round 1.
  ASSERT_EQ(expected->rounds.size(), 2u);
  EXPECT_LT(expected->rounds[1].candidates, expected->rounds[0].candidates);
  EXPECT_EQ(result->actions.shiftAdds,
            (expected->rounds[0].candidates + expected->rounds[1].candidates) *
                d);
}

} // namespace
