/* optim_loops.h - the element loops of optim.c, included once per instruction set with
 * LOOPS_TARGET (a target attribute or nothing) and LOOPS(name) (the suffixed name). Each loop is a
 * fixed chain of IEEE operations per element with no reduction, so the vectorised copies give the
 * scalar loop's bits; the wider copies only run more elements per instruction (the divider-bound
 * Adam and RMSprop steps most of all). */

LOOPS_TARGET static void LOOPS(sgd)(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict v = k->s0;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, mu = k->o->momentum;
    if (mu == 0.0f) {
        for (long i = lo; i < hi; i++) p[i] = p[i] * wdf - lr * g[i];
    } else if (k->o->nesterov) {
        for (long i = lo; i < hi; i++) {
            float m = v[i] * mu - lr * g[i];
            v[i] = m;
            float q = p[i] * wdf - lr * g[i];
            p[i] = q + mu * m;
        }
    } else {
        for (long i = lo; i < hi; i++) {
            float m = v[i] * mu - lr * g[i];
            v[i] = m;
            p[i] = p[i] * wdf + m;
        }
    }
}

/* a = alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); b = 1 - beta_1; c = 1 - beta_2. */
LOOPS_TARGET static void LOOPS(adam)(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict m = k->s0, *restrict v = k->s1, *restrict vh = k->s2;
    const float *restrict g = k->g;
    const float wdf = k->wdf, alpha = k->a, c1 = k->b, c2 = k->c;
    const float b1 = k->o->beta_1, b2 = k->o->beta_2, eps = k->o->epsilon;
    if (!k->o->amsgrad) {
        for (long i = lo; i < hi; i++) {
            float gi = g[i];
            float mi = m[i] * b1 + c1 * gi;
            float vi = v[i] * b2 + c2 * (gi * gi);
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * wdf - (mi * alpha) / (sqrtf(vi) + eps);
        }
    } else {
        for (long i = lo; i < hi; i++) {
            float gi = g[i];
            float mi = m[i] * b1 + c1 * gi;
            float vi = v[i] * b2 + c2 * (gi * gi);
            float hi_ = nanmax(vh[i], vi);
            m[i] = mi;
            v[i] = vi;
            vh[i] = hi_;
            p[i] = p[i] * wdf - (mi * alpha) / (sqrtf(hi_) + eps);
        }
    }
}

/* Slots: velocity, then momentum (if momentum > 0), then average gradient (if centered).
 * b = 1 - rho. Denominator (v + eps) - ag^2 when centered (torch order). Inlined with constant
 * flags so each variant is a branch-free (vectorisable) loop. */
LOOPS_TARGET static inline void LOOPS(rms_loop)(const step_ctx *k, long lo, long hi, const int has_mom,
                                                const int centered)
{
    const cnn_opt *o = k->o;
    float *restrict p = k->p, *restrict v = k->s0;
    float *restrict mom = k->s1;
    float *restrict ag = has_mom ? k->s2 : k->s1;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, rho = o->rho, c = k->b, eps = o->epsilon, mu = o->momentum;
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float vi = v[i] * rho + c * (gi * gi);
        v[i] = vi;
        float den = vi + eps;
        if (centered) {
            float a = ag[i] * rho + c * gi;
            ag[i] = a;
            den = den - a * a;
        }
        float inc = (gi * lr) / sqrtf(den);
        float pi = p[i] * wdf;
        if (has_mom) {
            float mi = mom[i] * mu + inc;
            mom[i] = mi;
            p[i] = pi - mi;
        } else {
            p[i] = pi - inc;
        }
    }
}

LOOPS_TARGET static void LOOPS(rmsprop)(const step_ctx *k, long lo, long hi)
{
    int has_mom = k->o->momentum > 0.0f, centered = k->o->centered != 0;
    if (has_mom && centered) LOOPS(rms_loop)(k, lo, hi, 1, 1);
    else if (has_mom) LOOPS(rms_loop)(k, lo, hi, 1, 0);
    else if (centered) LOOPS(rms_loop)(k, lo, hi, 0, 1);
    else LOOPS(rms_loop)(k, lo, hi, 0, 0);
}

LOOPS_TARGET static void LOOPS(adagrad)(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict acc = k->s0;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, eps = k->o->epsilon;
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float a = acc[i] + gi * gi;
        acc[i] = a;
        p[i] = p[i] * wdf - (gi * lr) / sqrtf(a + eps);
    }
}

/* Slots: accumulated grad, accumulated delta. b = 1 - rho. */
LOOPS_TARGET static void LOOPS(adadelta)(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict eg = k->s0, *restrict ed = k->s1;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, rho = k->o->rho, c = k->b, eps = k->o->epsilon;
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float egi = eg[i] * rho + c * (gi * gi);
        eg[i] = egi;
        float edi = ed[i];
        float delta = ((sqrtf(edi + eps) * gi) / sqrtf(egi + eps)) * -1.0f;
        ed[i] = edi * rho + c * (delta * delta);
        p[i] = p[i] * wdf + lr * delta;
    }
}

/* Slots: m, u. a = 1 - beta_1^t; b = 1 - beta_1. */
LOOPS_TARGET static void LOOPS(adamax)(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict m = k->s0, *restrict u = k->s1;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, corr = k->a, c1 = k->b;
    const float b1 = k->o->beta_1, b2 = k->o->beta_2, eps = k->o->epsilon;
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float mi = m[i] * b1 + c1 * gi;
        float ui = nanmax(u[i] * b2, fabsf(gi));
        m[i] = mi;
        u[i] = ui;
        p[i] = p[i] * wdf - (mi * lr) / ((ui + eps) * corr);
    }
}

/* Slots: m, v. a = u_{t+1}; b = 1 - Pi_{t+1}; c = 1 - u_t; d = 1 - Pi_t; e = 1 - beta_2^t.
 * The torch backend's 1 - beta constants live in the record. */
LOOPS_TARGET static void LOOPS(nadam)(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict m = k->s0, *restrict v = k->s1;
    const float *restrict g = k->g;
    const cnn_opt *o = k->o;
    const float lr = k->lr, wdf = k->wdf, ut1 = k->a, den1 = k->b, one_ut = k->c, den0 = k->d, corr2 = k->e;
    const float b1 = o->beta_1, b2 = o->beta_2, eps = o->epsilon;
    const float c1 = comp(o->one_minus_beta_1, b1), c2 = comp(o->one_minus_beta_2, b2);
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        float mi = m[i] * b1 + c1 * gi;
        float vi = v[i] * b2 + c2 * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        float mh = (mi * ut1) / den1 + (gi * one_ut) / den0;
        float vh = vi / corr2;
        p[i] = p[i] * wdf - (mh * lr) / (sqrtf(vh) + eps);
    }
}

/* Slot: m. b = 1 - beta_1; c = 1 - beta_2. */
LOOPS_TARGET static void LOOPS(lion)(const step_ctx *k, long lo, long hi)
{
    float *restrict p = k->p, *restrict m = k->s0;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, c1 = k->b, c2 = k->c;
    const float b1 = k->o->beta_1, b2 = k->o->beta_2;
    for (long i = lo; i < hi; i++) {
        float gi = g[i], mi = m[i];
        float ct = mi * b1 + c1 * gi;
        float s = (float)((ct > 0.0f) - (ct < 0.0f));   /* torch.sign: 0 for +-0 and NaN */
        p[i] = p[i] * wdf - s * lr;
        m[i] = mi * b2 + c2 * gi;
    }
}

/* Slots: accumulator, linear. a = -learning_rate_power; b = 2 * l2_reg; c = 2 * l2_shrinkage.
 * The default power (-0.5) is a square root: its own loop, branch-free. */
LOOPS_TARGET static inline void LOOPS(ftrl_loop)(const step_ctx *k, long lo, long hi, const int is_sqrt)
{
    float *restrict p = k->p, *restrict acc = k->s0, *restrict lin = k->s1;
    const float *restrict g = k->g;
    const float lr = k->lr, wdf = k->wdf, e = k->a, two_l2 = k->b, two_l2s = k->c, l1 = k->o->l1;
    for (long i = lo; i < hi; i++) {
        float gi = g[i], pi = p[i] * wdf, ai = acc[i];
        float use = gi + two_l2s * pi;
        float na = ai + gi * gi;
        float pn = is_sqrt ? sqrtf(na) : powf_pos(na, e);
        float po = is_sqrt ? sqrtf(ai) : powf_pos(ai, e);
        float li = lin[i] + (use - ((pn - po) / lr) * pi);
        float quad = pn / lr + two_l2;
        float lc = li < -l1 ? -l1 : (li > l1 ? l1 : li);
        lin[i] = li;
        p[i] = (lc - li) / quad;
        acc[i] = na;
    }
}

LOOPS_TARGET static void LOOPS(ftrl)(const step_ctx *k, long lo, long hi)
{
    if (k->a == 0.5f) LOOPS(ftrl_loop)(k, lo, hi, 1);
    else LOOPS(ftrl_loop)(k, lo, hi, 0);
}


static const kernel_fn LOOPS(kernels)[CNN_OPT_COUNT] = {
    [CNN_OPT_SGD] = LOOPS(sgd),           [CNN_OPT_ADAM] = LOOPS(adam),
    [CNN_OPT_RMSPROP] = LOOPS(rmsprop),   [CNN_OPT_ADAGRAD] = LOOPS(adagrad),
    [CNN_OPT_ADADELTA] = LOOPS(adadelta), [CNN_OPT_ADAMAX] = LOOPS(adamax),
    [CNN_OPT_NADAM] = LOOPS(nadam),       [CNN_OPT_LION] = LOOPS(lion),
    [CNN_OPT_FTRL] = LOOPS(ftrl),
};
