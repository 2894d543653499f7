//===- PredictorConfig.cpp - Defaults and validity of predictor parameters ===//
//
// Scheme defaults, the table of which scheme reads which parameter, and the
// range checks shared by the dialect attribute and the command-line tools.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/PredictorConfig.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <sstream>

namespace lapa::predict {

namespace {

struct SchemeEntry {
  Scheme scheme;
  std::string_view name;
};

constexpr std::array<SchemeEntry, 8> kSchemes = {{
    {Scheme::Lapa, "lapa"},
    {Scheme::Sofa, "sofa"},
    {Scheme::Fact, "fact"},
    {Scheme::Sanger, "sanger"},
    {Scheme::Energon, "energon"},
    {Scheme::Spatten, "spatten"},
    {Scheme::Oracle, "oracle"},
    {Scheme::Dense, "dense"},
}};

std::string joinList(const std::vector<unsigned> &values) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < values.size(); ++i)
    os << (i ? ", " : "") << values[i];
  os << "]";
  return os.str();
}

// Formats a number the way a user typed it: no trailing zeros.
std::string formatNumber(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

} // namespace

std::string_view schemeName(Scheme scheme) {
  for (const SchemeEntry &entry : kSchemes)
    if (entry.scheme == scheme)
      return entry.name;
  return "unknown";
}

std::optional<Scheme> parseScheme(std::string_view name) {
  for (const SchemeEntry &entry : kSchemes)
    if (entry.name == name)
      return entry.scheme;
  return std::nullopt;
}

std::string_view allSchemeNames() {
  return "lapa, sofa, fact, sanger, energon, spatten, oracle, dense";
}

std::string_view filterRuleName(FilterRule rule) {
  switch (rule) {
  case FilterRule::None:
    return "none";
  case FilterRule::SafeBound:
    return "safe";
  case FilterRule::MaxMean:
    return "maxmean";
  case FilterRule::Radius:
    return "radius";
  }
  return "unknown";
}

std::optional<FilterRule> parseFilterRule(std::string_view name) {
  for (FilterRule rule : {FilterRule::None, FilterRule::SafeBound,
                          FilterRule::MaxMean, FilterRule::Radius})
    if (filterRuleName(rule) == name)
      return rule;
  return std::nullopt;
}

std::string_view selectModeName(SelectMode mode) {
  return mode == SelectMode::TopK ? "topk" : "threshold";
}

std::optional<SelectMode> parseSelectMode(std::string_view name) {
  if (name == "topk")
    return SelectMode::TopK;
  if (name == "threshold")
    return SelectMode::Threshold;
  return std::nullopt;
}

std::string_view logCodedOperandName(LogCodedOperand operand) {
  return operand == LogCodedOperand::Weight ? "weight" : "activation";
}

std::optional<LogCodedOperand> parseLogCodedOperand(std::string_view name) {
  if (name == "weight")
    return LogCodedOperand::Weight;
  if (name == "activation")
    return LogCodedOperand::Activation;
  return std::nullopt;
}

std::string_view querySourceName(QuerySource source) {
  return source == QuerySource::Formal ? "formal" : "aloc";
}

std::optional<QuerySource> parseQuerySource(std::string_view name) {
  if (name == "formal")
    return QuerySource::Formal;
  if (name == "aloc")
    return QuerySource::Aloc;
  return std::nullopt;
}

const std::vector<std::string_view> &schemeParameters(Scheme scheme) {
  static const std::vector<std::string_view> lapa = {
      "key_log_coded", "query_source",         "activation_bits",
      "weight_bits",   "query_bits",           "key_bits",
      "key_accumulator_bits", "rounds",        "slices",
      "accumulator_bits",     "filter",        "filter_alpha",
      "filter_radius", "select",               "keep_ratio",
      "threshold"};
  static const std::vector<std::string_view> sofa = {
      "key_log_coded", "activation_bits", "weight_bits",
      "query_bits",    "key_bits",        "key_accumulator_bits",
      "accumulator_bits", "segments",     "filter_radius",
      "select",        "keep_ratio",      "threshold"};
  static const std::vector<std::string_view> fact = {
      "activation_bits", "weight_bits", "key_accumulator_bits",
      "select",          "keep_ratio",  "threshold"};
  static const std::vector<std::string_view> sanger = {
      "score_bits", "select", "keep_ratio", "threshold"};
  static const std::vector<std::string_view> energon = {
      "query_bits",    "round_bits", "filter",     "filter_alpha",
      "filter_radius", "select",     "keep_ratio", "threshold"};
  static const std::vector<std::string_view> spatten = {
      "keep_ratio", "msb_bits", "requant_threshold"};
  static const std::vector<std::string_view> oracle = {"select", "keep_ratio",
                                                       "threshold"};
  static const std::vector<std::string_view> dense = {};
  switch (scheme) {
  case Scheme::Lapa:
    return lapa;
  case Scheme::Sofa:
    return sofa;
  case Scheme::Fact:
    return fact;
  case Scheme::Sanger:
    return sanger;
  case Scheme::Energon:
    return energon;
  case Scheme::Spatten:
    return spatten;
  case Scheme::Oracle:
    return oracle;
  case Scheme::Dense:
    return dense;
  }
  return dense;
}

const std::vector<std::string_view> &allParameterNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> all;
    for (const SchemeEntry &entry : kSchemes)
      for (std::string_view name : schemeParameters(entry.scheme))
        if (std::find(all.begin(), all.end(), name) == all.end())
          all.push_back(name);
    return all;
  }();
  return names;
}

bool schemeUsesParameter(Scheme scheme, std::string_view name) {
  const std::vector<std::string_view> &names = schemeParameters(scheme);
  return std::find(names.begin(), names.end(), name) != names.end();
}

PredictorConfig PredictorConfig::defaults(Scheme scheme) {
  PredictorConfig config;
  config.scheme = scheme;
  switch (scheme) {
  case Scheme::Lapa:
    break;
  case Scheme::Sofa:
    // SOFA truncates K-hat to 16 bits and scores it in one round; a 16-bit
    // slice shifted by up to 14 and summed over 128 lanes needs 38 bits.
    config.keyBits = 16;
    config.rounds = 1;
    config.sliceWidths = {16};
    config.accumulatorBits = {38};
    config.filter = FilterRule::None;
    break;
  case Scheme::Fact:
  case Scheme::Oracle:
  case Scheme::Spatten:
    config.rounds = 1;
    config.sliceWidths = {config.keyBits};
    config.accumulatorBits = {30};
    config.filter = FilterRule::None;
    break;
  case Scheme::Sanger:
    // Sanger keeps a key when its predicted softmax probability reaches
    // 2e-3, the default of its public configurations.
    config.rounds = 1;
    config.sliceWidths = {config.keyBits};
    config.accumulatorBits = {30};
    config.filter = FilterRule::None;
    config.select = SelectMode::Threshold;
    config.threshold = 2e-3;
    break;
  case Scheme::Energon:
    config.rounds = 1;
    config.sliceWidths = {config.keyBits};
    config.accumulatorBits = {30};
    config.filter = FilterRule::MaxMean;
    config.filterAlpha = 0.5;
    break;
  case Scheme::Dense:
    config.rounds = 1;
    config.sliceWidths = {config.keyBits};
    config.accumulatorBits = {30};
    config.filter = FilterRule::None;
    config.keepRatio = 1.0;
    break;
  }
  return config;
}

unsigned PredictorConfig::keptKeys(unsigned visible) const {
  if (visible == 0)
    return 0;
  double exact = keepRatio * visible;
  double kept = std::ceil(exact - 1e-9 * std::max(1.0, exact));
  if (kept < 1.0)
    return 1;
  if (kept >= visible)
    return visible;
  return static_cast<unsigned>(kept);
}

std::string PredictorConfig::validate() const {
  std::ostringstream os;
  auto checkWidth = [&](std::string_view name, unsigned value, unsigned low,
                        unsigned high) {
    if (value >= low && value <= high)
      return true;
    os << "parameter '" << name << "' is " << value << ", outside [" << low
       << ", " << high << "]; choose a width in that range";
    return false;
  };

  if (!(keepRatio > 0.0 && keepRatio <= 1.0)) {
    os << "parameter 'keep_ratio' is " << formatNumber(keepRatio)
       << ", outside (0, 1]; give the fraction of visible keys to keep, for "
          "example 0.25";
    return os.str();
  }
  if (select == SelectMode::Threshold) {
    if (!threshold) {
      os << "select = threshold needs the parameter 'threshold' (a softmax "
            "probability in (0, 1)); add it, for example threshold = 0.002";
      return os.str();
    }
    if (!(*threshold > 0.0 && *threshold < 1.0)) {
      os << "parameter 'threshold' is " << formatNumber(*threshold)
         << ", outside (0, 1); give a softmax probability such as 0.002";
      return os.str();
    }
  } else if (threshold) {
    os << "parameter 'threshold' is set but select = topk ignores it; set "
          "select = threshold or remove the threshold";
    return os.str();
  }

  if (!checkWidth("activation_bits", activationBits, 2, 16) ||
      !checkWidth("weight_bits", weightBits, 2, 16) ||
      !checkWidth("query_bits", queryBits, 2, 16) ||
      !checkWidth("key_bits", keyBits, 2, 16) ||
      !checkWidth("key_accumulator_bits", keyAccumulatorBits, 8, 64))
    return os.str();

  if (rounds < 1 || rounds > 8) {
    os << "parameter 'rounds' is " << rounds
       << ", outside [1, 8]; MRSA needs at least one shift-accumulate round";
    return os.str();
  }
  if (sliceWidths.size() != rounds) {
    os << "parameter 'slices' " << joinList(sliceWidths) << " has "
       << sliceWidths.size() << " entries but rounds = " << rounds
       << "; give one slice width per round";
    return os.str();
  }
  unsigned sliceSum = 0;
  for (unsigned width : sliceWidths) {
    if (width == 0) {
      os << "parameter 'slices' " << joinList(sliceWidths)
         << " contains a zero width; every round needs a slice of at least "
            "1 bit";
      return os.str();
    }
    sliceSum += width;
  }
  if (sliceSum != keyBits) {
    os << "parameter 'slices' " << joinList(sliceWidths) << " sums to "
       << sliceSum << " bits but key_bits = " << keyBits
       << "; the slices must cover the sliced operand exactly";
    return os.str();
  }
  if (accumulatorBits.size() != rounds) {
    os << "parameter 'accumulator_bits' " << joinList(accumulatorBits)
       << " has " << accumulatorBits.size() << " entries but rounds = "
       << rounds << "; give one accumulator width per round";
    return os.str();
  }
  for (unsigned width : accumulatorBits)
    if (width < 2 || width > 64) {
      os << "parameter 'accumulator_bits' " << joinList(accumulatorBits)
         << " contains " << width
         << ", outside [2, 64]; choose widths in that range";
      return os.str();
    }

  if (filter != FilterRule::None && rounds < 2 &&
      scheme != Scheme::Energon) {
    os << "filter = " << filterRuleName(filter)
       << " runs between MRSA rounds but rounds = 1; set rounds >= 2 or "
          "filter = none";
    return os.str();
  }
  if (filter == FilterRule::MaxMean &&
      !(filterAlpha >= 0.0 && filterAlpha <= 1.0)) {
    os << "parameter 'filter_alpha' is " << formatNumber(filterAlpha)
       << ", outside [0, 1]; it weighs the row maximum against the row mean";
    return os.str();
  }
  if (!(filterRadius >= 0.0) || !std::isfinite(filterRadius)) {
    os << "parameter 'filter_radius' is " << formatNumber(filterRadius)
       << "; the radius must be a finite value >= 0";
    return os.str();
  }

  switch (scheme) {
  case Scheme::Sofa:
    if (rounds != 1) {
      os << "scheme sofa scores K-hat in one round but rounds = " << rounds
         << "; use scheme lapa for multi-round accumulation";
      return os.str();
    }
    if (filter != FilterRule::None && filter != FilterRule::Radius) {
      os << "scheme sofa supports filter = none or radius, not "
         << filterRuleName(filter);
      return os.str();
    }
    if (segments < 1 || segments > 64) {
      os << "parameter 'segments' is " << segments
         << ", outside [1, 64]; SOFA splits each row into 1 to 64 segments";
      return os.str();
    }
    break;
  case Scheme::Sanger:
    if (!checkWidth("score_bits", scoreBits, 2, 8))
      return os.str();
    break;
  case Scheme::Energon: {
    if (roundBits.empty()) {
      os << "parameter 'round_bits' is empty; Energon needs the precision of "
            "at least one filtering round, for example [2, 4]";
      return os.str();
    }
    unsigned previous = 0;
    for (unsigned bits : roundBits) {
      if (bits <= previous || bits > queryBits) {
        os << "parameter 'round_bits' " << joinList(roundBits)
           << " must rise strictly and stay within query_bits = "
           << queryBits << "; for example [2, 4]";
        return os.str();
      }
      previous = bits;
    }
    if (filter == FilterRule::SafeBound) {
      os << "scheme energon recomputes each round instead of accumulating, "
            "so it has no error bound for filter = safe; use maxmean or "
            "radius";
      return os.str();
    }
    break;
  }
  case Scheme::Spatten:
    if (msbBits < 1 || msbBits > 11) {
      os << "parameter 'msb_bits' is " << msbBits
         << ", outside [1, 11]; SpAtten fetches part of a 12-bit value first";
      return os.str();
    }
    if (!(requantThreshold >= 0.0 && requantThreshold <= 1.0)) {
      os << "parameter 'requant_threshold' is "
         << formatNumber(requantThreshold)
         << ", outside [0, 1]; it is a softmax probability";
      return os.str();
    }
    break;
  case Scheme::Dense:
    if (keepRatio != 1.0) {
      os << "scheme dense keeps every key but keep_ratio = "
         << formatNumber(keepRatio) << "; remove keep_ratio or use scheme "
                                       "oracle for an exact top-k";
      return os.str();
    }
    break;
  case Scheme::Lapa:
  case Scheme::Fact:
  case Scheme::Oracle:
    break;
  }
  return {};
}

} // namespace lapa::predict
