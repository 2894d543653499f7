//===- Mrsa.cpp - Mixed-precision multi-round shifting accumulation -------===//
//
// The round loop of the score prediction: slicing of K-hat, the per-round
// shift-accumulate with its accumulator check, the remaining-round bound,
// the DDF filter between rounds and the final selection. The formulas are
// in Mrsa.h.
//
// Operation counts per round r: one shift-add per (candidate key, lane) at
// the slice width w_r (lanes with a zero query code included, since the
// array clocks them), key-slice bits read per candidate (d * w_r), the row's
// query codes read once per round, and one accumulator write per candidate
// at accumulator_bits[r]. The bound of a filter costs one shift-add per lane
// and remaining slice, once per row.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/Mrsa.h"

#include "lapa/Predict/Aloc.h"

#include "llvm/Support/FormatVariadic.h"

#include <numeric>

using namespace lapa::predict;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

llvm::Error checkInputs(llvm::ArrayRef<LogCode> query,
                        llvm::ArrayRef<int32_t> keys, const TileShape &shape,
                        const MrsaParams &params) {
  size_t expectedQuery = size_t(shape.queryRows) * shape.headDim;
  size_t expectedKeys = size_t(shape.keyRows) * shape.headDim;
  if (query.size() != expectedQuery || keys.size() != expectedKeys)
    return makeError(llvm::formatv(
        "score prediction: query has {0} codes and keys have {1} elements, "
        "but the tile [{2} queries, {3} keys, head dimension {4}] needs {5} "
        "and {6}",
        query.size(), keys.size(), shape.queryRows, shape.keyRows,
        shape.headDim, expectedQuery, expectedKeys));
  if (llvm::Error error = checkMrsaParams(params))
    return error;

  int64_t high = (int64_t{1} << (params.keyBits - 1)) - 1;
  int64_t low = -high - 1;
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] < low || keys[i] > high)
      return makeError(llvm::formatv(
          "score prediction: key element {0} (key {1}, lane {2}) is {3}, "
          "outside the {4}-bit range [{5}, {6}]; requantize K-hat to key_bits",
          i, i / shape.headDim, i % shape.headDim, keys[i], params.keyBits,
          low, high));
  unsigned maxLeadingOne = params.queryBits - 2;
  for (size_t i = 0; i < query.size(); ++i)
    if (!query[i].zero && query[i].leadingOne > maxLeadingOne)
      return makeError(llvm::formatv(
          "score prediction: query code {0} has leading one {1}, above {2} "
          "for a symmetric {3}-bit query",
          i, query[i].leadingOne, maxLeadingOne, params.queryBits));
  return llvm::Error::success();
}

} // namespace

llvm::Error lapa::predict::checkMrsaParams(const MrsaParams &params) {
  if (params.sliceWidths.empty() ||
      params.sliceWidths.size() != params.accumulatorBits.size())
    return makeError(llvm::formatv(
        "score prediction: {0} slice widths and {1} accumulator widths; give "
        "one of each per round",
        params.sliceWidths.size(), params.accumulatorBits.size()));
  unsigned sum = std::accumulate(params.sliceWidths.begin(),
                                 params.sliceWidths.end(), 0u);
  if (sum != params.keyBits || params.keyBits < 2 || params.keyBits > 32)
    return makeError(llvm::formatv(
        "score prediction: slice widths sum to {0} bits but key_bits = {1}; "
        "the slices must cover the key exactly",
        sum, params.keyBits));
  for (unsigned bits : params.accumulatorBits)
    if (bits < 2 || bits > 64)
      return makeError(llvm::formatv(
          "score prediction: accumulator width {0} is outside [2, 64]", bits));
  if (params.queryBits < 2 || params.queryBits > 32)
    return makeError(llvm::formatv(
        "score prediction: query width {0} is outside [2, 32]",
        params.queryBits));
  return llvm::Error::success();
}

std::vector<unsigned> MrsaParams::sliceOffsets() const {
  std::vector<unsigned> offsets(sliceWidths.size(), 0);
  unsigned below = 0;
  for (size_t r = sliceWidths.size(); r-- > 0;) {
    offsets[r] = below;
    below += sliceWidths[r];
  }
  return offsets;
}

int32_t lapa::predict::keySlice(int32_t value,
                                llvm::ArrayRef<unsigned> sliceWidths,
                                llvm::ArrayRef<unsigned> sliceOffsets,
                                unsigned round) {
  int64_t wide = value;
  if (round == 0) {
    // The top slice keeps the sign: floor(value / 2^{b_1}), an arithmetic
    // shift written as a division so that it does not depend on how the
    // compiler shifts negative numbers.
    int64_t divisor = int64_t{1} << sliceOffsets[0];
    int64_t quotient = wide / divisor;
    if (wide % divisor != 0 && wide < 0)
      --quotient;
    return static_cast<int32_t>(quotient);
  }
  // Lower slices are plain bit fields of the two's-complement value.
  uint64_t mask = (uint64_t{1} << sliceWidths[round]) - 1;
  return static_cast<int32_t>((uint64_t(wide) >> sliceOffsets[round]) & mask);
}

std::vector<int32_t>
lapa::predict::sliceKey(int32_t value, llvm::ArrayRef<unsigned> sliceWidths) {
  MrsaParams params;
  params.sliceWidths.assign(sliceWidths.begin(), sliceWidths.end());
  std::vector<unsigned> offsets = params.sliceOffsets();
  std::vector<int32_t> slices(sliceWidths.size());
  for (size_t r = 0; r < sliceWidths.size(); ++r)
    slices[r] = keySlice(value, sliceWidths, offsets, r);
  return slices;
}

RemainingBound lapa::predict::remainingBound(llvm::ArrayRef<LogCode> queryRow,
                                             const MrsaParams &params,
                                             unsigned round) {
  std::vector<unsigned> offsets = params.sliceOffsets();
  RemainingBound bound;
  for (size_t s = round + 1; s < params.sliceWidths.size(); ++s) {
    int64_t sliceMax = (int64_t{1} << params.sliceWidths[s]) - 1;
    for (const LogCode &code : queryRow) {
      if (code.zero)
        continue;
      int64_t term = sliceMax * (int64_t{1} << (offsets[s] + code.leadingOne));
      if (code.negative)
        bound.lower -= term;
      else
        bound.upper += term;
    }
  }
  return bound;
}

llvm::Error lapa::predict::accumulateMrsaRound(
    llvm::ArrayRef<LogCode> queryRow, llvm::ArrayRef<int32_t> keys,
    const MrsaParams &params, unsigned round,
    llvm::ArrayRef<uint32_t> candidates, llvm::MutableArrayRef<int64_t> partial,
    unsigned queryRowIndex, OpCounts &counts) {
  const unsigned d = queryRow.size();
  const std::vector<unsigned> offsets = params.sliceOffsets();
  const unsigned accumulatorBits = params.accumulatorBits[round];
  const unsigned offset = offsets[round];
  const int64_t unit = int64_t{1} << offset;

  for (uint32_t j : candidates) {
    int64_t sum = partial[j];
    const int32_t *key = &keys[size_t(j) * d];
    for (unsigned c = 0; c < d; ++c) {
      const LogCode &code = queryRow[c];
      if (code.zero)
        continue;
      int64_t slice = keySlice(key[c], params.sliceWidths, offsets, round);
      int64_t term = slice * (int64_t{1} << (offset + code.leadingOne));
      sum += code.negative ? -term : term;
      // The accumulator stores sum / 2^offset, an exact quotient.
      if (!fitsSigned(sum / unit, accumulatorBits))
        return accumulatorOverflowError(
            sum / unit, accumulatorBits,
            llvm::formatv("score round {0} (query row {1}, key {2}, "
                          "after lane {3}; value in units of 2^{4})",
                          round + 1, queryRowIndex, j, c, offset),
            "accumulator_bits[" + std::to_string(round) + "]");
    }
    partial[j] = sum;
  }

  const unsigned codeBits = logCodeBits(params.queryBits);
  counts.shiftAdds[params.sliceWidths[round]] += uint64_t(candidates.size()) * d;
  counts.bitsRead += uint64_t(candidates.size()) * d *
                         params.sliceWidths[round] +
                     uint64_t(d) * codeBits;
  counts.bitsWritten += uint64_t(candidates.size()) * accumulatorBits;
  return llvm::Error::success();
}

std::vector<uint32_t> lapa::predict::filterMrsaRound(
    llvm::ArrayRef<LogCode> queryRow, const MrsaParams &params,
    unsigned round, const FilterParams &filter, const SelectParams &select,
    llvm::ArrayRef<int64_t> partial, llvm::ArrayRef<uint32_t> candidates,
    unsigned visible, OpCounts &counts) {
  if (filter.rule == FilterRule::None)
    return std::vector<uint32_t>(candidates.begin(), candidates.end());
  const unsigned d = queryRow.size();
  RemainingBound bound = remainingBound(queryRow, params, round);
  for (unsigned s = round + 1; s < params.sliceWidths.size(); ++s)
    counts.shiftAdds[params.sliceWidths[s]] += d;
  return filterRow(filter, select, partial, candidates, visible, bound.lower,
                   bound.upper, params.accumulatorBits.back(), counts);
}

std::vector<uint32_t>
lapa::predict::selectMrsaKeys(const SelectParams &select,
                              llvm::ArrayRef<int64_t> partial,
                              llvm::ArrayRef<uint32_t> candidates,
                              unsigned visible, OpCounts &counts) {
  std::vector<double> scores(partial.size(), 0.0);
  for (uint32_t j : candidates)
    scores[j] = static_cast<double>(partial[j]);
  return selectRow(select, scores, candidates, visible, counts);
}

llvm::Expected<ScorePrediction> lapa::predict::predictScoresMrsa(
    llvm::ArrayRef<LogCode> query, llvm::ArrayRef<int32_t> keys,
    const TileShape &shape, const MrsaParams &params,
    const FilterParams &filter, const SelectParams &select) {
  if (llvm::Error error = checkInputs(query, keys, shape, params))
    return std::move(error);

  const unsigned d = shape.headDim;
  const unsigned numRounds = params.sliceWidths.size();

  ScorePrediction result;
  result.scores.assign(size_t(shape.queryRows) * shape.keyRows, 0);
  result.roundsRun.assign(size_t(shape.queryRows) * shape.keyRows, 0);
  result.rounds.resize(numRounds);
  // Stages are created up front, in execution order: round 1, filter 1,
  // round 2, ..., select.
  for (unsigned r = 0; r < numRounds; ++r) {
    result.cost.stage(llvm::formatv("score round {0}", r + 1).str());
    if (r + 1 < numRounds && filter.rule != FilterRule::None)
      result.cost.stage(llvm::formatv("filter {0}", r + 1).str());
  }
  OpCounts &selectCounts = result.cost.stage("select");

  std::vector<std::vector<uint32_t>> selectedRows(shape.queryRows);
  std::vector<int64_t> partial(shape.keyRows);
  for (unsigned i = 0; i < shape.queryRows; ++i) {
    llvm::ArrayRef<LogCode> queryRow = query.slice(size_t(i) * d, d);
    const unsigned visible = shape.visibleKeys(i);
    std::vector<uint32_t> candidates(visible);
    std::iota(candidates.begin(), candidates.end(), 0u);
    std::fill(partial.begin(), partial.end(), 0);

    for (unsigned r = 0; r < numRounds; ++r) {
      OpCounts &counts =
          result.cost.stage(llvm::formatv("score round {0}", r + 1).str());
      result.rounds[r].candidates += candidates.size();
      if (llvm::Error error = accumulateMrsaRound(
              queryRow, keys, params, r, candidates, partial, i, counts))
        return std::move(error);
      for (uint32_t j : candidates) {
        result.scores[size_t(i) * shape.keyRows + j] = partial[j];
        result.roundsRun[size_t(i) * shape.keyRows + j] = r + 1;
      }

      if (r + 1 == numRounds || filter.rule == FilterRule::None) {
        result.rounds[r].survivors += candidates.size();
        continue;
      }
      OpCounts &filterStage =
          result.cost.stage(llvm::formatv("filter {0}", r + 1).str());
      candidates = filterMrsaRound(queryRow, params, r, filter, select,
                                   partial, candidates, visible, filterStage);
      result.rounds[r].survivors += candidates.size();
    }

    selectedRows[i] =
        selectMrsaKeys(select, partial, candidates, visible, selectCounts);
  }
  result.selection = makeSelection(shape.queryRows, shape.keyRows,
                                   std::move(selectedRows));
  return result;
}
