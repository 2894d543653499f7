//===- Isa.h - The LAPA accelerator instruction set -------------*- C++ -*-===//
//
// The instruction set that the compiler emits and the simulator executes.
// This header is the contract between the two; docs/ISA.md describes the
// same thing for readers, field by field and bit by bit.
//
// Machine model
// -------------
// The accelerator has seven units, each with an in-order instruction queue:
//
//   dma       moves 2-D blocks between DRAM and a buffer
//   shift     the speculation unit's shift-add array (ALOC, MRSA rounds)
//   encode    the leading-one encoders (log codes of run-time operands)
//   filter    the DDF threshold lanes and the top-k lanes; also runs the
//             peer predictors' selection
//   mac       the execution unit's MAC array (GEMM, SDDMM, SpMM)
//   softmax   the exponent and divide lanes
//   vector    element-wise and row-wise work in f32
//
// A buffer operand names one of the configuration's buffers by its index
// in the canonical (name-sorted) order of HardwareConfig::buffers, and a
// byte offset inside it. DRAM is one flat byte-addressed space.
//
// Dependencies are counting tokens between units, as in decoupled
// access-execute designs. Instruction I on unit U with bit S of `wait`
// set waits until the token count of queue (S -> U) is positive and then
// decrements it; when I completes, every unit D with bit D of `signal` set
// gets one more token on queue (U -> D). Queues hold up to
// kTokenQueueDepth tokens; a signal into a full queue stalls the signaller.
// Units issue in program order among their own instructions; the only
// ordering between units is through tokens. The functional model runs the
// stream in program order, which is correct exactly when the tokens order
// every pair of instructions that touch the same bytes on different units.
//
// Element types in buffers and DRAM (little-endian):
//   i8, i16, i32 (two's complement), f32 (IEEE binary32), and u8 log codes
//   (one packed code per byte, the layout of lapa::predict::packLogCode).
//   Index lists are u16, with kNoIndex as padding. Bitmaps are packed
//   little-endian bit vectors, bit j in byte j / 8 at position j % 8.
//
// Every instruction is kInstructionBytes long: sixteen little-endian
// 32-bit words. Word 0 is common:
//
//   bits  0..7   opcode
//   bits  8..15  wait mask   (bit u: take one token from unit u)
//   bits 16..23  signal mask (bit u: give one token to unit u)
//   bits 24..31  flags       (meaning per opcode, unused bits must be 0)
//
// Words 1..15 hold the operands listed per opcode below. A buffer
// reference (BufRef) packs the buffer index in bits 24..31 and the byte
// offset in bits 0..23. Unused words must be zero, so that a decoder can
// reject a stream that sets them.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TARGET_STREAM_ISA_H
#define LAPA_TARGET_STREAM_ISA_H

#include "llvm/ADT/ArrayRef.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lapa::isa {

constexpr unsigned kInstructionBytes = 64;
constexpr unsigned kInstructionWords = kInstructionBytes / 4;
constexpr unsigned kTokenQueueDepth = 64;
constexpr uint16_t kNoIndex = 0xffff;
/// A BufRef word with this value means "operand absent".
constexpr uint32_t kNoBuffer = 0xffffffffu;
/// Largest byte offset a BufRef can hold.
constexpr uint32_t kMaxBufferOffset = (1u << 24) - 1;

enum class Unit : uint8_t {
  Dma = 0,
  Shift = 1,
  Encode = 2,
  Filter = 3,
  Mac = 4,
  Softmax = 5,
  Vector = 6,
};
constexpr unsigned kNumUnits = 7;
std::string_view unitName(Unit unit);
std::optional<Unit> parseUnit(std::string_view name);

/// The opcodes. The comment of each lists its operand words; M, N, K are
/// element counts, ld* are row strides in elements, Ref is a BufRef.
enum class Opcode : uint8_t {
  /// dma. w1-w2 DRAM address (low, high), w3 Ref dst, w4 rows, w5 bytes per
  /// row, w6 DRAM row stride in bytes, w7 buffer row stride in bytes.
  Load = 1,
  /// dma. As Load with w3 the source Ref; writes DRAM.
  Store = 2,
  /// dma. Indexed load (embedding lookup): for r < w4, copies w5 bytes
  /// from DRAM address (w1, w2) + X[r] * w6 to dst + r * w7, where X is the
  /// i32 index vector at Ref w8 and every X[r] must lie in [0, w9).
  LoadRows = 22,

  /// mac. C[i32 MxN] = A[i8 MxK] . B[i8 KxN] (flag TransB: B is NxK).
  /// w1 Ref A, w2 Ref B, w3 Ref C, w4 M, w5 N, w6 K, w7 lda, w8 ldb,
  /// w9 ldc. Flag Accumulate adds to C instead of overwriting it. Flag
  /// Gather: w10 Ref of a bitmap, w11 bit index of row 0; a row whose bit is
  /// clear is not computed: its C row is set to zero (with Accumulate, left
  /// unchanged) and costs no MAC cycle.
  Gemm = 3,
  /// mac. S[i32 M x T] = for t < T: A[i, :] . B[I[i,t] - w11, :] over K,
  /// and INT32_MIN where I[i,t] = kNoIndex. w1 Ref A (i8, lda), w2 Ref B
  /// (i8 rows, ldb), w3 Ref S (ldc), w4 M, w5 T, w6 K, w7 lda, w8 ldb,
  /// w9 ldc, w10 Ref I (u16 M x T, row stride T), w11 token index of B's
  /// row 0.
  Sddmm = 4,
  /// mac. O[i32 M x N] = sum over t < T with I[i,t] != kNoIndex of
  /// P[i,t] * B[I[i,t] - w11, :]. w1 Ref P (i8 M x T, lda), w2 Ref B (i8
  /// rows of N, ldb), w3 Ref O (ldc), w4 M, w5 N, w6 T, w7 lda, w8 ldb,
  /// w9 ldc, w10 Ref I, w11 token index of B's row 0.
  Spmm = 5,

  /// softmax. P[f32 M x T] = softmax over t of S[i,t] * rs[i] * w5 (f32
  /// bits), entries with S = INT32_MIN excluded (probability 0). w1 Ref S
  /// (i32, ld T), w2 Ref P (f32, ld T), w3 M, w4 T, w5 scalar scale,
  /// w6 Ref rs (f32 per row) or kNoBuffer for 1.0.
  Softmax = 6,

  /// vector. Y[f32 MxN] = X[i32] * rs[i] * cs[j] * w7 (f32 bits). w1 Ref
  /// X, w2 Ref Y, w3 M, w4 N, w5 Ref rs or kNoBuffer, w6 Ref cs or
  /// kNoBuffer, w7 scale, w8 ldx, w9 ldy. Flag Accumulate adds to Y.
  Dequant = 7,
  /// vector. Quantizes X[f32 MxN] to Y at w5 bits (2..16; i8 for up to 8
  /// bits, else i32) with symmetric scales: per row (flag PerTensor clear)
  /// or one for the block; scale = absmax / (2^(bits-1) - 1), 1.0 when the
  /// absmax is 0; round half to even, saturate. w1 Ref X, w2 Ref Y, w3 M,
  /// w4 N, w6 Ref scales out (f32), w7 ldx, w8 ldy.
  Quant = 8,
  /// vector. Y = A + B (f32 MxN). w1 Ref A, w2 Ref B, w3 Ref Y, w4 M, w5 N,
  /// w6 lda, w7 ldb, w8 ldy. Flag RowBroadcast: B is one row of N.
  Add = 9,
  /// vector. Y = A * B, operands as Add.
  Mul = 10,
  /// vector. Y[i,:] = X[i,:] / sqrt(mean(X[i,:]^2) + eps) * G. w1 Ref X,
  /// w2 Ref G (f32 N), w3 Ref Y, w4 M, w5 N, w6 eps (f32 bits), w7 ldx,
  /// w8 ldy.
  RmsNorm = 11,
  /// vector. Y[i,:] = (X - mean) / sqrt(var + eps) * G + Bias. As RmsNorm
  /// with w9 Ref Bias (f32 N).
  LayerNorm = 12,
  /// vector. Y = X * sigmoid(X). w1 Ref X, w2 Ref Y, w3 M, w4 N, w5 ldx,
  /// w6 ldy.
  Silu = 13,
  /// vector. Y = 0.5 X (1 + tanh(sqrt(2/pi) (X + 0.044715 X^3))), operands
  /// as Silu.
  Gelu = 14,
  /// vector. Rotary embedding of each head slice of D = w8 columns (N, a
  /// multiple of D, columns in all): for each pair (a, b) with pair index
  /// c < D/2, y_a = x_a cos[i,c] - x_b sin[i,c] and
  /// y_b = x_b cos[i,c] + x_a sin[i,c]. Pairs are (2c, 2c+1), or with flag
  /// HalfSplit (c, c + D/2). The tables hold one row of D/2 angles' cosines
  /// and sines per row of X (the rows of the positions the tile covers).
  /// w1 Ref X, w2 Ref Y, w3 M, w4 N, w5 ldx, w6 ldy, w7 Ref cos (f32
  /// M x D/2), w8 D, w9 Ref sin (f32 M x D/2).
  Rope = 15,

  /// encode. C[u8 MxN] = log codes of X[i32 MxN] at w5 input bits (2..16).
  /// w1 Ref X, w2 Ref C, w3 M, w4 N, w6 ldx, w7 ldc.
  LogEncode = 16,
  /// shift. K-hat[i32 MxN] = sum_k X[i8 m,k] shifted by code W[u8 k,n]
  /// (the ALOC product with log-coded weights). w1 Ref X, w2 Ref W, w3 Ref
  /// Y, w4 M, w5 N, w6 K, w7 ldx, w8 ldw, w9 ldy. Flag Accumulate adds to
  /// Y. The sum is range-checked at the record's key accumulator width.
  KeyPredict = 17,
  /// shift. One MRSA round of score prediction: for the query rows
  /// [w7, w7 + M) of codes Q[u8 M x D] against keys Khat[N x D] (in
  /// Quant's container for the record's key_bits: i8 up to 8 bits, else
  /// i32), adds
  /// round w8's slice to the partial sums P[i32 M x N] of the keys whose
  /// bit is set in the survivor bitmap V (M x N bits, row stride N bits).
  /// Round 0 sets every visible key's bit (flag Causal: key j <= query
  /// w7 + i) and overwrites P. w1 Ref Q, w2 Ref Khat, w3 Ref P, w4 M, w5 N, w6 D,
  /// w9 Ref V, w10 predictor record index.
  ShiftAccumulate = 18,
  /// filter. DDF after round w8: clears survivor bits of keys that cannot
  /// reach the row's top-k given what later rounds can add. Operands as
  /// ShiftAccumulate (Khat unused, w2 = kNoBuffer).
  Filter = 19,
  /// filter. Final top-k (or threshold) of each row over the surviving keys
  /// of P: writes the kept key indices I[u16 M x T] (ascending, padded with
  /// kNoIndex) and ORs the kept keys into the needed-token bitmap C (N
  /// bits). w1 Ref P, w2 Ref V, w3 Ref I, w4 M, w5 N, w6 T, w7 query row
  /// base, w9 Ref C, w10 predictor record index, w12 logit scale (f32
  /// bits: the real value of one unit of P, divided by sqrt(D)). Flag
  /// Causal: row i sees keys j <= w7 + i; without it every key.
  TopK = 20,
  /// filter. A whole prediction by a peer scheme (the record's scheme), on
  /// query rows [w7, w7 + M) against N keys, through the prediction
  /// library: reads Q and K at the scheme's widths in Quant's containers
  /// (i8 for up to 8 bits, else i32), writes I and C as TopK. w1 Ref Q, w2 Ref K, w3 Ref I, w4 M, w5 N, w6 T,
  /// w8 D, w9 Ref C, w10 record index, w11 Ref of the query step and w12
  /// Ref of the key step (one f32 each: Q and K are quantized per tensor
  /// at run time, so the steps are data), w13 Ref of the scheme's extra input (oracle scores, SpAtten
  /// importance; f32 M x N) or kNoBuffer.
  Predict = 21,
  /// vector. Adds attention probabilities to per-key sums (SpAtten's token
  /// importance): for i < M and t < T with I[i,t] != kNoIndex,
  /// A[I[i,t] - w7] += P[i,t]. w1 Ref P (f32 M x T), w2 Ref I (u16 M x T),
  /// w3 Ref A (f32, N entries, read and written), w4 M, w5 T, w6 N, w7
  /// token index of A's entry 0; every I[i,t] - w7 must be below N.
  Importance = 23,
  /// vector. Y = max(X, 0), operands as Silu. The result is exact, a NaN
  /// passes through with its bits unchanged, and -0.0 gives +0.0.
  Relu = 24,
};
/// The highest opcode. Every value from 1 to kLastOpcode is an opcode.
constexpr uint8_t kLastOpcode = static_cast<uint8_t>(Opcode::Relu);

/// Bits of word 0's flag byte.
enum Flag : uint8_t {
  Accumulate = 1u << 0,
  TransB = 1u << 1,
  Gather = 1u << 2,
  PerTensor = 1u << 3,
  RowBroadcast = 1u << 4,
  Causal = 1u << 5,
  HalfSplit = 1u << 6,
};

std::string_view opcodeName(Opcode op);
std::optional<Opcode> parseOpcode(std::string_view name);
Unit opcodeUnit(Opcode op);
/// True for the opcodes listed above.
bool isValidOpcode(uint8_t raw);

/// Returns the lower-case name of a flag ("accumulate", "trans_b", ...).
std::string_view flagName(Flag flag);
std::optional<Flag> parseFlag(std::string_view name);
/// Returns the flags an opcode accepts; a stream that sets any other bit of
/// the flag byte is invalid.
uint8_t allowedFlags(Opcode op);

/// Kind of value in an operand word. The binary reader and writer, the
/// assembly and the checks all read the operand table below, so a word's
/// meaning is defined once.
enum class OperandKind : uint8_t {
  /// A BufRef that must name a buffer (not kNoBuffer).
  Buffer,
  /// A BufRef that may be kNoBuffer for "absent".
  OptionalBuffer,
  /// A buffer slot the opcode leaves empty: the word must be kNoBuffer.
  /// Filter's w2 is the only one.
  NoBuffer,
  /// An element, row or byte count (M, N, K, T, D, rows, bytes per row).
  Count,
  /// A row stride, in elements for ld* and in bytes for the DMA strides.
  Stride,
  /// IEEE binary32 bits of a scalar.
  Float,
  /// Any other integer: a row or token base, a round, a bit width.
  Index,
  /// An index into the stream's predictor records.
  Record,
  /// A 64-bit DRAM byte address in two words, low word first.
  DramAddress,
};
std::string_view operandKindName(OperandKind kind);

/// One named operand of an opcode.
struct OperandField {
  /// Lower-case name used by the assembly and in error messages ("lda").
  std::string_view name;
  /// Word index, 1..15. A DramAddress occupies this word and the next.
  uint8_t word;
  OperandKind kind;
  /// When non-zero, the word is used only while this flag is set and must be
  /// zero otherwise (Gemm's Gather operands).
  uint8_t onlyWithFlag = 0;
};

/// Returns the operand table of an opcode in word order; empty for an
/// invalid opcode. Words the table does not list must be zero.
llvm::ArrayRef<OperandField> operandFields(Opcode op);
/// Returns the operand named `name` of an opcode, or nullptr.
const OperandField *findOperandField(Opcode op, std::string_view name);

/// One instruction as sixteen raw words. Accessors name the common fields;
/// the operand words are read by index as documented per opcode.
struct Instruction {
  std::array<uint32_t, kInstructionWords> words{};

  Opcode opcode() const { return static_cast<Opcode>(words[0] & 0xff); }
  uint8_t waitMask() const { return (words[0] >> 8) & 0xff; }
  uint8_t signalMask() const { return (words[0] >> 16) & 0xff; }
  uint8_t flags() const { return (words[0] >> 24) & 0xff; }
  bool hasFlag(Flag flag) const { return flags() & flag; }
  void setHeader(Opcode op, uint8_t wait, uint8_t signal, uint8_t flags) {
    words[0] = static_cast<uint32_t>(op) | uint32_t(wait) << 8 |
               uint32_t(signal) << 16 | uint32_t(flags) << 24;
  }
  uint64_t dramAddress() const {
    return uint64_t(words[1]) | uint64_t(words[2]) << 32;
  }
  void setDramAddress(uint64_t address) {
    words[1] = static_cast<uint32_t>(address);
    words[2] = static_cast<uint32_t>(address >> 32);
  }
};

struct BufRef {
  uint8_t buffer = 0;
  uint32_t offset = 0;
  uint32_t pack() const { return uint32_t(buffer) << 24 | offset; }
  static BufRef unpack(uint32_t word) {
    return {static_cast<uint8_t>(word >> 24), word & kMaxBufferOffset};
  }
};

} // namespace lapa::isa

#endif // LAPA_TARGET_STREAM_ISA_H
