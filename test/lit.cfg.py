# -*- Python -*-
# lit configuration for lapa: tools, substitutions and the features that
# gate tests on optional inputs.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "LAPA"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".c", ".test", ".yaml"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lapa_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", ".so"))
config.substitutions.append(("%lapa_src_root", config.lapa_src_root))
config.substitutions.append(("%lapa_lib_dir", config.lapa_lib_dir))
config.substitutions.append(("%shared_models", config.lapa_shared_models_dir))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
# RUN lines call FileCheck, not and split-file by name.
# lapa-run keeps a failed stage's input in a fresh temporary folder for the
# rerun command. The tests that make stages fail keep those folders in the
# build tree instead of the system's temporary folder.
scratch = os.path.join(config.test_exec_root, "scratch")
os.makedirs(scratch, exist_ok=True)
config.environment["TMPDIR"] = scratch
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.lapa_tools_dir, append_path=True)

tool_dirs = [config.lapa_tools_dir, config.llvm_tools_dir]
tools = [ToolSubst("mlir-opt", unresolved="ignore")]
if config.lapa_enable_mlir:
    tools += ["lapa-opt", "lapa-capi-test"]
    config.available_features.add("mlir")
# Optional tools are added when their folder exists, so that a partial build
# can still run the tests of what it has.
for optional in ["lapa-translate", "lapa-sim", "lapa-run", "lapa-hw"]:
    if os.path.exists(os.path.join(config.lapa_tools_dir, optional)):
        tools.append(optional)
        config.available_features.add(optional)
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Numeric tests lower graphs with upstream mlir-opt and run them with
# mlir-runner on the CPU, both from Debian's mlir-22-tools.
config.substitutions.append(
    (
        "%lower_to_llvm",
        "--pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,"
        "tosa-to-linalg,tosa-to-arith,tosa-to-tensor),"
        "one-shot-bufferize{bufferize-function-boundaries},"
        "convert-linalg-to-loops,expand-strided-metadata,lower-affine,"
        "convert-scf-to-cf,finalize-memref-to-llvm,convert-math-to-llvm,"
        "convert-arith-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,"
        "convert-index-to-llvm,reconcile-unrealized-casts)'",
    )
)
runner_libs = [
    os.path.join(config.llvm_tools_dir, "..", "lib", name)
    for name in ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so")
]
config.substitutions.append(
    (
        "%run_main",
        "mlir-runner -e main -entry-point-result=void -shared-libs=%s"
        % ",".join(runner_libs),
    )
)
if os.path.exists(os.path.join(config.llvm_tools_dir, "mlir-runner")) and all(
    os.path.exists(lib) for lib in runner_libs
):
    config.available_features.add("mlir-runner")

if config.lapa_build_plugin:
    config.available_features.add("plugin")

if config.lapa_sanitizers:
    config.available_features.add("sanitizers")
    # LLVM's allocators poison memory in code compiled with AddressSanitizer
    # and do not unpoison it in Debian's uninstrumented libraries, which
    # share those allocations. Turning user poisoning off avoids that false
    # report; every other AddressSanitizer check stays on.
    config.environment["ASAN_OPTIONS"] = "allow_user_poisoning=0"
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    # Debian's mlir-opt is not instrumented, so it cannot load a plugin built
    # with AddressSanitizer.
    config.available_features.discard("plugin")

# Tests that read the public model graphs need ../shared/models beside the
# repository. Without it they are reported UNSUPPORTED, and the note below
# prints the reason.
models_dir = config.lapa_shared_models_dir
if os.path.isdir(models_dir):
    config.available_features.add("shared-models")
else:
    lit_config.note(
        "feature 'shared-models' is off: folder %s not found, so the tests on "
        "public model graphs are skipped" % models_dir
    )
