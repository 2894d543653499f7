//===- Safetensors.h - Reader for the safetensors tensor format -*- C++ -*-===//
//
// A small, strict reader for safetensors files: an 8-byte little-endian
// header length N, N bytes of a UTF-8 JSON header that maps tensor names to
// dtype, shape and [begin, end) byte offsets, then the raw little-endian
// tensor data in row-major order. The evaluation tool and the tests read the
// tinyllama-kjv weights and reference activations with it, so it checks every
// field and rejects truncated or inconsistent files with an error that names
// the file, the tensor and the offending value, instead of reading out of
// bounds. The writer serializes tensors the simulator outputs.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SUPPORT_SAFETENSORS_H
#define LAPA_SUPPORT_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lapa::support {

/// Element types of the safetensors format.
enum class DType {
  Bool,
  U8,
  I8,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  I64,
  U64,
  F64
};

/// Returns the dtype's spelling in a safetensors header ("F32", "I32", ...).
llvm::StringRef dtypeName(DType dtype);
/// Returns the size of one element in bytes.
unsigned dtypeSize(DType dtype);

/// One tensor entry of the header.
struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<uint64_t> shape;
  /// Byte range [begin, end) relative to the start of the data section.
  uint64_t begin = 0;
  uint64_t end = 0;

  uint64_t numElements() const;
  /// Formats the shape as "[4, 128, 32]".
  std::string shapeString() const;
};

/// A parsed safetensors file that owns its bytes.
class SafetensorsFile {
public:
  /// Largest header accepted, in bytes. The format's reference
  /// implementation uses the same 100 MB limit, and it keeps a corrupt length
  /// field from causing a huge allocation.
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

  /// Reads and validates the file at `path`.
  static llvm::Expected<SafetensorsFile> open(llvm::StringRef path);
  /// Validates `buffer`; `displayName` names the source in error messages.
  static llvm::Expected<SafetensorsFile>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer,
        llvm::StringRef displayName);

  llvm::StringRef displayName() const { return name; }
  llvm::ArrayRef<TensorInfo> tensors() const { return entries; }
  /// Returns the `__metadata__` string map (empty when the header has none).
  const std::map<std::string, std::string> &metadata() const {
    return metadataMap;
  }
  /// Returns the tensor named `tensorName`, or null.
  const TensorInfo *find(llvm::StringRef tensorName) const;
  /// Returns the raw bytes of a tensor of this file.
  llvm::ArrayRef<uint8_t> rawData(const TensorInfo &tensor) const;

  /// Reads an F32 tensor as floats. When `expectedShape` is not empty, the
  /// tensor's shape must equal it. Errors name the file, tensor, the dtype or
  /// shape found and the one expected.
  llvm::Expected<std::vector<float>>
  readF32(llvm::StringRef tensorName,
          llvm::ArrayRef<uint64_t> expectedShape = {}) const;
  /// Reads an I32 tensor; the same checks as readF32.
  llvm::Expected<std::vector<int32_t>>
  readI32(llvm::StringRef tensorName,
          llvm::ArrayRef<uint64_t> expectedShape = {}) const;

private:
  SafetensorsFile() = default;
  llvm::Expected<const TensorInfo *>
  findChecked(llvm::StringRef tensorName, DType dtype,
              llvm::ArrayRef<uint64_t> expectedShape) const;

  std::string name;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  uint64_t dataStart = 0;
  std::vector<TensorInfo> entries;
  std::map<std::string, std::string> metadataMap;
};

/// One tensor to write: name, dtype, shape and its raw little-endian bytes
/// (numElements x dtypeSize bytes).
struct TensorData {
  std::string name;
  DType dtype = DType::F32;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;
};

/// Serializes tensors to the safetensors format. The header lists them in
/// name order with consecutive data ranges and is padded with spaces so
/// that the data section starts at a multiple of 8 bytes.
/// Errors: an empty or duplicate name, the reserved name `__metadata__`, or
/// a byte count that does not match the dtype and shape.
llvm::Expected<std::vector<uint8_t>>
writeSafetensors(llvm::ArrayRef<TensorData> tensors,
                 const std::map<std::string, std::string> &metadata = {});

/// Writes the serialized tensors to `path`.
llvm::Error
writeSafetensorsFile(llvm::StringRef path, llvm::ArrayRef<TensorData> tensors,
                     const std::map<std::string, std::string> &metadata = {});

} // namespace lapa::support

#endif // LAPA_SUPPORT_SAFETENSORS_H
