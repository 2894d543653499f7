//===- lapa-stream-fuzz.cpp - libFuzzer target for the stream readers -----===//
//
// Feeds each input to readBinary and, as text, to readAssembly. An accepted
// input must survive writing and reading again unchanged: readBinary
// accepts only canonical files, so writeBinary must give back the input
// bytes, and the assembly of any accepted stream must read back to an equal
// stream. Accepted streams also run through verifyAgainstConfig and
// bufferAccesses against examples/hw/lapa-28nm.yaml, which must not crash.
//
// Run:  lapa-stream-fuzz test/Stream/fuzz-corpus -max_total_time=600
//
//===----------------------------------------------------------------------===//

#include "lapa/Hardware/HardwareConfig.h"
#include "lapa/Target/Stream/Stream.h"
#include "lapa/Target/Stream/StreamVerify.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

using namespace lapa;

namespace {

std::optional<hardware::HardwareConfig> &config() {
  static std::optional<hardware::HardwareConfig> loaded;
  return loaded;
}

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "lapa-stream-fuzz: %s\n", what);
  std::abort();
}

void checkAccepted(const isa::StreamFile &stream) {
  std::string text;
  llvm::raw_string_ostream os(text);
  isa::writeAssembly(stream, os);
  llvm::Expected<isa::StreamFile> fromText = isa::readAssembly(text);
  if (!fromText) {
    std::string message = llvm::toString(fromText.takeError());
    std::fprintf(stderr, "%s\n", message.c_str());
    fail("the assembly of an accepted stream was rejected");
  }
  if (*fromText != stream)
    fail("the assembly of an accepted stream read back differently");

  if (config()) {
    llvm::consumeError(isa::verifyAgainstConfig(stream, *config()));
    for (const isa::Instruction &inst : stream.instructions) {
      llvm::consumeError(isa::verifyInstruction(
          inst, *config(), stream.predictors.size(), stream.dramBytes()));
      (void)isa::bufferAccesses(inst);
      (void)isa::dramAccess(inst);
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  llvm::Expected<hardware::HardwareConfig> loaded =
      hardware::loadHardwareConfig(LAPA_SOURCE_DIR
                                   "/examples/hw/lapa-28nm.yaml");
  if (loaded)
    config() = std::move(*loaded);
  else
    llvm::consumeError(loaded.takeError());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::ArrayRef<uint8_t> bytes(data, size);

  llvm::Expected<isa::StreamFile> stream = isa::readBinary(bytes);
  if (stream) {
    std::vector<uint8_t> written = isa::writeBinary(*stream);
    if (written != std::vector<uint8_t>(bytes.begin(), bytes.end()))
      fail("writeBinary of an accepted file differs from the file");
    llvm::Expected<isa::StreamFile> again = isa::readBinary(written);
    if (!again || *again != *stream)
      fail("reading the written file gave another stream");
    checkAccepted(*stream);
  } else {
    llvm::consumeError(stream.takeError());
  }

  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<isa::StreamFile> parsed = isa::readAssembly(text);
  if (parsed) {
    llvm::Expected<isa::StreamFile> binary =
        isa::readBinary(isa::writeBinary(*parsed));
    if (!binary || *binary != *parsed)
      fail("the binary form of an accepted assembly read back differently");
    checkAccepted(*parsed);
  } else {
    llvm::consumeError(parsed.takeError());
  }
  return 0;
}
