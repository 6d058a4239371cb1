#pragma once
// Splitting work over an Eigen thread pool without allocating: each task captures only a
// pointer, which std::function stores in place.

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <thread>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <unsupported/Eigen/CXX11/ThreadPool>

#include "../layout.hpp"

namespace seattn::detail {

/// Most threads (the pool's and the calling one) a pass runs on.
constexpr Index max_threads = 64;

/// Polls done() until it holds or, after a while of pausing between polls, `yields` more
/// polls yielding between them. A wait here is usually shorter than a sched_yield (1.5 us on
/// the virtual machine of the benchmarks, where a pause takes 20 ns); yielding lets a thread
/// that shares the core (the one waited for, when the pool has more threads than the
/// machine has cores) run.
template <class Done>
void poll_until(const Done& done, long yields = std::numeric_limits<long>::max()) {
    constexpr int paused_polls = 1 << 12;
    for (int poll = 0; poll < paused_polls; ++poll) {
        if (done()) return;
#if defined(__SSE2__)
        _mm_pause();
#endif
    }
    for (long poll = 0; poll < yields && !done(); ++poll) std::this_thread::yield();
}

/// Calls g(i) for every i in [0, threads): g(0) on the calling thread, the others on the
/// pool's threads (there must be threads - 1 of them), and returns once all have returned.
template <class G>
void run_on_threads(Eigen::ThreadPoolInterface* pool, Index threads, const G& g) {
    struct Job {
        const G* g;
        std::atomic<Index>* running;
        Eigen::Barrier* done;
        Index index;
    };
    std::atomic<Index> running(threads - 1);
    Eigen::Barrier done(static_cast<unsigned>(threads - 1));
    std::array<Job, max_threads> jobs;
    for (Index i = 1; i < threads; ++i) {
        jobs[i] = Job{&g, &running, &done, i};
        Job* job = &jobs[i];
        pool->Schedule([job] {
            (*job->g)(job->index);
            job->running->fetch_sub(1, std::memory_order_release);
            job->done->Notify();
        });
    }
    g(Index(0));
    // Waking a thread asleep in Barrier::Wait costs tens of microseconds on a virtual
    // machine, as much as a whole pass over a small map: wait awake for a while first.
    poll_until([&] { return running.load(std::memory_order_acquire) == 0; }, 1 << 16);
    done.Wait();
}

/// Threads of `pool` and the calling one that work on n tasks.
inline Index threads_for(Eigen::ThreadPoolInterface* pool, Index n) {
    return std::min({n, pool ? Index(pool->NumThreads()) + 1 : Index(1), max_threads});
}

/// Calls f(begin, end) on disjoint ranges covering [0, n), on the pool's threads and the
/// calling one; runs inline when there is no pool or nothing to split.
template <class F>
void parallel_for(Eigen::ThreadPoolInterface* pool, Index n, const F& f) {
    const Index threads = threads_for(pool, n);
    if (threads <= 1) {
        if (n > 0) f(Index(0), n);
        return;
    }
    run_on_threads(pool, threads, [&](Index i) { f(n * i / threads, n * (i + 1) / threads); });
}

/// Most phases parallel_phases runs.
constexpr int max_phases = 8;

/// Runs `phases` phases in order, phase p calling f(p, task) for every task in [0, tasks[p]),
/// on the pool's threads and the calling one, with one round of scheduling for them all: a
/// round of parallel_for took about 1.2 us on this machine, a fifth of SE's time on a small
/// sample with 2 threads, where a phase ends on a wait for the last task. Thread i takes the
/// tasks of its own block of each phase first (the same tasks of phases of equal length, so
/// that it rereads what it read), then helps with the others' blocks: any thread can finish
/// every phase alone, so the passes finish however late the pool's threads start.
template <class F>
void parallel_phases(Eigen::ThreadPoolInterface* pool, const Index* tasks, int phases, const F& f) {
    eigen_assert(phases <= max_phases);
    const Index threads = threads_for(pool, *std::max_element(tasks, tasks + phases));
    if (threads <= 1) {
        for (int p = 0; p < phases; ++p)
            for (Index task = 0; task < tasks[p]; ++task) f(p, task);
        return;
    }
    // next[p][b]: the first task of block b of phase p no thread has taken yet.
    std::array<std::array<std::atomic<Index>, max_threads>, max_phases> next;
    std::array<std::atomic<Index>, max_phases> done;
    for (int p = 0; p < phases; ++p) {
        done[p].store(0, std::memory_order_relaxed);
        for (Index b = 0; b < threads; ++b) next[p][b].store(tasks[p] * b / threads, std::memory_order_relaxed);
    }
    run_on_threads(pool, threads, [&](Index i) {
        for (int p = 0; p < phases; ++p) {
            for (Index b = i, step = 0; step < threads; ++step, b = (b + 1) % threads) {
                const Index end = tasks[p] * (b + 1) / threads;
                for (;;) {
                    const Index task = next[p][b].fetch_add(1, std::memory_order_relaxed);
                    if (task >= end) break;
                    f(p, task);
                    done[p].fetch_add(1, std::memory_order_acq_rel);
                }
            }
            poll_until([&] { return done[p].load(std::memory_order_acquire) >= tasks[p]; });
        }
    });
}

/// Bytes left between the buffers of an array of per-thread buffers (thread_buffer_stride):
/// a core streaming through its buffer has its hardware prefetchers fetch the lines beyond
/// it, and a line the other core then writes moves back and forth. The NHWC squeeze with
/// maxes of half of 1x256x56x56 on each of 2 threads, whose 1 KiB scratch and max rows are
/// rewritten every four pixels, took 35.6 us with the rows a line apart, 30-31 us 256 bytes
/// apart, 23.5 us 1 KiB apart and 22.3 us 2 KiB apart, as fast as one half alone
/// (microbenchmark, AVX-512 machine).
constexpr Index thread_buffer_gap_bytes = 2048;

/// Values from one thread's buffer to the next in an array of buffers of `count` S each
/// that threads write at once: the buffer rounded up to whole cache lines, and
/// thread_buffer_gap_bytes more, so that two threads never write to the same line wherever
/// the array starts, nor to lines the other's prefetchers fetch. Where a line is shared
/// depends on where the allocator put the array, and it costs more than the split gains: the
/// NHWC squeeze of 1x256x56x56 on 2 threads, which writes its piece's scratch row every four
/// pixels, took 53-65 us a half sharing one against 26-33 apart (microbenchmark, AVX-512
/// machine); spatial attention on 1x1024x14x14 and 1x2048x7x7, whose channel groups pool
/// into maps side by side, ran 0.86x and 0.79x as fast on 2 threads as unsplit, and 1.49x
/// and 1.56x apart (AVX2 machine).
template <class S>
Index thread_buffer_stride(Index count) {
    constexpr Index line = 64 / Index(sizeof(S)), gap = thread_buffer_gap_bytes / Index(sizeof(S));
    return (count + line - 1) / line * line + gap;
}

/// Pieces to cut each of `n` samples into so that every thread of `pool` and the calling
/// one gets work: 1 when the batch alone gives every thread a sample.
inline Index pieces_per_sample(Eigen::ThreadPoolInterface* pool, Index n) {
    const Index threads = pool ? pool->NumThreads() + 1 : 1;
    return n >= threads ? 1 : (threads + n - 1) / n;
}

/// First index of piece `piece` when [0, total) is cut into `pieces` near-equal pieces.
inline Index piece_begin(Index total, Index piece, Index pieces) { return total * piece / pieces; }

/// Calls f(sample, begin, end) for every sample in [0, n) and every piece [begin, end) of
/// [0, length) in `pieces` near-equal ranges, over the pool's threads.
template <class F>
void for_each_piece(Eigen::ThreadPoolInterface* pool, Index n, Index length, Index pieces, const F& f) {
    parallel_for(pool, n * pieces, [&](Index begin, Index end) {
        for (Index task = begin; task < end; ++task) {
            const Index piece = task % pieces;
            f(task / pieces, piece_begin(length, piece, pieces), piece_begin(length, piece + 1, pieces));
        }
    });
}

}  // namespace seattn::detail
