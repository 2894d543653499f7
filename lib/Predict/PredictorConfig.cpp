//===- PredictorConfig.cpp - Defaults and validity of predictor parameters ===//
//
// Scheme defaults, the table of which scheme reads which parameter, the
// range checks shared by the dialect attribute and the command-line tools,
// and the one-line text form that instruction streams store.
//
//===----------------------------------------------------------------------===//

#include "lapa/Predict/PredictorConfig.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <array>
#include <charconv>
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

//===----------------------------------------------------------------------===//
// Text form
//===----------------------------------------------------------------------===//

namespace {

// Formats a double as the shortest decimal that reads back to the same bits.
std::string formatExact(double value) {
  char text[64];
  std::to_chars_result result = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, result.ptr);
}

std::string formatList(const std::vector<unsigned> &values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i)
      text += ',';
    text += std::to_string(values[i]);
  }
  return text;
}

llvm::Error invalidValue(llvm::StringRef name, llvm::StringRef value,
                         llvm::StringRef expected) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "predictor parameter '%s' has the invalid value '%s'; give %s",
      name.str().c_str(), value.str().c_str(), expected.str().c_str());
}

bool parseUnsignedText(llvm::StringRef text, unsigned &value) {
  // Only plain digits are accepted, so that "+8" or " 8" is rejected.
  if (text.empty() || text.size() > 10 ||
      !llvm::all_of(text, [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return !text.getAsInteger(10, value);
}

bool parseDoubleText(llvm::StringRef text, double &value) {
  if (text.empty())
    return false;
  const char *end = text.data() + text.size();
  std::from_chars_result result = std::from_chars(text.data(), end, value);
  return result.ec == std::errc() && result.ptr == end;
}

/// The text spelling of one PredictorConfig member. `print` returns nothing
/// for an unset optional, and `parse` stores a value or returns an error.
struct ParameterText {
  std::string_view name;
  std::optional<std::string> (*print)(const PredictorConfig &);
  llvm::Error (*parse)(llvm::StringRef name, llvm::StringRef value,
                       PredictorConfig &config);
};

template <unsigned PredictorConfig::*Member>
std::optional<std::string> printUnsignedMember(const PredictorConfig &config) {
  return std::to_string(config.*Member);
}

template <unsigned PredictorConfig::*Member>
llvm::Error parseUnsignedMember(llvm::StringRef name, llvm::StringRef value,
                                PredictorConfig &config) {
  if (!parseUnsignedText(value, config.*Member))
    return invalidValue(name, value, "an unsigned integer such as 8");
  return llvm::Error::success();
}

template <double PredictorConfig::*Member>
std::optional<std::string> printDoubleMember(const PredictorConfig &config) {
  return formatExact(config.*Member);
}

template <double PredictorConfig::*Member>
llvm::Error parseDoubleMember(llvm::StringRef name, llvm::StringRef value,
                              PredictorConfig &config) {
  if (!parseDoubleText(value, config.*Member))
    return invalidValue(name, value, "a decimal number such as 0.25");
  return llvm::Error::success();
}

template <std::vector<unsigned> PredictorConfig::*Member>
std::optional<std::string> printListMember(const PredictorConfig &config) {
  return formatList(config.*Member);
}

template <std::vector<unsigned> PredictorConfig::*Member>
llvm::Error parseListMember(llvm::StringRef name, llvm::StringRef value,
                            PredictorConfig &config) {
  llvm::SmallVector<llvm::StringRef> items;
  value.split(items, ',');
  std::vector<unsigned> list;
  for (llvm::StringRef item : items) {
    unsigned width = 0;
    if (!parseUnsignedText(item, width))
      return invalidValue(name, value,
                          "comma-separated unsigned integers without spaces "
                          "such as 4,4");
    list.push_back(width);
  }
  config.*Member = std::move(list);
  return llvm::Error::success();
}

// Enumerations: the name functions print and the parse functions read.
template <typename Enum, Enum PredictorConfig::*Member,
          std::string_view (*Name)(Enum),
          std::optional<Enum> (*Parse)(std::string_view)>
struct EnumMember {
  static std::optional<std::string> print(const PredictorConfig &config) {
    return std::string(Name(config.*Member));
  }
  static llvm::Error parse(llvm::StringRef name, llvm::StringRef value,
                           PredictorConfig &config) {
    std::optional<Enum> parsed = Parse(std::string_view(value));
    if (!parsed)
      return invalidValue(name, value, Valid);
    config.*Member = *parsed;
    return llvm::Error::success();
  }
  static const char *const Valid;
};

using KeyLogCodedText =
    EnumMember<LogCodedOperand, &PredictorConfig::keyLogCoded,
               logCodedOperandName, parseLogCodedOperand>;
template <>
const char *const KeyLogCodedText::Valid = "one of weight, activation";
using QuerySourceText = EnumMember<QuerySource, &PredictorConfig::querySource,
                                   querySourceName, parseQuerySource>;
template <> const char *const QuerySourceText::Valid = "one of formal, aloc";
using FilterText = EnumMember<FilterRule, &PredictorConfig::filter,
                              filterRuleName, parseFilterRule>;
template <>
const char *const FilterText::Valid = "one of none, safe, maxmean, radius";
using SelectText = EnumMember<SelectMode, &PredictorConfig::select,
                              selectModeName, parseSelectMode>;
template <> const char *const SelectText::Valid = "one of topk, threshold";

std::optional<std::string> printThreshold(const PredictorConfig &config) {
  if (!config.threshold)
    return std::nullopt;
  return formatExact(*config.threshold);
}

llvm::Error parseThreshold(llvm::StringRef name, llvm::StringRef value,
                           PredictorConfig &config) {
  double threshold = 0;
  if (!parseDoubleText(value, threshold))
    return invalidValue(name, value, "a decimal number such as 0.002");
  config.threshold = threshold;
  return llvm::Error::success();
}

// One entry per PredictorConfig member, in the order of the struct. The
// names are those of allParameterNames(), and the test
// PrinterCoversEveryParameterName checks that each of them is printed.
const ParameterText kParameterTexts[] = {
    {"key_log_coded", KeyLogCodedText::print, KeyLogCodedText::parse},
    {"query_source", QuerySourceText::print, QuerySourceText::parse},
    {"activation_bits", printUnsignedMember<&PredictorConfig::activationBits>,
     parseUnsignedMember<&PredictorConfig::activationBits>},
    {"weight_bits", printUnsignedMember<&PredictorConfig::weightBits>,
     parseUnsignedMember<&PredictorConfig::weightBits>},
    {"query_bits", printUnsignedMember<&PredictorConfig::queryBits>,
     parseUnsignedMember<&PredictorConfig::queryBits>},
    {"key_bits", printUnsignedMember<&PredictorConfig::keyBits>,
     parseUnsignedMember<&PredictorConfig::keyBits>},
    {"key_accumulator_bits",
     printUnsignedMember<&PredictorConfig::keyAccumulatorBits>,
     parseUnsignedMember<&PredictorConfig::keyAccumulatorBits>},
    {"rounds", printUnsignedMember<&PredictorConfig::rounds>,
     parseUnsignedMember<&PredictorConfig::rounds>},
    {"slices", printListMember<&PredictorConfig::sliceWidths>,
     parseListMember<&PredictorConfig::sliceWidths>},
    {"accumulator_bits", printListMember<&PredictorConfig::accumulatorBits>,
     parseListMember<&PredictorConfig::accumulatorBits>},
    {"filter", FilterText::print, FilterText::parse},
    {"filter_alpha", printDoubleMember<&PredictorConfig::filterAlpha>,
     parseDoubleMember<&PredictorConfig::filterAlpha>},
    {"filter_radius", printDoubleMember<&PredictorConfig::filterRadius>,
     parseDoubleMember<&PredictorConfig::filterRadius>},
    {"select", SelectText::print, SelectText::parse},
    {"keep_ratio", printDoubleMember<&PredictorConfig::keepRatio>,
     parseDoubleMember<&PredictorConfig::keepRatio>},
    {"threshold", printThreshold, parseThreshold},
    {"score_bits", printUnsignedMember<&PredictorConfig::scoreBits>,
     parseUnsignedMember<&PredictorConfig::scoreBits>},
    {"round_bits", printListMember<&PredictorConfig::roundBits>,
     parseListMember<&PredictorConfig::roundBits>},
    {"segments", printUnsignedMember<&PredictorConfig::segments>,
     parseUnsignedMember<&PredictorConfig::segments>},
    {"msb_bits", printUnsignedMember<&PredictorConfig::msbBits>,
     parseUnsignedMember<&PredictorConfig::msbBits>},
    {"requant_threshold",
     printDoubleMember<&PredictorConfig::requantThreshold>,
     parseDoubleMember<&PredictorConfig::requantThreshold>},
};

std::string joinParameterNames() {
  std::string names;
  for (std::string_view name : allParameterNames()) {
    if (!names.empty())
      names += ", ";
    names += name;
  }
  return names;
}

} // namespace

std::string printPredictorConfig(const PredictorConfig &config) {
  PredictorConfig defaults = PredictorConfig::defaults(config.scheme);
  std::string text(schemeName(config.scheme));
  for (const ParameterText &parameter : kParameterTexts) {
    std::optional<std::string> value = parameter.print(config);
    if (!value)
      continue;
    bool read = schemeUsesParameter(config.scheme, parameter.name);
    if (!read && value == parameter.print(defaults))
      continue;
    text += ' ';
    text += parameter.name;
    text += '=';
    text += *value;
  }
  return text;
}

llvm::Expected<PredictorConfig> parsePredictorConfig(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef> words;
  text.split(words, ' ', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  if (words.empty())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "predictor record is empty; start it with a scheme name (%s)",
        std::string(allSchemeNames()).c_str());

  std::optional<Scheme> scheme = parseScheme(std::string_view(words.front()));
  if (!scheme)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "predictor record starts with the unknown scheme '%s'; valid schemes "
        "are: %s",
        words.front().str().c_str(), std::string(allSchemeNames()).c_str());

  PredictorConfig config = PredictorConfig::defaults(*scheme);
  std::vector<std::string_view> seen;
  for (llvm::StringRef word : llvm::ArrayRef(words).drop_front()) {
    std::pair<llvm::StringRef, llvm::StringRef> nameValue = word.split('=');
    llvm::StringRef name = nameValue.first;
    llvm::StringRef value = nameValue.second;
    if (name.size() == word.size())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "predictor record word '%s' is not of the form name=value",
          word.str().c_str());
    const ParameterText *parameter = std::find_if(
        std::begin(kParameterTexts), std::end(kParameterTexts),
        [&](const ParameterText &entry) {
          return entry.name == std::string_view(name);
        });
    if (parameter == std::end(kParameterTexts))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "unknown predictor parameter '%s'; valid parameters are: %s",
          name.str().c_str(), joinParameterNames().c_str());
    if (std::find(seen.begin(), seen.end(), parameter->name) != seen.end())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "predictor parameter '%s' appears twice; give each parameter once",
          name.str().c_str());
    seen.push_back(parameter->name);
    if (llvm::Error error = parameter->parse(name, value, config))
      return std::move(error);
  }

  std::string problem = config.validate();
  if (!problem.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid predictor record: %s",
                                   problem.c_str());
  return config;
}

bool operator==(const PredictorConfig &lhs, const PredictorConfig &rhs) {
  return lhs.scheme == rhs.scheme && lhs.keyLogCoded == rhs.keyLogCoded &&
         lhs.querySource == rhs.querySource &&
         lhs.activationBits == rhs.activationBits &&
         lhs.weightBits == rhs.weightBits && lhs.queryBits == rhs.queryBits &&
         lhs.keyBits == rhs.keyBits &&
         lhs.keyAccumulatorBits == rhs.keyAccumulatorBits &&
         lhs.rounds == rhs.rounds && lhs.sliceWidths == rhs.sliceWidths &&
         lhs.accumulatorBits == rhs.accumulatorBits &&
         lhs.filter == rhs.filter && lhs.filterAlpha == rhs.filterAlpha &&
         lhs.filterRadius == rhs.filterRadius && lhs.select == rhs.select &&
         lhs.keepRatio == rhs.keepRatio && lhs.threshold == rhs.threshold &&
         lhs.scoreBits == rhs.scoreBits && lhs.roundBits == rhs.roundBits &&
         lhs.segments == rhs.segments && lhs.msbBits == rhs.msbBits &&
         lhs.requantThreshold == rhs.requantThreshold;
}

} // namespace lapa::predict
