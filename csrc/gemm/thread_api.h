/* thread_api.h - the few thread primitives the pool (threads.c) and the GEMM buffers (gemm.c) use:
 * POSIX threads (Linux, macOS, mingw-w64), or C11 <threads.h> where there are none (MSVC, 2022
 * 17.8+). CNN_C11_THREADS forces the C11 version, so glibc can test it (tests/test_native_isa.py).
 * C11 mutexes and condition variables have no static initializer: cnn_once's callback must call
 * cnn_mutex_init / cnn_cond_init before first use (threads.c does).
 */
#ifndef CNN_THREAD_API_H
#define CNN_THREAD_API_H

#if defined(_MSC_VER) && !defined(CNN_C11_THREADS)
#define CNN_C11_THREADS 1
#endif

#ifdef CNN_C11_THREADS
#include <threads.h>
typedef mtx_t cnn_mutex;
typedef cnd_t cnn_cond;
typedef once_flag cnn_once_flag;
typedef thrd_t cnn_thread;
typedef tss_t cnn_tls_key;
#define CNN_MUTEX_INIT {0}
#define CNN_COND_INIT {0}
#define CNN_ONCE_INIT ONCE_FLAG_INIT
static inline void cnn_mutex_init(cnn_mutex *m) { mtx_init(m, mtx_plain); }
static inline void cnn_mutex_lock(cnn_mutex *m) { mtx_lock(m); }
static inline int cnn_mutex_trylock(cnn_mutex *m) { return mtx_trylock(m) == thrd_success ? 0 : 1; }
static inline void cnn_mutex_unlock(cnn_mutex *m) { mtx_unlock(m); }
static inline void cnn_cond_init(cnn_cond *c) { cnd_init(c); }
static inline void cnn_cond_wait(cnn_cond *c, cnn_mutex *m) { cnd_wait(c, m); }
static inline void cnn_cond_broadcast(cnn_cond *c) { cnd_broadcast(c); }
static inline void cnn_once(cnn_once_flag *f, void (*fn)(void)) { call_once(f, fn); }
/* A thread's entry: CNN_THREAD_FN(name) { ...; CNN_THREAD_RETURN; } */
#define CNN_THREAD_FN(name) int name(void *arg)
#define CNN_THREAD_RETURN return 0
static inline int cnn_thread_start(cnn_thread *t, int (*fn)(void *), void *arg)
{ return thrd_create(t, fn, arg) == thrd_success ? 0 : 1; }
static inline void cnn_thread_join(cnn_thread t) { thrd_join(t, NULL); }
static inline int cnn_tls_create(cnn_tls_key *k, void (*dtor)(void *))
{ return tss_create(k, dtor) == thrd_success ? 0 : 1; }
static inline void cnn_tls_set(cnn_tls_key k, void *v) { tss_set(k, v); }
#else
#include <pthread.h>
typedef pthread_mutex_t cnn_mutex;
typedef pthread_cond_t cnn_cond;
typedef pthread_once_t cnn_once_flag;
typedef pthread_t cnn_thread;
typedef pthread_key_t cnn_tls_key;
#define CNN_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define CNN_COND_INIT PTHREAD_COND_INITIALIZER
#define CNN_ONCE_INIT PTHREAD_ONCE_INIT
static inline void cnn_mutex_init(cnn_mutex *m) { pthread_mutex_init(m, NULL); }
static inline void cnn_mutex_lock(cnn_mutex *m) { pthread_mutex_lock(m); }
static inline int cnn_mutex_trylock(cnn_mutex *m) { return pthread_mutex_trylock(m) != 0; }
static inline void cnn_mutex_unlock(cnn_mutex *m) { pthread_mutex_unlock(m); }
static inline void cnn_cond_init(cnn_cond *c) { pthread_cond_init(c, NULL); }
static inline void cnn_cond_wait(cnn_cond *c, cnn_mutex *m) { pthread_cond_wait(c, m); }
static inline void cnn_cond_broadcast(cnn_cond *c) { pthread_cond_broadcast(c); }
static inline void cnn_once(cnn_once_flag *f, void (*fn)(void)) { pthread_once(f, fn); }
#define CNN_THREAD_FN(name) void *name(void *arg)
#define CNN_THREAD_RETURN return NULL
static inline int cnn_thread_start(cnn_thread *t, void *(*fn)(void *), void *arg)
{ return pthread_create(t, NULL, fn, arg) != 0; }
static inline void cnn_thread_join(cnn_thread t) { pthread_join(t, NULL); }
static inline int cnn_tls_create(cnn_tls_key *k, void (*dtor)(void *)) { return pthread_key_create(k, dtor); }
static inline void cnn_tls_set(cnn_tls_key k, void *v) { pthread_setspecific(k, v); }
#endif

#endif
