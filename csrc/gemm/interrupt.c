/* interrupt.c - lets a caller stop long work early without the core knowing who asks (Ctrl-C in
 * the binding). The caller installs a poll on its own thread; cnn_gemm (between blocks) and the
 * plan (between layers) ask cnn_interrupt_poll, which runs the poll only on that thread, at most
 * every `interval` seconds; other threads (pool workers) only read the stop flag it sets. */
#include <time.h>

#include "cnn.h"

static _Thread_local cnn_interrupt *tl_current;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cnn_interrupt_install(cnn_interrupt *it, cnn_poll_fn fn, void *ctx, double interval)
{
    CNN_ASSERT(it != NULL && interval >= 0);
    unsigned mode = cnn_fpmode_flush();   /* reads the caller's mode, to run the poll in it */
    cnn_fpmode_restore(mode);
    it->fn = fn;
    it->ctx = ctx;
    it->interval = interval;
    it->last = now_seconds();
    it->fpmode = mode;
    it->stop = 0;
    it->prev = tl_current;
    tl_current = it;
}

void cnn_interrupt_uninstall(cnn_interrupt *it) { tl_current = it->prev; }

cnn_interrupt *cnn_interrupt_current(void) { return tl_current; }

int cnn_interrupt_poll(cnn_interrupt *it)
{
    if (!it) return 0;
    if (__atomic_load_n(&it->stop, __ATOMIC_RELAXED)) return 1;
    if (it != tl_current || !it->fn) return 0;   /* a worker, or nobody to ask */
    double t = now_seconds();
    if (t - it->last < it->interval) return 0;
    it->last = t;
    unsigned flushed = cnn_fpmode_flush();
    cnn_fpmode_restore(it->fpmode);   /* the poll may run the caller's code */
    int stop = it->fn(it->ctx) != 0;
    cnn_fpmode_restore(flushed);
    if (stop) __atomic_store_n(&it->stop, 1, __ATOMIC_RELAXED);
    return stop;
}

int cnn_interrupted(void) { return cnn_interrupt_poll(tl_current); }
