/* spatial.h - the geometry that convolution and pooling share: per-sample shapes (H, W, C) or
 * (W, C) (then H = 1), a window of kh x kw taps spaced by the dilation, moved by the strides,
 * starting pt / pl outside the input (zero padding for convolutions, ignored taps for pooling). */
#ifndef CNN_SPATIAL_H
#define CNN_SPATIAL_H

#include "layer.h"

typedef struct {
    long h, w, c;       /* input */
    long oh, ow, oc;    /* output */
    int kh, kw, sh, sw, dh, dw, pt, pl;
} cnn_geom;

/* H, W, C of a shape with 2 or 3 axes; 0 if it has another rank. */
static inline int cnn_hwc(const cnn_shape *s, long *h, long *w, long *c)
{
    if (s->ndim == 3) {
        *h = s->dim[0];
        *w = s->dim[1];
        *c = s->dim[2];
        return 1;
    }
    if (s->ndim == 2) {
        *h = 1;
        *w = s->dim[0];
        *c = s->dim[1];
        return 1;
    }
    return 0;
}

/* NULL when the windows fit the shapes (every window starts inside the padded input and the output
 * has as many windows as the input allows at most), else the bad field's name. */
static inline const char *cnn_geom_check(const cnn_geom *g)
{
    if (g->kh < 1 || g->kw < 1 || g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1) return "kh";
    long eh = (long)(g->kh - 1) * g->dh + 1, ew = (long)(g->kw - 1) * g->dw + 1;
    if (g->pt < 0 || g->pt >= eh || g->pl < 0 || g->pl >= ew) return "pt";
    if ((g->oh - 1) * g->sh - g->pt >= g->h || (g->ow - 1) * g->sw - g->pl >= g->w) return "out_shape";
    return NULL;
}

#endif
