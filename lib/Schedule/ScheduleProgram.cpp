//===- ScheduleProgram.cpp - Models read as a program of steps ----------===//
//
// A graph that does not follow the layer template (ModelDesc::program) is
// scheduled step by step. Every value lives in DRAM as f32 rows. Values
// share a pool of scratch tensors by liveness, so a 24-layer MobileBERT
// needs five of them. Each step is one of the passes the template
// uses: a projection (quantize the input rows, GEMM, epilogue), the
// attention of a layer, an embedding lookup, or a row-wise vector pass.
//
//===----------------------------------------------------------------------===//

#include "Scheduler.h"

#include <algorithm>

using namespace lapa;
using namespace lapa::schedule;
using namespace lapa::schedule::detail;

namespace {

std::string stepWhat(const StepDesc &step) {
  return llvm::formatv("step '{0}'", step.name).str();
}

} // namespace

llvm::Error Scheduler::addProgramWeights(
    llvm::function_ref<llvm::Error(llvm::StringRef, const WeightDesc &, bool)>
        addWeight,
    llvm::function_ref<void(llvm::StringRef, const VectorDesc &)> addVector) {
  const ProgramDesc &program = *model.program;
  int64_t R = totalRows(), S = model.seqLen;
  int64_t values = int64_t(program.widths.size());
  auto checkValue = [&](int value, const StepDesc &step,
                        llvm::StringRef role) -> llvm::Error {
    if (value < 0 || value >= values)
      return makeError(llvm::formatv("{0} {1} value {2} is not one of the "
                                     "program's {3} values",
                                     stepWhat(step), role, value, values));
    return llvm::Error::success();
  };
  bool tokens = false;
  llvm::StringSet<> tables;
  for (const StepDesc &step : program.steps) {
    if (auto e = checkValue(step.out, step, "output"))
      return e;
    int64_t width = program.widths[size_t(step.out)];
    switch (step.kind) {
    case StepKind::Lookup:
      tokens = true;
      if (step.column < 0 || step.column + step.table.out > width)
        return makeError(llvm::formatv(
            "{0} writes columns {1} to {2} of a value {3} wide", stepWhat(step),
            step.column, step.column + step.table.out, width));
      if (tables.insert(step.table.name).second)
        emitter.addTensor(step.table.name, TensorRole::Weight, ElementType::F32,
                          {uint64_t(step.table.in), uint64_t(step.table.out)},
                          options.embedWeights && step.table.hasData()
                              ? floatBytes(step.table.data)
                              : std::vector<uint8_t>());
      break;
    case StepKind::Project:
      if (auto e = checkValue(step.in, step, "input"))
        return e;
      if (step.weight.in != program.widths[size_t(step.in)] ||
          step.weight.out != width)
        return makeError(llvm::formatv(
            "{0} projects {1} columns to {2} with a {3} x {4} weight",
            stepWhat(step), program.widths[size_t(step.in)], width,
            step.weight.in, step.weight.out));
      if (step.other >= 0 && program.widths[size_t(step.other)] != width)
        return makeError(llvm::formatv(
            "{0} adds a value {1} wide to its {2}-wide result", stepWhat(step),
            program.widths[size_t(step.other)], width));
      if (auto e = addWeight(step.name, step.weight, false))
        return e;
      break;
    case StepKind::Attention: {
      if (step.layer >= model.layers.size())
        return makeError(llvm::formatv("{0} names layer {1} of {2}",
                                       stepWhat(step), step.layer,
                                       model.layers.size()));
      const LayerDesc &layer = model.layers[step.layer];
      for (auto [value, role] : {std::pair(step.in, "query"),
                                 std::pair(step.keyInput, "key input"),
                                 std::pair(step.valueInput, "value input")})
        if (auto e = checkValue(value, step, role))
          return e;
      if (program.widths[size_t(step.in)] != layer.heads * layer.headDim ||
          width != layer.heads * layer.headDim ||
          layer.key.in != program.widths[size_t(step.keyInput)] ||
          layer.value.in != program.widths[size_t(step.valueInput)])
        return makeError(llvm::formatv(
            "{0}: the queries ({1} wide), output ({2}), key input ({3}) and "
            "value input ({4}) do not match {5} heads of {6} with {7} x {8} "
            "key and {9} x {10} value weights",
            stepWhat(step), program.widths[size_t(step.in)], width,
            program.widths[size_t(step.keyInput)],
            program.widths[size_t(step.valueInput)], layer.heads,
            layer.headDim, layer.key.in, layer.key.out, layer.value.in,
            layer.value.out));
      bool aloc = layer.predictor.scheme == Scheme::Lapa ||
                  layer.predictor.scheme == Scheme::Sofa;
      if (auto e = addWeight(layerName(step.layer, "wk"), layer.key, aloc))
        return e;
      if (auto e = addWeight(layerName(step.layer, "wv"), layer.value, false))
        return e;
      break;
    }
    case StepKind::Add:
      if (auto e = checkValue(step.in, step, "input"))
        return e;
      if (auto e = checkValue(step.other, step, "second input"))
        return e;
      break;
    case StepKind::AddConstant:
      if (auto e = checkValue(step.in, step, "input"))
        return e;
      if (step.constant.size != S * width)
        return makeError(llvm::formatv(
            "{0} adds a table of {1} values to rows {2} wide over sequence "
            "length {3}",
            stepWhat(step), step.constant.size, width, S));
      addVector((step.name + ".constant"), step.constant);
      break;
    case StepKind::Affine:
      if (auto e = checkValue(step.in, step, "input"))
        return e;
      if ((!step.gain.data.empty() || step.gain.size) && step.gain.size != width)
        return makeError(llvm::formatv("{0} has a gain of {1} for width {2}",
                                       stepWhat(step), step.gain.size, width));
      if (step.bias.size != 0 && step.bias.size != width)
        return makeError(llvm::formatv("{0} has a bias of {1} for width {2}",
                                       stepWhat(step), step.bias.size, width));
      if (step.gain.size)
        addVector(step.name + ".gain", step.gain);
      if (step.bias.size)
        addVector(step.name + ".bias", step.bias);
      break;
    }
    if ((step.kind == StepKind::Add || step.kind == StepKind::AddConstant ||
         step.kind == StepKind::Affine) &&
        program.widths[size_t(step.in)] != width)
      return makeError(llvm::formatv("{0} reads a value {1} wide and writes "
                                     "one {2} wide",
                                     stepWhat(step),
                                     program.widths[size_t(step.in)], width));
  }
  if (tokens) {
    emitter.addTensor("tokens", TensorRole::Input, ElementType::I32,
                      {uint64_t(R)});
    int64_t widest = 1;
    for (int64_t width : program.widths)
      widest = std::max(widest, width);
    emitter.addTensor("zero_row", TensorRole::Weight, ElementType::F32,
                      {uint64_t(widest)},
                      std::vector<uint8_t>(size_t(widest) * 4, 0));
  }
  for (const ProgramOutput &output : program.outputs) {
    if (output.value < 0 || output.value >= values ||
        output.column < 0 || output.columns <= 0 ||
        output.column + output.columns > program.widths[size_t(output.value)])
      return makeError(llvm::formatv(
          "output '{0}' takes columns {1} to {2} of value {3}, which the "
          "program does not have",
          output.name, output.column, output.column + output.columns,
          output.value));
    std::vector<uint64_t> shape = {uint64_t(R), uint64_t(output.columns)};
    int64_t elements = 1;
    for (int64_t dim : output.shape)
      elements *= dim;
    if (!output.shape.empty() && elements == R * output.columns)
      shape.assign(output.shape.begin(), output.shape.end());
    emitter.addTensor(output.name, TensorRole::Output, ElementType::F32,
                      shape);
  }
  return llvm::Error::success();
}

llvm::Error Scheduler::addProgramTensors() {
  const ProgramDesc &program = *model.program;
  int64_t R = totalRows();
  size_t count = program.widths.size();

  // The last step that reads each value (outputs stay to the end), and how
  // many steps write it (the lookups of a trigram write one value).
  std::vector<int64_t> lastUse(count, -1), firstDef(count, -1);
  std::vector<unsigned> writers(count, 0);
  int64_t end = int64_t(program.steps.size());
  for (auto [i, step] : llvm::enumerate(program.steps)) {
    for (int value : {step.in, step.other, step.keyInput, step.valueInput})
      if (value >= 0)
        lastUse[size_t(value)] = int64_t(i);
    if (firstDef[size_t(step.out)] < 0)
      firstDef[size_t(step.out)] = int64_t(i);
    ++writers[size_t(step.out)];
  }
  for (const ProgramOutput &output : program.outputs)
    lastUse[size_t(output.value)] = end;

  // Greedy pool: a value takes a free tensor at its first definition and
  // returns it after its last use. An attention never writes over its
  // queries. Every other step reads its input tiles before it stores the
  // tile at the same place, so it may reuse a tensor its inputs free.
  int64_t widest = 1;
  for (int64_t width : program.widths)
    widest = std::max(widest, width);
  std::vector<int> slotOf(count, -1);
  std::vector<bool> busy;
  valueTensor.assign(count, "");

  for (size_t i = 0; i < program.steps.size(); ++i) {
    const StepDesc &step = program.steps[i];
    int64_t index = int64_t(i);
    if (slotOf[size_t(step.out)] < 0) {
      // The tensors busy during this step, minus those of inputs it reads
      // for the last time.
      std::vector<bool> busyNow = busy;
      if (step.kind != StepKind::Attention)
        for (int value : {step.in, step.other})
          if (value >= 0 && lastUse[size_t(value)] == index &&
              slotOf[size_t(value)] >= 0)
            busyNow[size_t(slotOf[size_t(value)])] = false;
      int slot = -1;
      for (size_t s = 0; s < busyNow.size() && slot < 0; ++s)
        if (!busyNow[s])
          slot = int(s);
      if (slot < 0) {
        slot = int(busy.size());
        busy.push_back(false);
        emitter.addTensor(llvm::formatv("value{0}", slot).str(),
                          TensorRole::Scratch, ElementType::F32,
                          {uint64_t(R), uint64_t(widest)});
      }
      slotOf[size_t(step.out)] = slot;
      busy[size_t(slot)] = true;
      valueTensor[size_t(step.out)] = llvm::formatv("value{0}", slot).str();
    }

    for (int value : {step.in, step.other, step.keyInput, step.valueInput})
      if (value >= 0 && lastUse[size_t(value)] == index &&
          slotOf[size_t(value)] >= 0 &&
          slotOf[size_t(value)] != slotOf[size_t(step.out)])
        busy[size_t(slotOf[size_t(value)])] = false;
    // A value written once and never read frees its tensor at once.
    if (lastUse[size_t(step.out)] < index + 1 &&
        firstDef[size_t(step.out)] == index && writers[size_t(step.out)] == 1)
      busy[size_t(slotOf[size_t(step.out)])] = false;
  }

  for (const ProgramOutput &output : program.outputs)
    if (valueTensor[size_t(output.value)].empty())
      return makeError(llvm::formatv(
          "output '{0}' reads value {1}, which no step writes", output.name,
          output.value));
  for (const StepDesc &step : program.steps)
    for (int value : {step.in, step.other, step.keyInput, step.valueInput})
      if (value >= 0 && valueTensor[size_t(value)].empty())
        return makeError(llvm::formatv(
            "{0} reads value {1} before any step writes it", stepWhat(step),
            value));
  return llvm::Error::success();
}

llvm::Expected<isa::StreamFile>
Scheduler::runProgram(ScheduleSummary *summary) {
  const ProgramDesc &program = *model.program;
  for (unsigned i = 0; i < program.steps.size(); ++i)
    if (auto e = scheduleStep(i))
      return std::move(e);
  emitter.beginStage("other", -1);
  if (auto e = scheduleProgramOutputs())
    return std::move(e);
  emitter.finish();
  return finishSummary(summary);
}

llvm::Error Scheduler::scheduleStep(unsigned index) {
  const StepDesc &step = model.program->steps[index];
  const std::vector<int64_t> &widths = model.program->widths;
  emitter.beginStage(step.ffn ? "ffn" : "other", step.stageLayer);
  std::string what = stepWhat(step);
  switch (step.kind) {
  case StepKind::Lookup:
    return scheduleLookup(step);
  case StepKind::Project: {
    int64_t inWidth = widths[size_t(step.in)];
    if (auto e = scheduleNormQuant(nullptr, "", valueAddress(step.in), inWidth,
                                   what + " input"))
      return e;
    Projection p = projectionOf(step.name, step.weight, what);
    p.out = valueAddress(step.out);
    p.epilogue.relu = step.relu;
    if (step.other >= 0)
      p.epilogue.addFrom = valueAddress(step.other);
    return scheduleProjection(p);
  }
  case StepKind::Attention: {
    const LayerDesc &layer = model.layers[step.layer];
    if (auto e = scheduleNormQuant(nullptr, "", valueAddress(step.keyInput),
                                   layer.key.in, what + " key input"))
      return e;
    bool shared = step.valueInput == step.keyInput;
    if (!shared)
      if (auto e = scheduleNormQuant(nullptr, "",
                                     valueAddress(step.valueInput),
                                     layer.value.in, what + " value input",
                                     UINT64_MAX, "xq_value"))
        return e;
    attentionIo.q = valueAddress(step.in);
    attentionIo.out = valueAddress(step.out);
    attentionIo.keyXq = tensor("xq");
    attentionIo.keyXs = tensor("xs");
    attentionIo.keyWidth = layer.key.in;
    attentionIo.valueXq = shared ? tensor("xq") : tensor("xq_value");
    attentionIo.valueXs = shared ? tensor("xs") : tensor("xq_value.scales");
    attentionIo.valueWidth = layer.value.in;
    return scheduleAttention(step.layer);
  }
  case StepKind::Add:
  case StepKind::AddConstant:
  case StepKind::Affine:
    return scheduleElementwise(step);
  }
  return makeError(what + " has an unknown kind");
}

llvm::Error Scheduler::scheduleLookup(const StepDesc &step) {
  int64_t S = model.seqLen, E = step.table.out;
  int64_t width = model.program->widths[size_t(step.out)];
  uint64_t out = valueAddress(step.out);
  Arena &token = arena(Role::Token);
  uint32_t mark = token.mark();
  int64_t rows = std::max<int64_t>(
      1, std::min<int64_t>(S, int64_t(token.capacity() - token.mark()) /
                                  (2 * (E * 4 + 4) + kGranule)));
  std::string what = stepWhat(step);
  ALLOC(ids, token, rows * 4, what + ": the token ids of a tile");
  ALLOC(table, token, rows * E * 4, what + ": a tile of table rows");

  // Rows whose source token lies outside the sequence are zero: one row
  // of the zero table, stored once per such row.
  bool zeroRows = step.rowShift != 0;
  if (zeroRows) {
    ALLOC(zero, token, E * 4, what + ": a zero row");
    load(tensor("zero_row"), zero, 0, 1, E * 4, E * 4, E * 4);
    for (int64_t b = 0; b < model.batch; ++b) {
      int64_t shift = step.rowShift;
      int64_t first = shift > 0 ? S - std::min(shift, S) : 0;
      int64_t count = std::min(std::abs(shift), S);
      for (int64_t r = first; r < first + count; ++r)
        store(out + ((b * S + r) * width + step.column) * 4, zero, 0, 1, E * 4,
              E * 4, E * 4);
    }
  }

  for (int64_t b = 0; b < model.batch; ++b) {
    // Destination rows [lo, hi) read token rows [lo + shift, hi + shift).
    int64_t lo = std::max<int64_t>(0, -step.rowShift);
    int64_t hi = std::min<int64_t>(S, S - step.rowShift);
    for (int64_t r0 = lo; r0 < hi; r0 += rows) {
      int64_t tr = std::min(rows, hi - r0);
      int64_t source = b * S + r0 + step.rowShift;
      load(tensor("tokens") + source * 4, ids, 0, 1, tr * 4, tr * 4, tr * 4);
      Instruction inst = makeInst(Opcode::LoadRows, 0,
                                  {{3, table.word()},
                                   {4, u32(tr)},
                                   {5, u32(E * 4)},
                                   {6, u32(E * 4)},
                                   {7, u32(E * 4)},
                                   {8, ids.word()},
                                   {9, u32(step.table.in)}});
      inst.setDramAddress(tensor(step.table.name));
      emitter.emit(inst, {access1d(ids, 0, tr * 4)},
                   {access1d(table, 0, tr * E * 4)});
      store(out + ((b * S + r0) * width + step.column) * 4, table, 0, tr,
            E * 4, width * 4, E * 4);
    }
  }
  token.release(mark);
  return llvm::Error::success();
}

llvm::Error Scheduler::scheduleElementwise(const StepDesc &step) {
  int64_t R = totalRows(), S = model.seqLen;
  int64_t width = model.program->widths[size_t(step.out)];
  std::string what = stepWhat(step);
  Marks marks = markAll();
  const auto anywhere = {Role::Kv, Role::Temp, Role::Token};
  std::optional<Slot> gain, bias;
  if (step.kind == StepKind::Affine) {
    if (step.gain.size) {
      ALLOC_ANY(g, anywhere, width * 4, what + ": the gain");
      load(tensor(step.name + ".gain"), g, 0, 1, width * 4, width * 4,
           width * 4);
      gain = g;
    }
    if (step.bias.size) {
      ALLOC_ANY(b, anywhere, width * 4, what + ": the bias");
      load(tensor(step.name + ".bias"), b, 0, 1, width * 4, width * 4,
           width * 4);
      bias = b;
    }
  }

  // Two row tiles: the input and the second operand. A constant table
  // repeats per sequence, so tiles do not cross a sequence boundary.
  Role rowsRole = Role::Token;
  auto freeBytes = [&](Role role) {
    return int64_t(arena(role).capacity()) - int64_t(arena(role).mark());
  };
  if (freeBytes(Role::Kv) > freeBytes(Role::Token))
    rowsRole = Role::Kv;
  int64_t rows = std::min<int64_t>(
      {S, rowTile,
       std::max<int64_t>(1, (freeBytes(rowsRole) - 4 * kGranule) /
                                (2 * width * 4))});
  ALLOC(x, arena(rowsRole), rows * width * 4, what + ": a row tile");
  ALLOC(y, arena(rowsRole), rows * width * 4,
        what + ": a tile of the second operand");

  for (int64_t b = 0; b * S < R; ++b) {
    for (int64_t r0 = 0; r0 < S; r0 += rows) {
      int64_t tr = std::min(rows, S - r0);
      int64_t row = b * S + r0;
      uint64_t bytes = uint64_t(tr * width * 4);
      load(valueAddress(step.in) + row * width * 4, x, 0, 1, bytes, bytes,
           bytes);
      if (step.kind == StepKind::Add || step.kind == StepKind::AddConstant) {
        uint64_t source =
            step.kind == StepKind::Add
                ? valueAddress(step.other) + row * width * 4
                : tensor(step.name + ".constant") + r0 * width * 4;
        load(source, y, 0, 1, bytes, bytes, bytes);
        binary(Opcode::Add, x, y, x, tr, width, width, width, width, false);
      } else {
        if (gain)
          binary(Opcode::Mul, x, *gain, x, tr, width, width, width, width,
                 true);
        if (bias)
          binary(Opcode::Add, x, *bias, x, tr, width, width, width, width,
                 true);
      }
      store(valueAddress(step.out) + row * width * 4, x, 0, 1, bytes, bytes,
            bytes);
    }
  }
  releaseAll(marks);
  return llvm::Error::success();
}

llvm::Error Scheduler::scheduleProgramOutputs() {
  int64_t R = totalRows();
  Arena &token = arena(Role::Token);
  uint32_t mark = token.mark();
  for (const ProgramOutput &output : model.program->outputs) {
    int64_t width = model.program->widths[size_t(output.value)];
    int64_t cols = output.columns;
    int64_t perTile = std::max<int64_t>(
        1, (int64_t(token.capacity()) - int64_t(token.mark())) /
               (width * 4 + kGranule));
    int64_t tile = std::min(R, perTile);
    ALLOC(staging, token, tile * width * 4,
          "the rows of output '" + output.name + "'");
    for (int64_t r0 = 0; r0 < R; r0 += tile) {
      int64_t tr = std::min(tile, R - r0);
      load(valueAddress(output.value) + (r0 * width + output.column) * 4,
           staging, 0, tr, cols * 4, width * 4, cols * 4);
      store(tensor(output.name) + r0 * cols * 4, staging, 0, tr, cols * 4,
            cols * 4, cols * 4);
    }
    token.release(mark);
  }
  return llvm::Error::success();
}
