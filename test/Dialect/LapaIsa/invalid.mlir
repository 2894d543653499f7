// RUN: lapa-opt %s -split-input-file -verify-diagnostics

// Each flag belongs to the instructions that read it.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.silu' op does not accept flag 'accumulate'; it takes no flags}}
  lapa_isa.silu {flags = ["accumulate"], ldx = 4 : i64, ldy = 4 : i64, m = 1 : i64, n = 4 : i64, x = #lapa_isa.buf<0, 0>, y = #lapa_isa.buf<0, 0>}
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.relu' op does not accept flag 'accumulate'; it takes no flags}}
  lapa_isa.relu {flags = ["accumulate"], ldx = 4 : i64, ldy = 4 : i64, m = 1 : i64, n = 4 : i64, x = #lapa_isa.buf<0, 0>, y = #lapa_isa.buf<0, 0>}
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.gemm' op does not accept flag 'causal'; valid flags: accumulate, trans_b, gather}}
  lapa_isa.gemm {a = #lapa_isa.buf<0, 0>, b = #lapa_isa.buf<0, 0>, c = #lapa_isa.buf<0, 0>, flags = ["causal"], k = 1 : i64, lda = 1 : i64, ldb = 1 : i64, ldc = 1 : i64, m = 1 : i64, mask_base = 0 : i64, n = 1 : i64}
}

// -----

// Dependency tokens name the seven units.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.silu' op names unknown unit 'gpu' in `wait`; the units are dma, shift, encode, filter, mac, softmax and vector}}
  lapa_isa.silu {ldx = 4 : i64, ldy = 4 : i64, m = 1 : i64, n = 4 : i64, wait = ["gpu"], x = #lapa_isa.buf<0, 0>, y = #lapa_isa.buf<0, 0>}
}

// -----

// Counts and strides are 32-bit unsigned words.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.silu' op field `m` is -1, outside [0, 4294967295]}}
  lapa_isa.silu {ldx = 4 : i64, ldy = 4 : i64, m = -1 : i64, n = 4 : i64, x = #lapa_isa.buf<0, 0>, y = #lapa_isa.buf<0, 0>}
}

// -----

// A buffer reference holds a 24-bit offset.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.silu' op field `x` addresses buffer 0 at 16777216; a buffer reference holds an index up to 255 and an offset up to 16777215}}
  lapa_isa.silu {ldx = 4 : i64, ldy = 4 : i64, m = 1 : i64, n = 4 : i64, x = #lapa_isa.buf<0, 16777216>, y = #lapa_isa.buf<0, 0>}
}

// -----

// The memory map: roles, element types and shapes.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.tensor' op has role 'temporary'; expected input, weight, output or scratch}}
  lapa_isa.tensor @t "temporary" "f32" [4] at 0
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.tensor' op has element type 'f16'; expected i8, i16, i32, f32, u8 or u16}}
  lapa_isa.tensor @t "input" "f16" [4] at 0
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.tensor' op has dimension 0; every dimension must be positive}}
  lapa_isa.tensor @t "input" "f32" [4, 0] at 0
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.tensor' op has an initial value of 32-bit elements for a i8 tensor}}
  lapa_isa.tensor @t "weight" "i8" [2] at 0 {value = dense<1.0> : tensor<2xf32>}
}

// -----

// Predictor records use the prediction library's text form.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.predictor' op has an invalid predictor record}}
  lapa_isa.predictor "lapa keep_ratio=0"
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.stage' op names stage 'decode'; expected prediction, kv_projection, attention, ffn or other}}
  lapa_isa.stage "decode" layer 0
}

// -----

// The program checks its instructions against its configuration, which
// must parse.
// expected-error @+1 {{'lapa_isa.program' op carries an invalid hardware configuration}}
lapa_isa.program @p for "none" attributes {config = "name: x", fingerprint = 0 : i64} {
}
