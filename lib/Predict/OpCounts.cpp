//===- OpCounts.cpp - Operation counts of a prediction --------------------===//
//
// Accumulation and JSON form of the per-stage operation counts.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/OpCounts.h"

using namespace lapa::predict;

namespace {

void addMap(std::map<unsigned, uint64_t> &into,
            const std::map<unsigned, uint64_t> &from) {
  for (const auto &[width, count] : from)
    into[width] += count;
}

llvm::json::Object mapToJSON(const std::map<unsigned, uint64_t> &byWidth) {
  llvm::json::Object object;
  for (const auto &[width, count] : byWidth)
    object[std::to_string(width)] = static_cast<int64_t>(count);
  return object;
}

} // namespace

void OpCounts::accumulate(const OpCounts &other) {
  addMap(shiftAdds, other.shiftAdds);
  addMap(multiplies, other.multiplies);
  addMap(additions, other.additions);
  addMap(leadingOneDetections, other.leadingOneDetections);
  comparisons += other.comparisons;
  exponentials += other.exponentials;
  bitsRead += other.bitsRead;
  bitsWritten += other.bitsWritten;
}

uint64_t OpCounts::total(const std::map<unsigned, uint64_t> &byWidth) {
  uint64_t sum = 0;
  for (const auto &entry : byWidth)
    sum += entry.second;
  return sum;
}

bool OpCounts::empty() const {
  return total(shiftAdds) == 0 && total(multiplies) == 0 &&
         total(additions) == 0 && total(leadingOneDetections) == 0 &&
         comparisons == 0 && exponentials == 0 &&
         bitsRead == 0 && bitsWritten == 0;
}

llvm::json::Object OpCounts::toJSON() const {
  llvm::json::Object object;
  object["stage"] = stage;
  object["shift_adds_by_operand_bits"] = mapToJSON(shiftAdds);
  object["multiplies_by_operand_bits"] = mapToJSON(multiplies);
  object["additions_by_adder_bits"] = mapToJSON(additions);
  object["leading_one_detections_by_input_bits"] =
      mapToJSON(leadingOneDetections);
  object["comparisons"] = static_cast<int64_t>(comparisons);
  object["exponentials"] = static_cast<int64_t>(exponentials);
  object["bits_read"] = static_cast<int64_t>(bitsRead);
  object["bits_written"] = static_cast<int64_t>(bitsWritten);
  return object;
}

OpCounts &PredictionCost::stage(const std::string &name) {
  for (OpCounts &counts : stages)
    if (counts.stage == name)
      return counts;
  stages.emplace_back();
  stages.back().stage = name;
  return stages.back();
}

void PredictionCost::accumulate(const PredictionCost &other) {
  for (const OpCounts &counts : other.stages)
    stage(counts.stage).accumulate(counts);
}

OpCounts PredictionCost::total() const {
  OpCounts sum;
  sum.stage = "total";
  for (const OpCounts &counts : stages)
    sum.accumulate(counts);
  return sum;
}

llvm::json::Array PredictionCost::toJSON() const {
  llvm::json::Array array;
  for (const OpCounts &counts : stages)
    array.push_back(counts.toJSON());
  return array;
}
