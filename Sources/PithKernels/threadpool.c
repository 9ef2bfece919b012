// A fork-join pool for kernels that take a few microseconds: a decode step makes ~211 linear calls,
// so dispatch must cost far less than a matvec (~25 µs for the 576×1536 Q4_1 layer at memory speed).
// Workers spin on a generation counter for a while after each job (dispatch then costs one cache-line
// transfer), and only then sleep on a condition variable so an idle pool does not burn the cores.
//
// Parts are claimed, not assigned: every participant (the caller first) takes part indices from a
// counter until none are left, and the caller waits only for workers that are inside a part. On a
// shared machine a worker is often descheduled for a whole time slice (measured: 1–2 ms per job with a
// fixed part per thread while two compilers ran on the same 2 cores); the caller then just runs the
// remaining parts itself. A worker that wakes after the job is closed skips it.
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
#define CLOSED ((uint64_t)1 << 63)

struct pith_pool {
    int threads;
    pthread_t *workers;
    _Alignas(64) atomic_uint_fast64_t generation;   // bumped once per job
    _Alignas(64) atomic_uint_fast64_t state;        // generation << 32 | CLOSED? | workers inside the job
    _Alignas(64) atomic_int next_part;
    _Alignas(64) atomic_int sleepers;
    atomic_flag busy;                               // held by the thread dispatching a job
    pith_job_fn fn;
    void *context;
    int parts;
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

static void claim_parts(pith_pool *pool) {
    for (;;) {
        const int part = atomic_fetch_add_explicit(&pool->next_part, 1, memory_order_relaxed);
        if (part >= pool->parts) return;
        pool->fn(pool->context, part, pool->parts);
    }
}

// Enters job `gen` unless the caller has closed it; returns 1 when entered.
static int try_enter(pith_pool *pool, uint64_t gen) {
    uint64_t s = atomic_load_explicit(&pool->state, memory_order_acquire);
    for (;;) {
        if ((s >> 32) != (gen & 0x7fffffff) || (s & CLOSED)) return 0;
        if (atomic_compare_exchange_weak_explicit(&pool->state, &s, s + 1, memory_order_acquire, memory_order_acquire))
            return 1;
    }
}

static void *worker_main(void *p) {
    pith_pool *pool = p;
    uint64_t seen = 0;
    in_job = 1;  // anything a worker runs is inside a job
    for (;;) {
        uint64_t gen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (gen == seen) {
            const int64_t start = now_ns();
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
        if (try_enter(pool, gen)) {
            claim_parts(pool);
            atomic_fetch_sub_explicit(&pool->state, 1, memory_order_release);
        }
    }
    return NULL;
}

pith_pool *pith_pool_create(int threads) {
    if (threads < 1) threads = 1;
    pith_pool *pool = aligned_alloc(64, (sizeof(pith_pool) + 63) / 64 * 64);
    if (!pool) return NULL;
    memset(pool, 0, sizeof *pool);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->state, CLOSED);
    atomic_init(&pool->next_part, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_flag_clear(&pool->busy);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)threads, sizeof(pthread_t));
    int started = 1;
    for (int i = 1; i < threads && pool->workers; i++) {
        if (pthread_create(&pool->workers[i], NULL, worker_main, pool) != 0) break;
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
        // Nested, or the pool is busy with another caller's job: run every part here, in order. The partition is
        // the same as a parallel run's, so results do not depend on whether the pool was free (reproducible bits).
        const int saved = in_job, parts = pool ? pool->threads : 1;
        in_job = 1;
        for (int part = 0; part < parts; part++) fn(context, part, parts);
        in_job = saved;
        return;
    }
    pool->fn = fn;
    pool->context = context;
    pool->parts = pool->threads;
    atomic_store_explicit(&pool->next_part, 0, memory_order_relaxed);
    const uint64_t gen = atomic_load_explicit(&pool->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&pool->state, (gen & 0x7fffffff) << 32, memory_order_release);  // open, nobody inside
    atomic_store(&pool->generation, gen);  // seq_cst: ordered before the sleepers check below
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    in_job = 1;
    claim_parts(pool);
    in_job = 0;
    // Close the job, then wait for workers still inside a part.
    atomic_fetch_or_explicit(&pool->state, CLOSED, memory_order_acq_rel);
    for (int spins = 0; (atomic_load_explicit(&pool->state, memory_order_acquire) & 0xffffffff) != 0; spins++) {
        cpu_relax();
        if (spins > 20000) sched_yield();  // the worker was descheduled mid-part: let it run
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
