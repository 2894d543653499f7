//===- StreamTranslation.h - Stream translations for lapa-translate -*- C++ -*-===//
//
// Registers `--emit-stream` and `--emit-stream-asm` (a lapa_isa.program to
// the binary or assembly stream) and `--import-stream` (either form back to
// lapa_isa, for the configuration given with --stream-hw).
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_TARGET_TRANSLATE_STREAMTRANSLATION_H
#define LAPA_TARGET_TRANSLATE_STREAMTRANSLATION_H

namespace mlir::lapa {

void registerStreamTranslations();

} // namespace mlir::lapa

#endif // LAPA_TARGET_TRANSLATE_STREAMTRANSLATION_H
