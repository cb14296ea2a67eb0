"""Builds the C core, cnn._core, from csrc/**/*.c (one folder per part). Metadata lives in pyproject.toml."""
import glob
import os

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Determinism (docs/ARCHITECTURE.md): no fast-math, no implicit FMA contraction. Instruction-set
# specific code uses per-function target attributes and run-time dispatch, never -march=native.
flags = ["-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno", "-fvisibility=hidden",
         "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
if os.environ.get("CNN_WERROR"):  # CI: any compiler warning fails the build
    flags.append("-Werror")
if os.environ.get("CNN_SANITIZE"):  # the sanitizer build used by the tests in CI
    flags += ["-O1", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-DCNN_DEBUG"]

# MSVC spells the same rules differently (C11 atomics are still marked experimental there).
msvc_flags = ["/O2", "/std:c11", "/experimental:c11atomics", "/fp:precise", "/W3"]


class BuildExt(build_ext):
    """GCC/Clang flags everywhere (Linux, macOS, mingw-w64), MSVC's own with MSVC."""

    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            for ext in self.extensions:
                ext.extra_compile_args, ext.extra_link_args = list(msvc_flags), []
        super().build_extensions()


core = Extension(
    "cnn._core",
    sources=sorted(glob.glob("csrc/**/*.c", recursive=True)),
    # every part's folder is on the include path, so a file includes "cnn.h" or "plan_internal.h" by name
    include_dirs=["csrc"] + sorted(os.path.dirname(h) for h in glob.glob("csrc/*/")) + [numpy.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_20_API_VERSION"), ("_GNU_SOURCE", None)],
    extra_compile_args=flags,
    extra_link_args=["-pthread"] + (["-fsanitize=address,undefined"] if os.environ.get("CNN_SANITIZE") else []),
)

setup(ext_modules=[core], cmdclass={"build_ext": BuildExt})
