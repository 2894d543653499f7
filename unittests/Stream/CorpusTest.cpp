//===- CorpusTest.cpp - The fuzzer corpus as a regression test ------------===//
//
// Reads every file of test/Stream/fuzz-corpus with readBinary and, as text,
// with readAssembly. Each read must end in an error or a stream that writes
// back unchanged. A crash or sanitizer report here is a regression of a bug
// the fuzzer found. The disabled test WriteSeeds writes the seed files that
// the corpus starts from.
//
//===----------------------------------------------------------------------===//

#include "SampleStream.h"

#include "lapa/Target/Stream/Stream.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

using namespace lapa::isa;
using namespace lapa::isa::testing;

namespace {

std::string corpusDir() {
  return std::string(LAPA_SOURCE_DIR) + "/test/Stream/fuzz-corpus";
}

TEST(StreamCorpus, EveryFileReadsWithoutCrash) {
  std::error_code ec;
  size_t files = 0, acceptedBinary = 0, acceptedText = 0;
  for (llvm::sys::fs::directory_iterator it(corpusDir(), ec), end;
       it != end && !ec; it.increment(ec)) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFile(it->path(), /*IsText=*/false);
    ASSERT_TRUE(bool(buffer)) << it->path();
    ++files;
    llvm::StringRef contents = (*buffer)->getBuffer();
    llvm::ArrayRef<uint8_t> bytes(
        reinterpret_cast<const uint8_t *>(contents.data()), contents.size());

    llvm::Expected<StreamFile> stream = readBinary(bytes);
    if (stream) {
      ++acceptedBinary;
      EXPECT_EQ(writeBinary(*stream),
                std::vector<uint8_t>(bytes.begin(), bytes.end()))
          << it->path();
    } else {
      llvm::consumeError(stream.takeError());
    }

    llvm::Expected<StreamFile> parsed = readAssembly(contents);
    if (parsed) {
      ++acceptedText;
      std::string text;
      llvm::raw_string_ostream os(text);
      writeAssembly(*parsed, os);
      llvm::Expected<StreamFile> again = readAssembly(text);
      ASSERT_TRUE(bool(again)) << it->path() << ": "
                               << llvm::toString(again.takeError());
      EXPECT_TRUE(*again == *parsed) << it->path();
    } else {
      llvm::consumeError(parsed.takeError());
    }
  }
  ASSERT_FALSE(ec) << corpusDir() << ": " << ec.message();
  // The seeds alone give two binary files and one assembly file that read.
  EXPECT_GE(files, 3u);
  EXPECT_GE(acceptedBinary, 2u);
  EXPECT_GE(acceptedText, 1u);
}

// Writes the seed files into $LAPA_STREAM_SEED_DIR. Run with
// --gtest_also_run_disabled_tests --gtest_filter=StreamCorpus.DISABLED_*.
TEST(StreamCorpus, DISABLED_WriteSeeds) {
  const char *dir = std::getenv("LAPA_STREAM_SEED_DIR");
  ASSERT_NE(dir, nullptr) << "set LAPA_STREAM_SEED_DIR to the output folder";
  auto write = [&](llvm::StringRef name, llvm::StringRef contents) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec) << path.str().str() << ": " << ec.message();
    os << contents;
  };
  auto asText = [](const std::vector<uint8_t> &bytes) {
    return llvm::StringRef(reinterpret_cast<const char *>(bytes.data()),
                           bytes.size());
  };

  StreamFile sample = makeSampleStream();
  write("seed-sample.bin", asText(writeBinary(sample)));
  write("seed-empty.bin", asText(writeBinary(StreamFile())));
  std::string text;
  llvm::raw_string_ostream os(text);
  writeAssembly(sample, os);
  write("seed-sample.s", text);
}

} // namespace
