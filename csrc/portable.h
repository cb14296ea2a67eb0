/* portable.h - compiler and platform differences in one place: instruction-set detection, target
 * attributes, thread-local storage, aligned allocation. GCC and Clang (Linux, macOS, mingw-w64) are
 * the tested compilers; the MSVC branches keep the code compilable there where that is cheap.
 */
#ifndef CNN_PORTABLE_H
#define CNN_PORTABLE_H

#include <stdlib.h>

#if defined(__GNUC__) || defined(__clang__)
#define CNN_GNUC 1
#endif

/* x86-64 vector paths (AVX2+FMA, AVX-512): compiled per function with target attributes (GCC,
 * Clang) or as plain code (MSVC accepts the intrinsics anywhere); chosen at run time. */
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(CNN_GNUC) || defined(_MSC_VER)) \
    && !defined(CNN_PORTABLE_ONLY)
#define CNN_X86 1
#endif

/* ARM64 Advanced SIMD: mandatory in ARMv8-A, so always available when compiled for AArch64. */
#if (defined(__aarch64__) || defined(_M_ARM64)) && !defined(CNN_PORTABLE_ONLY)
#define CNN_NEON 1
#endif

#ifdef CNN_GNUC
#define CNN_TARGET(features) __attribute__((target(features)))
#define CNN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define CNN_TARGET(features)
#define CNN_ALWAYS_INLINE __forceinline
#endif

#ifdef _MSC_VER
#define CNN_THREAD_LOCAL __declspec(thread)
#else
#define CNN_THREAD_LOCAL _Thread_local
#endif

/* 64-byte aligned buffers; Windows' C runtime has no aligned_alloc (memory from _aligned_malloc
 * must go back through _aligned_free). bytes must be a multiple of align. */
#ifdef _WIN32
#include <malloc.h>
static inline void *cnn_aligned_alloc(size_t align, size_t bytes) { return _aligned_malloc(bytes, align); }
static inline void cnn_aligned_free(void *p) { _aligned_free(p); }
#else
static inline void *cnn_aligned_alloc(size_t align, size_t bytes) { return aligned_alloc(align, bytes); }
static inline void cnn_aligned_free(void *p) { free(p); }
#endif

#endif
