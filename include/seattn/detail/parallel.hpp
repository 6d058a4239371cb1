#pragma once
// Splitting work over an Eigen thread pool without allocating: each task captures only a
// pointer, which std::function stores in place.

#include <algorithm>
#include <array>

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
        Eigen::Barrier* done;
        Index begin, end;
    };
    Eigen::Barrier done(static_cast<unsigned>(chunks - 1));
    std::array<Job, max_chunks> jobs;
    for (Index i = 0; i < chunks; ++i) jobs[i] = Job{&f, &done, n * i / chunks, n * (i + 1) / chunks};
    for (Index i = 1; i < chunks; ++i) {
        Job* job = &jobs[i];
        pool->Schedule([job] {
            (*job->f)(job->begin, job->end);
            job->done->Notify();
        });
    }
    f(jobs[0].begin, jobs[0].end);
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

}  // namespace seattn::detail
