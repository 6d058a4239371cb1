#pragma once
// Splitting work over an Eigen thread pool without allocating: each task captures only a
// pointer, which std::function stores in place.

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>

#include <unsupported/Eigen/CXX11/ThreadPool>

#include "../layout.hpp"

namespace seattn::detail {

/// Calls f(begin, end) on disjoint ranges covering [0, n), on the pool's threads and the
/// calling one; runs inline when there is no pool or nothing to split.
template <class F>
void parallel_for(Eigen::ThreadPoolInterface* pool, Index n, const F& f) {
    const Index threads = pool ? pool->NumThreads() + 1 : 1;
    constexpr Index max_chunks = 64;
    const Index chunks = std::min({n, threads, max_chunks});
    if (chunks <= 1) {
        if (n > 0) f(Index(0), n);
        return;
    }
    struct Job {
        const F* f;
        std::atomic<Index>* running;
        Eigen::Barrier* done;
        Index begin, end;
    };
    std::atomic<Index> running(chunks - 1);
    Eigen::Barrier done(static_cast<unsigned>(chunks - 1));
    std::array<Job, max_chunks> jobs;
    for (Index i = 0; i < chunks; ++i)
        jobs[i] = Job{&f, &running, &done, n * i / chunks, n * (i + 1) / chunks};
    for (Index i = 1; i < chunks; ++i) {
        Job* job = &jobs[i];
        pool->Schedule([job] {
            (*job->f)(job->begin, job->end);
            job->running->fetch_sub(1, std::memory_order_release);
            job->done->Notify();
        });
    }
    f(jobs[0].begin, jobs[0].end);
    // Waking a thread asleep in Barrier::Wait costs tens of microseconds on a virtual
    // machine, as much as a whole pass over a small map: wait awake for a while first.
    constexpr int awake_polls = 1 << 16;
    for (int poll = 0; poll < awake_polls && running.load(std::memory_order_acquire) > 0; ++poll)
        std::this_thread::yield();
    done.Wait();
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
