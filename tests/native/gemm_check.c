/* gemm_check.c - prints a hash of cnn_gemm's output bits for many shapes, for comparing
 * instruction-set paths and machines (tests/test_native_isa.py runs it natively and under qemu).
 *
 *   gemm_check ISA THREADS   one line per case: "M N K ta tb epilogue hash"; exit 2 if ISA is absent
 *
 * Inputs are fixed pseudo-random floats with full mantissas, so a chain that rounds differently
 * (an unfused multiply-add, a reordered sum) changes the hash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnn.h"

static uint64_t g_state = 0x9e3779b97f4a7c15u;

static float next_float(void)  /* in (-2, 2), 24 random mantissa bits */
{
    g_state = g_state * 6364136223846793005u + 1442695040888963407u;
    int32_t m = (int32_t)(g_state >> 40) - (1 << 23);
    return (float)m / (float)(1 << 22);
}

static void fill(float *p, long n)
{
    for (long i = 0; i < n; i++) p[i] = next_float();
}

static uint64_t hash_bits(const float *p, long n)  /* FNV-1a over the bytes */
{
    uint64_t h = 0xcbf29ce484222325u;
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < (size_t)n * sizeof(float); i++) h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

/* epilogue bits: 1 accumulate, 2 bias, 4 relu, 8 mask */
static void run_case(long M, long N, long K, int ta, int tb, int epi)
{
    long lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;  /* padded leading dims */
    float *A = malloc(sizeof(float) * (size_t)((ta ? K : M) * lda + 1));
    float *B = malloc(sizeof(float) * (size_t)((tb ? N : K) * ldb + 1));
    float *C = malloc(sizeof(float) * (size_t)(M * ldc));
    float *bias = malloc(sizeof(float) * (size_t)N), *mask = malloc(sizeof(float) * (size_t)(M * N));
    if (!A || !B || !C || !bias || !mask) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    fill(A, (ta ? K : M) * lda);
    fill(B, (tb ? N : K) * ldb);
    fill(C, M * ldc);
    fill(bias, N);
    fill(mask, M * N);
    cnn_epilogue ep = {(epi & 2) ? bias : NULL, (epi & 4) != 0, (epi & 8) ? mask : NULL, N};
    cnn_gemm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, epi & 1, &ep);
    printf("%ld %ld %ld %d %d %d %016llx\n", M, N, K, ta, tb, epi, (unsigned long long)hash_bits(C, M * ldc));
    free(A), free(B), free(C), free(bias), free(mask);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gemm_check ISA THREADS\n");
        return 1;
    }
    int isa = atoi(argv[1]);
    if (cnn_set_isa(isa) != isa) return 2;
    cnn_set_num_threads(atoi(argv[2]));
    /* edge tiles of every micro-kernel (4x8, 6x16, 8x12, 14x32...), K = 1, large K, vectors */
    static const long shapes[][3] = {
        {1, 1, 1},     {1, 7, 5},     {7, 1, 5},      {1, 300, 77},   {257, 1, 130}, {3, 3, 1},
        {5, 9, 1},     {2, 2, 2},     {8, 12, 1},     {9, 13, 3},     {7, 11, 17},   {16, 24, 33},
        {17, 25, 9},   {6, 16, 40},   {14, 32, 8},    {120, 8, 4},    {120, 9, 8},   {120, 3, 9},
        {4, 8, 120},   {17, 33, 19},  {9, 31, 40},    {33, 65, 100},  {64, 64, 64},  {63, 65, 67},
        {31, 5, 2000}, {150, 70, 90}, {130, 97, 150}, {2, 300, 2000},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        long M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        int step = M * N * K > 1000000 ? 15 : s % 2 ? 5 : 3;  /* big shapes (qemu is slow): none or all */
        for (int t = 0; t < 4; t++)
            for (int epi = 0; epi < 16; epi += step) run_case(M, N, K, t & 1, t >> 1, epi);
    }
    return 0;
}
