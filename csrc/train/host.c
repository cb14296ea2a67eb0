/* host.c - calls into the host language (Python) for the parts written there: a thread-local callback
 * installed around a plan's entry point, like the interrupt poll (gemm/interrupt.c). A failed call
 * stops the current work through the interrupt, so the step is abandoned with nothing applied. */
#include "cnn.h"

static _Thread_local cnn_host *tl_host;

void cnn_host_install(cnn_host *h, cnn_host_fn fn, void *ctx)
{
    CNN_ASSERT(h != NULL);
    h->fn = fn;
    h->ctx = ctx;
    h->prev = tl_host;
    tl_host = h;
}

void cnn_host_uninstall(cnn_host *h) { tl_host = h->prev; }

static void stop_current(void)
{
    cnn_interrupt *it = cnn_interrupt_current();
    if (it) __atomic_store_n(&it->stop, 1, __ATOMIC_RELAXED);
}

int cnn_host_run(const cnn_host_call *call)
{
    cnn_interrupt *it = cnn_interrupt_current();
    if (it && __atomic_load_n(&it->stop, __ATOMIC_RELAXED)) return 1;   /* already abandoning */
    if (!tl_host || !tl_host->fn) {
        stop_current();
        return 1;
    }
    unsigned flushed = cnn_fpmode_flush();
    cnn_fpmode_restore(it ? it->fpmode : flushed);   /* the host runs the caller's code */
    int failed = tl_host->fn(tl_host->ctx, call) != 0;
    cnn_fpmode_restore(flushed);
    if (failed) stop_current();
    return failed;
}

int cnn_host_stopped(void)
{
    cnn_interrupt *it = cnn_interrupt_current();
    return it && __atomic_load_n(&it->stop, __ATOMIC_RELAXED);
}
