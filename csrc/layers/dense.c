/* dense.c - the fully connected layer: y = x w + b, and its backward pass, on cnn_gemm. */
#include "cnn.h"

#define COLSUM_CHUNK 64   /* rows summed into one float partial */
#define COLSUM_BLOCK 512  /* columns per stack block of partials */

/* y[rows, out] = x[rows, in] . w[in, out] (+ b[out]) (then ReLU when asked). */
void cnn_dense_forward(float *y, const float *x, const float *w, const float *b,
                       long rows, long in, long out, int relu)
{
    cnn_epilogue ep = {b, relu, NULL, 0};
    cnn_gemm(0, 0, rows, out, in, x, in, w, out, y, out, 0, &ep);
}

/* out[c] += sum over r of m[r, c]: each 64-row chunk is summed in row order into a float
 * partial, and the partials are added to out[c] in chunk order. Lanes are columns, so the
 * vectorised loop keeps that order for every column. */
void cnn_colsum_accumulate(float *out, const float *m, long rows, long cols)
{
    float part[COLSUM_BLOCK];
    for (long c0 = 0; c0 < cols; c0 += COLSUM_BLOCK) {
        long w = cols - c0 < COLSUM_BLOCK ? cols - c0 : COLSUM_BLOCK;
        for (long r0 = 0; r0 < rows; r0 += COLSUM_CHUNK) {
            long r1 = rows - r0 < COLSUM_CHUNK ? rows : r0 + COLSUM_CHUNK;
            const float *row = m + r0 * cols + c0;
            for (long c = 0; c < w; c++) part[c] = 0.0f;
            for (long r = r0; r < r1; r++, row += cols)
                for (long c = 0; c < w; c++) part[c] += row[c];
            for (long c = 0; c < w; c++) out[c0 + c] += part[c];
        }
    }
}

/* dw[in, out] += x^T dy;  db[out] += column sums of dy (db may be NULL);
 * dx[rows, in] = dy w^T, zeroed where dx_mask <= 0 when dx_mask is given (dx may be NULL). */
void cnn_dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                        const float *w, const float *dx_mask, long rows, long in, long out)
{
    cnn_gemm(1, 0, in, out, rows, x, in, dy, out, dw, out, 1, NULL);
    if (db) cnn_colsum_accumulate(db, dy, rows, out);
    if (dx) {
        cnn_epilogue ep = {NULL, 0, dx_mask, in};
        cnn_gemm(0, 1, rows, in, out, dy, out, w, out, dx, in, 0, &ep);
    }
}
