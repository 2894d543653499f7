//===- LapaAttrs.cpp - Attributes of the lapa dialect ---------------------===//
//
// The predictor attribute's syntax, its conversion to and from the shared
// PredictorConfig, and its verifier, which applies the prediction library's
// validity rules so that IR and command-line configurations agree.
//
//===----------------------------------------------------------------------===//

#include "lapa/Dialect/Lapa/IR/LapaDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::lapa;
namespace predict = ::lapa::predict;

#define GET_ATTRDEF_CLASSES
#include "lapa/Dialect/Lapa/IR/LapaAttrs.cpp.inc"

void LapaDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "lapa/Dialect/Lapa/IR/LapaAttrs.cpp.inc"
      >();
}

namespace {

/// The parameters of a `#lapa.predictor` as written, before defaults apply.
struct PredictorFields {
  predict::Scheme scheme = predict::Scheme::Lapa;
  std::optional<predict::LogCodedOperand> keyLogCoded;
  std::optional<predict::QuerySource> querySource;
  std::optional<unsigned> activationBits, weightBits, queryBits, keyBits,
      keyAccumulatorBits, rounds;
  SmallVector<unsigned> slices, accumulatorBits;
  std::optional<predict::FilterRule> filter;
  std::optional<double> filterAlpha, filterRadius;
  std::optional<predict::SelectMode> select;
  std::optional<double> keepRatio, threshold;
  std::optional<unsigned> scoreBits;
  SmallVector<unsigned> roundBits;
  std::optional<unsigned> segments, msbBits;
  std::optional<double> requantThreshold;
};

std::optional<double> toDouble(FloatAttr attr) {
  if (!attr)
    return std::nullopt;
  return attr.getValueAsDouble();
}

FloatAttr toFloatAttr(MLIRContext *context, std::optional<double> value) {
  if (!value)
    return FloatAttr();
  return FloatAttr::get(Float64Type::get(context), *value);
}

PredictorFields fieldsOf(
    predict::Scheme scheme,
    std::optional<predict::LogCodedOperand> keyLogCoded,
    std::optional<predict::QuerySource> querySource,
    std::optional<unsigned> activationBits, std::optional<unsigned> weightBits,
    std::optional<unsigned> queryBits, std::optional<unsigned> keyBits,
    std::optional<unsigned> keyAccumulatorBits, std::optional<unsigned> rounds,
    ArrayRef<unsigned> slices, ArrayRef<unsigned> accumulatorBits,
    std::optional<predict::FilterRule> filter, FloatAttr filterAlpha,
    FloatAttr filterRadius, std::optional<predict::SelectMode> select,
    FloatAttr keepRatio, FloatAttr threshold, std::optional<unsigned> scoreBits,
    ArrayRef<unsigned> roundBits, std::optional<unsigned> segments,
    std::optional<unsigned> msbBits, FloatAttr requantThreshold) {
  PredictorFields fields;
  fields.scheme = scheme;
  fields.keyLogCoded = keyLogCoded;
  fields.querySource = querySource;
  fields.activationBits = activationBits;
  fields.weightBits = weightBits;
  fields.queryBits = queryBits;
  fields.keyBits = keyBits;
  fields.keyAccumulatorBits = keyAccumulatorBits;
  fields.rounds = rounds;
  fields.slices.assign(slices.begin(), slices.end());
  fields.accumulatorBits.assign(accumulatorBits.begin(),
                                accumulatorBits.end());
  fields.filter = filter;
  fields.filterAlpha = toDouble(filterAlpha);
  fields.filterRadius = toDouble(filterRadius);
  fields.select = select;
  fields.keepRatio = toDouble(keepRatio);
  fields.threshold = toDouble(threshold);
  fields.scoreBits = scoreBits;
  fields.roundBits.assign(roundBits.begin(), roundBits.end());
  fields.segments = segments;
  fields.msbBits = msbBits;
  fields.requantThreshold = toDouble(requantThreshold);
  return fields;
}

/// Returns the IR names of the parameters that `fields` sets, in the order
/// the attribute prints them.
SmallVector<StringRef> setParameterNames(const PredictorFields &fields) {
  SmallVector<StringRef> names;
  auto note = [&](bool isSet, StringRef name) {
    if (isSet)
      names.push_back(name);
  };
  note(fields.keyLogCoded.has_value(), "key_log_coded");
  note(fields.querySource.has_value(), "query_source");
  note(fields.activationBits.has_value(), "activation_bits");
  note(fields.weightBits.has_value(), "weight_bits");
  note(fields.queryBits.has_value(), "query_bits");
  note(fields.keyBits.has_value(), "key_bits");
  note(fields.keyAccumulatorBits.has_value(), "key_accumulator_bits");
  note(fields.rounds.has_value(), "rounds");
  note(!fields.slices.empty(), "slices");
  note(!fields.accumulatorBits.empty(), "accumulator_bits");
  note(fields.filter.has_value(), "filter");
  note(fields.filterAlpha.has_value(), "filter_alpha");
  note(fields.filterRadius.has_value(), "filter_radius");
  note(fields.select.has_value(), "select");
  note(fields.keepRatio.has_value(), "keep_ratio");
  note(fields.threshold.has_value(), "threshold");
  note(fields.scoreBits.has_value(), "score_bits");
  note(!fields.roundBits.empty(), "round_bits");
  note(fields.segments.has_value(), "segments");
  note(fields.msbBits.has_value(), "msb_bits");
  note(fields.requantThreshold.has_value(), "requant_threshold");
  return names;
}

/// Applies the written parameters to the scheme's defaults.
predict::PredictorConfig configOf(const PredictorFields &fields) {
  predict::PredictorConfig config =
      predict::PredictorConfig::defaults(fields.scheme);
  if (fields.keyLogCoded)
    config.keyLogCoded = *fields.keyLogCoded;
  if (fields.querySource)
    config.querySource = *fields.querySource;
  if (fields.activationBits)
    config.activationBits = *fields.activationBits;
  if (fields.weightBits)
    config.weightBits = *fields.weightBits;
  if (fields.queryBits)
    config.queryBits = *fields.queryBits;
  if (fields.keyBits) {
    config.keyBits = *fields.keyBits;
    // Schemes without MRSA score K-hat in one slice; it follows key_bits.
    if (fields.scheme != predict::Scheme::Lapa && config.rounds == 1)
      config.sliceWidths = {config.keyBits};
  }
  if (fields.keyAccumulatorBits)
    config.keyAccumulatorBits = *fields.keyAccumulatorBits;
  if (fields.rounds) {
    config.rounds = *fields.rounds;
    // With a single round there is no point between rounds to filter at,
    // so the filter defaults to none unless it is written explicitly.
    if (*fields.rounds == 1 && !fields.filter &&
        fields.scheme == predict::Scheme::Lapa)
      config.filter = predict::FilterRule::None;
  }
  if (!fields.slices.empty())
    config.sliceWidths.assign(fields.slices.begin(), fields.slices.end());
  if (!fields.accumulatorBits.empty())
    config.accumulatorBits.assign(fields.accumulatorBits.begin(),
                                  fields.accumulatorBits.end());
  if (fields.filter)
    config.filter = *fields.filter;
  if (fields.filterAlpha)
    config.filterAlpha = *fields.filterAlpha;
  if (fields.filterRadius)
    config.filterRadius = *fields.filterRadius;
  if (fields.select)
    config.select = *fields.select;
  if (fields.keepRatio)
    config.keepRatio = *fields.keepRatio;
  if (fields.threshold)
    config.threshold = *fields.threshold;
  if (fields.scoreBits)
    config.scoreBits = *fields.scoreBits;
  if (!fields.roundBits.empty())
    config.roundBits.assign(fields.roundBits.begin(), fields.roundBits.end());
  if (fields.segments)
    config.segments = *fields.segments;
  if (fields.msbBits)
    config.msbBits = *fields.msbBits;
  if (fields.requantThreshold)
    config.requantThreshold = *fields.requantThreshold;
  return config;
}

PredictorFields fieldsOf(PredictorAttr attr) {
  return fieldsOf(
      attr.getScheme(), attr.getKeyLogCoded(), attr.getQuerySource(),
      attr.getActivationBits(), attr.getWeightBits(), attr.getQueryBits(),
      attr.getKeyBits(), attr.getKeyAccumulatorBits(), attr.getRounds(),
      attr.getSlices(), attr.getAccumulatorBits(), attr.getFilter(),
      attr.getFilterAlpha(), attr.getFilterRadius(), attr.getSelect(),
      attr.getKeepRatio(), attr.getThreshold(), attr.getScoreBits(),
      attr.getRoundBits(), attr.getSegments(), attr.getMsbBits(),
      attr.getRequantThreshold());
}

std::string joinNames(ArrayRef<std::string_view> names) {
  std::string joined;
  for (auto [index, name] : llvm::enumerate(names)) {
    if (index)
      joined += ", ";
    joined += name;
  }
  return joined;
}

} // namespace

//===----------------------------------------------------------------------===//
// PredictorAttr
//===----------------------------------------------------------------------===//

predict::PredictorConfig PredictorAttr::getConfig() const {
  return configOf(fieldsOf(*this));
}

SmallVector<StringRef> PredictorAttr::getSetParameterNames() const {
  return setParameterNames(fieldsOf(*this));
}

PredictorAttr PredictorAttr::fromConfig(MLIRContext *context,
                                        const predict::PredictorConfig &config) {
  predict::PredictorConfig base =
      predict::PredictorConfig::defaults(config.scheme);
  auto differs = [](auto value, auto reference) -> std::optional<decltype(value)> {
    if (value == reference)
      return std::nullopt;
    return value;
  };
  auto differsDouble = [&](double value, double reference) {
    return toFloatAttr(context, value == reference ? std::nullopt
                                                   : std::optional(value));
  };
  ArrayRef<unsigned> slices, accumulators, roundBits;
  if (config.sliceWidths != base.sliceWidths)
    slices = config.sliceWidths;
  if (config.accumulatorBits != base.accumulatorBits)
    accumulators = config.accumulatorBits;
  if (config.roundBits != base.roundBits)
    roundBits = config.roundBits;
  std::optional<double> threshold;
  if (config.threshold != base.threshold)
    threshold = config.threshold;
  return Base::get(
      context, config.scheme, differs(config.keyLogCoded, base.keyLogCoded),
      differs(config.querySource, base.querySource),
      differs(config.activationBits, base.activationBits),
      differs(config.weightBits, base.weightBits),
      differs(config.queryBits, base.queryBits),
      differs(config.keyBits, base.keyBits),
      differs(config.keyAccumulatorBits, base.keyAccumulatorBits),
      differs(config.rounds, base.rounds), slices, accumulators,
      differs(config.filter, base.filter),
      differsDouble(config.filterAlpha, base.filterAlpha),
      differsDouble(config.filterRadius, base.filterRadius),
      differs(config.select, base.select),
      differsDouble(config.keepRatio, base.keepRatio),
      toFloatAttr(context, threshold), differs(config.scoreBits, base.scoreBits),
      roundBits, differs(config.segments, base.segments),
      differs(config.msbBits, base.msbBits),
      differsDouble(config.requantThreshold, base.requantThreshold));
}

LogicalResult PredictorAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, predict::Scheme scheme,
    std::optional<predict::LogCodedOperand> keyLogCoded,
    std::optional<predict::QuerySource> querySource,
    std::optional<unsigned> activationBits, std::optional<unsigned> weightBits,
    std::optional<unsigned> queryBits, std::optional<unsigned> keyBits,
    std::optional<unsigned> keyAccumulatorBits, std::optional<unsigned> rounds,
    ArrayRef<unsigned> slices, ArrayRef<unsigned> accumulatorBits,
    std::optional<predict::FilterRule> filter, FloatAttr filterAlpha,
    FloatAttr filterRadius, std::optional<predict::SelectMode> select,
    FloatAttr keepRatio, FloatAttr threshold, std::optional<unsigned> scoreBits,
    ArrayRef<unsigned> roundBits, std::optional<unsigned> segments,
    std::optional<unsigned> msbBits, FloatAttr requantThreshold) {
  PredictorFields fields = fieldsOf(
      scheme, keyLogCoded, querySource, activationBits, weightBits, queryBits,
      keyBits, keyAccumulatorBits, rounds, slices, accumulatorBits, filter,
      filterAlpha, filterRadius, select, keepRatio, threshold, scoreBits,
      roundBits, segments, msbBits, requantThreshold);

  for (StringRef name : setParameterNames(fields)) {
    if (predict::schemeUsesParameter(scheme, name))
      continue;
    const std::vector<std::string_view> &valid =
        predict::schemeParameters(scheme);
    InFlightDiagnostic diag = emitError();
    diag << "invalid #lapa.predictor: parameter '" << name
         << "' does not apply to scheme " << predict::schemeName(scheme);
    if (valid.empty())
      diag << ", which takes no parameters; remove it";
    else
      diag << "; remove it, or use one of: " << joinNames(valid);
    return diag;
  }

  std::string problem = configOf(fields).validate();
  if (!problem.empty())
    return emitError() << "invalid #lapa.predictor: " << problem;
  return success();
}

namespace {

/// Parses `[w, w, ...]` into unsigned widths.
ParseResult parseWidthList(AsmParser &parser, SmallVectorImpl<unsigned> &out) {
  return parser.parseCommaSeparatedList(
      AsmParser::Delimiter::Square, [&]() -> ParseResult {
        unsigned value;
        if (parser.parseInteger(value))
          return failure();
        out.push_back(value);
        return success();
      });
}

/// Parses a keyword and maps it with `parse`; on an unknown keyword,
/// reports the valid spellings.
template <typename EnumT, typename ParseFn>
ParseResult parseEnumKeyword(AsmParser &parser, StringRef parameter,
                             StringRef validNames, ParseFn parse,
                             std::optional<EnumT> &out) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<EnumT> value = parse(std::string_view(keyword));
  if (!value)
    return parser.emitError(loc)
           << "unknown value '" << keyword << "' for parameter '" << parameter
           << "'; expected one of: " << validNames;
  out = value;
  return success();
}

/// Formats `value` with the fewest digits that read back to the same
/// double, always with a decimal point or exponent so it parses as a float.
std::string formatShortest(double value) {
  std::string text;
  for (int precision = 1; precision <= 17; ++precision) {
    text = llvm::formatv("{0}", llvm::format("%.*g", precision, value)).str();
    if (std::strtod(text.c_str(), nullptr) == value)
      break;
  }
  // MLIR reads a float literal only with a decimal point: 1e+01 must be
  // written 1.0e+01, and 2 as 2.0.
  if (text.find_first_of(".in") == std::string::npos) {
    size_t exponent = text.find_first_of("eE");
    text.insert(exponent == std::string::npos ? text.size() : exponent, ".0");
  }
  return text;
}

ParseResult parseDouble(AsmParser &parser, std::optional<double> &out) {
  // The sign is read first, so that `-0.5` is a float and not a failed
  // integer; an integer literal reads as a float too (`keep_ratio = 1`).
  bool negative = succeeded(parser.parseOptionalMinus());
  uint64_t integer;
  OptionalParseResult asInteger = parser.parseOptionalInteger(integer);
  double value;
  if (asInteger.has_value()) {
    if (failed(*asInteger))
      return failure();
    value = static_cast<double>(integer);
  } else if (parser.parseFloat(value)) {
    return failure();
  }
  out = negative ? -value : value;
  return success();
}

ParseResult parseUnsigned(AsmParser &parser, std::optional<unsigned> &out) {
  unsigned value;
  if (parser.parseInteger(value))
    return failure();
  out = value;
  return success();
}

} // namespace

Attribute PredictorAttr::parse(AsmParser &parser, Type) {
  MLIRContext *context = parser.getContext();
  SMLoc startLoc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};

  PredictorFields fields;
  SMLoc schemeLoc = parser.getCurrentLocation();
  StringRef schemeName;
  if (parser.parseKeyword(&schemeName))
    return {};
  std::optional<predict::Scheme> scheme =
      predict::parseScheme(std::string_view(schemeName));
  if (!scheme) {
    parser.emitError(schemeLoc)
        << "unknown predictor scheme '" << schemeName
        << "'; expected one of: " << predict::allSchemeNames();
    return {};
  }
  fields.scheme = *scheme;

  llvm::StringSet<> seen;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc nameLoc = parser.getCurrentLocation();
    StringRef name;
    if (parser.parseKeyword(&name) || parser.parseEqual())
      return {};
    if (!seen.insert(name).second) {
      parser.emitError(nameLoc)
          << "parameter '" << name << "' appears twice in #lapa.predictor";
      return {};
    }

    ParseResult result = success();
    if (name == "key_log_coded")
      result = parseEnumKeyword(parser, name, "weight, activation",
                                predict::parseLogCodedOperand,
                                fields.keyLogCoded);
    else if (name == "query_source")
      result = parseEnumKeyword(parser, name, "formal, aloc",
                                predict::parseQuerySource, fields.querySource);
    else if (name == "activation_bits")
      result = parseUnsigned(parser, fields.activationBits);
    else if (name == "weight_bits")
      result = parseUnsigned(parser, fields.weightBits);
    else if (name == "query_bits")
      result = parseUnsigned(parser, fields.queryBits);
    else if (name == "key_bits")
      result = parseUnsigned(parser, fields.keyBits);
    else if (name == "key_accumulator_bits")
      result = parseUnsigned(parser, fields.keyAccumulatorBits);
    else if (name == "rounds")
      result = parseUnsigned(parser, fields.rounds);
    else if (name == "slices")
      result = parseWidthList(parser, fields.slices);
    else if (name == "accumulator_bits")
      result = parseWidthList(parser, fields.accumulatorBits);
    else if (name == "filter")
      result = parseEnumKeyword(parser, name, "none, safe, maxmean, radius",
                                predict::parseFilterRule, fields.filter);
    else if (name == "filter_alpha")
      result = parseDouble(parser, fields.filterAlpha);
    else if (name == "filter_radius")
      result = parseDouble(parser, fields.filterRadius);
    else if (name == "select")
      result = parseEnumKeyword(parser, name, "topk, threshold",
                                predict::parseSelectMode, fields.select);
    else if (name == "keep_ratio")
      result = parseDouble(parser, fields.keepRatio);
    else if (name == "threshold")
      result = parseDouble(parser, fields.threshold);
    else if (name == "score_bits")
      result = parseUnsigned(parser, fields.scoreBits);
    else if (name == "round_bits")
      result = parseWidthList(parser, fields.roundBits);
    else if (name == "segments")
      result = parseUnsigned(parser, fields.segments);
    else if (name == "msb_bits")
      result = parseUnsigned(parser, fields.msbBits);
    else if (name == "requant_threshold")
      result = parseDouble(parser, fields.requantThreshold);
    else {
      parser.emitError(nameLoc)
          << "unknown parameter '" << name
          << "' in #lapa.predictor; valid parameters are: "
          << joinNames(predict::allParameterNames());
      return {};
    }
    if (failed(result))
      return {};
    if (name == "slices" || name == "accumulator_bits" ||
        name == "round_bits") {
      const SmallVector<unsigned> &list =
          name == "slices"             ? fields.slices
          : name == "accumulator_bits" ? fields.accumulatorBits
                                       : fields.roundBits;
      if (list.empty()) {
        parser.emitError(nameLoc)
            << "parameter '" << name << "' is an empty list; give at least "
            << "one width or leave the parameter out";
        return {};
      }
    }
  }
  if (parser.parseGreater())
    return {};

  return parser.getChecked<PredictorAttr>(
      startLoc, context, fields.scheme, fields.keyLogCoded, fields.querySource,
      fields.activationBits, fields.weightBits, fields.queryBits,
      fields.keyBits, fields.keyAccumulatorBits, fields.rounds,
      ArrayRef<unsigned>(fields.slices),
      ArrayRef<unsigned>(fields.accumulatorBits), fields.filter,
      toFloatAttr(context, fields.filterAlpha),
      toFloatAttr(context, fields.filterRadius), fields.select,
      toFloatAttr(context, fields.keepRatio),
      toFloatAttr(context, fields.threshold), fields.scoreBits,
      ArrayRef<unsigned>(fields.roundBits), fields.segments, fields.msbBits,
      toFloatAttr(context, fields.requantThreshold));
}

void PredictorAttr::print(AsmPrinter &printer) const {
  PredictorFields fields = fieldsOf(*this);
  printer << "<" << predict::schemeName(fields.scheme);
  auto printList = [&](StringRef name, ArrayRef<unsigned> list) {
    if (list.empty())
      return;
    printer << ", " << name << " = [";
    llvm::interleaveComma(list, printer);
    printer << "]";
  };
  auto printUnsigned = [&](StringRef name, std::optional<unsigned> value) {
    if (value)
      printer << ", " << name << " = " << *value;
  };
  auto printDouble = [&](StringRef name, std::optional<double> value) {
    if (value)
      printer << ", " << name << " = " << formatShortest(*value);
  };
  if (fields.keyLogCoded)
    printer << ", key_log_coded = "
            << predict::logCodedOperandName(*fields.keyLogCoded);
  if (fields.querySource)
    printer << ", query_source = "
            << predict::querySourceName(*fields.querySource);
  printUnsigned("activation_bits", fields.activationBits);
  printUnsigned("weight_bits", fields.weightBits);
  printUnsigned("query_bits", fields.queryBits);
  printUnsigned("key_bits", fields.keyBits);
  printUnsigned("key_accumulator_bits", fields.keyAccumulatorBits);
  printUnsigned("rounds", fields.rounds);
  printList("slices", fields.slices);
  printList("accumulator_bits", fields.accumulatorBits);
  if (fields.filter)
    printer << ", filter = " << predict::filterRuleName(*fields.filter);
  printDouble("filter_alpha", fields.filterAlpha);
  printDouble("filter_radius", fields.filterRadius);
  if (fields.select)
    printer << ", select = " << predict::selectModeName(*fields.select);
  printDouble("keep_ratio", fields.keepRatio);
  printDouble("threshold", fields.threshold);
  printUnsigned("score_bits", fields.scoreBits);
  printList("round_bits", fields.roundBits);
  printUnsigned("segments", fields.segments);
  printUnsigned("msb_bits", fields.msbBits);
  printDouble("requant_threshold", fields.requantThreshold);
  printer << ">";
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, StringAttr config) {
  if (name.empty())
    return emitError() << "#lapa.target needs a non-empty configuration name, "
                          "for example \"lapa-28nm\"";
  if (config && config.getValue().empty())
    return emitError() << "#lapa.target config path is empty; give the path "
                          "of the hardware configuration file or leave it out";
  return success();
}
