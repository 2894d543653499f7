//===- Schedule.cpp - Tile, allocate and order a model's instructions ---===//
//
// The passes over a layer, each a loop over row tiles:
//
//   norm+quant   rows of x (f32, DRAM) -> RMSNorm/LayerNorm in the token
//                buffer -> per-row INT8 (xq) and scales (xs)
//   projection   Y = dequant(xq . W), accumulated in i32 over inner tiles,
//                then an epilogue (bias, rotary, SiLU/GELU, multiply or
//                residual add with a DRAM tile) and a store of Y
//   attention    in ScheduleAttention.cpp
//
// Each buffer is one arena that its roles share (see assignRoles). Every
// pass allocates its tiles from the arenas and releases them at its end.
//
//===----------------------------------------------------------------------===//

#include "lapa/Schedule/Schedule.h"

#include "Emitter.h"
#include "Scheduler.h"

#include "lapa/Predict/LogCode.h"
#include "lapa/Predict/Predictor.h"
#include "lapa/Predict/Quantize.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>

using namespace lapa;
using namespace lapa::schedule;
using namespace lapa::schedule::detail;


//===----------------------------------------------------------------------===//
// Roles and tiles
//===----------------------------------------------------------------------===//

llvm::Error Scheduler::assignRoles() {
  // Each role takes the first buffer of its list that the configuration
  // declares; roles without one of their own share the last fallback.
  struct Candidates {
    Role role;
    std::vector<llvm::StringRef> names;
  };
  const Candidates table[] = {
      {Role::Token, {"token_buffer", "query_buffer"}},
      {Role::Weight, {"weight_buffer", "key_buffer"}},
      {Role::Kv, {"kv_buffer", "value_buffer", "token_buffer"}},
      {Role::Temp, {"temp_buffer"}},
      {Role::Speculation, {"speculation_buffer", "temp_buffer"}},
  };
  std::map<std::string, std::vector<Role>> users;
  std::array<std::string, kNumRoles> chosen;
  for (const Candidates &candidates : table) {
    for (llvm::StringRef name : candidates.names) {
      if (config.findBuffer(name)) {
        chosen[static_cast<unsigned>(candidates.role)] = name.str();
        users[name.str()].push_back(candidates.role);
        break;
      }
    }
    if (chosen[static_cast<unsigned>(candidates.role)].empty()) {
      std::string names;
      for (llvm::StringRef name : candidates.names)
        names += (names.empty() ? "" : " or ") + name.str();
      return makeError(llvm::formatv(
          "configuration '{0}' has no buffer for the {1} role; declare a "
          "buffer named {2}",
          config.name, roleName(candidates.role), names));
    }
  }
  // Roles that share a buffer allocate from one arena over all of it, so
  // whichever role needs more space at a time gets it.
  for (auto &[name, roles] : users) {
    unsigned index = 0;
    for (; index < config.buffers.size(); ++index)
      if (config.buffers[index].name == name)
        break;
    uint32_t bytes = static_cast<uint32_t>(config.buffers[index].bytes);
    for (Role role : roles)
      roleArena[static_cast<unsigned>(role)] = arenas.size();
    arenas.emplace_back(roles.front(), static_cast<uint8_t>(index), name, 0,
                        bytes / kGranule * kGranule);
  }
  return llvm::Error::success();
}

llvm::Error Scheduler::chooseTiles() {
  int64_t macCols = config.executionUnit.macArray.cols;
  innerTile = options.innerTile ? options.innerTile : 512;
  colTile = options.colTile ? options.colTile : std::max<int64_t>(64, macCols);
  rowTile = options.rowTile ? options.rowTile : 64;
  if (innerTile <= 0 || colTile <= 0 || rowTile <= 0)
    return makeError(llvm::formatv(
        "invalid tile sizes row-tile={0} col-tile={1} inner-tile={2}: a tile "
        "size is at least 1, or 0 to let the compiler choose",
        rowTile, colTile, innerTile));
  // Shrink the default tiles until a projection's working set fits. It
  // holds two INT8 input tiles in the token region and two weight tiles in
  // the weight region. The temp region holds two i32 GEMM outputs and the
  // scales, and the KV region three f32 tiles (two results, one operand).
  auto fits = [&](int64_t tm, int64_t tn, int64_t g) {
    tm = std::min(tm, totalRows());
    uint64_t tile = llvm::alignTo(tm * tn * 4, kGranule);
    uint64_t temp = 2 * tile + 4 * llvm::alignTo(std::max(tm, tn) * 4, kGranule);
    return 2 * llvm::alignTo(tm * g, kGranule) <= arena(Role::Token).capacity() &&
           2 * llvm::alignTo(g * tn, kGranule) <= arena(Role::Weight).capacity() &&
           temp <= arena(Role::Temp).capacity() &&
           3 * tile <= arena(Role::Kv).capacity();
  };
  while (!fits(rowTile, colTile, innerTile)) {
    if (!options.innerTile && innerTile > 128)
      innerTile /= 2;
    else if (!options.rowTile && rowTile > 16)
      rowTile /= 2;
    else if (!options.colTile && colTile > 32)
      colTile /= 2;
    else if (!options.innerTile && innerTile > 16)
      innerTile /= 2;
    else if (!options.rowTile && rowTile > 1)
      rowTile /= 2;
    else if (!options.colTile && colTile > 1)
      colTile /= 2;
    else {
      int64_t rows = std::min(rowTile, totalRows());
      return makeError(llvm::formatv(
          "projection tiles of {0} rows x {1} columns x {2} inner do not "
          "fit '{3}': they need 2 x {4} bytes of {5}, 2 x {6} bytes of {7}, "
          "2 x {8} bytes of {9} (with the scales) and 3 x {8} bytes of {10}, "
          "whose regions hold {11}, {12}, {13} and {14} bytes; choose smaller "
          "tiles (row-tile, col-tile, inner-tile) or larger buffers",
          rows, colTile, innerTile, config.name, rows * innerTile,
          arena(Role::Token).buffer_name(), innerTile * colTile,
          arena(Role::Weight).buffer_name(), rows * colTile * 4,
          arena(Role::Temp).buffer_name(), arena(Role::Kv).buffer_name(),
          arena(Role::Token).capacity(), arena(Role::Weight).capacity(),
          arena(Role::Temp).capacity(), arena(Role::Kv).capacity()));
    }
  }
  return llvm::Error::success();
}

uint32_t Scheduler::recordFor(const predict::PredictorConfig &predictor) {
  std::string text = predict::printPredictorConfig(predictor);
  auto [it, inserted] =
      records.try_emplace(text, static_cast<uint32_t>(file.predictors.size()));
  if (inserted)
    file.predictors.push_back(text);
  return it->second;
}

//===----------------------------------------------------------------------===//
// Weights and the memory map
//===----------------------------------------------------------------------===//

/// Quantizes a [in x out] weight per output column to INT8.
static void quantizeWeight(const WeightDesc &weight, std::vector<uint8_t> &values,
                    std::vector<uint8_t> &scales, std::vector<int32_t> *ints) {
  std::vector<float> transposed(size_t(weight.in) * weight.out);
  for (int64_t i = 0; i < weight.in; ++i)
    for (int64_t o = 0; o < weight.out; ++o)
      transposed[size_t(o) * weight.in + i] = weight.data[size_t(i) * weight.out + o];
  predict::QuantizedTensor q = predict::quantizePerRow(
      transposed, unsigned(weight.out), unsigned(weight.in), 8);
  values.resize(size_t(weight.in) * weight.out);
  if (ints)
    ints->resize(values.size());
  for (int64_t i = 0; i < weight.in; ++i)
    for (int64_t o = 0; o < weight.out; ++o) {
      int32_t v = q.values[size_t(o) * weight.in + i];
      values[size_t(i) * weight.out + o] = static_cast<uint8_t>(int8_t(v));
      if (ints)
        (*ints)[size_t(i) * weight.out + o] = v;
    }
  scales.resize(size_t(weight.out) * 4);
  for (int64_t o = 0; o < weight.out; ++o) {
    float step = static_cast<float>(q.steps[o]);
    std::memcpy(&scales[size_t(o) * 4], &step, 4);
  }
}


llvm::Error Scheduler::addWeights() {
  int64_t S = model.seqLen;
  int64_t R = totalRows();
  int64_t H = model.hidden;
  bool embed = options.embedWeights;

  auto addWeight = [&](llvm::StringRef name, const WeightDesc &weight,
                       bool logCodes) -> llvm::Error {
    if (weight.in <= 0 || weight.out <= 0)
      return makeError(llvm::formatv("weight {0} has shape {1} x {2}; both "
                                     "dimensions must be positive",
                                     name, weight.in, weight.out));
    bool data = embed && weight.hasData();
    if (data && weight.data.size() != size_t(weight.in) * weight.out)
      return makeError(llvm::formatv(
          "weight {0} has {1} values for shape {2} x {3}", name,
          weight.data.size(), weight.in, weight.out));
    std::vector<uint8_t> values, scales;
    std::vector<int32_t> ints;
    if (data)
      quantizeWeight(weight, values, scales, logCodes ? &ints : nullptr);
    std::string scaleName = (name + ".scales").str();
    emitter.addTensor(scaleName, TensorRole::Weight, ElementType::F32,
                      {uint64_t(weight.out)}, scales);
    emitter.addTensor(name, TensorRole::Weight, ElementType::I8,
                      {uint64_t(weight.in), uint64_t(weight.out)}, values,
                      scaleName);
    if (logCodes) {
      std::vector<uint8_t> codes;
      if (data) {
        codes.resize(ints.size());
        for (size_t i = 0; i < ints.size(); ++i)
          codes[i] = static_cast<uint8_t>(
              predict::packLogCode(predict::makeLogCode(ints[i]), 8));
      }
      emitter.addTensor((name + ".codes").str(), TensorRole::Weight,
                        ElementType::U8,
                        {uint64_t(weight.in), uint64_t(weight.out)}, codes,
                        scaleName);
    }
    if (weight.hasBias)
      emitter.addTensor((name + ".bias").str(), TensorRole::Weight,
                        ElementType::F32, {uint64_t(weight.out)},
                        data ? floatBytes(weight.bias) : std::vector<uint8_t>());
    return llvm::Error::success();
  };
  auto addVector = [&](llvm::StringRef name, const VectorDesc &vec) {
    emitter.addTensor(name, TensorRole::Weight, ElementType::F32,
                      {uint64_t(vec.size)},
                      embed && !vec.data.empty() ? floatBytes(vec.data)
                                                 : std::vector<uint8_t>());
  };
  auto addNorm = [&](llvm::StringRef name, const NormDesc &norm) {
    addVector((name + ".gain").str(), norm.gain);
    if (norm.bias)
      addVector((name + ".bias").str(), *norm.bias);
  };

  if (model.program) {
    if (auto e = addProgramWeights(addWeight, addVector))
      return e;
  } else if (!model.hasEmbedding) {
    emitter.addTensor("input", TensorRole::Input, ElementType::F32,
                      {uint64_t(R), uint64_t(H)});
  } else {
    emitter.addTensor("tokens", TensorRole::Input, ElementType::I32,
                      {uint64_t(R)});
    const WeightDesc &table = model.embedding;
    emitter.addTensor("embedding", TensorRole::Weight, ElementType::F32,
                      {uint64_t(table.in), uint64_t(table.out)},
                      embed && table.hasData() ? floatBytes(table.data)
                                               : std::vector<uint8_t>());
  }
  if (model.rope) {
    const RopeDesc &tables = *model.rope;
    for (bool isCos : {true, false}) {
      const std::vector<float> &values = isCos ? tables.cos : tables.sin;
      emitter.addTensor(isCos ? "rope.cos" : "rope.sin", TensorRole::Weight,
                        ElementType::F32,
                        {uint64_t(S), uint64_t(tables.headDim / 2)},
                        embed && !values.empty() ? floatBytes(values)
                                                 : std::vector<uint8_t>());
    }
  }
  for (unsigned l = 0; !model.program && l < model.layers.size(); ++l) {
    const LayerDesc &layer = model.layers[l];
    if (layer.rotary && (!model.rope || model.rope->headDim != layer.headDim))
      return makeError(llvm::formatv(
          "layer {0} applies rotary embedding to heads of {1}, but the "
          "model's rotary tables are for head dimension {2}",
          l, layer.headDim, model.rope ? model.rope->headDim : 0));
    bool aloc = layer.predictor.scheme == Scheme::Lapa ||
                layer.predictor.scheme == Scheme::Sofa;
    if (layer.hasAttentionNorm)
      addNorm(layerName(l, "attention_norm"), layer.attentionNorm);
    if (auto e = addWeight(layerName(l, "wq"), layer.query, false))
      return e;
    if (auto e = addWeight(layerName(l, "wk"), layer.key, aloc))
      return e;
    if (auto e = addWeight(layerName(l, "wv"), layer.value, false))
      return e;
    if (auto e = addWeight(layerName(l, "wo"), layer.output, false))
      return e;
    if (!layer.hasFfn)
      continue;
    addNorm(layerName(l, "ffn_norm"), layer.ffnNorm);
    if (layer.ffn == FfnKind::SwiGlu)
      if (auto e = addWeight(layerName(l, "w_gate"), layer.gate, false))
        return e;
    if (auto e = addWeight(layerName(l, "w_up"), layer.up, false))
      return e;
    if (auto e = addWeight(layerName(l, "w_down"), layer.down, false))
      return e;
  }
  if (model.hasHead && !model.program) {
    addNorm("final_norm", model.finalNorm);
    if (auto e = addWeight("lm_head", model.lmHead, false))
      return e;
  }

  // Activations, reused by every layer.
  int64_t widest = H;
  int64_t kvWidest = 0;
  for (const LayerDesc &layer : model.layers) {
    widest = std::max({widest, layer.hasFfn ? layer.up.out : 0,
                       layer.heads * layer.headDim});
    kvWidest = std::max(kvWidest, layer.kvHeads * layer.headDim);
  }
  if (model.program)
    for (int64_t width : model.program->widths)
      widest = std::max(widest, width);
  emitter.addTensor("xq", TensorRole::Scratch, ElementType::I8,
                    {uint64_t(R), uint64_t(widest)});
  emitter.addTensor("xs", TensorRole::Scratch, ElementType::F32,
                    {uint64_t(R)});
  if (model.program) {
    // The value input of an attention that does not share the key input.
    emitter.addTensor("xq_value", TensorRole::Scratch, ElementType::I8,
                      {uint64_t(R), uint64_t(widest)});
    emitter.addTensor("xq_value.scales", TensorRole::Scratch, ElementType::F32,
                      {uint64_t(R)});
    if (auto e = addProgramTensors())
      return e;
  } else {
  emitter.addTensor("x", TensorRole::Scratch, ElementType::F32,
                    {uint64_t(R), uint64_t(H)});
  emitter.addTensor("q", TensorRole::Scratch, ElementType::F32,
                    {uint64_t(R), uint64_t(widest)});
  emitter.addTensor("attention", TensorRole::Scratch, ElementType::F32,
                    {uint64_t(R), uint64_t(widest)});
  emitter.addTensor("gate", TensorRole::Scratch, ElementType::F32,
                    {uint64_t(R), uint64_t(widest)});
  emitter.addTensor("ffn_hidden", TensorRole::Scratch, ElementType::F32,
                    {uint64_t(R), uint64_t(widest)});
  for (const std::string &output : model.outputs) {
    if (output == "logits")
      emitter.addTensor("logits", TensorRole::Output, ElementType::F32,
                        {uint64_t(R), uint64_t(model.vocab)});
    else if (output == "final_norm" || output == "hidden")
      emitter.addTensor(output, TensorRole::Output, ElementType::F32,
                        {uint64_t(R), uint64_t(H)});
    else if (output == "result" && model.resultSlice)
      emitter.addTensor("result", TensorRole::Output, ElementType::F32,
                        {uint64_t(model.resultSlice->rows),
                         uint64_t(model.resultSlice->cols)});
    else
      return makeError("unknown model output '" + output + "'");
  }
  }
  // SpAtten's per-key importance, zero before the first layer.
  emitter.addTensor("importance", TensorRole::Scratch, ElementType::F32,
                    {uint64_t(R)},
                    std::vector<uint8_t>(size_t(R) * 4, 0));
  // Key lists spilled by prediction: two KV heads' query heads.
  int64_t maxGroup = 1;
  for (const LayerDesc &layer : model.layers)
    if (layer.kvHeads > 0)
      maxGroup = std::max(maxGroup, layer.heads / layer.kvHeads);
  emitter.addTensor("key_lists", TensorRole::Scratch, ElementType::U16,
                    {uint64_t(2 * maxGroup), uint64_t(S), uint64_t(S)});
  // Zero bytes that clear a needed-token bitmap, and the key lists of
  // dense attention: row i lists keys 0 .. S-1 (causal: 0 .. i).
  std::vector<uint8_t> zeros(llvm::alignTo((S + 7) / 8, 4), 0);
  emitter.addTensor("zeros", TensorRole::Weight, ElementType::U8,
                    {uint64_t(zeros.size())}, zeros);
  for (bool causal : {false, true}) {
    std::vector<uint8_t> table(size_t(S) * S * 2);
    for (int64_t i = 0; i < S; ++i)
      for (int64_t j = 0; j < S; ++j) {
        uint16_t value = (!causal || j <= i) ? uint16_t(j) : isa::kNoIndex;
        std::memcpy(&table[(size_t(i) * S + j) * 2], &value, 2);
      }
    emitter.addTensor(causal ? "dense_keys_causal" : "dense_keys",
                      TensorRole::Weight, ElementType::U16,
                      {uint64_t(S), uint64_t(S)}, table);
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Instruction helpers
//===----------------------------------------------------------------------===//

void Scheduler::load(uint64_t dram, const Slot &slot, uint64_t offset,
                     int64_t rows, int64_t rowBytes, int64_t dramStride,
                     int64_t bufStride) {
  Instruction inst = makeInst(Opcode::Load, 0,
                              {{3, slot.word(offset)},
                               {4, u32(rows)},
                               {5, u32(rowBytes)},
                               {6, u32(dramStride)},
                               {7, u32(bufStride)}});
  inst.setDramAddress(dram);
  emitter.emit(inst, {}, {access2d(slot, offset, rows, rowBytes, bufStride)});
}

void Scheduler::store(uint64_t dram, const Slot &slot, uint64_t offset,
                      int64_t rows, int64_t rowBytes, int64_t dramStride,
                      int64_t bufStride) {
  Instruction inst = makeInst(Opcode::Store, 0,
                              {{3, slot.word(offset)},
                               {4, u32(rows)},
                               {5, u32(rowBytes)},
                               {6, u32(dramStride)},
                               {7, u32(bufStride)}});
  inst.setDramAddress(dram);
  emitter.emit(inst, {access2d(slot, offset, rows, rowBytes, bufStride)}, {});
}

void Scheduler::dequant(const Slot &x, const Slot &y, int64_t m, int64_t n,
                        const Slot *rowScales, uint64_t rowOffset,
                        const Slot *colScales, uint64_t colOffset, int64_t ld,
                        bool accumulate) {
  Instruction inst = makeInst(
      Opcode::Dequant, accumulate ? isa::Flag::Accumulate : 0,
      {{1, x.word()},
       {2, y.word()},
       {3, u32(m)},
       {4, u32(n)},
       {5, rowScales ? rowScales->word(rowOffset) : isa::kNoBuffer},
       {6, colScales ? colScales->word(colOffset) : isa::kNoBuffer},
       {7, f32Bits(1.0f)},
       {8, u32(ld)},
       {9, u32(ld)}});
  std::vector<Access> reads = {access2d(x, 0, m, n * 4, ld * 4)};
  if (rowScales)
    reads.push_back(access1d(*rowScales, rowOffset, m * 4));
  if (colScales)
    reads.push_back(access1d(*colScales, colOffset, n * 4));
  if (accumulate)
    reads.push_back(access2d(y, 0, m, n * 4, ld * 4));
  emitter.emit(inst, reads, {access2d(y, 0, m, n * 4, ld * 4)});
}

void Scheduler::quant(const Slot &x, uint64_t xOffset, int64_t ldx,
                      const Slot &y, int64_t ldy, const Slot &scales,
                      uint64_t scaleOffset, int64_t m, int64_t n, unsigned bits,
                      bool perTensor) {
  unsigned bytes = containerBytes(bits);
  Instruction inst = makeInst(Opcode::Quant, perTensor ? isa::Flag::PerTensor : 0,
                              {{1, x.word(xOffset)},
                               {2, y.word()},
                               {3, u32(m)},
                               {4, u32(n)},
                               {5, bits},
                               {6, scales.word(scaleOffset)},
                               {7, u32(ldx)},
                               {8, u32(ldy)}});
  emitter.emit(inst, {access2d(x, xOffset, m, n * 4, ldx * 4)},
               {access2d(y, 0, m, n * bytes, ldy * bytes),
                access1d(scales, scaleOffset, (perTensor ? 1 : m) * 4)});
}

void Scheduler::binary(Opcode op, const Slot &a, const Slot &b, const Slot &y,
                       int64_t m, int64_t n, int64_t lda, int64_t ldb,
                       int64_t ldy, bool rowBroadcast) {
  Instruction inst = makeInst(op, rowBroadcast ? isa::Flag::RowBroadcast : 0,
                              {{1, a.word()},
                               {2, b.word()},
                               {3, y.word()},
                               {4, u32(m)},
                               {5, u32(n)},
                               {6, u32(lda)},
                               {7, u32(ldb)},
                               {8, u32(ldy)}});
  emitter.emit(inst,
               {access2d(a, 0, m, n * 4, lda * 4),
                access2d(b, 0, rowBroadcast ? 1 : m, n * 4, ldb * 4)},
               {access2d(y, 0, m, n * 4, ldy * 4)});
}

//===----------------------------------------------------------------------===//
// Passes
//===----------------------------------------------------------------------===//

llvm::Expected<Slot> Scheduler::allocateAny(std::initializer_list<Role> roles,
                                             uint64_t bytes,
                                             llvm::StringRef what) {
  llvm::Error last = llvm::Error::success();
  for (Role role : roles) {
    llvm::consumeError(std::move(last));
    llvm::Expected<Slot> slot = arena(role).allocate(bytes, what);
    if (slot)
      return slot;
    last = slot.takeError();
  }
  return std::move(last);
}

llvm::Error Scheduler::rope(const Slot &y, int64_t rows, int64_t cols,
                            int64_t ld, int64_t position,
                            llvm::StringRef what) {
  const RopeDesc &tables = *model.rope;
  int64_t half = tables.headDim / 2;
  Arena &temp = arena(Role::Temp), &token = arena(Role::Token);
  uint32_t marks[2] = {temp.mark(), token.mark()};
  std::array<Slot, 2> slots;
  for (unsigned i = 0; i < 2; ++i) {
    auto slot = allocateAny({Role::Token, Role::Temp}, rows * half * 4,
                            (what + ": a rotary table").str());
    if (!slot)
      return slot.takeError();
    slots[i] = *slot;
    load(tensor(i == 0 ? "rope.cos" : "rope.sin") + position * half * 4,
         slots[i], 0, rows, half * 4, half * 4, half * 4);
  }
  Instruction inst = makeInst(
      Opcode::Rope, tables.halfSplit ? isa::Flag::HalfSplit : 0,
      {{1, y.word()}, {2, y.word()}, {3, u32(rows)}, {4, u32(cols)},
       {5, u32(ld)}, {6, u32(ld)}, {7, slots[0].word()},
       {8, u32(tables.headDim)}, {9, slots[1].word()}});
  Access tile = access2d(y, 0, rows, cols * 4, ld * 4);
  emitter.emit(inst,
               {tile, access1d(slots[0], 0, rows * half * 4),
                access1d(slots[1], 0, rows * half * 4)},
               {tile});
  temp.release(marks[0]);
  token.release(marks[1]);
  return llvm::Error::success();
}

Projection Scheduler::projectionOf(llvm::StringRef weightName,
                                   const WeightDesc &weight,
                                   const std::string &what) {
  Projection p;
  p.what = what;
  p.xq = tensor("xq");
  p.xs = tensor("xs");
  p.inner = weight.in;
  p.w = tensor(weightName);
  p.ws = tensor((weightName + ".scales").str());
  if (weight.hasBias)
    p.bias = tensor((weightName + ".bias").str());
  p.weightCols = weight.out;
  p.cols = weight.out;
  p.outCols = weight.out;
  return p;
}

llvm::Error Scheduler::scheduleEmbedding() {
  int64_t S = totalRows(), H = model.hidden;
  emitter.beginStage("other", -1);
  Arena &token = arena(Role::Token);
  uint32_t mark = token.mark();
  int64_t rows = std::max<int64_t>(
      1, std::min<int64_t>(S, token.capacity() / (2 * (H * 4 + 4) + kGranule)));
  ALLOC(ids, token, rows * 4, "the token ids of an embedding tile");
  ALLOC(table, token, rows * H * 4, "an embedding tile");
  for (int64_t r0 = 0; r0 < S; r0 += rows) {
    int64_t tr = std::min(rows, S - r0);
    load(tensor("tokens") + r0 * 4, ids, 0, 1, tr * 4, tr * 4, tr * 4);
    Instruction inst = makeInst(Opcode::LoadRows, 0,
                                {{3, table.word()},
                                 {4, u32(tr)},
                                 {5, u32(H * 4)},
                                 {6, u32(H * 4)},
                                 {7, u32(H * 4)},
                                 {8, ids.word()},
                                 {9, u32(model.vocab)}});
    inst.setDramAddress(tensor("embedding"));
    emitter.emit(inst, {access1d(ids, 0, tr * 4)},
                 {access1d(table, 0, tr * H * 4)});
    store(tensor("x") + r0 * H * 4, table, 0, 1, tr * H * 4, tr * H * 4,
          tr * H * 4);
  }
  token.release(mark);
  return llvm::Error::success();
}

llvm::Error Scheduler::scheduleNormQuant(const NormDesc *norm,
                                         llvm::StringRef normName, uint64_t src,
                                         int64_t cols, llvm::StringRef what,
                                         uint64_t normalizedOut,
                                         llvm::StringRef quantized) {
  int64_t S = totalRows();
  Marks marks = markAll();
  // Working set: the gain (and bias), the f32 rows in the token region and,
  // twice for double buffering of the stores, the INT8 rows and scales. The
  // small parts go wherever the vector unit has room.
  // The f32 rows take the token region, or the KV region when it has more
  // room (a narrow token buffer and a wide feed-forward layer).
  Role rowsRole = Role::Token;
  auto freeBytes = [&](Role role) {
    return int64_t(arena(role).capacity()) - int64_t(arena(role).mark());
  };
  if (freeBytes(Role::Kv) > freeBytes(Role::Token))
    rowsRole = Role::Kv;
  int64_t free = freeBytes(rowsRole) - 4 * kGranule;
  int64_t rows = std::min<int64_t>(
      {S, rowTile, std::max<int64_t>(1, free / (cols * 4))});
  ALLOC(xt, arena(rowsRole), rows * cols * 4, (what + " rows").str());
  const auto anywhere = {Role::Kv, Role::Temp, Role::Token};
  ALLOC_ANY(gain, anywhere, norm ? cols * 4 : 0, (what + " gain").str());
  std::optional<Slot> bias;
  if (norm && norm->bias) {
    ALLOC_ANY(b, anywhere, cols * 4, (what + " bias").str());
    bias = b;
  }
  std::array<Slot, 2> qt, st;
  for (unsigned i = 0; i < 2; ++i) {
    ALLOC_ANY(q, anywhere, rows * cols, (what + " INT8 rows").str());
    ALLOC_ANY(sc, anywhere, rows * 4, (what + " scales").str());
    qt[i] = q;
    st[i] = sc;
  }
  if (norm) {
    load(tensor((normName + ".gain").str()), gain, 0, 1, cols * 4, cols * 4,
         cols * 4);
    if (bias)
      load(tensor((normName + ".bias").str()), *bias, 0, 1, cols * 4, cols * 4,
           cols * 4);
  }
  unsigned parity = 0;
  for (int64_t r0 = 0; r0 < S; r0 += rows) {
    int64_t tr = std::min(rows, S - r0);
    load(src + r0 * cols * 4, xt, 0, 1, tr * cols * 4, tr * cols * 4,
         tr * cols * 4);
    if (norm) {
      bool layer = norm->kind == NormKind::Layer;
      Instruction inst = makeInst(
          layer ? Opcode::LayerNorm : Opcode::RmsNorm, 0,
          {{1, xt.word()},
           {2, gain.word()},
           {3, xt.word()},
           {4, u32(tr)},
           {5, u32(cols)},
           {6, f32Bits(norm->eps)},
           {7, u32(cols)},
           {8, u32(cols)},
           {9, layer ? bias->word() : 0}});
      std::vector<Access> reads = {access1d(xt, 0, tr * cols * 4),
                                   access1d(gain, 0, cols * 4)};
      if (layer)
        reads.push_back(access1d(*bias, 0, cols * 4));
      emitter.emit(inst, reads, {access1d(xt, 0, tr * cols * 4)});
      if (normalizedOut != UINT64_MAX)
        store(normalizedOut + r0 * cols * 4, xt, 0, 1, tr * cols * 4,
              tr * cols * 4, tr * cols * 4);
    }
    const Slot &q = qt[parity], &sc = st[parity];
    parity ^= 1;
    quant(xt, 0, cols, q, cols, sc, 0, tr, cols, 8, false);
    store(tensor(quantized) + r0 * cols, q, 0, 1, tr * cols, tr * cols,
          tr * cols);
    std::string scales =
        quantized == "xq" ? std::string("xs") : (quantized + ".scales").str();
    store(tensor(scales) + r0 * 4, sc, 0, 1, tr * 4, tr * 4, tr * 4);
  }
  releaseAll(marks);
  return llvm::Error::success();
}

llvm::Error Scheduler::scheduleProjection(const Projection &p) {
  int64_t S = totalRows();
  int64_t tn = std::min(colTile, p.cols);
  if (p.align > 1) {
    tn = std::max(p.align, tn / p.align * p.align);
    if (p.cols % p.align != 0)
      return makeError(llvm::formatv("{0}: {1} columns are not a multiple of "
                                     "the head dimension {2}",
                                     p.what, p.cols, p.align));
  }
  int64_t tm = std::min(rowTile, S);
  int64_t G = std::min(innerTile, p.inner);
  Arena &token = arena(Role::Token), &weight = arena(Role::Weight),
        &temp = arena(Role::Temp), &kv = arena(Role::Kv);
  // An aligned column tile can be wider than the chosen one; shrink the
  // inner and row tiles of this projection until its tiles fit.
  auto freeBytes = [](const Arena &arena) {
    return int64_t(arena.capacity()) - int64_t(arena.mark());
  };
  while (G > 16 && (2 * int64_t(llvm::alignTo(G * tn, kGranule)) > freeBytes(weight) ||
                    2 * int64_t(llvm::alignTo(tm * G, kGranule)) > freeBytes(token)))
    G /= 2;
  while (tm > 1 && (2 * int64_t(llvm::alignTo(tm * tn * 4, kGranule)) +
                            4 * kGranule > freeBytes(temp) ||
                        3 * int64_t(llvm::alignTo(tm * tn * 4, kGranule)) >
                            freeBytes(kv) + freeBytes(temp) / 2))
    tm = (tm + 1) / 2;
  int64_t kTiles = (p.inner + G - 1) / G;
  uint32_t marks[4] = {token.mark(), weight.mark(), temp.mark(), kv.mark()};
  // GEMM outputs go to the temp region. The f32 results and the epilogue
  // operand go where the vector unit has room, first the KV region, which
  // is idle while projections run.
  std::array<Slot, 2> xTiles, wTiles, cTiles, yTiles;
  for (unsigned i = 0; i < 2; ++i) {
    ALLOC(x, token, tm * G, p.what + ": an INT8 input tile");
    ALLOC(w, weight, G * tn, p.what + ": an INT8 weight tile");
    ALLOC(c, temp, tm * tn * 4, p.what + ": a GEMM output tile");
    auto y = allocateAny({Role::Kv, Role::Temp, Role::Token}, tm * tn * 4,
                         p.what + ": an f32 result tile");
    if (!y)
      return y.takeError();
    xTiles[i] = x;
    wTiles[i] = w;
    cTiles[i] = c;
    yTiles[i] = *y;
  }
  auto operandOrErr = allocateAny({Role::Kv, Role::Temp, Role::Token},
                                  tm * tn * 4,
                                  p.what + ": an epilogue operand tile");
  if (!operandOrErr)
    return operandOrErr.takeError();
  Slot operand = *operandOrErr;
  ALLOC(xScales, temp, tm * 4, p.what + ": the input scales");
  ALLOC(wScales, temp, tn * 4, p.what + ": the weight scales");
  std::optional<Slot> biasTile;
  if (p.bias != UINT64_MAX) {
    ALLOC(b, temp, tn * 4, p.what + ": the bias");
    biasTile = b;
  }
  // With one inner tile the input tile stays for every column tile.
  bool stationary = kTiles == 1;
  unsigned xPhase = 0, wPhase = 0, cPhase = 0, yPhase = 0;

  for (int64_t m0 = 0; m0 < S; m0 += tm) {
    int64_t rows = std::min(tm, S - m0);
    load(p.xs + m0 * 4, xScales, 0, 1, rows * 4, rows * 4, rows * 4);
    if (stationary) {
      xPhase ^= 1;
      load(p.xq + m0 * p.inner, xTiles[xPhase], 0, rows, p.inner, p.inner, G);
    }
    for (int64_t n0 = 0; n0 < p.cols; n0 += tn) {
      int64_t cols = std::min(tn, p.cols - n0);
      load(p.ws + (p.colBase + n0) * 4, wScales, 0, 1, cols * 4, cols * 4,
           cols * 4);
      if (biasTile)
        load(p.bias + (p.colBase + n0) * 4, *biasTile, 0, 1, cols * 4,
             cols * 4, cols * 4);
      cPhase ^= 1;
      const Slot &c = cTiles[cPhase];
      for (int64_t kt = 0; kt < kTiles; ++kt) {
        int64_t k0 = kt * G;
        int64_t tk = std::min(G, p.inner - k0);
        if (!stationary) {
          xPhase ^= 1;
          load(p.xq + m0 * p.inner + k0, xTiles[xPhase], 0, rows, tk, p.inner,
               G);
        }
        wPhase ^= 1;
        const Slot &w = wTiles[wPhase];
        load(p.w + k0 * p.weightCols + p.colBase + n0, w, 0, tk, cols,
             p.weightCols, tn);
        const Slot &x = xTiles[xPhase];
        Instruction gemm = makeInst(Opcode::Gemm,
                                    kt > 0 ? isa::Flag::Accumulate : 0,
                                    {{1, x.word()},
                                     {2, w.word()},
                                     {3, c.word()},
                                     {4, u32(rows)},
                                     {5, u32(cols)},
                                     {6, u32(tk)},
                                     {7, u32(G)},
                                     {8, u32(tn)},
                                     {9, u32(tn)}});
        std::vector<Access> reads = {access2d(x, 0, rows, tk, G),
                                     access2d(w, 0, tk, cols, tn)};
        if (kt > 0)
          reads.push_back(access2d(c, 0, rows, cols * 4, tn * 4));
        emitter.emit(gemm, reads, {access2d(c, 0, rows, cols * 4, tn * 4)});
      }
      yPhase ^= 1;
      const Slot &y = yTiles[yPhase];
      dequant(c, y, rows, cols, &xScales, 0, &wScales, 0, tn, false);
      const Epilogue &e = p.epilogue;
      if (biasTile)
        binary(Opcode::Add, y, *biasTile, y, rows, cols, tn, cols, tn, true);
      if (e.rope)
        if (auto error = rope(y, rows, cols, tn, m0, p.what))
          return error;
      if (e.silu || e.gelu || e.relu) {
        Opcode kind = e.silu ? Opcode::Silu
                      : e.gelu ? Opcode::Gelu
                               : Opcode::Relu;
        Instruction act = makeInst(kind, 0,
                                   {{1, y.word()},
                                    {2, y.word()},
                                    {3, u32(rows)},
                                    {4, u32(cols)},
                                    {5, u32(tn)},
                                    {6, u32(tn)}});
        Access tile = access2d(y, 0, rows, cols * 4, tn * 4);
        emitter.emit(act, {tile}, {tile});
      }
      uint64_t outOffset = (m0 * p.outCols + n0) * 4;
      for (auto [source, op] : {std::pair(e.multiplyBy, Opcode::Mul),
                                std::pair(e.addFrom, Opcode::Add)}) {
        if (source == UINT64_MAX)
          continue;
        load(source + outOffset, operand, 0, rows, cols * 4, p.outCols * 4,
             tn * 4);
        binary(op, y, operand, y, rows, cols, tn, tn, tn, false);
      }
      store(p.out + outOffset, y, 0, rows, cols * 4, p.outCols * 4, tn * 4);
    }
  }
  token.release(marks[0]);
  weight.release(marks[1]);
  temp.release(marks[2]);
  kv.release(marks[3]);
  return llvm::Error::success();
}

llvm::Expected<isa::StreamFile> Scheduler::run(ScheduleSummary *summary) {
  bool needsVocab = model.hasEmbedding || model.hasHead;
  if (model.seqLen <= 0 || model.hidden <= 0 || model.batch <= 0 ||
      (needsVocab && model.vocab <= 0))
    return makeError(llvm::formatv(
        "the model has batch {0}, sequence length {1}, hidden size {2} and "
        "vocabulary {3}; all must be positive",
        model.batch, model.seqLen, model.hidden, model.vocab));
  for (const LayerDesc &layer : model.layers)
    if (layer.rotary && model.batch > 1)
      return makeError(llvm::formatv(
          "rotary embedding with batch {0} is not supported: the rotary "
          "tables are indexed by position within one sequence; compile one "
          "sequence at a time",
          model.batch));
  if (model.seqLen > isa::kNoIndex)
    return makeError(llvm::formatv(
        "sequence length {0} exceeds {1}, the largest token index a 16-bit "
        "key list holds",
        model.seqLen, isa::kNoIndex - 1));
  if (auto error = assignRoles())
    return std::move(error);
  if (auto error = chooseTiles())
    return std::move(error);
  // One head's keys in f32 must fit a buffer region. Checking it here keeps
  // a far too long sequence from building its S x S tables first.
  for (auto [l, layer] : llvm::enumerate(model.layers)) {
    uint64_t staging = uint64_t(model.seqLen) * uint64_t(layer.headDim) * 4;
    uint64_t largest = 0;
    llvm::StringRef where;
    for (Role role : {Role::Temp, Role::Kv, Role::Token})
      if (arena(role).capacity() > largest) {
        largest = arena(role).capacity();
        where = arena(role).buffer_name();
      }
    if (staging > largest)
      return makeError(llvm::formatv(
          "sequence length {0} does not fit '{1}': layer {2} needs {3} bytes "
          "for one head's keys in f32 (sequence x head dimension {4} x 4), "
          "and the largest region for them ({5}) holds {6}; use a shorter "
          "sequence or a configuration with larger buffers",
          model.seqLen, config.name, l, staging, layer.headDim, where,
          largest));
  }
  file.configFingerprint = config.fingerprint();
  file.configName = config.name;
  if (auto error = addWeights())
    return std::move(error);
  if (model.program)
    return runProgram(summary);

  int64_t H = model.hidden;
  // The layer input: the embedding output in x, or the input tensor.
  uint64_t currentX = tensor("x");
  if (model.hasEmbedding) {
    if (auto error = scheduleEmbedding())
      return std::move(error);
  } else {
    currentX = tensor("input");
  }
  for (unsigned l = 0; l < model.layers.size(); ++l) {
    const LayerDesc &layer = model.layers[l];
    int64_t qCols = layer.heads * layer.headDim;
    emitter.beginStage("other", int32_t(l));
    if (auto e = scheduleNormQuant(layer.hasAttentionNorm ? &layer.attentionNorm
                                                          : nullptr,
                                   layerName(l, "attention_norm"),
                                   currentX, H,
                                   llvm::formatv("layer {0} attention norm", l).str()))
      return std::move(e);
    Projection query = projectionOf(
        layerName(l, "wq"), layer.query,
        llvm::formatv("layer {0} query projection", l).str());
    query.out = tensor("q");
    query.epilogue.rope = layer.rotary;
    query.epilogue.headDim = layer.headDim;
    query.align = layer.rotary ? layer.headDim : 1;
    if (auto e = scheduleProjection(query))
      return std::move(e);
    attentionIo = {tensor("q"),  tensor("attention"), tensor("xq"),
                   tensor("xs"), tensor("xq"),        tensor("xs"),
                   H,            H};
    if (auto e = scheduleAttention(l))
      return std::move(e);

    emitter.beginStage("other", int32_t(l));
    if (auto e = scheduleNormQuant(nullptr, "", tensor("attention"), qCols,
                                   llvm::formatv("layer {0} attention output", l).str()))
      return std::move(e);
    Projection output = projectionOf(
        layerName(l, "wo"), layer.output,
        llvm::formatv("layer {0} output projection", l).str());
    output.out = tensor("x");
    if (layer.residual)
      output.epilogue.addFrom = currentX;
    if (auto e = scheduleProjection(output))
      return std::move(e);
    currentX = tensor("x");
    if (!layer.hasFfn)
      continue;

    emitter.beginStage("ffn", int32_t(l));
    if (auto e = scheduleNormQuant(&layer.ffnNorm, layerName(l, "ffn_norm"),
                                   tensor("x"), H,
                                   llvm::formatv("layer {0} feed-forward norm", l).str()))
      return std::move(e);
    int64_t F = layer.up.out;
    auto ffnProjection = [&](llvm::StringRef name, const WeightDesc &weight,
                             llvm::StringRef what) {
      return projectionOf(layerName(l, name), weight,
                          llvm::formatv("layer {0} {1}", l, what).str());
    };
    if (layer.ffn == FfnKind::SwiGlu) {
      Projection gate = ffnProjection("w_gate", layer.gate, "gate projection");
      gate.out = tensor("gate");
      gate.epilogue.silu = true;
      if (auto e = scheduleProjection(gate))
        return std::move(e);
      Projection up = ffnProjection("w_up", layer.up, "up projection");
      up.out = tensor("ffn_hidden");
      up.epilogue.multiplyBy = tensor("gate");
      if (auto e = scheduleProjection(up))
        return std::move(e);
    } else {
      Projection up = ffnProjection("w_up", layer.up, "up projection");
      up.out = tensor("ffn_hidden");
      up.epilogue.gelu = true;
      if (auto e = scheduleProjection(up))
        return std::move(e);
    }
    if (auto e = scheduleNormQuant(nullptr, "", tensor("ffn_hidden"), F,
                                   llvm::formatv("layer {0} feed-forward hidden", l).str()))
      return std::move(e);
    Projection down = ffnProjection("w_down", layer.down, "down projection");
    down.out = tensor("x");
    down.epilogue.addFrom = tensor("x");
    if (auto e = scheduleProjection(down))
      return std::move(e);
  }

  emitter.beginStage("other", -1);
  if (auto e = scheduleOutputs(currentX))
    return std::move(e);
  if (!model.hasHead) {
    emitter.finish();
    return finishSummary(summary);
  }
  bool storeNormed = llvm::is_contained(model.outputs, "final_norm");
  if (auto e = scheduleNormQuant(&model.finalNorm, "final_norm", tensor("x"), H,
                                 "final norm",
                                 storeNormed ? tensor("final_norm") : UINT64_MAX))
    return std::move(e);
  Projection head = projectionOf("lm_head", model.lmHead, "language-model head");
  head.out = tensor("logits");
  if (auto e = scheduleProjection(head))
    return std::move(e);
  emitter.finish();
  return finishSummary(summary);
}

llvm::Expected<isa::StreamFile>
Scheduler::finishSummary(ScheduleSummary *summary) {
  if (summary) {
    summary->rowTile = rowTile;
    summary->colTile = colTile;
    summary->innerTile = innerTile;
    std::array<uint64_t, 256> byOpcode{};
    for (const Instruction &inst : file.instructions)
      ++byOpcode[static_cast<uint8_t>(inst.opcode())];
    std::map<std::string, uint64_t> counts;
    for (unsigned raw = 0; raw < byOpcode.size(); ++raw)
      if (byOpcode[raw])
        counts[std::string(isa::opcodeName(static_cast<isa::Opcode>(raw)))] =
            byOpcode[raw];
    summary->opcodeCounts.assign(counts.begin(), counts.end());
  }
  return std::move(file);
}

llvm::Error Scheduler::scheduleOutputs(uint64_t last) {
  int64_t R = totalRows(), H = model.hidden;
  Arena &token = arena(Role::Token);
  uint32_t mark = token.mark();
  for (const std::string &output : model.outputs) {
    if (output != "hidden" && output != "result")
      continue;
    // DMA moves DRAM to DRAM through the token buffer.
    int64_t row = 0, rows = R, col = 0, cols = H;
    if (output == "result") {
      row = model.resultSlice->row;
      rows = model.resultSlice->rows;
      col = model.resultSlice->col;
      cols = model.resultSlice->cols;
    }
    int64_t perTile = std::max<int64_t>(
        1, (int64_t(token.capacity()) - int64_t(token.mark())) / (cols * 4 + kGranule));
    int64_t tile = std::min(rows, perTile);
    ALLOC(staging, token, tile * cols * 4, "the " + output + " output rows");
    for (int64_t r0 = 0; r0 < rows; r0 += tile) {
      int64_t tr = std::min(tile, rows - r0);
      load(last + ((row + r0) * H + col) * 4, staging, 0, tr, cols * 4, H * 4,
           cols * 4);
      store(tensor(output) + r0 * cols * 4, staging, 0, tr, cols * 4, cols * 4,
            cols * 4);
    }
    token.release(mark);
  }
  return llvm::Error::success();
}


llvm::Error
lapa::schedule::checkPredictorSupport(const predict::PredictorConfig &predictor,
                                      const hardware::HardwareConfig *config) {
  Scheme scheme = predictor.scheme;
  std::string name(predict::schemeName(scheme));
  if (scheme == Scheme::Oracle)
    return makeError(llvm::formatv(
        "the compiler does not schedule the {0} predictor, because it needs "
        "float scores that no instruction computes; use lapa, sofa, fact, "
        "sanger, energon, spatten or dense",
        name));
  bool aloc = scheme == Scheme::Lapa || scheme == Scheme::Sofa;
  if (aloc && predictor.select == predict::SelectMode::Threshold)
    return makeError(llvm::formatv(
        "predictor {0} with select=threshold needs the logit scale of "
        "scores quantized at run time, which the compiler does not know; "
        "use select=topk",
        name));
  if (aloc) {
    for (unsigned bits : predictor.accumulatorBits)
      if (bits > 32)
        return makeError(llvm::formatv(
            "predictor {0} keeps {1}-bit partial scores, and the partial-score "
            "matrix of the instruction set holds 32 bits; lower "
            "accumulator_bits (with key_bits or query_bits) so that they fit",
            name, bits));
  }
  if (scheme == Scheme::Dense || !config)
    return llvm::Error::success();
  const auto &unit = config->speculationUnit;
  if (!unit || !unit->filter)
    return makeError(llvm::formatv(
        "predictor {0} needs a speculation unit with a filter, and "
        "configuration '{1}' has none; use predictor=dense or a "
        "configuration with prediction hardware",
        name, config->name));
  if (aloc && (!unit->shiftArray || !unit->leadingOneEncoders))
    return makeError(llvm::formatv(
        "predictor {0} needs a shift array and leading-one encoders, and "
        "configuration '{1}' lacks them; use a configuration that has them, "
        "such as examples/hw/lapa-28nm.yaml",
        name, config->name));
  return llvm::Error::success();
}

llvm::Expected<isa::StreamFile>
lapa::schedule::scheduleModel(const ModelDesc &model,
                              const hardware::HardwareConfig &config,
                              const ScheduleOptions &options,
                              ScheduleSummary *summary) {
  llvm::Expected<isa::StreamFile> result =
      Scheduler(model, config, options).run(summary);
  if (result || options.rowTile != 0)
    return result;
  // With automatic row tiles, a smaller query tile may fit where the
  // default did not: try halving it before reporting the first failure.
  llvm::Error first = result.takeError();
  if (!first.isA<NoRoomError>())
    return std::move(first);
  // Then narrower inner tiles, which shrink the INT8 input tiles of every
  // token that the K and V projections keep next to their f32 results.
  std::vector<std::pair<int64_t, int64_t>> attempts;
  for (int64_t rows = 32; rows >= 1; rows /= 2)
    attempts.push_back({rows, options.innerTile});
  if (options.innerTile == 0)
    for (int64_t inner = 64; inner >= 16; inner /= 2)
      for (int64_t rows = 64; rows >= 8; rows /= 2)
        attempts.push_back({rows, inner});
  for (auto [rows, inner] : attempts) {
    ScheduleOptions retry = options;
    retry.rowTile = rows;
    retry.innerTile = inner;
    llvm::Expected<isa::StreamFile> attempt =
        Scheduler(model, config, retry).run(summary);
    if (attempt) {
      llvm::consumeError(std::move(first));
      return attempt;
    }
    llvm::Error error = attempt.takeError();
    if (!error.isA<NoRoomError>()) {
      llvm::consumeError(std::move(first));
      return std::move(error);
    }
    llvm::consumeError(std::move(error));
  }
  return std::move(first);
}
