//===- Designs.cpp - The designs lapa-run compares ------------------------===//

#include "Designs.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace lapa;
using namespace lapa::run;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

bool isValidDesignName(llvm::StringRef name) {
  if (name.empty())
    return false;
  for (char c : name)
    if (!llvm::isAlnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

} // namespace

llvm::Expected<DesignSpec> lapa::run::parseDesignSpec(llvm::StringRef text) {
  auto [name, rest] = text.split('=');
  size_t colon = rest.rfind(':');
  if (name.size() == text.size() || colon == llvm::StringRef::npos)
    return makeError(llvm::formatv(
        "invalid --design '{0}': expected NAME=HW.yaml:PREDICTOR, for "
        "example lapa=lapa-28nm.yaml:'lapa keep_ratio=0.25'",
        text));
  DesignSpec spec;
  spec.name = name.trim().str();
  spec.hwPath = rest.take_front(colon).trim().str();
  spec.predictorText = rest.drop_front(colon + 1).trim().str();
  if (!isValidDesignName(spec.name))
    return makeError(llvm::formatv(
        "invalid --design '{0}': the name '{1}' must be non-empty and use "
        "only letters, digits, '-', '_' and '.', because it names output "
        "files",
        text, spec.name));
  if (spec.hwPath.empty())
    return makeError(llvm::formatv(
        "invalid --design '{0}': the hardware configuration path is empty",
        text));
  if (spec.predictorText.empty())
    return makeError(llvm::formatv(
        "invalid --design '{0}': the predictor after ':' is empty; give a "
        "scheme such as 'lapa' or 'dense'",
        text));
  return spec;
}

std::vector<DesignSpec> lapa::run::defaultDesignSpecs() {
  return {{"lapa", "lapa-28nm.yaml", "lapa keep_ratio=0.25"},
          {"dense", "dense-28nm.yaml", "dense"},
          {"sanger", "sanger.yaml", "sanger"},
          {"fact", "fact.yaml", "fact"},
          {"energon", "energon.yaml", "energon"},
          {"spatten", "spatten.yaml", "spatten keep_ratio=0.25"}};
}

llvm::Expected<Design> lapa::run::resolveDesign(const DesignSpec &spec,
                                                llvm::StringRef hwDir) {
  Design design;
  design.name = spec.name;
  design.predictorText = spec.predictorText;
  design.hwPath = spec.hwPath;
  if (!llvm::sys::fs::exists(design.hwPath) &&
      llvm::sys::path::is_relative(design.hwPath) && !hwDir.empty()) {
    llvm::SmallString<256> candidate(hwDir);
    llvm::sys::path::append(candidate, spec.hwPath);
    if (llvm::sys::fs::exists(candidate))
      design.hwPath = std::string(candidate);
  }
  if (!llvm::sys::fs::exists(design.hwPath))
    return makeError(llvm::formatv(
        "design '{0}': hardware configuration '{1}' not found in the working "
        "directory{2}; give an existing path or set --hw-dir",
        spec.name, spec.hwPath,
        hwDir.empty() ? std::string()
                      : llvm::formatv(" or in '{0}'", hwDir).str()));
  llvm::Expected<hardware::HardwareConfig> config =
      hardware::loadHardwareConfig(design.hwPath);
  if (!config)
    return makeError(llvm::formatv("design '{0}': {1}", spec.name,
                                   llvm::toString(config.takeError())));
  design.config = std::move(*config);
  llvm::Expected<predict::PredictorConfig> predictor =
      predict::parsePredictorConfig(spec.predictorText);
  if (!predictor)
    return makeError(llvm::formatv("design '{0}': invalid predictor '{1}': {2}",
                                   spec.name, spec.predictorText,
                                   llvm::toString(predictor.takeError())));
  design.predictor = *predictor;
  return design;
}

std::string lapa::run::findExamplesDir(const char *argv0) {
  auto hasHw = [](llvm::StringRef dir) {
    llvm::SmallString<256> hw(dir);
    llvm::sys::path::append(hw, "hw");
    return llvm::sys::fs::is_directory(hw);
  };
  std::string executable =
      llvm::sys::fs::getMainExecutable(argv0, (void *)&findExamplesDir);
  if (!executable.empty()) {
    llvm::SmallString<256> bin(llvm::sys::path::parent_path(executable));
    llvm::SmallString<256> prefix(llvm::sys::path::parent_path(bin));
    // <repo>/<build>/bin/lapa-run
    llvm::SmallString<256> inRepo(llvm::sys::path::parent_path(prefix));
    llvm::sys::path::append(inRepo, "examples");
    if (hasHw(inRepo))
      return std::string(inRepo);
    // <prefix>/bin/lapa-run with <prefix>/share/lapa/examples
    llvm::SmallString<256> installed(prefix);
    llvm::sys::path::append(installed, "share", "lapa", "examples");
    if (hasHw(installed))
      return std::string(installed);
  }
#ifdef LAPA_SOURCE_DIR
  llvm::SmallString<256> source(LAPA_SOURCE_DIR);
  llvm::sys::path::append(source, "examples");
  if (hasHw(source))
    return std::string(source);
#endif
  return "";
}

std::string lapa::run::withParameter(llvm::StringRef predictorText,
                                     llvm::StringRef name,
                                     llvm::StringRef value) {
  llvm::SmallVector<llvm::StringRef> words;
  predictorText.split(words, ' ', -1, /*KeepEmpty=*/false);
  std::string result;
  bool replaced = false;
  for (llvm::StringRef word : words) {
    if (!result.empty())
      result += ' ';
    if (word.split('=').first == name && word.contains('=')) {
      result += (name + "=" + value).str();
      replaced = true;
    } else {
      result += word.str();
    }
  }
  if (!replaced)
    result += (" " + name + "=" + value).str();
  return result;
}
