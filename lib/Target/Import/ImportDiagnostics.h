//===- ImportDiagnostics.h - Errors of the model importer -------*- C++ -*-===//
//
// Helpers that every part of the importer uses to report a problem with an
// input file, so that all messages share one shape:
// "<file>:0:0: error: <what is wrong, the value, what is expected>".
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_LIB_TARGET_IMPORT_IMPORTDIAGNOSTICS_H
#define LAPA_LIB_TARGET_IMPORT_IMPORTDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

namespace mlir::lapa {

/// Emits an error about `file` on `context` and returns failure.
inline LogicalResult emitImportError(MLIRContext &context, llvm::StringRef file,
                                     const llvm::Twine &message) {
  // The inputs are JSON and binary files without useful line numbers, so
  // the location is line 0, column 0 of the file: the file as a whole.
  mlir::emitError(FileLineColLoc::get(&context, file, 0, 0)) << message.str();
  return failure();
}

/// Emits an error of the safetensors reader about `file`. The reader starts
/// its messages with the file name, which the location already shows.
inline LogicalResult emitImportError(MLIRContext &context, llvm::StringRef file,
                                     llvm::Error error) {
  std::string message = llvm::toString(std::move(error));
  llvm::StringRef text = message;
  text.consume_front((file + ": ").str());
  return emitImportError(context, file, text);
}

} // namespace mlir::lapa

#endif // LAPA_LIB_TARGET_IMPORT_IMPORTDIAGNOSTICS_H
