//===- AsanOptions.cpp - AddressSanitizer defaults of the sanitizer build -===//
//
// Linked into every tool of a LAPA_ENABLE_SANITIZERS build. LLVM's
// allocators, compiled into Debian's uninstrumented libraries, poison and
// unpoison memory in a way that AddressSanitizer reports as use-after-poison
// inside MLIRContext's constructor, so the tools turn user poisoning off
// themselves instead of needing ASAN_OPTIONS in the environment. Options in
// ASAN_OPTIONS still override these.
//
//===----------------------------------------------------------------------===//

extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
