//===- ScheduleAttention.cpp - The attention of one layer ---------------===//
//
// Per sequence and KV head: first the prediction (LAPA/SOFA shift-add
// rounds, SpAtten importance, or the peers' predict after K). Then the K and
// V projections, gathered to the needed tokens after LAPA's and SpAtten's
// prediction. Then per query head and tile SDDMM, softmax, SpMM and the
// output store.
//
//===----------------------------------------------------------------------===//

#include "Scheduler.h"

#include "lapa/Predict/Predictor.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace lapa;
using namespace lapa::schedule;
using namespace lapa::schedule::detail;

llvm::Error Scheduler::scheduleAttention(unsigned l) {
  const LayerDesc &layer = model.layers[l];
  const predict::PredictorConfig &predictor = layer.predictor;
  Scheme scheme = predictor.scheme;
  if (auto e = checkPredictorSupport(predictor, &config))
    return makeError(llvm::formatv("layer {0}: {1}", l,
                                   llvm::toString(std::move(e))));
  // SpAtten selects keys by the attention probability they received in
  // earlier layers; its first layer has none and keeps every key.
  bool spatten = scheme == Scheme::Spatten;
  bool dense = scheme == Scheme::Dense || (spatten && !importanceReady);
  bool aloc = scheme == Scheme::Lapa || scheme == Scheme::Sofa;
  bool spattenPrune = spatten && !dense;
  bool peer = !dense && !aloc && !spatten;

  int64_t S = model.seqLen, d = layer.headDim;
  // The key and value projections read the quantized rows of their inputs:
  // the same normalized layer input in the layer template, two values of a
  // program (MobileBERT projects keys from its bottleneck and values from
  // the layer input).
  const AttentionIo &io = attentionIo;
  int64_t H = std::max(io.keyWidth, io.valueWidth);
  if (layer.heads <= 0 || layer.kvHeads <= 0 || d <= 0 ||
      layer.heads % layer.kvHeads != 0)
    return makeError(llvm::formatv(
        "layer {0} has {1} heads, {2} key/value heads and head dimension "
        "{3}; the counts must be positive and the heads a multiple of the "
        "key/value heads",
        l, layer.heads, layer.kvHeads, d));
  int64_t group = layer.heads / layer.kvHeads;
  int64_t qCols = layer.heads * d, kvCols = layer.kvHeads * d;
  int64_t G = std::min(innerTile, H);
  while (G > 16 && (2 * int64_t(llvm::alignTo(G * d, kGranule)) >
                        int64_t(arena(Role::Weight).capacity()) ||
                    2 * int64_t(llvm::alignTo(S * G, kGranule)) >
                        int64_t(arena(Role::Token).capacity()) / 2))
    G /= 2;
  // Key slots per query row: every visible key for dense attention and
  // threshold selection, else the top-k of the longest row.
  int64_t slots = (dense || predictor.select == predict::SelectMode::Threshold)
                      ? S
                      : predictor.keptKeys(unsigned(S));
  unsigned record = dense ? 0 : recordFor(predictor);
  unsigned keyBits = aloc ? predictor.keyBits : predict::keyOperandBits(predictor);
  unsigned queryBits = predict::queryOperandBits(predictor);
  uint8_t causal = layer.causal ? isa::Flag::Causal : 0;
  int64_t bitmapBytes = llvm::alignTo((S + 7) / 8, 4);
  std::string what = llvm::formatv("layer {0} attention", l);

  Arena &token = arena(Role::Token), &weight = arena(Role::Weight),
        &kv = arena(Role::Kv), &temp = arena(Role::Temp),
        &spec = arena(Role::Speculation);
  uint32_t marks[5] = {token.mark(), weight.mark(), kv.mark(), temp.mark(),
                       spec.mark()};

  // The per-key importance sums of the current sequence, on chip during
  // the layer and in DRAM between layers.
  std::optional<Slot> importanceSums;
  if (spatten) {
    ALLOC_ANY(sums, (std::initializer_list<Role>{Role::Temp, Role::Kv,
                                                  Role::Token}),
              S * 4, what + ": the key importance sums");
    importanceSums = sums;
  }

  // Per layer: every token's input scales, two K and V heads (alternating
  // by KV head), their scales, and the key lists of a KV head's queries.
  ALLOC(xsAll, temp, S * 4, what + ": the input scales of every token");
  // The value input's scales, when the values read another input.
  bool separateValueInput = io.valueXq != io.keyXq;
  Slot xsValue = xsAll;
  if (separateValueInput) {
    ALLOC(xsv, temp, S * 4, what + ": the value input scales of every token");
    xsValue = xsv;
  }
  std::array<Slot, 2> kHead, vHead, kScale, vScale, kStep, indices, needed;
  bool spill = false;
  // Where the key lists of query head `hh`, rows from `r0`, go: the
  // speculation buffer, or a tile slot that is then stored to DRAM.
  auto listsInDram = [&](unsigned parity, int64_t hh, int64_t r0) {
    return tensor("key_lists") + ((parity * group + hh) * S + r0) * slots * 2;
  };
  for (unsigned i = 0; i < 2; ++i) {
    ALLOC(k, kv, S * d, what + ": the INT8 keys of a head");
    ALLOC(v, kv, S * d, what + ": the INT8 values of a head");
    ALLOC(ks, temp, 4, what + ": a key scale");
    ALLOC(vs, temp, 4, what + ": a value scale");
    kHead[i] = k;
    vHead[i] = v;
    kScale[i] = ks;
    vScale[i] = vs;
    if (!dense) {
      // The second copy lets prediction of the next KV head overlap
      // attention of this one. Without room for it both share one. Without
      // room for one, the lists go to DRAM tile by tile.
      if (!spill) {
        llvm::Expected<Slot> idx = spec.allocate(
            group * S * slots * 2, what + ": the key lists of a head group");
        if (!idx) {
          llvm::consumeError(idx.takeError());
          if (i == 0)
            spill = true;
          else
            idx = indices[0];
        }
        if (idx)
          indices[i] = *idx;
      }
      ALLOC(need, spec, bitmapBytes, what + ": a needed-token bitmap");
      ALLOC(step, temp, 4, what + ": a key step");
      needed[i] = need;
      kStep[i] = step;
    }
  }
  std::optional<Slot> kPred, khat, khatScale;
  if (peer) {
    ALLOC_ANY(kp, (std::initializer_list<Role>{Role::Speculation, Role::Kv,
                                                Role::Token}),
              S * d * containerBytes(keyBits),
              what + ": the keys at the predictor's width");
    kPred = kp;
  }
  if (aloc) {
    // K-hat is read by the shift array; a buffer without a speculation
    // region of its own (SOFA's) has more room in the KV or token region.
    ALLOC_ANY(kh, (std::initializer_list<Role>{Role::Speculation, Role::Kv,
                                                Role::Token}),
              S * d * containerBytes(keyBits), what + ": K-hat");
    ALLOC(khs, temp, 4, what + ": the K-hat scale");
    khat = kh;
    khatScale = khs;
  }
  // The first row of the current sequence in the row-wise tensors.
  int64_t base = 0;

  // Projects the S x d block of one KV head (K-hat with shift-adds, or K
  // or V with the MAC array, optionally only the needed rows) into f32.
  std::array<Slot, 2> xTiles;
  for (unsigned i = 0; i < 2; ++i) {
    ALLOC(x, token, S * G, what + ": an INT8 input tile of every token");
    xTiles[i] = x;
  }
  // With several sequences, each head's H x d weight blocks (K, V and, for
  // LAPA and SOFA, the K codes) stay in the weight buffer from the first
  // sequence on when they all fit, instead of being loaded per sequence.
  llvm::StringMap<Slot> residentWeights;
  llvm::StringSet<> loadedWeights;
  {
    int64_t blocks = layer.kvHeads * (aloc ? 3 : 2);
    int64_t blockBytes = int64_t(llvm::alignTo(H * d, kGranule));
    if (model.batch > 1 && blocks * blockBytes <= int64_t(weight.capacity()) -
                                                      int64_t(weight.mark())) {
      for (int64_t kvh = 0; kvh < layer.kvHeads; ++kvh)
        for (llvm::StringRef name : {"wk", "wv", "wk.codes"}) {
          if (name == "wk.codes" && !aloc)
            continue;
          ALLOC(block, weight, H * d, what + ": a head's resident weights");
          residentWeights[(name + "/" + llvm::Twine(kvh)).str()] = block;
        }
    }
  }
  auto projectHead = [&](int64_t kvh, llvm::StringRef weightName,
                         bool shiftAdd, const Slot *mask,
                         const Slot &out) -> llvm::Error {
    bool isValue = weightName == "wv";
    int64_t H = isValue ? io.valueWidth : io.keyWidth;
    uint64_t xq = isValue ? io.valueXq : io.keyXq;
    uint32_t tempMark = temp.mark(), weightMark = weight.mark(),
             kvMark = kv.mark(), tokenMark = token.mark();
    // The i32 sums accumulate in `out` and are dequantized in place.
    const Slot &acc = out;
    ALLOC(wScales, temp, d * 4, what + ": a head's weight scales");
    std::string baseName = layerName(l, weightName);
    std::string dramName = shiftAdd ? baseName + ".codes" : baseName;
    std::string residentKey =
        ((shiftAdd ? weightName.str() + ".codes" : weightName.str()) + "/" +
         llvm::Twine(kvh))
            .str();
    auto resident = residentWeights.find(residentKey);
    bool isResident = resident != residentWeights.end();
    std::array<Slot, 2> wTiles;
    if (isResident) {
      if (loadedWeights.insert(residentKey).second)
        load(tensor(dramName) + kvh * d, resident->second, 0, H, d, kvCols, d);
    } else {
      for (unsigned i = 0; i < 2; ++i) {
        ALLOC(w, weight, G * d, what + ": a weight tile of one head");
        wTiles[i] = w;
      }
    }
    load(tensor(baseName + ".scales") + kvh * d * 4, wScales, 0, 1, d * 4, d * 4,
         d * 4);
    int64_t kTiles = (H + G - 1) / G;
    for (int64_t kt = 0; kt < kTiles; ++kt) {
      int64_t k0 = kt * G, tk = std::min(G, H - k0);
      const Slot &x = xTiles[tokenPingPong ^= 1];
      // A resident block is read in place: tile kt starts at row k0.
      Slot w = isResident ? resident->second : wTiles[weightPingPong ^= 1];
      if (isResident) {
        w.offset += uint32_t(k0 * d);
        w.bytes = uint64_t(tk * d);
      }
      load(xq + base * H + k0, x, 0, S, tk, H, G);
      if (!isResident)
        load(tensor(dramName) + k0 * kvCols + kvh * d, w, 0, tk, d, kvCols, d);
      uint8_t accumulate = kt > 0 ? isa::Flag::Accumulate : 0;
      Instruction inst;
      if (shiftAdd) {
        inst = makeInst(Opcode::KeyPredict, accumulate,
                        {{1, x.word()}, {2, w.word()}, {3, acc.word()},
                         {4, u32(S)}, {5, u32(d)}, {6, u32(tk)},
                         {7, u32(G)}, {8, u32(d)}, {9, u32(d)}});
      } else {
        inst = makeInst(Opcode::Gemm,
                        uint8_t(accumulate | (mask ? isa::Flag::Gather : 0)),
                        {{1, x.word()}, {2, w.word()}, {3, acc.word()},
                         {4, u32(S)}, {5, u32(d)}, {6, u32(tk)},
                         {7, u32(G)}, {8, u32(d)}, {9, u32(d)},
                         {10, mask ? mask->word() : 0},
                         {11, 0}});
      }
      std::vector<Access> reads = {access2d(x, 0, S, tk, G),
                                   access2d(w, 0, tk, d, d)};
      if (mask)
        reads.push_back(access1d(*mask, 0, bitmapBytes));
      if (kt > 0)
        reads.push_back(access1d(acc, 0, S * d * 4));
      emitter.emit(inst, reads, {access1d(acc, 0, S * d * 4)});
    }
    dequant(acc, acc, S, d, isValue ? &xsValue : &xsAll, 0, &wScales, 0, d,
            false);
    const WeightDesc &weightDesc = weightName == "wk" ? layer.key : layer.value;
    if (weightDesc.hasBias) {
      ALLOC(bias, temp, d * 4, what + ": a head's bias");
      load(tensor(layerName(l, weightName) + ".bias") + kvh * d * 4, bias, 0, 1,
           d * 4, d * 4, d * 4);
      binary(Opcode::Add, out, bias, out, S, d, d, d, d, true);
    }
    temp.release(tempMark);
    weight.release(weightMark);
    kv.release(kvMark);
    token.release(tokenMark);
    return llvm::Error::success();
  };
  // Query tiles: shrink until the attention working set fits the temp
  // region next to what is allocated above.
  int64_t tq = std::min(rowTile, S);
  auto attentionBytes = [&](int64_t rows) {
    return rows * (4 * d + 11 * slots + 24) + 12 * kGranule;
  };
  while (tq > 1 && attentionBytes(tq) >
                       int64_t(temp.capacity()) - int64_t(temp.mark()))
    tq /= 2;
  auto loadQuery = [&](const Slot &qf, int64_t h, int64_t r0, int64_t rows) {
    load(io.q + ((base + r0) * qCols + h * d) * 4, qf, 0, rows, d * 4,
         qCols * 4, d * 4);
  };

  unsigned headCount = 0;
  for (int64_t b = 0; b < model.batch; ++b) {
  base = b * S;
  load(io.keyXs + base * 4, xsAll, 0, 1, S * 4, S * 4, S * 4);
  if (separateValueInput)
    load(io.valueXs + base * 4, xsValue, 0, 1, S * 4, S * 4, S * 4);
  if (importanceSums)
    load(tensor("importance") + base * 4, *importanceSums, 0, 1, S * 4, S * 4,
         S * 4);
  for (int64_t kvh = 0; kvh < layer.kvHeads; ++kvh) {
    unsigned parity = headCount++ & 1;
    // 1. LAPA and SOFA: K-hat, then the MRSA rounds and top-k per query
    //    tile, which also collect the needed tokens.
    if (aloc) {
      emitter.beginStage("prediction", int32_t(l));
      uint32_t tempMark = temp.mark(), kvMark = kv.mark(), tokenMark = token.mark();
      auto khatOrErr = allocateAny({Role::Temp, Role::Kv, Role::Token}, S * d * 4,
                                   what + ": K-hat in f32");
      if (!khatOrErr)
        return khatOrErr.takeError();
      Slot khatF = *khatOrErr;
      if (auto e = projectHead(kvh, "wk", true, nullptr, khatF))
        return e;
      if (layer.rotary)
        if (auto e = rope(khatF, S, d, d, 0, what))
          return e;
      quant(khatF, 0, d, *khat, d, *khatScale, 0, S, d, keyBits, true);
      temp.release(tempMark);
      kv.release(kvMark);
      token.release(tokenMark);
      load(tensor("zeros"), needed[parity], 0, 1, bitmapBytes, bitmapBytes,
           bitmapBytes);
      for (int64_t hh = 0; hh < group; ++hh) {
        int64_t h = kvh * group + hh;
        for (int64_t r0 = 0; r0 < S; r0 += tq) {
          int64_t rows = std::min(tq, S - r0);
          Marks tileMarks = markAll();
          ALLOC_ANY(qf, (std::initializer_list<Role>{Role::Kv, Role::Token, Role::Temp}),
                    rows * d * 4, what + ": a query tile");
          ALLOC(q16, temp, rows * d * 4, what + ": a quantized query tile");
          ALLOC(qs, temp, rows * 4, what + ": the query scales");
          ALLOC(codes, spec, rows * d, what + ": the query log codes");
          ALLOC(partial, spec, rows * S * 4, what + ": the MRSA partial scores");
          ALLOC(survivors, spec, (rows * S + 7) / 8, what + ": the survivor bitmap");
          loadQuery(qf, h, r0, rows);
          quant(qf, 0, d, q16, d, qs, 0, rows, d, queryBits, false);
          emitter.emit(makeInst(Opcode::LogEncode, 0,
                                {{1, q16.word()}, {2, codes.word()},
                                 {3, u32(rows)}, {4, u32(d)},
                                 {5, queryBits}, {6, u32(d)}, {7, u32(d)}}),
                       {access1d(q16, 0, rows * d * 4)},
                       {access1d(codes, 0, rows * d)});
          Access pAccess = access1d(partial, 0, rows * S * 4);
          Access vAccess = access1d(survivors, 0, (rows * S + 7) / 8);
          Access cAccess = access1d(codes, 0, rows * d);
          for (unsigned r = 0; r < predictor.rounds; ++r) {
            std::vector<Access> reads = {cAccess,
                                         access1d(*khat, 0, S * d * containerBytes(keyBits))};
            if (r > 0) {
              reads.push_back(pAccess);
              reads.push_back(vAccess);
            }
            emitter.emit(makeInst(Opcode::ShiftAccumulate, causal,
                                  {{1, codes.word()}, {2, khat->word()},
                                   {3, partial.word()}, {4, u32(rows)},
                                   {5, u32(S)}, {6, u32(d)}, {7, u32(r0)},
                                   {8, r}, {9, survivors.word()},
                                   {10, record}}),
                         reads, {pAccess, vAccess});
            if (r + 1 < predictor.rounds)
              emitter.emit(makeInst(Opcode::Filter, causal,
                                    {{1, codes.word()}, {2, isa::kNoBuffer},
                                     {3, partial.word()}, {4, u32(rows)},
                                     {5, u32(S)}, {6, u32(d)}, {7, u32(r0)},
                                     {8, r}, {9, survivors.word()},
                                     {10, record}}),
                           {cAccess, pAccess, vAccess}, {vAccess});
          }
          Slot idx = indices[parity];
          uint64_t idxOffset = (hh * S + r0) * slots * 2;
          if (spill) {
            ALLOC(tileLists, spec, rows * slots * 2, what + ": a tile's key lists");
            idx = tileLists;
            idxOffset = 0;
          }
          emitter.emit(makeInst(Opcode::TopK, causal,
                                {{1, partial.word()}, {2, survivors.word()},
                                 {3, idx.word(idxOffset)}, {4, u32(rows)},
                                 {5, u32(S)}, {6, u32(slots)}, {7, u32(r0)},
                                 {9, needed[parity].word()}, {10, record},
                                 {12, f32Bits(1.0f)}}),
                       {pAccess, vAccess,
                        access1d(needed[parity], 0, bitmapBytes)},
                       {access1d(idx, idxOffset, rows * slots * 2),
                        access1d(needed[parity], 0, bitmapBytes)});
          if (spill)
            store(listsInDram(parity, hh, r0), idx, 0, 1, rows * slots * 2,
                  rows * slots * 2, rows * slots * 2);
          releaseAll(tileMarks);
        }
      }
    }

    // SpAtten: top-k of the importance that earlier layers gave each key.
    if (spattenPrune) {
      emitter.beginStage("prediction", int32_t(l));
      load(tensor("zeros"), needed[parity], 0, 1, bitmapBytes, bitmapBytes,
           bitmapBytes);
      for (int64_t hh = 0; hh < group; ++hh) {
        for (int64_t r0 = 0; r0 < S; r0 += tq) {
          int64_t rows = std::min(tq, S - r0);
          Marks tileMarks = markAll();
          // Every query row of the tile reads the same sums: a DMA with
          // DRAM row stride 0 repeats them.
          ALLOC_ANY(rowImportance, (std::initializer_list<Role>{
                                        Role::Temp, Role::Kv, Role::Token}),
                    rows * S * 4, what + ": the importance of a query tile");
          load(tensor("importance") + base * 4, rowImportance, 0, rows, S * 4,
               0, S * 4);
          Slot idx = indices[parity];
          uint64_t idxOffset = (hh * S + r0) * slots * 2;
          if (spill) {
            ALLOC(tileLists, spec, rows * slots * 2, what + ": a tile's key lists");
            idx = tileLists;
            idxOffset = 0;
          }
          emitter.emit(
              makeInst(Opcode::Predict, causal,
                       {{1, isa::kNoBuffer}, {2, isa::kNoBuffer},
                        {3, idx.word(idxOffset)}, {4, u32(rows)}, {5, u32(S)},
                        {6, u32(slots)}, {7, u32(r0)}, {8, u32(d)},
                        {9, needed[parity].word()}, {10, record},
                        {11, isa::kNoBuffer}, {12, isa::kNoBuffer},
                        {13, rowImportance.word()}}),
              {access1d(rowImportance, 0, rows * S * 4),
               access1d(needed[parity], 0, bitmapBytes)},
              {access1d(idx, idxOffset, rows * slots * 2),
               access1d(needed[parity], 0, bitmapBytes)});
          if (spill)
            store(listsInDram(parity, hh, r0), idx, 0, 1, rows * slots * 2,
                  rows * slots * 2, rows * slots * 2);
          releaseAll(tileMarks);
        }
      }
    }

    // 2. K and V of the KV head: only the needed rows after LAPA's or
    //    SpAtten's prediction, every row otherwise.
    emitter.beginStage("kv_projection", int32_t(l));
    const Slot *mask = (aloc || spattenPrune) ? &needed[parity] : nullptr;
    for (bool isKey : {true, false}) {
      uint32_t tempMark = temp.mark(), kvMark = kv.mark(), tokenMark = token.mark();
      auto fOrErr = allocateAny({Role::Temp, Role::Kv, Role::Token}, S * d * 4,
                                what + ": a head's keys or values in f32");
      if (!fOrErr)
        return fOrErr.takeError();
      Slot f = *fOrErr;
      if (auto e = projectHead(kvh, isKey ? "wk" : "wv", false, mask, f))
        return e;
      if (isKey && layer.rotary)
        if (auto e = rope(f, S, d, d, 0, what))
          return e;
      quant(f, 0, d, isKey ? kHead[parity] : vHead[parity], d,
            isKey ? kScale[parity] : vScale[parity], 0, S, d, 8, true);
      if (isKey && peer)
        quant(f, 0, d, *kPred, d, kStep[parity], 0, S, d, keyBits, true);
      temp.release(tempMark);
      kv.release(kvMark);
      token.release(tokenMark);
    }

    // 3. The peer predictors score the computed keys.
    if (peer) {
      emitter.beginStage("prediction", int32_t(l));
      load(tensor("zeros"), needed[parity], 0, 1, bitmapBytes, bitmapBytes,
           bitmapBytes);
      for (int64_t hh = 0; hh < group; ++hh) {
        int64_t h = kvh * group + hh;
        for (int64_t r0 = 0; r0 < S; r0 += tq) {
          int64_t rows = std::min(tq, S - r0);
          Marks tileMarks = markAll();
          ALLOC(qf, temp, rows * d * 4, what + ": a query tile");
          ALLOC(qp, temp, rows * d * containerBytes(queryBits),
                what + ": the query at the predictor's width");
          ALLOC(qStep, temp, 4, what + ": the query step");
          loadQuery(qf, h, r0, rows);
          quant(qf, 0, d, qp, d, qStep, 0, rows, d, queryBits, true);
          Slot idx = indices[parity];
          uint64_t idxOffset = (hh * S + r0) * slots * 2;
          if (spill) {
            ALLOC(tileLists, spec, rows * slots * 2, what + ": a tile's key lists");
            idx = tileLists;
            idxOffset = 0;
          }
          emitter.emit(
              makeInst(Opcode::Predict, causal,
                       {{1, qp.word()}, {2, kPred->word()},
                        {3, idx.word(idxOffset)}, {4, u32(rows)}, {5, u32(S)},
                        {6, u32(slots)}, {7, u32(r0)}, {8, u32(d)},
                        {9, needed[parity].word()}, {10, record},
                        {11, qStep.word()}, {12, kStep[parity].word()},
                        {13, isa::kNoBuffer}}),
              {access1d(qp, 0, rows * d * containerBytes(queryBits)),
               access1d(*kPred, 0, S * d * containerBytes(keyBits)),
               access1d(qStep, 0, 4), access1d(kStep[parity], 0, 4),
               access1d(needed[parity], 0, bitmapBytes)},
              {access1d(idx, idxOffset, rows * slots * 2),
               access1d(needed[parity], 0, bitmapBytes)});
          if (spill)
            store(listsInDram(parity, hh, r0), idx, 0, 1, rows * slots * 2,
                  rows * slots * 2, rows * slots * 2);
          releaseAll(tileMarks);
        }
      }
    }

    // 4. Attention over the selected keys, per query head and tile.
    emitter.beginStage("attention", int32_t(l));
    for (int64_t hh = 0; hh < group; ++hh) {
      int64_t h = kvh * group + hh;
      for (int64_t r0 = 0; r0 < S; r0 += tq) {
        int64_t rows = std::min(tq, S - r0);
        Marks tileMarks = markAll();
        const auto anywhere = {Role::Kv, Role::Token, Role::Temp};
        ALLOC_ANY(qf, anywhere, rows * d * 4, what + ": a query tile");
        ALLOC_ANY(q8, anywhere, rows * d, what + ": an INT8 query tile");
        ALLOC(qs, temp, rows * 4, what + ": the query scales");
        ALLOC(rs, temp, rows * 4, what + ": the score scales");
        ALLOC(scores, temp, rows * slots * 4, what + ": the scores");
        ALLOC(probs, temp, rows * slots * 4, what + ": the probabilities");
        ALLOC(p8, temp, rows * slots, what + ": the INT8 probabilities");
        ALLOC(ps, temp, rows * 4, what + ": the probability scales");
        ALLOC(rs2, temp, rows * 4, what + ": the output scales");
        ALLOC_ANY(o, anywhere, rows * d * 4, what + ": the output accumulators");
        ALLOC_ANY(of, anywhere, rows * d * 4, what + ": the output tile");
        Slot idx;
        uint64_t idxOffset = 0;
        if (dense) {
          ALLOC(table, temp, rows * slots * 2, what + ": the key lists");
          load(tensor(layer.causal ? "dense_keys_causal" : "dense_keys") +
                   r0 * S * 2,
               table, 0, 1, rows * S * 2, rows * S * 2, rows * S * 2);
          idx = table;
        } else if (spill) {
          ALLOC(table, temp, rows * slots * 2, what + ": the key lists");
          load(listsInDram(parity, hh, r0), table, 0, 1, rows * slots * 2,
               rows * slots * 2, rows * slots * 2);
          idx = table;
        } else {
          idx = indices[parity];
          idxOffset = (hh * S + r0) * slots * 2;
        }
        Access idxAccess = access1d(idx, idxOffset, rows * slots * 2);
        loadQuery(qf, h, r0, rows);
        quant(qf, 0, d, q8, d, qs, 0, rows, d, 8, false);
        binary(Opcode::Mul, qs, kScale[parity], rs, rows, 1, 1, 1, 1, true);
        emitter.emit(makeInst(Opcode::Sddmm, 0,
                              {{1, q8.word()}, {2, kHead[parity].word()},
                               {3, scores.word()}, {4, u32(rows)},
                               {5, u32(slots)}, {6, u32(d)}, {7, u32(d)},
                               {8, u32(d)}, {9, u32(slots)},
                               {10, idx.word(idxOffset)}, {11, 0}}),
                     {access1d(q8, 0, rows * d),
                      access1d(kHead[parity], 0, S * d), idxAccess},
                     {access1d(scores, 0, rows * slots * 4)});
        emitter.emit(makeInst(Opcode::Softmax, 0,
                              {{1, scores.word()}, {2, probs.word()},
                               {3, u32(rows)}, {4, u32(slots)},
                               {5, f32Bits(layer.scale)}, {6, rs.word()}}),
                     {access1d(scores, 0, rows * slots * 4),
                      access1d(rs, 0, rows * 4)},
                     {access1d(probs, 0, rows * slots * 4)});
        if (importanceSums)
          emitter.emit(makeInst(Opcode::Importance, 0,
                                {{1, probs.word()}, {2, idx.word(idxOffset)},
                                 {3, importanceSums->word()}, {4, u32(rows)},
                                 {5, u32(slots)}, {6, u32(S)}, {7, 0}}),
                       {access1d(probs, 0, rows * slots * 4), idxAccess,
                        access1d(*importanceSums, 0, S * 4)},
                       {access1d(*importanceSums, 0, S * 4)});
        quant(probs, 0, slots, p8, slots, ps, 0, rows, slots, 8, false);
        binary(Opcode::Mul, ps, vScale[parity], rs2, rows, 1, 1, 1, 1, true);
        emitter.emit(makeInst(Opcode::Spmm, 0,
                              {{1, p8.word()}, {2, vHead[parity].word()},
                               {3, o.word()}, {4, u32(rows)}, {5, u32(d)},
                               {6, u32(slots)}, {7, u32(slots)},
                               {8, u32(d)}, {9, u32(d)},
                               {10, idx.word(idxOffset)}, {11, 0}}),
                     {access1d(p8, 0, rows * slots),
                      access1d(vHead[parity], 0, S * d), idxAccess},
                     {access1d(o, 0, rows * d * 4)});
        dequant(o, of, rows, d, &rs2, 0, nullptr, 0, d, false);
        store(io.out + ((base + r0) * qCols + h * d) * 4, of, 0,
              rows, d * 4, qCols * 4, d * 4);
        releaseAll(tileMarks);
      }
    }
  }
  if (importanceSums)
    store(tensor("importance") + base * 4, *importanceSums, 0, 1, S * 4,
          S * 4, S * 4);
  }
  if (spatten)
    importanceReady = true;
  token.release(marks[0]);
  weight.release(marks[1]);
  kv.release(marks[2]);
  temp.release(marks[3]);
  spec.release(marks[4]);
  return llvm::Error::success();
}

