// RUN: lapa-opt %s -split-input-file -verify-diagnostics

// Steps name one dictionary per enclosing repeat.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.load' op has 1 step dictionaries inside 0 lapa_isa.repeat ops; give one per enclosing repeat, innermost first}}
  lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, steps = [{dram = 64 : i64}]}
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    lapa_isa.repeat 3 {
      // expected-error @+1 {{'lapa_isa.load' op has 1 step dictionaries inside 2 lapa_isa.repeat ops; give one per enclosing repeat, innermost first}}
      lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, steps = [{dram = 64 : i64}]}
    }
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    // expected-error @+1 {{'lapa_isa.load' op has step entry 0 that is not a dictionary}}
    lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, steps = [64 : i64]}
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    // expected-error @+1 {{'lapa_isa.load' op cannot step `rowz`: the op has no such field}}
    lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, steps = [{rowz = 1 : i64}]}
  }
}

// -----

// The dependency tokens and flags are the same in every iteration; the
// message lists what may step.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    // expected-error @+1 {{'lapa_isa.load' op cannot step `signal`: the header fields (wait, signal, flags) are the same in every iteration; the fields that may step are dram, dst, rows, row_bytes, dram_stride, buf_stride}}
    lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, signal = ["mac"], steps = [{signal = 1 : i64}]}
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    // expected-error @+1 {{'lapa_isa.load' op steps field `dram` by a value that is not an integer}}
    lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, steps = [{dram = "far"}]}
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    // expected-error @+1 {{'lapa_isa.load' op steps field `dram` by 36893488147419103232, which does not fit 64 bits}}
    lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, steps = [{dram = 36893488147419103232 : i128}]}
  }
}

// -----

// An f32 scalar is the same in every iteration, and an absent buffer
// operand stays absent.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    // expected-error @+1 {{'lapa_isa.softmax' op cannot step `scale`: an f32 field is the same in every iteration}}
    lapa_isa.softmax {m = 1 : i64, p = #lapa_isa.buf<2, 64>, s = #lapa_isa.buf<2, 0>, scale = 1.0 : f32, t = 4 : i64, steps = [{scale = 1 : i64}]}
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    // expected-error @+1 {{'lapa_isa.softmax' op cannot step `row_scales`: the field is absent; the fields that may step are s, p, m, t}}
    lapa_isa.softmax {m = 1 : i64, p = #lapa_isa.buf<2, 64>, s = #lapa_isa.buf<2, 0>, scale = 1.0 : f32, t = 4 : i64, steps = [{row_scales = 4 : i64}]}
  }
}

// -----

// Every iteration's fields must stay in range: rows 1, 0, -1 over three
// iterations, and a buffer offset that passes 2^24 - 1 in the fifth.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 3 {
    // expected-error @+1 {{'lapa_isa.load' op field `rows` steps outside [0, 4294967295] in some iteration of its repeats (from -1 to 1); use smaller steps or fewer iterations}}
    lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, steps = [{rows = -1 : i64}]}
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 5 {
    // expected-error @+1 {{'lapa_isa.load' op field `dst` steps outside [0, 16777215] in some iteration of its repeats (from 16000000 to 16800000); use smaller steps or fewer iterations}}
    lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 16000000>, row_bytes = 64 : i64, rows = 1 : i64, steps = [{dst = 200000 : i64}]}
  }
}

// -----

// Steps of two repeats add up: the last iteration of the inner repeat
// (-8 twice) in the last of the outer one (-16 once) takes 24 to -8.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    lapa_isa.repeat 3 {
      // expected-error @+1 {{'lapa_isa.load' op field `dram` steps outside [0, 281474976710655] in some iteration of its repeats (from -8 to 24)}}
      lapa_isa.load {buf_stride = 64 : i64, dram = 24 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64, steps = [{dram = -8 : i64}, {dram = -16 : i64}]}
    }
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  // expected-error @+1 {{'lapa_isa.repeat' op has count 0; a repeat runs its body at least once}}
  lapa_isa.repeat 0 {
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 3 {
    // expected-error @+1 {{'lapa_isa.stage' op cannot step `stage`: a stage steps only its `layer`}}
    lapa_isa.stage "ffn" layer 0 {steps = [{stage = 1 : i64}]}
  }
}

// -----

lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 3 {
    // expected-error @+1 {{'lapa_isa.stage' op field `layer` steps outside [-1, 2147483647] in some iteration of its repeats (from -2 to 0)}}
    lapa_isa.stage "ffn" layer 0 {steps = [{layer = -1 : i64}]}
  }
}

// -----

// The memory map and the predictor records are not repeated.
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 2 {
    // expected-error @+1 {{'lapa_isa.tensor' op expects parent op 'lapa_isa.program'}}
    lapa_isa.tensor @t "input" "f32" [4] at 0
  }
}

// -----

// The stream file counts instructions with 32 bits: 65536 x 65536 = 2^32
// loads are one more than it can count.
// expected-error @+1 {{'lapa_isa.program' op expands to 4294967296 instructions, more than the stream format's limit of 4294967295; use fewer iterations in its lapa_isa.repeat ops}}
lapa_isa.program @p for "none" attributes {config = "", fingerprint = 0 : i64} {
  lapa_isa.repeat 65536 {
    lapa_isa.repeat 65536 {
      lapa_isa.load {buf_stride = 64 : i64, dram = 0 : i64, dram_stride = 64 : i64, dst = #lapa_isa.buf<4, 0>, row_bytes = 64 : i64, rows = 1 : i64}
    }
  }
}
