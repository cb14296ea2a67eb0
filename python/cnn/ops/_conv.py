"""keras.ops.conv (1-D and 2-D, channels_last) with its gradient: what a Conv1D/Conv2D with a custom
activation runs (as Dense runs ops.matmul), and what a student's own convolution layer can call.

im2col in NumPy: one strided slice of the padded input per kernel tap, stacked into patches, then one
matmul (an einsum per group when groups > 1); the gradient scatters back through the same slices."""
import numpy as np

from cnn.ops._tape import lift, node, value_of


def _tuple(value, n, name):
    v = (int(value),) * n if np.ndim(value) == 0 else tuple(int(a) for a in value)
    if len(v) != n or any(a <= 0 for a in v):
        raise ValueError(f"ops.conv: {name} must be a positive integer or a tuple of {n}, received {value!r}")
    return v


def _pads(sizes, kernel, strides, dilation, padding):
    """(output sizes, padding before, padding after) per spatial axis, as Keras/TF pad."""
    outs, before, after = [], [], []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        eff = (k - 1) * d + 1
        if padding == "valid":
            out, lo, total = (n - eff) // s + 1, 0, 0
        elif padding == "causal":
            out, lo, total = (n - 1) // s + 1, eff - 1, eff - 1
        else:
            out = (n + s - 1) // s
            total = max((out - 1) * s + eff - n, 0)
            lo = total // 2
        if out <= 0:
            raise ValueError(f"ops.conv: the kernel ({k}, dilation {d}) is larger than the input axis of size {n} "
                             "with padding='valid'")
        outs.append(out)
        before.append(lo)
        after.append(total - lo)
    return outs, before, after


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """keras.ops.conv: inputs (batch, *spatial, channels), kernel (*window, channels / groups, filters);
    groups = channels / kernel's channel axis, as Keras. padding "valid", "same" (or "causal", 1-D)."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"ops.conv: data_format={data_format!r} is not supported (cnn runs channels_last)")
    x, w = lift(inputs), lift(kernel)
    xv, wv = np.asarray(value_of(x)), np.asarray(value_of(w))
    rank = xv.ndim - 2
    if rank not in (1, 2) or wv.ndim != rank + 2:
        raise ValueError(f"ops.conv: inputs of shape {xv.shape} and kernel of shape {wv.shape}: cnn convolves "
                         "(batch, steps, channels) or (batch, height, width, channels) with a kernel of 2 more axes")
    channels, cin, filters = xv.shape[-1], wv.shape[-2], wv.shape[-1]
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same", "causal"):
        raise ValueError(f"ops.conv: padding must be 'valid' or 'same', received {padding!r}")
    if cin <= 0 or channels % cin or filters % (channels // cin):
        raise ValueError(f"ops.conv: the input's {channels} channels do not split into groups of the kernel's "
                         f"{cin} (kernel shape {wv.shape})")
    groups = channels // cin
    ksize = wv.shape[:rank]
    st, dil = _tuple(strides, rank, "strides"), _tuple(dilation_rate, rank, "dilation_rate")
    outs, lo, hi = _pads(xv.shape[1:-1], ksize, st, dil, padding.lower())
    xp = np.pad(xv, [(0, 0)] + list(zip(lo, hi)) + [(0, 0)]) if any(lo) or any(hi) else xv
    taps = list(np.ndindex(*ksize))

    def window(tap):   # the slice of xp that kernel tap `tap` multiplies, for every output position
        return (slice(None),) + tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                                      for t, d, o, s in zip(tap, dil, outs, st)) + (slice(None),)

    patches = np.stack([xp[window(t)] for t in taps], axis=-2)   # (batch, *outs, taps, channels)
    m = len(taps)
    pg = patches.reshape(-1, m, groups, cin)
    wg = wv.reshape(m, cin, groups, filters // groups)
    if groups == 1:
        out = pg.reshape(-1, m * cin) @ wv.reshape(m * cin, filters)
    else:
        out = np.einsum("ptgc,tcgf->pgf", pg, wg).reshape(-1, filters)
    out = out.reshape(xv.shape[:1] + tuple(outs) + (filters,))

    def grad_x(g):
        g2 = g.reshape(-1, groups, filters // groups)
        dp = np.einsum("pgf,tcgf->ptgc", g2, wg).reshape(patches.shape)
        dxp = np.zeros_like(xp)
        for i, t in enumerate(taps):
            dxp[window(t)] += dp[..., i, :]
        return dxp[(slice(None),) + tuple(slice(a, a + n) for a, n in zip(lo, xv.shape[1:-1])) + (slice(None),)]

    def grad_w(g):
        g2 = g.reshape(-1, groups, filters // groups)
        return np.einsum("ptgc,pgf->tcgf", pg, g2).reshape(wv.shape)
    return node(out.astype(np.result_type(xv, wv), copy=False), (x, w), (grad_x, grad_w))
