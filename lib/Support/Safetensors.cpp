//===- Safetensors.cpp - Reader and writer of the safetensors format ------===//
//
// Parses and validates the header of a safetensors file: the length prefix,
// the JSON entries, each dtype, shape and byte range, and checks that the
// ranges lie inside the data section, match the shape and do not overlap.
// Element reads decode little-endian bytes, so the reader also works on a
// big-endian host and on unaligned tensor offsets.
//
//===----------------------------------------------------------------------===//

#include "lapa/Support/Safetensors.h"
#include "lapa/Support/JsonNesting.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/FileOutputBuffer.h"
#include "llvm/Support/JSON.h"

#include <algorithm>

using namespace lapa::support;
using llvm::createStringError;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {

struct DTypeEntry {
  DType dtype;
  const char *name;
  unsigned size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::Bool, "BOOL", 1}, {DType::U8, "U8", 1},   {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},   {DType::U16, "U16", 2}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4}, {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},   {DType::I64, "I64", 8}, {DType::U64, "U64", 8},
    {DType::F64, "F64", 8},
};

Error makeError(StringRef file, const llvm::Twine &message) {
  return createStringError(llvm::inconvertibleErrorCode(),
                           (file + ": " + message).str());
}

std::string formatShape(llvm::ArrayRef<uint64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

// Reads a JSON number that must be a non-negative integer.
std::optional<uint64_t> asUnsigned(const llvm::json::Value &value) {
  if (std::optional<int64_t> integer = value.getAsInteger())
    if (*integer >= 0)
      return static_cast<uint64_t>(*integer);
  if (std::optional<uint64_t> integer = value.getAsUINT64())
    return *integer;
  return std::nullopt;
}

// Parses one tensor entry of the header into `info`.
Error parseEntry(StringRef file, StringRef tensorName,
                 const llvm::json::Value &value, TensorInfo &info) {
  const llvm::json::Object *object = value.getAsObject();
  if (!object)
    return makeError(file, "tensor '" + tensorName +
                               "' is not a JSON object in the header");
  info.name = tensorName.str();

  std::optional<StringRef> dtype = object->getString("dtype");
  if (!dtype)
    return makeError(file, "tensor '" + tensorName +
                               "' has no string field 'dtype'");
  const DTypeEntry *found = nullptr;
  for (const DTypeEntry &entry : kDTypes)
    if (*dtype == entry.name)
      found = &entry;
  if (!found)
    return makeError(file, "tensor '" + tensorName + "' has unknown dtype '" +
                               *dtype +
                               "'; expected one of BOOL, U8, I8, I16, U16, "
                               "F16, BF16, I32, U32, F32, I64, U64, F64");
  info.dtype = found->dtype;

  const llvm::json::Array *shape = object->getArray("shape");
  if (!shape)
    return makeError(file, "tensor '" + tensorName +
                               "' has no array field 'shape'");
  for (const llvm::json::Value &dim : *shape) {
    std::optional<uint64_t> size = asUnsigned(dim);
    if (!size)
      return makeError(file, "tensor '" + tensorName +
                                 "' has a shape entry that is not a "
                                 "non-negative integer");
    info.shape.push_back(*size);
  }

  const llvm::json::Array *offsets = object->getArray("data_offsets");
  if (!offsets || offsets->size() != 2)
    return makeError(file, "tensor '" + tensorName +
                               "' needs 'data_offsets' as an array of two "
                               "integers [begin, end]");
  std::optional<uint64_t> begin = asUnsigned((*offsets)[0]);
  std::optional<uint64_t> end = asUnsigned((*offsets)[1]);
  if (!begin || !end)
    return makeError(file, "tensor '" + tensorName +
                               "' has 'data_offsets' that are not "
                               "non-negative integers");
  if (*begin > *end)
    return makeError(file, llvm::formatv("tensor '{0}' has data_offsets "
                                         "[{1}, {2}] with begin after end",
                                         tensorName, *begin, *end));
  info.begin = *begin;
  info.end = *end;
  return Error::success();
}

} // namespace

StringRef lapa::support::dtypeName(DType dtype) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.dtype == dtype)
      return entry.name;
  return "unknown";
}

unsigned lapa::support::dtypeSize(DType dtype) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.dtype == dtype)
      return entry.size;
  return 0;
}

uint64_t TensorInfo::numElements() const {
  uint64_t count = 1;
  for (uint64_t dim : shape)
    count *= dim;
  return count;
}

std::string TensorInfo::shapeString() const { return formatShape(shape); }

Expected<SafetensorsFile> SafetensorsFile::open(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path, "cannot open file: " + buffer.getError().message());
  return parse(std::move(*buffer), path);
}

Expected<SafetensorsFile>
SafetensorsFile::parse(std::unique_ptr<llvm::MemoryBuffer> buffer,
                       StringRef displayName) {
  SafetensorsFile file;
  file.name = displayName.str();
  const uint64_t fileSize = buffer->getBufferSize();
  if (fileSize < 8)
    return makeError(displayName,
                     llvm::formatv("file is {0} bytes, shorter than the 8-byte "
                                   "header length; it is truncated or not a "
                                   "safetensors file",
                                   fileSize));
  const auto *bytes =
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart());
  uint64_t headerLength =
      llvm::support::endian::read64le(bytes);
  if (headerLength > kMaxHeaderBytes)
    return makeError(displayName,
                     llvm::formatv("header length {0} exceeds the limit of {1} "
                                   "bytes; the file is corrupt or not a "
                                   "safetensors file",
                                   headerLength, kMaxHeaderBytes));
  if (headerLength > fileSize - 8)
    return makeError(displayName,
                     llvm::formatv("header length {0} exceeds the {1} bytes "
                                   "that follow the length field; the file is "
                                   "truncated",
                                   headerLength, fileSize - 8));
  file.dataStart = 8 + headerLength;
  const uint64_t dataSize = fileSize - file.dataStart;

  StringRef headerText(reinterpret_cast<const char *>(bytes + 8),
                       headerLength);
  if (exceedsJsonNesting(headerText, kMaxJsonNesting))
    return makeError(displayName,
                     llvm::formatv("header nests arrays or objects more than "
                                   "{0} levels deep; the file is corrupt or "
                                   "not a safetensors file",
                                   kMaxJsonNesting));
  Expected<llvm::json::Value> header = llvm::json::parse(headerText);
  if (!header)
    return makeError(displayName, "header is not valid JSON: " +
                                      llvm::toString(header.takeError()));
  const llvm::json::Object *root = header->getAsObject();
  if (!root)
    return makeError(displayName, "header is not a JSON object");

  for (const auto &[key, value] : *root) {
    StringRef tensorName = key;
    if (tensorName == "__metadata__") {
      const llvm::json::Object *metadata = value.getAsObject();
      if (!metadata)
        return makeError(displayName, "'__metadata__' is not a JSON object");
      for (const auto &[metaKey, metaValue] : *metadata) {
        std::optional<StringRef> text = metaValue.getAsString();
        if (!text)
          return makeError(displayName, "metadata entry '" +
                                            StringRef(metaKey) +
                                            "' is not a string");
        file.metadataMap[metaKey.str()] = text->str();
      }
      continue;
    }
    TensorInfo info;
    if (Error error = parseEntry(displayName, tensorName, value, info))
      return std::move(error);

    // The byte count must equal the element count times the element size;
    // the product is checked for overflow before it is compared.
    uint64_t expectedBytes = dtypeSize(info.dtype);
    for (uint64_t dim : info.shape) {
      if (dim != 0 && expectedBytes > UINT64_MAX / dim)
        return makeError(displayName, "tensor '" + tensorName + "' shape " +
                                          info.shapeString() +
                                          " overflows a 64-bit byte count");
      expectedBytes *= dim;
    }
    if (info.end - info.begin != expectedBytes)
      return makeError(
          displayName,
          llvm::formatv("tensor '{0}' with dtype {1} and shape {2} needs {3} "
                        "bytes but data_offsets [{4}, {5}] span {6}",
                        tensorName, dtypeName(info.dtype), info.shapeString(),
                        expectedBytes, info.begin, info.end,
                        info.end - info.begin));
    if (info.end > dataSize)
      return makeError(
          displayName,
          llvm::formatv("tensor '{0}' ends at data offset {1} but the data "
                        "section has only {2} bytes; the file is truncated",
                        tensorName, info.end, dataSize));
    file.entries.push_back(std::move(info));
  }

  // Overlapping ranges mean a corrupt header: two tensors would share bytes.
  std::vector<const TensorInfo *> byOffset;
  for (const TensorInfo &info : file.entries)
    byOffset.push_back(&info);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const TensorInfo *a, const TensorInfo *b) {
              return a->begin < b->begin;
            });
  for (size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i]->begin < byOffset[i - 1]->end)
      return makeError(displayName,
                       llvm::formatv("tensors '{0}' and '{1}' have overlapping "
                                     "data_offsets; the header is corrupt",
                                     byOffset[i - 1]->name, byOffset[i]->name));

  std::sort(file.entries.begin(), file.entries.end(),
            [](const TensorInfo &a, const TensorInfo &b) {
              return a.name < b.name;
            });
  file.buffer = std::move(buffer);
  return std::move(file);
}

const TensorInfo *SafetensorsFile::find(StringRef tensorName) const {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), tensorName,
      [](const TensorInfo &info, StringRef key) { return info.name < key; });
  if (it == entries.end() || it->name != tensorName)
    return nullptr;
  return &*it;
}

llvm::ArrayRef<uint8_t>
SafetensorsFile::rawData(const TensorInfo &tensor) const {
  const auto *bytes =
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart());
  return llvm::ArrayRef<uint8_t>(bytes + dataStart + tensor.begin,
                                 tensor.end - tensor.begin);
}

Expected<const TensorInfo *>
SafetensorsFile::findChecked(StringRef tensorName, DType dtype,
                             llvm::ArrayRef<uint64_t> expectedShape) const {
  const TensorInfo *tensor = find(tensorName);
  if (!tensor)
    return makeError(name, "tensor '" + tensorName +
                               "' not found; check the name and that the file "
                               "is the expected one");
  if (tensor->dtype != dtype)
    return makeError(name, "tensor '" + tensorName + "' has dtype " +
                               dtypeName(tensor->dtype) + ", expected " +
                               dtypeName(dtype));
  if (!expectedShape.empty() &&
      llvm::ArrayRef<uint64_t>(tensor->shape) != expectedShape)
    return makeError(name, "tensor '" + tensorName + "' has shape " +
                               tensor->shapeString() + ", expected " +
                               formatShape(expectedShape));
  return tensor;
}

Expected<std::vector<float>>
SafetensorsFile::readF32(StringRef tensorName,
                         llvm::ArrayRef<uint64_t> expectedShape) const {
  Expected<const TensorInfo *> tensor =
      findChecked(tensorName, DType::F32, expectedShape);
  if (!tensor)
    return tensor.takeError();
  llvm::ArrayRef<uint8_t> bytes = rawData(**tensor);
  std::vector<float> values((*tensor)->numElements());
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = llvm::support::endian::read32le(bytes.data() + 4 * i);
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    values[i] = value;
  }
  return values;
}

Expected<std::vector<int32_t>>
SafetensorsFile::readI32(StringRef tensorName,
                         llvm::ArrayRef<uint64_t> expectedShape) const {
  Expected<const TensorInfo *> tensor =
      findChecked(tensorName, DType::I32, expectedShape);
  if (!tensor)
    return tensor.takeError();
  llvm::ArrayRef<uint8_t> bytes = rawData(**tensor);
  std::vector<int32_t> values((*tensor)->numElements());
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<int32_t>(
        llvm::support::endian::read32le(bytes.data() + 4 * i));
  return values;
}

Expected<std::vector<uint8_t>>
lapa::support::writeSafetensors(llvm::ArrayRef<TensorData> tensors,
                                const std::map<std::string, std::string>
                                    &metadata) {
  std::vector<const TensorData *> sorted;
  for (const TensorData &tensor : tensors)
    sorted.push_back(&tensor);
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorData *a, const TensorData *b) {
              return a->name < b->name;
            });

  llvm::json::Object header;
  if (!metadata.empty()) {
    llvm::json::Object meta;
    for (const auto &[key, value] : metadata)
      meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const TensorData &tensor = *sorted[i];
    if (tensor.name.empty() || tensor.name == "__metadata__")
      return createStringError(
          llvm::inconvertibleErrorCode(),
          "cannot write a tensor named '%s': the name is empty or reserved",
          tensor.name.c_str());
    if (i > 0 && sorted[i - 1]->name == tensor.name)
      return createStringError(llvm::inconvertibleErrorCode(),
                               "cannot write two tensors named '%s'",
                               tensor.name.c_str());
    uint64_t elements = 1;
    for (uint64_t extent : tensor.shape)
      elements *= extent;
    uint64_t expected = elements * dtypeSize(tensor.dtype);
    if (tensor.bytes.size() != expected)
      return createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("tensor '{0}' has {1} bytes of data, but dtype {2} "
                        "and shape {3} need {4}",
                        tensor.name, tensor.bytes.size(),
                        dtypeName(tensor.dtype), formatShape(tensor.shape),
                        expected)
              .str());
    llvm::json::Array shape;
    for (uint64_t extent : tensor.shape)
      shape.push_back(extent);
    header[tensor.name] = llvm::json::Object{
        {"dtype", dtypeName(tensor.dtype)},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{offset, offset + expected}}};
    offset += expected;
  }

  std::string headerText;
  llvm::raw_string_ostream os(headerText);
  os << llvm::json::Value(std::move(header));
  os.flush();
  // Pad with spaces so that the data section starts 8-byte aligned.
  while ((8 + headerText.size()) % 8 != 0)
    headerText.push_back(' ');

  std::vector<uint8_t> bytes(8);
  llvm::support::endian::write64le(bytes.data(), headerText.size());
  bytes.insert(bytes.end(), headerText.begin(), headerText.end());
  for (const TensorData *tensor : sorted)
    bytes.insert(bytes.end(), tensor->bytes.begin(), tensor->bytes.end());
  return bytes;
}

Error lapa::support::writeSafetensorsFile(
    StringRef path, llvm::ArrayRef<TensorData> tensors,
    const std::map<std::string, std::string> &metadata) {
  Expected<std::vector<uint8_t>> bytes = writeSafetensors(tensors, metadata);
  if (!bytes)
    return bytes.takeError();
  Expected<std::unique_ptr<llvm::FileOutputBuffer>> output =
      llvm::FileOutputBuffer::create(path, bytes->size());
  if (!output)
    return createStringError(llvm::inconvertibleErrorCode(),
                             "cannot write '%s': %s", path.str().c_str(),
                             llvm::toString(output.takeError()).c_str());
  std::copy(bytes->begin(), bytes->end(), (*output)->getBufferStart());
  if (Error error = (*output)->commit())
    return createStringError(llvm::inconvertibleErrorCode(),
                             "cannot write '%s': %s", path.str().c_str(),
                             llvm::toString(std::move(error)).c_str());
  return Error::success();
}
