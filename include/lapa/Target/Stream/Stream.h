//===- Stream.h - The binary and text forms of an instruction stream -*- C++ -*-===//
//
// An instruction stream file holds everything the simulator needs besides
// the hardware configuration and the run-time inputs:
//
//   header        magic "LAPASTRM", format version, the fingerprint and name
//                 of the hardware configuration it was compiled for
//   memory map    every DRAM tensor: name, role (input, weight, output,
//                 scratch), element type, shape, DRAM address, scales
//   constants     bytes copied into DRAM before the run (quantized weights,
//                 their scales, log-coded W_K, norm gains)
//   predictors    the predictor records that prediction instructions name
//   stages        named instruction ranges (layer and model stage) for
//                 per-layer and per-stage reports
//   instructions  fixed-width, see Isa.h
//
// The reader needs no MLIR: the simulator links it alone. The exact byte
// layout is in docs/ISA.md. Readers reject anything they do not understand
// with one error that names the section, the record and the field.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TARGET_STREAM_STREAM_H
#define LAPA_TARGET_STREAM_STREAM_H

#include "lapa/Target/Stream/Isa.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lapa::isa {

constexpr char kStreamMagic[8] = {'L', 'A', 'P', 'A', 'S', 'T', 'R', 'M'};
constexpr uint32_t kStreamVersion = 1;

/// Limits of the stream format that both readers enforce.
constexpr unsigned kMaxRank = 8;
/// Maximum length of a tensor, scale, stage or configuration name, in bytes.
constexpr size_t kMaxNameBytes = 255;
/// Maximum length of a predictor record's text, in bytes.
constexpr size_t kMaxPredictorBytes = 4096;
/// Every tensor must end at or below this DRAM address (256 TiB), so that
/// address arithmetic on 64 bits cannot overflow.
constexpr uint64_t kMaxDramBytes = uint64_t(1) << 48;

enum class ElementType : uint8_t { I8 = 0, I16 = 1, I32 = 2, F32 = 3, U8 = 4, U16 = 5 };
std::string_view elementTypeName(ElementType type);
std::optional<ElementType> parseElementType(std::string_view name);
unsigned elementBytes(ElementType type);

enum class TensorRole : uint8_t { Input = 0, Weight = 1, Output = 2, Scratch = 3 };
std::string_view tensorRoleName(TensorRole role);
std::optional<TensorRole> parseTensorRole(std::string_view name);

/// One tensor in DRAM.
struct TensorInfo {
  std::string name;
  TensorRole role = TensorRole::Scratch;
  ElementType type = ElementType::F32;
  std::vector<uint64_t> shape;
  uint64_t dramAddress = 0;
  /// Name of the f32 tensor holding this tensor's quantization scales (one
  /// per channel of the last dimension, or one), or empty.
  std::string scaleTensor;
  /// Byte offset of the initial contents in the constants segment, or
  /// UINT64_MAX when the tensor has none (inputs, outputs, scratch, and
  /// weights left to be bound at run time).
  uint64_t constantOffset = UINT64_MAX;

  /// Returns the product of the dimensions (1 for rank 0), saturated at
  /// UINT64_MAX.
  uint64_t elementCount() const;
  /// Returns elementCount() times the element size, saturated at UINT64_MAX.
  uint64_t byteSize() const;
};

/// A named range of instructions: one model stage of one layer.
struct StageRange {
  /// "prediction", "kv_projection", "attention", "ffn" or "other".
  std::string stage;
  /// Layer index, or -1 outside the layers.
  int32_t layer = -1;
  uint32_t first = 0;
  /// One past the last instruction.
  uint32_t end = 0;
};

/// A whole stream file in memory.
struct StreamFile {
  uint32_t version = kStreamVersion;
  uint64_t configFingerprint = 0;
  std::string configName;
  std::vector<TensorInfo> tensors;
  std::vector<uint8_t> constants;
  /// Predictor records in the text form of lapa::predict::printPredictorConfig.
  std::vector<std::string> predictors;
  std::vector<StageRange> stages;
  std::vector<Instruction> instructions;

  const TensorInfo *findTensor(llvm::StringRef name) const;
  /// Bytes of DRAM the memory map spans (highest address plus size),
  /// saturated at UINT64_MAX.
  uint64_t dramBytes() const;
};

bool operator==(const TensorInfo &lhs, const TensorInfo &rhs);
bool operator==(const StageRange &lhs, const StageRange &rhs);
/// Compares every field; instructions compare word by word.
bool operator==(const StreamFile &lhs, const StreamFile &rhs);
inline bool operator!=(const StreamFile &lhs, const StreamFile &rhs) {
  return !(lhs == rhs);
}

/// Returns whether `name` is one of the stage names StageRange lists.
bool isValidStageName(llvm::StringRef name);

/// Checks everything about a stream that needs no hardware configuration.
/// That is the version, names and their lengths, and ranks. Tensors must lie
/// inside [0, kMaxDramBytes) without overlaps, scale tensors must exist and
/// be f32, and constants must lie inside the constants segment. Predictor
/// records must parse, stage ranges must lie inside the instruction list,
/// and every instruction must pass checkInstructionEncoding (StreamVerify.h).
/// Both readers end with this check. Writers do not run it, so a caller that
/// builds a StreamFile by hand can run it before writing.
///
/// `checkEncodings` false skips checkInstructionEncoding, for a caller that
/// has checked every instruction already (the lapa_isa.program verifier
/// runs verifyInstruction, which includes it).
llvm::Error checkStream(const StreamFile &stream, bool checkEncodings = true);

/// Serializes `stream` to the binary format.
std::vector<uint8_t> writeBinary(const StreamFile &stream);
/// Parses the binary format. Checks the magic, the version, every length
/// against the bytes present, every opcode, unused word and flag bit, and
/// that every tensor lies inside DRAM and every constant inside the
/// constants segment. It does not check operands against a hardware
/// configuration; see verifyAgainstConfig.
llvm::Expected<StreamFile> readBinary(llvm::ArrayRef<uint8_t> bytes);

/// Writes the readable assembly text: one line per instruction with named
/// fields, preceded by the header, memory map, predictor and stage
/// directives. Constants are written in hexadecimal.
void writeAssembly(const StreamFile &stream, llvm::raw_ostream &os);
/// As above, and ends each instruction line with a comment that names the
/// buffers of its buffer operands: `# a=temp_buffer+0x100`. `bufferNames`
/// are the configuration's buffer names in canonical order.
void writeAssembly(const StreamFile &stream, llvm::raw_ostream &os,
                   llvm::ArrayRef<std::string> bufferNames);
/// Parses the assembly text; errors carry the line and column.
llvm::Expected<StreamFile> readAssembly(llvm::StringRef text);

} // namespace lapa::isa

#endif // LAPA_TARGET_STREAM_STREAM_H
