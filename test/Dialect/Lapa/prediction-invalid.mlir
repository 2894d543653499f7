// Verifier rules of the quantization, log-coding, prediction, selection
// and sparse projection ops. Every case states its rule; valid boundary
// cases sit beside the failing ones.
// REQUIRES: mlir
// RUN: lapa-opt %s -split-input-file -verify-diagnostics

// Quantization produces 2- to 16-bit integers.
func.func @quantize_width(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result element type 'i32' must be a signless integer of 2 to 16 bits; the accelerator uses i8 and i16}}
  %q = lapa.quantize %x scales [0.1] : tensor<4x8xf32> -> tensor<4x8xi32>
  return
}

// -----

// Quantization with run-time scales also produces 2- to 16-bit integers.
func.func @quantize_dynamic_width(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result element type 'i32' must be a signless integer of 2 to 16 bits; the accelerator uses i8 and i16}}
  %q, %s = lapa.quantize_dynamic %x over 1 : tensor<4x8xf32> -> tensor<4x8xi32>, tensor<4xf32>
  return
}

// -----

// The result keeps the input's shape.
func.func @quantize_dynamic_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result shape must equal the input shape 'tensor<4x8xf32>'}}
  %q, %s = lapa.quantize_dynamic %x over 1 : tensor<4x8xf32> -> tensor<8x4xi8>, tensor<4xf32>
  return
}

// -----

// The scales run along an existing dimension.
func.func @quantize_dynamic_over(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{dimension `over` is 2, outside [0, 2) for a rank-2 input}}
  %q, %s = lapa.quantize_dynamic %x over 2 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4xf32>
  return
}

// -----

// One scale per slice: the input's shape without dimension `over`. Per
// output channel of a [Hin, N] weight (over 0) gives N scales, which is
// valid; 4 scales for over 0 are not.
func.func @quantize_dynamic_scales(%x: tensor<4x8xf32>) {
  %q0, %s0 = lapa.quantize_dynamic %x over 0 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<8xf32>
  // expected-error @+1 {{scales have the shape 'tensor<4xf32>'; expected the input shape without dimension 0}}
  %q, %s = lapa.quantize_dynamic %x over 0 : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4xf32>
  return
}

// -----

// Every scale is finite and positive.
func.func @quantize_scale_sign(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{scale 0 is -1.000000e-01; every scale must be finite and positive}}
  %q = lapa.quantize %x scales [-0.1] : tensor<4x8xf32> -> tensor<4x8xi8>
  return
}

// -----

// Several scales need an axis.
func.func @quantize_axis_missing(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{has 2 scales but no axis; give one scale for per-tensor quantization, or an axis for per-channel scales}}
  %q = lapa.quantize %x scales [0.1, 0.2] : tensor<4x8xf32> -> tensor<4x8xi8>
  return
}

// -----

// The axis is a dimension of the tensor.
func.func @quantize_axis_range(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{axis 2 is outside [0, 2) for 'tensor<4x8xf32>'}}
  %q = lapa.quantize %x scales [0.1] axis 2 : tensor<4x8xf32> -> tensor<4x8xi8>
  return
}

// -----

// Per-channel quantization has one scale per channel.
func.func @quantize_channels(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{has 3 scales but dimension 0 of 'tensor<4x8xf32>' has 4 channels; give one scale per channel}}
  %q = lapa.quantize %x scales [0.1, 0.2, 0.3] axis 0 : tensor<4x8xf32> -> tensor<4x8xi8>
  return
}

// -----

// Quantization keeps the shape.
func.func @quantize_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %q = lapa.quantize %x scales [0.1] : tensor<4x8xf32> -> tensor<8x4xi8>
  return
}

// -----

// Dequantization shares the scale rules.
func.func @dequantize_channels(%x: tensor<4x8xi32>) {
  // expected-error @+1 {{has 2 scales but dimension 1 of 'tensor<4x8xf32>' has 8 channels}}
  %q = lapa.dequantize %x scales [0.1, 0.2] axis 1 : tensor<4x8xi32> -> tensor<4x8xf32>
  return
}

// -----

// Requantization narrows.
func.func @requantize_widen(%x: tensor<4x8xi8>) {
  // expected-error @+1 {{result width 16 must be smaller than the input width 8; requantization narrows}}
  %q = lapa.requantize %x shift 2 : tensor<4x8xi8> -> tensor<4x8xi16>
  return
}

// -----

// The shift lies in [0, input width).
func.func @requantize_shift(%x: tensor<4x8xi32>) {
  // expected-error @+1 {{shift 32 is outside [0, 32) for an 32-bit input}}
  %q = lapa.requantize %x shift 32 : tensor<4x8xi32> -> tensor<4x8xi8>
  return
}

// -----

// A log code encodes the input's width.
func.func @log_encode_width(%x: tensor<4x8xi8>) {
  // expected-error @+1 {{result element type '!lapa.log_code<16>' must encode the 8-bit input; use !lapa.log_code<8>}}
  %q = lapa.log_encode %x : tensor<4x8xi8> -> tensor<4x8x!lapa.log_code<16>>
  return
}

// -----

// Key prediction needs a log-coded operand; otherwise it is a plain matmul.
func.func @predict_keys_no_code(%x: tensor<16x128xi8>, %w: tensor<128x64xi8>) {
  // expected-error @+1 {{needs at least one log-coded operand, got 'tensor<16x128xi8>' and 'tensor<128x64xi8>'; encode the weight with lapa.log_encode (ALOC), or use linalg.matmul for an exact integer product}}
  %k = lapa.predict_keys %x, %w : tensor<16x128xi8>, tensor<128x64xi8> -> tensor<16x64xi32>
  return
}

// -----

// The input is [S, Hin] or [B, S, Hin].
func.func @predict_keys_rank(%x: tensor<128xi8>, %w: tensor<128x64x!lapa.log_code<8>>) {
  // expected-error @+1 {{input must have rank 2 [S, Hin] or 3 [B, S, Hin], got 'tensor<128xi8>'}}
  %k = lapa.predict_keys %x, %w : tensor<128xi8>, tensor<128x64x!lapa.log_code<8>> -> tensor<64xi32>
  return
}

// -----

// Input and weight share the reduction size Hin.
func.func @predict_keys_reduction(%x: tensor<16x96xi8>, %w: tensor<128x64x!lapa.log_code<8>>) {
  // expected-error @+1 {{reduction sizes (Hin) of input (96) and weight (128) differ}}
  %k = lapa.predict_keys %x, %w : tensor<16x96xi8>, tensor<128x64x!lapa.log_code<8>> -> tensor<16x64xi32>
  return
}

// -----

// The accumulator holds at least one shifted term: 8 + 6 = 14 bits here.
func.func @predict_keys_accumulator(%x: tensor<16x128xi8>, %w: tensor<128x64x!lapa.log_code<8>>) {
  // expected-error @+1 {{accumulator 'i12' is narrower than one shifted term (14 bits); use a wider integer such as i32}}
  %k = lapa.predict_keys %x, %w : tensor<16x128xi8>, tensor<128x64x!lapa.log_code<8>> -> tensor<16x64xi12>
  return
}

// -----

// Boundary: a 14-bit accumulator holds one term.
func.func @predict_keys_accumulator_min(%x: tensor<16x128xi8>, %w: tensor<128x64x!lapa.log_code<8>>) {
  %k = lapa.predict_keys %x, %w : tensor<16x128xi8>, tensor<128x64x!lapa.log_code<8>> -> tensor<16x64xi14>
  return
}

// -----

// The result is [S, N].
func.func @predict_keys_result(%x: tensor<16x128xi8>, %w: tensor<128x64x!lapa.log_code<8>>) {
  // expected-error @+1 {{result must have shape [S, N] = [16, 64], got 'tensor<16x128xi32>'}}
  %k = lapa.predict_keys %x, %w : tensor<16x128xi8>, tensor<128x64x!lapa.log_code<8>> -> tensor<16x128xi32>
  return
}

// -----

// Dense execution has no score prediction.
func.func @scores_dense(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{scheme dense predicts no per-pair scores; lower lapa.attention without prediction}}
  %s, %c = lapa.predict_scores %q, %k predictor <dense> : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x8xf32>, tensor<1x2x8x8xi1>
  return
}

// -----

// SpAtten ranks tokens instead of predicting pairs.
func.func @scores_spatten(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{scheme spatten predicts no per-pair scores; SpAtten ranks tokens by the attention probabilities of earlier layers}}
  %s, %c = lapa.predict_scores %q, %k predictor <spatten> : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x8xf32>, tensor<1x2x8x8xi1>
  return
}

// -----

// LAPA log-codes the query at query_bits.
func.func @scores_lapa_query(%q: tensor<1x2x8x16x!lapa.log_code<8>>, %k: tensor<1x2x8x16xi8>) {
  // expected-error @+1 {{scheme lapa needs the query as !lapa.log_code<16> (query_bits = 16), got '!lapa.log_code<8>'}}
  %s, %c = lapa.predict_scores %q, %k predictor <lapa> : tensor<1x2x8x16x!lapa.log_code<8>>, tensor<1x2x8x16xi8> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  return
}

// -----

// LAPA slices K-hat of key_bits.
func.func @scores_lapa_key(%q: tensor<1x2x8x16x!lapa.log_code<16>>, %k: tensor<1x2x8x16xi32>) {
  // expected-error @+1 {{scheme lapa needs K-hat as i8 (key_bits = 8), got 'i32'; requantize it with lapa.requantize}}
  %s, %c = lapa.predict_scores %q, %k predictor <lapa> : tensor<1x2x8x16x!lapa.log_code<16>>, tensor<1x2x8x16xi32> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  return
}

// -----

// FACT log-codes both operands.
func.func @scores_fact(%q: tensor<1x2x8x16x!lapa.log_code<16>>, %k: tensor<1x2x8x16xi8>) {
  // expected-error @+1 {{scheme fact log-codes both operands, got '!lapa.log_code<16>' and 'i8'}}
  %s, %c = lapa.predict_scores %q, %k predictor <fact> : tensor<1x2x8x16x!lapa.log_code<16>>, tensor<1x2x8x16xi8> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  return
}

// -----

// Sanger scores operands quantized to score_bits.
func.func @scores_sanger(%q: tensor<1x2x8x16xi8>, %k: tensor<1x2x8x16xi8>) {
  // expected-error @+1 {{scheme sanger needs query and key quantized to i4 (score_bits = 4), got 'i8' and 'i8'}}
  %s, %c = lapa.predict_scores %q, %k predictor <sanger> : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  return
}

// -----

// Energon filters on the most significant bits of 16-bit operands.
func.func @scores_energon(%q: tensor<1x2x8x16xi8>, %k: tensor<1x2x8x16xi8>) {
  // expected-error @+1 {{scheme energon filters on the most significant bits of i16 query and key, got 'i8' and 'i8'}}
  %s, %c = lapa.predict_scores %q, %k predictor <energon> : tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  return
}

// -----

// The oracle scores float operands.
func.func @scores_oracle(%q: tensor<1x2x8x16xi16>, %k: tensor<1x2x8x16xi16>) {
  // expected-error @+1 {{scheme oracle scores the float query and key of one element type, got 'i16' and 'i16'}}
  %s, %c = lapa.predict_scores %q, %k predictor <oracle> : tensor<1x2x8x16xi16>, tensor<1x2x8x16xi16> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  return
}

// -----

// Oracle scores keep the float type.
func.func @scores_oracle_type(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{scores of scheme oracle must have the query element type 'f32', got 'i32'}}
  %s, %c = lapa.predict_scores %q, %k predictor <oracle> : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  return
}

// -----

// The scores hold the last round's accumulator (30 bits by default).
func.func @scores_width(%q: tensor<1x2x8x16x!lapa.log_code<16>>, %k: tensor<1x2x8x16xi8>) {
  // expected-error @+1 {{scores element type 'i16' must be a signless integer of at least 30 bits to hold the last round's accumulator}}
  %s, %c = lapa.predict_scores %q, %k predictor <lapa> : tensor<1x2x8x16x!lapa.log_code<16>>, tensor<1x2x8x16xi8> -> tensor<1x2x8x8xi16>, tensor<1x2x8x8xi1>
  return
}

// -----

// Scores are [B, H, Sq, Skv].
func.func @scores_shape(%q: tensor<1x2x8x16x!lapa.log_code<16>>, %k: tensor<1x2x12x16xi8>) {
  // expected-error @+1 {{scores must have shape [B, H, Sq, Skv] = [1, 2, 8, 12], got 'tensor<1x2x8x8xi32>'}}
  %s, %c = lapa.predict_scores %q, %k predictor <lapa> : tensor<1x2x8x16x!lapa.log_code<16>>, tensor<1x2x12x16xi8> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  return
}

// -----

// Candidates have the scores' shape.
func.func @candidates_shape(%q: tensor<1x2x8x16x!lapa.log_code<16>>, %k: tensor<1x2x8x16xi8>) {
  // expected-error @+1 {{candidates must have shape [B, H, Sq, Skv] = [1, 2, 8, 8], got 'tensor<1x2x8x4xi1>'}}
  %s, %c = lapa.predict_scores %q, %k predictor <lapa> : tensor<1x2x8x16x!lapa.log_code<16>>, tensor<1x2x8x16xi8> -> tensor<1x2x8x8xi32>, tensor<1x2x8x4xi1>
  return
}

// -----

// Score prediction follows the grouped-query head rule.
func.func @scores_heads(%q: tensor<1x3x8x16x!lapa.log_code<16>>, %k: tensor<1x2x8x16xi8>) {
  // expected-error @+1 {{query heads (3) must be a multiple of key/value heads (2)}}
  %s, %c = lapa.predict_scores %q, %k predictor <lapa> : tensor<1x3x8x16x!lapa.log_code<16>>, tensor<1x2x8x16xi8> -> tensor<1x3x8x8xi32>, tensor<1x3x8x8xi1>
  return
}

// -----

// Selection does not apply to dense execution.
func.func @select_dense(%s: tensor<1x2x8x8xf32>, %c: tensor<1x2x8x8xi1>) {
  // expected-error @+1 {{scheme dense selects every key, so it needs no selection; use lapa.attention}}
  %sel, %n = lapa.select %s, %c predictor <dense> : tensor<1x2x8x8xf32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x8xi1>, tensor<1x2x8xi1>
  return
}

// -----

// The index form keeps K = ceil(keep_ratio * Skv) keys per row.
func.func @select_index_k(%s: tensor<1x2x8x40xi32>, %c: tensor<1x2x8x40xi1>) {
  // expected-error @+1 {{index selection has K = 5 but keep_ratio = 1.000000e-01 of Skv = 40 keys keeps 4; use tensor<...x4xi32>}}
  %sel, %n = lapa.select %s, %c predictor <lapa, keep_ratio = 0.1> : tensor<1x2x8x40xi32>, tensor<1x2x8x40xi1> -> tensor<1x2x8x5xi32>, tensor<1x2x40xi1>
  return
}

// -----

// Boundary: ceil(0.1 * 40) is exactly 4 despite binary rounding.
func.func @select_index_k_boundary(%s: tensor<1x2x8x40xi32>, %c: tensor<1x2x8x40xi1>) {
  %sel, %n = lapa.select %s, %c predictor <lapa, keep_ratio = 0.1> : tensor<1x2x8x40xi32>, tensor<1x2x8x40xi1> -> tensor<1x2x8x4xi32>, tensor<1x2x40xi1>
  return
}

// -----

// The threshold mode needs the scale that turns scores into logits.
func.func @select_threshold_scale(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x8xi1>) {
  // expected-error @+1 {{select = threshold needs score_scale(...) or scales(...) to turn the scores into softmax logits}}
  %sel, %n = lapa.select %s, %c predictor <sanger> : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x8xi1>, tensor<1x2x8xi1>
  return
}

// -----

// score_scale is only read by the threshold mode.
func.func @select_unused_scale(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x8xi1>) {
  // expected-error @+1 {{score_scale and scales apply only with select = threshold; remove them or change the predictor}}
  %sel, %n = lapa.select %s, %c predictor <lapa> score_scale(0.5) : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x2xi32>, tensor<1x2x8xi1>
  return
}

// -----

// The logit scale comes once: as a constant or per score.
func.func @select_two_scales(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x8xi1>, %scales: tensor<1x2x8x8xf32>) {
  // expected-error @+1 {{has both score_scale(...) and scales(...); give the scale once}}
  %sel, %n = lapa.select %s, %c scales(%scales : tensor<1x2x8x8xf32>) predictor <sanger> score_scale(0.01) : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x8xi1>, tensor<1x2x8xi1>
  return
}

// -----

func.func @select_scales_shape(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x8xi1>, %scales: tensor<1x2x8xf32>) {
  // expected-error @+1 {{'lapa.select' op scales must have shape [B, H, Sq, Skv] = [1, 2, 8, 8], got 'tensor<1x2x8xf32>'}}
  %sel, %n = lapa.select %s, %c scales(%scales : tensor<1x2x8xf32>) predictor <sanger> : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x8xi1>, tensor<1x2x8xi1>
  return
}

// -----

func.func @select_unused_scales(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x8xi1>, %scales: tensor<1x2x8x8xf32>) {
  // expected-error @+1 {{score_scale and scales apply only with select = threshold; remove them or change the predictor}}
  %sel, %n = lapa.select %s, %c scales(%scales : tensor<1x2x8x8xf32>) predictor <lapa> : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x2xi32>, tensor<1x2x8xi1>
  return
}

// -----

// The threshold mode keeps a varying count per row, so it needs a bitmap.
func.func @select_threshold_index(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x8xi1>) {
  // expected-error @+1 {{select = threshold keeps a varying number of keys per row; use a bitmap selection tensor<...xi1>}}
  %sel, %n = lapa.select %s, %c predictor <sanger> score_scale(0.01) : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x2xi32>, tensor<1x2x8xi1>
  return
}

// -----

// The needed tokens are [B, Hkv, Skv].
func.func @select_needed_rank(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x8xi1>) {
  // expected-error @+1 {{needed must have rank 3 [B, Hkv, Skv], got rank 2}}
  %sel, %n = lapa.select %s, %c predictor <lapa> : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x2xi32>, tensor<2x8xi1>
  return
}

// -----

// The needed tokens cover every key.
func.func @select_needed_keys(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x8xi1>) {
  // expected-error @+1 {{key counts of scores (8) and needed (6) differ}}
  %sel, %n = lapa.select %s, %c predictor <lapa> : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x2xi32>, tensor<1x2x6xi1>
  return
}

// -----

// Query heads group evenly onto the heads of the needed tokens.
func.func @select_needed_heads(%s: tensor<1x4x8x8xi32>, %c: tensor<1x4x8x8xi1>) {
  // expected-error @+1 {{query heads (4) must be a multiple of key/value heads (3) for grouped-query attention: scores 'tensor<1x4x8x8xi32>', needed 'tensor<1x3x8xi1>'}}
  %sel, %n = lapa.select %s, %c predictor <lapa> : tensor<1x4x8x8xi32>, tensor<1x4x8x8xi1> -> tensor<1x4x8x2xi32>, tensor<1x3x8xi1>
  return
}

// -----

// Candidates have the scores' shape.
func.func @select_candidates(%s: tensor<1x2x8x8xi32>, %c: tensor<1x2x8x4xi1>) {
  // expected-error @+1 {{candidates must have shape [B, H, Sq, Skv] = [1, 2, 8, 8], got 'tensor<1x2x8x4xi1>'}}
  %sel, %n = lapa.select %s, %c predictor <lapa> : tensor<1x2x8x8xi32>, tensor<1x2x8x4xi1> -> tensor<1x2x8x2xi32>, tensor<1x2x8xi1>
  return
}

// -----

// The projection's weight columns split evenly into heads.
func.func @project_heads(%x: tensor<16x128xi8>, %w: tensor<128x100xi8>, %n: tensor<1x3x16xi1>) {
  // expected-error @+1 {{weight columns (100) must split evenly into the 3 heads of needed: weight 'tensor<128x100xi8>', needed 'tensor<1x3x16xi1>'}}
  %y = lapa.sparse_project %x, %w, %n : tensor<16x128xi8>, tensor<128x100xi8>, tensor<1x3x16xi1> -> tensor<16x100xi32>
  return
}

// -----

// The needed tokens cover every token of the input.
func.func @project_tokens(%x: tensor<16x128xi8>, %w: tensor<128x128xi8>, %n: tensor<1x4x12xi1>) {
  // expected-error @+1 {{token counts of input (16) and needed (12) differ}}
  %y = lapa.sparse_project %x, %w, %n : tensor<16x128xi8>, tensor<128x128xi8>, tensor<1x4x12xi1> -> tensor<16x128xi32>
  return
}

// -----

// A rank-2 input is one sequence.
func.func @project_batch(%x: tensor<16x128xi8>, %w: tensor<128x128xi8>, %n: tensor<2x4x16xi1>) {
  // expected-error @+1 {{needed has batch 2 but the rank-2 input 'tensor<16x128xi8>' is one sequence; use a batch of 1}}
  %y = lapa.sparse_project %x, %w, %n : tensor<16x128xi8>, tensor<128x128xi8>, tensor<2x4x16xi1> -> tensor<16x128xi32>
  return
}

// -----

// Integer products accumulate in at least twice the operand width.
func.func @project_accumulator(%x: tensor<16x128xi8>, %w: tensor<128x128xi8>, %n: tensor<1x4x16xi1>) {
  // expected-error @+1 {{accumulator 'i8' must be at least twice as wide as the i8 operands}}
  %y = lapa.sparse_project %x, %w, %n : tensor<16x128xi8>, tensor<128x128xi8>, tensor<1x4x16xi1> -> tensor<16x128xi8>
  return
}

// -----

// Input and weight share one element type.
func.func @project_types(%x: tensor<16x128xf32>, %w: tensor<128x128xf16>, %n: tensor<1x4x16xi1>) {
  // expected-error @+1 {{input and weight must have one element type, got 'f32' and 'f16'}}
  %y = lapa.sparse_project %x, %w, %n : tensor<16x128xf32>, tensor<128x128xf16>, tensor<1x4x16xi1> -> tensor<16x128xf32>
  return
}

// -----

// Float projections keep their float type.
func.func @project_float_result(%x: tensor<16x128xf32>, %w: tensor<128x128xf32>, %n: tensor<1x4x16xi1>) {
  // expected-error @+1 {{result element type 'f16' must match the float operands 'f32'}}
  %y = lapa.sparse_project %x, %w, %n : tensor<16x128xf32>, tensor<128x128xf32>, tensor<1x4x16xi1> -> tensor<16x128xf16>
  return
}

// -----

// Input and weight share the reduction size.
func.func @project_reduction(%x: tensor<16x64xf32>, %w: tensor<128x128xf32>, %n: tensor<1x4x16xi1>) {
  // expected-error @+1 {{reduction sizes (Hin) of input (64) and weight (128) differ}}
  %y = lapa.sparse_project %x, %w, %n : tensor<16x64xf32>, tensor<128x128xf32>, tensor<1x4x16xi1> -> tensor<16x128xf32>
  return
}

// -----

// The result is the input with N columns.
func.func @project_result(%x: tensor<2x16x128xf32>, %w: tensor<128x64xf32>, %n: tensor<2x2x16xi1>) {
  // expected-error @+1 {{result must have shape [B, S, N] = [2, 16, 64], got 'tensor<2x16x128xf32>'}}
  %y = lapa.sparse_project %x, %w, %n : tensor<2x16x128xf32>, tensor<128x64xf32>, tensor<2x2x16xi1> -> tensor<2x16x128xf32>
  return
}

// -----

// Quantization needs at least one scale.
func.func @quantize_no_scale(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{needs at least one scale}}
  %q = lapa.quantize %x scales [] : tensor<4x8xf32> -> tensor<4x8xi8>
  return
}

// -----

// The key weight is [Hin, N].
func.func @predict_keys_weight_rank(%x: tensor<16x128xi8>, %w: tensor<2x128x64x!lapa.log_code<8>>) {
  // expected-error @+1 {{weight must have rank 2 [Hin, N], got rank 3}}
  %k = lapa.predict_keys %x, %w : tensor<16x128xi8>, tensor<2x128x64x!lapa.log_code<8>> -> tensor<16x64xi32>
  return
}

// -----

// The projection input is [S, Hin] or [B, S, Hin].
func.func @project_input_rank(%x: tensor<128xi8>, %w: tensor<128x128xi8>, %n: tensor<1x4x16xi1>) {
  // expected-error @+1 {{input must have rank 2 [S, Hin] or 3 [B, S, Hin], got 'tensor<128xi8>'}}
  %y = lapa.sparse_project %x, %w, %n : tensor<128xi8>, tensor<128x128xi8>, tensor<1x4x16xi1> -> tensor<128xi32>
  return
}

// -----

// The needed tokens of a projection are [B, Hkv, S].
func.func @project_needed_rank(%x: tensor<16x128xi8>, %w: tensor<128x128xi8>, %n: tensor<4x16xi1>) {
  // expected-error @+1 {{needed must have rank 3 [B, Hkv, S], got rank 2}}
  %y = lapa.sparse_project %x, %w, %n : tensor<16x128xi8>, tensor<128x128xi8>, tensor<4x16xi1> -> tensor<16x128xi32>
  return
}

// -----

// Selection reads scores of rank 4.
func.func @select_scores_rank(%s: tensor<2x8x8xi32>, %c: tensor<2x8x8xi1>) {
  // expected-error @+1 {{scores must have rank 4 [B, H, Sq, Skv], got rank 3}}
  %sel, %n = lapa.select %s, %c predictor <lapa> : tensor<2x8x8xi32>, tensor<2x8x8xi1> -> tensor<1x2x8x2xi32>, tensor<1x2x8xi1>
  return
}

// -----

// The mask of sparse attention broadcasts like the dense one's.
func.func @sparse_mask_broadcast(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>, %v: tensor<1x4x16x32xf32>, %s: tensor<1x4x16x4xi32>, %m: tensor<1x3x16x16xf32>) {
  // expected-error @+1 {{mask 'tensor<1x3x16x16xf32>' does not broadcast to the scores shape [1, 4, 16, 16]: mask dimension 1 is 3 but must be 1 or 4}}
  %o = lapa.sparse_attention %q, %k, %v, %s mask(%m : tensor<1x3x16x16xf32>) scale(0.125) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x4xi32> -> tensor<1x4x16x32xf32>
  return
}

// -----

// Selection uses the predictor the scores came from.
func.func @select_predictor_mismatch(%q: tensor<1x2x8x16x!lapa.log_code<16>>, %k: tensor<1x2x8x16xi8>) {
  %s, %c = lapa.predict_scores %q, %k predictor <lapa, keep_ratio = 0.125> : tensor<1x2x8x16x!lapa.log_code<16>>, tensor<1x2x8x16xi8> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  // expected-error @+1 {{predictor #lapa.predictor<lapa> differs from the predictor #lapa.predictor<lapa, keep_ratio = 0.125> of the lapa.predict_scores that produced the scores; use the same predictor for both}}
  %sel, %n = lapa.select %s, %c predictor <lapa> : tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1> -> tensor<1x2x8x2xi32>, tensor<1x2x8xi1>
  return
}

// -----

// A log-code constant holds valid packed codes: 4-bit codes for 8-bit
// values reach at most 15, and the zero code 7 has no sign.
func.func @log_constant_sign_on_zero() {
  // expected-error @+1 {{code 15 at index 1 is not a valid '!lapa.log_code<8>' code: the sign is bit 3, the exponent field holds 0 to 6 or 7 for zero, and zero has no sign}}
  %c = lapa.log_constant dense<[1, 15]> : tensor<2xi8> : tensor<2x!lapa.log_code<8>>
  return
}

// -----

// A log-code constant has the shape of its result.
func.func @log_constant_shape() {
  // expected-error @+1 {{codes 'tensor<2xi8>' must have the shape of the result 'tensor<3x!lapa.log_code<8>>'}}
  %c = lapa.log_constant dense<[1, 2]> : tensor<2xi8> : tensor<3x!lapa.log_code<8>>
  return
}

// -----

// Codes are stored as i8.
func.func @log_constant_type() {
  // expected-error @+1 {{codes must be a dense tensor of i8, got 'tensor<2xi32>'}}
  %c = lapa.log_constant dense<[1, 2]> : tensor<2xi32> : tensor<2x!lapa.log_code<8>>
  return
}
