//===- lapa-translate.cpp - Translations into and out of lapa -------------===//
//
// mlir-translate with lapa's translations: `--import-llama` reads a Llama
// model and prints it as linalg on tensors. The driver is upstream's
// MlirTranslateMain, which opens its input as a file. A model is a folder,
// so an input path that names a folder is replaced by the config.json
// inside it before the driver parses the arguments.
//
//===----------------------------------------------------------------------===//

#include "lapa/Target/Import/LlamaImporter.h"
#include "lapa/Target/Translate/StreamTranslation.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <string>
#include <vector>

int main(int argc, char **argv) {
  mlir::lapa::registerImportLlamaTranslation();
  mlir::lapa::registerStreamTranslations();

  // Only arguments that are not options and name an existing folder are
  // replaced, so option values and file inputs pass through unchanged. The
  // value of a separate `-o` is skipped too: `-o <folder>` must fail as an
  // output path, not write into that folder's config.json. A folder that
  // does not exist stays as written and the driver reports it.
  std::vector<std::string> storage(argv, argv + argc);
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef argument = storage[i];
    llvm::StringRef previous = storage[i - 1];
    if (previous == "-o" || previous == "--o")
      continue;
    if (argument.starts_with("-") || !llvm::sys::fs::is_directory(argument))
      continue;
    llvm::SmallString<256> config(argument);
    llvm::sys::path::append(config, "config.json");
    storage[i] = config.str().str();
  }
  std::vector<char *> arguments;
  for (std::string &argument : storage)
    arguments.push_back(argument.data());

  return mlir::failed(mlir::mlirTranslateMain(argc, arguments.data(),
                                              "lapa translation tool"))
             ? 1
             : 0;
}
