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

std::vector<unsigned> MrsaParams::sliceOffsets() const {
  std::vector<unsigned> offsets(sliceWidths.size(), 0);
  unsigned below = 0;
  for (size_t r = sliceWidths.size(); r-- > 0;) {
    offsets[r] = below;
    below += sliceWidths[r];
  }
  return offsets;
}

std::vector<int32_t>
lapa::predict::sliceKey(int32_t value, llvm::ArrayRef<unsigned> sliceWidths) {
  MrsaParams params;
  params.sliceWidths.assign(sliceWidths.begin(), sliceWidths.end());
  std::vector<unsigned> offsets = params.sliceOffsets();
  std::vector<int32_t> slices(sliceWidths.size());
  int64_t wide = value;
  // The top slice keeps the sign: floor(value / 2^{b_1}), an arithmetic
  // shift written as a division so that it does not depend on how the
  // compiler shifts negative numbers.
  int64_t divisor = int64_t{1} << offsets[0];
  int64_t quotient = wide / divisor;
  if (wide % divisor != 0 && wide < 0)
    --quotient;
  slices[0] = static_cast<int32_t>(quotient);
  // Lower slices are plain bit fields of the two's-complement value.
  for (size_t r = 1; r < sliceWidths.size(); ++r) {
    uint64_t mask = (uint64_t{1} << sliceWidths[r]) - 1;
    slices[r] = static_cast<int32_t>((uint64_t(wide) >> offsets[r]) & mask);
  }
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

llvm::Expected<ScorePrediction> lapa::predict::predictScoresMrsa(
    llvm::ArrayRef<LogCode> query, llvm::ArrayRef<int32_t> keys,
    const TileShape &shape, const MrsaParams &params,
    const FilterParams &filter, const SelectParams &select) {
  if (llvm::Error error = checkInputs(query, keys, shape, params))
    return std::move(error);

  const unsigned d = shape.headDim;
  const unsigned numRounds = params.sliceWidths.size();
  const std::vector<unsigned> offsets = params.sliceOffsets();
  const unsigned codeBits = logCodeBits(params.queryBits);

  // slices[r][j * d + c] = y_r of K-hat[j, c].
  std::vector<std::vector<int32_t>> slices(
      numRounds, std::vector<int32_t>(keys.size()));
  for (size_t e = 0; e < keys.size(); ++e) {
    std::vector<int32_t> parts = sliceKey(keys[e], params.sliceWidths);
    for (unsigned r = 0; r < numRounds; ++r)
      slices[r][e] = parts[r];
  }

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
  std::vector<double> rowScores(shape.keyRows);
  for (unsigned i = 0; i < shape.queryRows; ++i) {
    llvm::ArrayRef<LogCode> queryRow = query.slice(size_t(i) * d, d);
    const unsigned visible = shape.visibleKeys(i);
    std::vector<uint32_t> candidates(visible);
    std::iota(candidates.begin(), candidates.end(), 0u);
    std::fill(partial.begin(), partial.end(), 0);

    for (unsigned r = 0; r < numRounds; ++r) {
      OpCounts &counts =
          result.cost.stage(llvm::formatv("score round {0}", r + 1).str());
      const unsigned accumulatorBits = params.accumulatorBits[r];
      const unsigned offset = offsets[r];
      result.rounds[r].candidates += candidates.size();

      for (uint32_t j : candidates) {
        int64_t sum = partial[j];
        const int32_t *slice = &slices[r][size_t(j) * d];
        for (unsigned c = 0; c < d; ++c) {
          const LogCode &code = queryRow[c];
          if (code.zero)
            continue;
          int64_t term =
              int64_t(slice[c]) * (int64_t{1} << (offset + code.leadingOne));
          sum += code.negative ? -term : term;
          // The accumulator stores sum / 2^offset, an exact quotient.
          if (!fitsSigned(sum / (int64_t{1} << offset), accumulatorBits))
            return accumulatorOverflowError(
                sum / (int64_t{1} << offset), accumulatorBits,
                llvm::formatv("score round {0} (query row {1}, key {2}, "
                              "after lane {3}; value in units of 2^{4})",
                              r + 1, i, j, c, offset),
                "accumulator_bits[" + std::to_string(r) + "]");
        }
        partial[j] = sum;
        result.scores[size_t(i) * shape.keyRows + j] = sum;
        result.roundsRun[size_t(i) * shape.keyRows + j] = r + 1;
      }
      counts.shiftAdds[params.sliceWidths[r]] +=
          uint64_t(candidates.size()) * d;
      counts.bitsRead += uint64_t(candidates.size()) * d *
                             params.sliceWidths[r] +
                         uint64_t(d) * codeBits;
      counts.bitsWritten += uint64_t(candidates.size()) * accumulatorBits;

      if (r + 1 == numRounds) {
        result.rounds[r].survivors += candidates.size();
        break;
      }
      if (filter.rule == FilterRule::None) {
        result.rounds[r].survivors += candidates.size();
        continue;
      }
      OpCounts &filterStage =
          result.cost.stage(llvm::formatv("filter {0}", r + 1).str());
      RemainingBound bound = remainingBound(queryRow, params, r);
      for (unsigned s = r + 1; s < numRounds; ++s)
        filterStage.shiftAdds[params.sliceWidths[s]] += d;
      candidates = filterRow(filter, select, partial, candidates, visible,
                             bound.lower, bound.upper,
                             params.accumulatorBits.back(), filterStage);
      result.rounds[r].survivors += candidates.size();
    }

    for (uint32_t j : candidates)
      rowScores[j] = static_cast<double>(partial[j]);
    selectedRows[i] =
        selectRow(select, rowScores, candidates, visible, selectCounts);
  }
  result.selection = makeSelection(shape.queryRows, shape.keyRows,
                                   std::move(selectedRows));
  return result;
}
