// Rules of #lapa.predictor, !lapa.log_code and #lapa.target. Every case
// states its rule; valid boundary cases sit beside the failing ones.
// REQUIRES: mlir
// RUN: lapa-opt %s -split-input-file -verify-diagnostics

// The scheme is one of lapa, sofa, fact, sanger, energon, spatten, oracle, dense.
// expected-error @+1 {{unknown predictor scheme 'lapa2'; expected one of: lapa, sofa, fact, sanger, energon, spatten, oracle, dense}}
func.func @unknown_scheme() attributes {p = #lapa.predictor<lapa2>} { return }

// -----

// A parameter name must be one the predictor knows.
// expected-error @+1 {{unknown parameter 'keep' in #lapa.predictor; valid parameters are: key_log_coded, query_source}}
func.func @unknown_parameter() attributes {p = #lapa.predictor<lapa, keep = 0.25>} { return }

// -----

// A parameter appears at most once.
// expected-error @+1 {{parameter 'rounds' appears twice in #lapa.predictor}}
func.func @duplicate_parameter() attributes {p = #lapa.predictor<lapa, rounds = 2, rounds = 3>} { return }

// -----

// Enumerated parameters take one of their keywords.
// expected-error @+1 {{unknown value 'median' for parameter 'filter'; expected one of: none, safe, maxmean, radius}}
func.func @unknown_filter() attributes {p = #lapa.predictor<lapa, filter = median>} { return }

// -----

// A width list has at least one entry.
// expected-error @+1 {{parameter 'slices' is an empty list; give at least one width or leave the parameter out}}
func.func @empty_slices() attributes {p = #lapa.predictor<lapa, slices = []>} { return }

// -----

// The keep ratio lies in (0, 1]: zero keeps nothing.
// expected-error @+1 {{invalid #lapa.predictor: parameter 'keep_ratio' is 0, outside (0, 1]; give the fraction of visible keys to keep, for example 0.25}}
func.func @keep_ratio_zero() attributes {p = #lapa.predictor<lapa, keep_ratio = 0.0>} { return }

// -----

// The keep ratio lies in (0, 1]: above 1 is not a fraction.
// expected-error @+1 {{parameter 'keep_ratio' is 1.5, outside (0, 1]}}
func.func @keep_ratio_above_one() attributes {p = #lapa.predictor<oracle, keep_ratio = 1.5>} { return }

// -----

// Boundary: a keep ratio of exactly 1 and a tiny positive one are valid.
func.func @keep_ratio_bounds() attributes {p = #lapa.predictor<oracle, keep_ratio = 1.0>, q = #lapa.predictor<lapa, keep_ratio = 0.001>} { return }

// -----

// A negative keep ratio reads as a number and is then rejected as one.
// expected-error @+1 {{parameter 'keep_ratio' is -0.5, outside (0, 1]}}
func.func @keep_ratio_negative() attributes {p = #lapa.predictor<lapa, keep_ratio = -0.5>} { return }

// -----

// MRSA runs at least one round.
// expected-error @+1 {{parameter 'rounds' is 0, outside [1, 8]; MRSA needs at least one shift-accumulate round}}
func.func @zero_rounds() attributes {p = #lapa.predictor<lapa, rounds = 0>} { return }

// -----

// The slice widths cover the sliced operand (key_bits) exactly.
// expected-error @+1 {{parameter 'slices' [4, 3] sums to 7 bits but key_bits = 8; the slices must cover the sliced operand exactly}}
func.func @slices_sum() attributes {p = #lapa.predictor<lapa, slices = [4, 3]>} { return }

// -----

// One slice per round.
// expected-error @+1 {{parameter 'slices' [8] has 1 entries but rounds = 2; give one slice width per round}}
func.func @slices_count() attributes {p = #lapa.predictor<lapa, slices = [8]>} { return }

// -----

// One accumulator width per round.
// expected-error @+1 {{parameter 'accumulator_bits' [26, 30] has 2 entries but rounds = 3; give one accumulator width per round}}
func.func @accumulator_count() attributes {p = #lapa.predictor<lapa, rounds = 3, slices = [2, 3, 3]>} { return }

// -----

// Boundary: three rounds with matching slices and accumulators, and one
// round (whose filter then defaults to none).
func.func @rounds_boundaries() attributes {
    p = #lapa.predictor<lapa, rounds = 3, slices = [2, 3, 3], accumulator_bits = [24, 27, 30]>,
    q = #lapa.predictor<lapa, rounds = 1, slices = [8], accumulator_bits = [30]>} { return }

// -----

// A filter runs between rounds, so an explicit filter needs two rounds.
// expected-error @+1 {{filter = safe runs between MRSA rounds but rounds = 1; set rounds >= 2 or filter = none}}
func.func @filter_one_round() attributes {p = #lapa.predictor<lapa, rounds = 1, slices = [8], accumulator_bits = [30], filter = safe>} { return }

// -----

// The threshold mode needs its constant.
// expected-error @+1 {{select = threshold needs the parameter 'threshold' (a softmax probability in (0, 1)); add it, for example threshold = 0.002}}
func.func @threshold_missing() attributes {p = #lapa.predictor<lapa, select = threshold>} { return }

// -----

// A threshold without the threshold mode would be ignored.
// expected-error @+1 {{parameter 'threshold' is set but select = topk ignores it; set select = threshold or remove the threshold}}
func.func @threshold_unused() attributes {p = #lapa.predictor<lapa, threshold = 0.01>} { return }

// -----

// The max-mean weight lies in [0, 1].
// expected-error @+1 {{parameter 'filter_alpha' is 1.5, outside [0, 1]; it weighs the row maximum against the row mean}}
func.func @alpha_range() attributes {p = #lapa.predictor<lapa, filter = maxmean, filter_alpha = 1.5>} { return }

// -----

// A parameter the scheme does not read is rejected, not ignored.
// expected-error @+1 {{invalid #lapa.predictor: parameter 'rounds' does not apply to scheme oracle; remove it, or use one of: select, keep_ratio, threshold}}
func.func @parameter_scheme() attributes {p = #lapa.predictor<oracle, rounds = 2>} { return }

// -----

// Dense takes no parameters at all.
// expected-error @+1 {{parameter 'keep_ratio' does not apply to scheme dense, which takes no parameters; remove it}}
func.func @dense_parameters() attributes {p = #lapa.predictor<dense, keep_ratio = 0.5>} { return }

// -----

// Energon's round precisions rise.
// expected-error @+1 {{parameter 'round_bits' [4, 2] must rise strictly and stay within query_bits = 16; for example [2, 4]}}
func.func @energon_rising() attributes {p = #lapa.predictor<energon, round_bits = [4, 2]>} { return }

// -----

// Sanger quantizes to 2 to 8 bits.
// expected-error @+1 {{parameter 'score_bits' is 12, outside [2, 8]; choose a width in that range}}
func.func @sanger_bits() attributes {p = #lapa.predictor<sanger, score_bits = 12>} { return }

// -----

// Boundary: every scheme with its defaults.
func.func @all_schemes() attributes {
    a = #lapa.predictor<lapa>, b = #lapa.predictor<sofa>, c = #lapa.predictor<fact>,
    d = #lapa.predictor<sanger>, e = #lapa.predictor<energon>,
    f = #lapa.predictor<spatten>, g = #lapa.predictor<oracle>,
    h = #lapa.predictor<dense>} { return }

// -----

// A log code encodes a 2- to 16-bit integer.
// expected-error @+1 {{log code source width 17 is outside [2, 16]; the accelerator log-codes 8-bit weights and 16-bit queries}}
func.func @log_code_width(%w: tensor<4x!lapa.log_code<17>>) { return }

// -----

// The target names a configuration.
// expected-error @+1 {{#lapa.target needs a non-empty configuration name, for example "lapa-28nm"}}
func.func @target_name() attributes {t = #lapa.target<"">} { return }

// -----

// A configuration path, when given, is not empty.
// expected-error @+1 {{#lapa.target config path is empty; give the path of the hardware configuration file or leave it out}}
func.func @target_config() attributes {t = #lapa.target<"lapa-28nm", config = "">} { return }
