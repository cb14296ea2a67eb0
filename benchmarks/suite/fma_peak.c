/* The core's single-precision FMA peak: many independent FMA chains, kept in registers, so the
 * loop is bound by FMA throughput alone (not latency: 4-5 cycles x 2 pipes needs >= 10 chains).
 * Compiled by benchmarks/suite/peak.py at run time into a temporary shared library. */
#include <immintrin.h>

int cpu_has_avx512f(void) { return __builtin_cpu_supports("avx512f"); }
int cpu_has_avx2_fma(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

#define CHAINS 12 /* flops per iteration: CHAINS x lanes x 2; named variables so they stay in registers */
#define FMA12(f)                                                                                  \
    c0 = f(c0, a, b), c1 = f(c1, a, b), c2 = f(c2, a, b), c3 = f(c3, a, b), c4 = f(c4, a, b),       \
    c5 = f(c5, a, b), c6 = f(c6, a, b), c7 = f(c7, a, b), c8 = f(c8, a, b), c9 = f(c9, a, b),       \
    c10 = f(c10, a, b), c11 = f(c11, a, b)
#define SUM12(add) add(add(add(add(c0, c1), add(c2, c3)), add(add(c4, c5), add(c6, c7))), \
                       add(add(c8, c9), add(c10, c11)))

__attribute__((target("avx512f"))) float fma_avx512(long iters) {
    const __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
    __m512 c0 = _mm512_set1_ps(0.f), c1 = _mm512_set1_ps(1.f), c2 = _mm512_set1_ps(2.f),
           c3 = _mm512_set1_ps(3.f), c4 = _mm512_set1_ps(4.f), c5 = _mm512_set1_ps(5.f),
           c6 = _mm512_set1_ps(6.f), c7 = _mm512_set1_ps(7.f), c8 = _mm512_set1_ps(8.f),
           c9 = _mm512_set1_ps(9.f), c10 = _mm512_set1_ps(10.f), c11 = _mm512_set1_ps(11.f);
    for (long i = 0; i < iters; i++) FMA12(_mm512_fmadd_ps);
    return _mm512_reduce_add_ps(SUM12(_mm512_add_ps));
}

__attribute__((target("avx2,fma"))) float fma_avx2(long iters) {
    const __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
    __m256 c0 = _mm256_set1_ps(0.f), c1 = _mm256_set1_ps(1.f), c2 = _mm256_set1_ps(2.f),
           c3 = _mm256_set1_ps(3.f), c4 = _mm256_set1_ps(4.f), c5 = _mm256_set1_ps(5.f),
           c6 = _mm256_set1_ps(6.f), c7 = _mm256_set1_ps(7.f), c8 = _mm256_set1_ps(8.f),
           c9 = _mm256_set1_ps(9.f), c10 = _mm256_set1_ps(10.f), c11 = _mm256_set1_ps(11.f);
    for (long i = 0; i < iters; i++) FMA12(_mm256_fmadd_ps);
    float out[8], total = 0.0f;
    _mm256_storeu_ps(out, SUM12(_mm256_add_ps));
    for (int i = 0; i < 8; i++) total += out[i];
    return total;
}

int chains(void) { return CHAINS; }
