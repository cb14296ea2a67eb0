/* threads.c - the worker pool behind cnn_parallel_for.
 *
 * One pool of (threads - 1) workers; the calling thread works too. Created lazily on first
 * parallel use, rebuilt lazily after set_num_threads changes the size or after fork (the child
 * starts with no pool). Tasks are claimed from an atomic counter, so which thread runs a task
 * is timing-dependent; callers make every task write its own outputs, so results are not.
 * Workers spin briefly after a job (back-to-back GEMMs are common), then sleep on a condvar.
 *
 * A job is open until the caller has run out of tasks. A worker joins only an open job; the
 * caller then closes it and waits just for the workers that joined, so a worker that is slow
 * to wake (asleep, or its core busy with another process) never delays the caller.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include "cnn.h"
#include "portable.h"
#include "parallel.h"
#include "thread_api.h"

#if defined(_WIN32)
#include <windows.h>
#elif defined(__linux__)
#include <sched.h>
#else
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#define FP_FLUSH_BITS 0x8040u  /* MXCSR: FTZ (bit 15) and DAZ (bit 6) */
static unsigned fpmode_get(void) { return _mm_getcsr() & FP_FLUSH_BITS; }
static void fpmode_set(unsigned m) { _mm_setcsr((_mm_getcsr() & ~FP_FLUSH_BITS) | (m & FP_FLUSH_BITS)); }
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#define FP_FLUSH_BITS (1u << 24)  /* FPCR.FZ */
static unsigned fpmode_get(void)
{
    uint64_t r;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(r));
    return (unsigned)r & FP_FLUSH_BITS;
}
static void fpmode_set(unsigned m)
{
    uint64_t r;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(r));
    r = (r & ~(uint64_t)FP_FLUSH_BITS) | (m & FP_FLUSH_BITS);
    __asm__ __volatile__("msr fpcr, %0" : : "r"(r));
}
#else
#define cpu_relax() ((void)0)
#define FP_FLUSH_BITS 0u
static unsigned fpmode_get(void) { return 0; }
static void fpmode_set(unsigned m) { (void)m; }
#endif

unsigned cnn_fpmode_flush(void)
{
    unsigned saved = fpmode_get();
    fpmode_set(FP_FLUSH_BITS);
    return saved;
}

void cnn_fpmode_restore(unsigned saved) { fpmode_set(saved); }

#define MAX_WORKERS 255
#define SPIN_ROUNDS 20000  /* ~0.1-0.3 ms of pause before sleeping */

/* g_state = generation << 32 | OPEN | number of workers inside the job */
#define OPEN ((uint64_t)1 << 31)
#define ACTIVE_MASK (OPEN - 1)
#define GEN(s) ((uint32_t)((s) >> 32))

static cnn_mutex g_dispatch = CNN_MUTEX_INIT;  /* one job at a time */
static cnn_mutex g_sleep = CNN_MUTEX_INIT;     /* guards the condvars */
static cnn_cond g_wake = CNN_COND_INIT;        /* workers wait for a job */
static cnn_cond g_done = CNN_COND_INIT;        /* caller waits for workers */
static cnn_once_flag g_once = CNN_ONCE_INIT;

static atomic_int g_wanted;        /* requested thread count; 0 = not resolved yet */
static int g_nworkers;             /* workers running (pool size - 1); 0 = no pool */
static cnn_thread g_tids[MAX_WORKERS];

/* The current job: written by the caller before it publishes a new generation. */
static cnn_task_fn g_fn;
static void *g_ctx;
static long g_ntasks;
static unsigned g_fpmode;           /* the caller's floating-point mode, for the workers */
static atomic_long g_next;          /* next task index to claim */
static _Atomic uint64_t g_state;
static atomic_int g_sleepers;       /* workers asleep on g_wake */
static atomic_int g_caller_sleeping;
static atomic_int g_quit;

static CNN_THREAD_LOCAL int tl_in_pool;  /* nested parallel_for runs inline */

/* The cores this process may use: its affinity mask on Linux, the online cores elsewhere. */
static int affinity_cpus(void)
{
#if defined(_WIN32)
    DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    return n > 0 ? (int)n : 1;
#elif defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    return 1;
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#endif
}

static int clamp_threads(int n)
{
    if (n <= 0) n = affinity_cpus();
    return n > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : n;
}

static int resolve_wanted(void)
{
    int n = atomic_load(&g_wanted);
    if (n > 0) return n;
    const char *s = getenv("CNN_NUM_THREADS");
    n = clamp_threads(s ? atoi(s) : 0);
    int zero = 0;
    atomic_compare_exchange_strong(&g_wanted, &zero, n);
    return atomic_load(&g_wanted);
}

static void run_tasks(void)
{
    for (;;) {
        long t = atomic_fetch_add(&g_next, 1);
        if (t >= g_ntasks) break;
        g_fn(g_ctx, t);
    }
}

/* Joins generation `gen` if it is still open; returns 1 when joined. */
static int try_join(uint64_t s, uint32_t gen)
{
    while (GEN(s) == gen && (s & OPEN)) {
        if (atomic_compare_exchange_weak(&g_state, &s, s + 1)) return 1;
    }
    return 0;
}

static CNN_THREAD_FN(worker_main)
{
    tl_in_pool = 1;
    uint32_t seen = (uint32_t)(uintptr_t)arg;  /* the generation when the pool was built */
    for (;;) {
        uint64_t s;
        int spins = 0;
        while (GEN(s = atomic_load(&g_state)) == seen && !atomic_load(&g_quit)) {
            if (++spins < SPIN_ROUNDS) {
                cpu_relax();
                continue;
            }
            cnn_mutex_lock(&g_sleep);
            atomic_fetch_add(&g_sleepers, 1);
            while (GEN(atomic_load(&g_state)) == seen && !atomic_load(&g_quit))
                cnn_cond_wait(&g_wake, &g_sleep);
            atomic_fetch_sub(&g_sleepers, 1);
            cnn_mutex_unlock(&g_sleep);
            spins = 0;
        }
        if (atomic_load(&g_quit)) break;
        seen = GEN(s);
        if (!try_join(s, seen)) continue;  /* already closed: nothing left to do */
        fpmode_set(g_fpmode);
        run_tasks();
        uint64_t left = atomic_fetch_sub(&g_state, 1) - 1;
        if ((left & ACTIVE_MASK) == 0 && !(left & OPEN) && atomic_load(&g_caller_sleeping)) {
            cnn_mutex_lock(&g_sleep);
            cnn_cond_broadcast(&g_done);
            cnn_mutex_unlock(&g_sleep);
        }
    }
    CNN_THREAD_RETURN;
}

/* Both with g_dispatch held. */
static void pool_stop(void)
{
    if (g_nworkers == 0) return;
    cnn_mutex_lock(&g_sleep);
    atomic_store(&g_quit, 1);
    cnn_cond_broadcast(&g_wake);
    cnn_mutex_unlock(&g_sleep);
    for (int i = 0; i < g_nworkers; i++) cnn_thread_join(g_tids[i]);
    g_nworkers = 0;
    atomic_store(&g_quit, 0);
}

static void pool_start(int nworkers)
{
    void *gen = (void *)(uintptr_t)GEN(atomic_load(&g_state));  /* only changes under g_dispatch */
    for (int i = 0; i < nworkers; i++) {
        if (cnn_thread_start(&g_tids[i], worker_main, gen) != 0) break;  /* run with fewer */
        g_nworkers = i + 1;
    }
}

#if defined(_WIN32) || defined(CNN_C11_THREADS)
static void init_once(void)  /* no fork() on Windows; C11 has no static initializers */
{
    cnn_mutex_init(&g_dispatch);
    cnn_mutex_init(&g_sleep);
    cnn_cond_init(&g_wake);
    cnn_cond_init(&g_done);
}
#else
static void atfork_prepare(void) { cnn_mutex_lock(&g_dispatch); }
static void atfork_parent(void) { cnn_mutex_unlock(&g_dispatch); }
static void atfork_child(void)
{
    /* The workers do not exist in the child: forget them; the pool is rebuilt on demand. */
    cnn_mutex_init(&g_dispatch);
    cnn_mutex_init(&g_sleep);
    cnn_cond_init(&g_wake);
    cnn_cond_init(&g_done);
    g_nworkers = 0;
    atomic_store(&g_state, 0);
    atomic_store(&g_sleepers, 0);
    atomic_store(&g_caller_sleeping, 0);
    atomic_store(&g_quit, 0);
}

static void init_once(void) { pthread_atfork(atfork_prepare, atfork_parent, atfork_child); }
#endif

void cnn_set_num_threads(int n)
{
    cnn_once(&g_once, init_once);
    n = clamp_threads(n);
    cnn_mutex_lock(&g_dispatch);
    atomic_store(&g_wanted, n);
    if (g_nworkers != 0 && g_nworkers != n - 1) pool_stop();  /* rebuilt lazily at the new size */
    cnn_mutex_unlock(&g_dispatch);
}

int cnn_get_num_threads(void) { return resolve_wanted(); }

int cnn_parallel_width(void) { return tl_in_pool ? 1 : resolve_wanted(); }

static void run_inline(long ntasks, cnn_task_fn fn, void *ctx)
{
    for (long t = 0; t < ntasks; t++) fn(ctx, t);
}

void cnn_parallel_for(long ntasks, cnn_task_fn fn, void *ctx)
{
    if (ntasks <= 0) return;
    CNN_ASSERT(fn != NULL);
    if (ntasks == 1 || tl_in_pool || resolve_wanted() <= 1) {
        run_inline(ntasks, fn, ctx);
        return;
    }
    cnn_once(&g_once, init_once);
    /* Another thread's job is running: do this one here rather than wait for it. */
    if (cnn_mutex_trylock(&g_dispatch) != 0) {
        run_inline(ntasks, fn, ctx);
        return;
    }
    int nthreads = atomic_load(&g_wanted);
    if (g_nworkers != nthreads - 1) {
        pool_stop();
        pool_start(nthreads - 1);
    }
    if (g_nworkers == 0) {
        cnn_mutex_unlock(&g_dispatch);
        run_inline(ntasks, fn, ctx);
        return;
    }
    g_fn = fn;
    g_ctx = ctx;
    g_ntasks = ntasks;
    g_fpmode = fpmode_get();
    atomic_store(&g_next, 0);
    uint32_t gen = GEN(atomic_load(&g_state)) + 1;
    atomic_store(&g_state, ((uint64_t)gen << 32) | OPEN);  /* publishes the job (seq_cst) */
    if (atomic_load(&g_sleepers) > 0) {
        cnn_mutex_lock(&g_sleep);
        cnn_cond_broadcast(&g_wake);
        cnn_mutex_unlock(&g_sleep);
    }
    tl_in_pool = 1;
    run_tasks();
    tl_in_pool = 0;
    /* Close the job, then wait only for the workers inside it. */
    atomic_fetch_and(&g_state, ~OPEN);
    for (int spins = 0; atomic_load(&g_state) & ACTIVE_MASK; spins++) {
        if (spins < SPIN_ROUNDS) {
            cpu_relax();
            continue;
        }
        cnn_mutex_lock(&g_sleep);
        atomic_store(&g_caller_sleeping, 1);
        while (atomic_load(&g_state) & ACTIVE_MASK) cnn_cond_wait(&g_done, &g_sleep);
        atomic_store(&g_caller_sleeping, 0);
        cnn_mutex_unlock(&g_sleep);
    }
    cnn_mutex_unlock(&g_dispatch);
}
