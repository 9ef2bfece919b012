// A fork-join pool for kernels that take a few microseconds: a decode step makes ~211 linear calls,
// so dispatch must cost far less than a matvec (~25 µs for the 576×1536 Q4_1 layer at memory speed).
// Workers spin on a generation counter for a while after each job (dispatch then costs one cache-line
// transfer), and only then sleep on a condition variable so an idle pool does not burn the cores.
#define _GNU_SOURCE
#include "pith_kernels.h"
#include "internal.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <sched.h>
#include <cblas.h>

#define PITH_SPIN_NS 1000000  // 1 ms of spinning after a job before sleeping

struct pith_pool {
    int threads;
    pthread_t *workers;
    _Alignas(64) atomic_uint_fast64_t generation;   // bumped once per job
    _Alignas(64) atomic_int remaining;              // workers still running the current job
    _Alignas(64) atomic_int sleepers;
    atomic_flag busy;                               // held by the thread dispatching a job
    pith_job_fn fn;
    void *context;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

static _Thread_local int in_job = 0;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct { pith_pool *pool; int index; } worker_arg;

static void *worker_main(void *p) {
    worker_arg arg = *(worker_arg *)p;
    free(p);
    pith_pool *pool = arg.pool;
    uint64_t seen = 0;
    in_job = 1;  // anything a worker runs is inside a job
    for (;;) {
        uint64_t gen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (gen == seen) {
            int64_t start = now_ns();
            for (int spins = 0;; spins++) {
                cpu_relax();
                gen = atomic_load_explicit(&pool->generation, memory_order_acquire);
                if (gen != seen) break;
                if ((spins & 255) == 255 && now_ns() - start > PITH_SPIN_NS) {
                    pthread_mutex_lock(&pool->lock);
                    atomic_fetch_add(&pool->sleepers, 1);
                    while ((gen = atomic_load(&pool->generation)) == seen)
                        pthread_cond_wait(&pool->wake, &pool->lock);
                    atomic_fetch_sub(&pool->sleepers, 1);
                    pthread_mutex_unlock(&pool->lock);
                    break;
                }
            }
        }
        seen = gen;
        if (pool->fn == NULL) return NULL;  // shutdown is never requested for the shared pool
        pool->fn(pool->context, arg.index, pool->threads);
        atomic_fetch_sub_explicit(&pool->remaining, 1, memory_order_release);
    }
}

pith_pool *pith_pool_create(int threads) {
    if (threads < 1) threads = 1;
    pith_pool *pool = aligned_alloc(64, (sizeof(pith_pool) + 63) / 64 * 64);
    if (!pool) return NULL;
    memset(pool, 0, sizeof *pool);
    pool->threads = threads;
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->remaining, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_flag_clear(&pool->busy);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)threads, sizeof(pthread_t));
    int started = 1;
    for (int i = 1; i < threads; i++) {
        worker_arg *arg = malloc(sizeof *arg);
        if (!arg) break;
        arg->pool = pool; arg->index = i;
        if (pthread_create(&pool->workers[i], NULL, worker_main, arg) != 0) { free(arg); break; }
        started++;
    }
    pool->threads = started;
    // The pool owns the parallelism: OpenBLAS runs single-threaded inside each part (pith_sgemm,
    // prefill tiles), otherwise its own threads would fight ours for the same two cores.
    openblas_set_num_threads(1);
    return pool;
}

int pith_pool_threads(const pith_pool *pool) { return pool ? pool->threads : 1; }

void pith_pool_run(pith_pool *pool, pith_job_fn fn, void *context) {
    if (!pool || pool->threads == 1 || in_job || atomic_flag_test_and_set_explicit(&pool->busy, memory_order_acquire)) {
        int saved = in_job;
        in_job = 1;
        fn(context, 0, 1);
        in_job = saved;
        return;
    }
    pool->fn = fn;
    pool->context = context;
    atomic_store_explicit(&pool->remaining, pool->threads - 1, memory_order_relaxed);
    atomic_fetch_add(&pool->generation, 1);  // seq_cst: ordered before the sleepers check below
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    in_job = 1;
    fn(context, 0, pool->threads);
    in_job = 0;
    for (int spins = 0; atomic_load_explicit(&pool->remaining, memory_order_acquire) != 0; spins++) {
        cpu_relax();
        if (spins > 100000) sched_yield();  // a worker was descheduled: let it run
    }
    atomic_flag_clear_explicit(&pool->busy, memory_order_release);
}

// MARK: - Per-thread scratch

#define PITH_SCRATCH_SLOTS 4
static _Thread_local void *scratch_ptr[PITH_SCRATCH_SLOTS];
static _Thread_local size_t scratch_size[PITH_SCRATCH_SLOTS];

void *pith_scratch(int slot, size_t bytes) {
    if (scratch_size[slot] < bytes) {
        free(scratch_ptr[slot]);
        size_t size = (bytes + 4095) / 4096 * 4096;
        scratch_ptr[slot] = aligned_alloc(64, size);
        scratch_size[slot] = scratch_ptr[slot] ? size : 0;
    }
    return scratch_ptr[slot];
}
