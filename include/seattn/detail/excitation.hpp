#pragma once
// Excitation: the two-layer MLP that maps a pooled channel vector to channel logits.

#include <algorithm>

#include <Eigen/Core>

#include "../config.hpp"
#include "gates.hpp"

namespace seattn::detail {

template <class S>
struct Excitation {
    using Matrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Vector = Eigen::Matrix<S, Eigen::Dynamic, 1>;

    Matrix fc1_weight;  // reduced x channels (PyTorch's [out, in])
    Vector fc1_bias;    // reduced; zero when the config has no bias
    Matrix fc2_weight;  // channels x reduced
    Vector fc2_bias;    // channels
    Activation activation = Activation::relu;

    Index channels() const { return fc1_weight.cols(); }
    Index reduced() const { return fc1_weight.rows(); }

    /// Bytes of weights from which the pieces of a sample share the MLP (shared_by). Each
    /// phase's end costs every thread a wait and a read of what the others wrote, which
    /// smaller weights do not repay: on 2 threads (AVX-512 machine, medians of 8 alternating
    /// runs of seattn_bench), one task per sample made SE 1.04-1.06x and CBAM 1.06-1.09x as
    /// fast on 1x64x56x56 (2 KiB of float weights) and 1.00-1.04x on 1x256x56x56 and
    /// 1x512x28x28 (32 and 128 KiB), while sharing stayed 1.04-1.14x faster at 1024 channels
    /// (512 KiB) and 1.1-1.5x at 2048 but for one run of 0.88x (microbenchmark, 3 alternating
    /// runs).
    static constexpr Index shared_bytes = Index(256) << 10;

    /// Whether `pieces` pieces of a sample share its MLP, a phase for the hidden units and one
    /// for the logits, each cut into the pieces: where the weights outweigh the sample (2048
    /// channels: 2 MiB against 392 KiB). Smaller MLPs run in one task per sample.
    bool shared_by(Index pieces) const {
        return pieces > 1 && (fc1_weight.size() + fc2_weight.size()) * Index(sizeof(S)) >= shared_bytes;
    }

    /// Rows of fc1 per block in hidden_rows: 64 KiB of float weights at 1024 channels, so
    /// that a block is still in L1 or L2 when the second path reads it.
    static constexpr Index rows_per_block = 16;

    /// hidden_p[i] = act(fc1(pooled_p))[i] for i in [begin, end) and each path p < paths
    /// (one or two pooled vectors, e.g. CBAM's mean and max): a slice of fc1's rows, so that
    /// threads can share one sample's excitation. A block of rows serves every path before
    /// the next is read: fc1 can outweigh the activations (2 MiB at 2048 channels), and is
    /// then read from memory once, not once per path.
    void hidden_rows(const S* const* pooled, S* const* hidden, Index paths, Index begin, Index end) const {
        const Index block = paths == 1 ? std::max(Index(1), end - begin) : rows_per_block;
        for (Index row = begin; row < end; row += block) {
            const Index rows = std::min(block, end - row);
            for (Index p = 0; p < paths; ++p) {
                Eigen::Map<Vector> h(hidden[p] + row, rows);
                h.noalias() = fc1_weight.middleRows(row, rows) * Eigen::Map<const Vector>(pooled[p], channels());
                h += fc1_bias.segment(row, rows);
                for (Index i = 0; i < rows; ++i) h[i] = apply_activation(activation, h[i]);
            }
        }
    }

    /// out[c] = fc2(hidden)[c] + (paths - 1) * fc2_bias[c] for c in [begin, end), a slice of
    /// fc2's rows: with `hidden` the sum of `paths` paths' hidden vectors, the sum of their
    /// logits, reading fc2 once (fc2 is linear).
    void logit_rows(const S* hidden, Index paths, S* out, Index begin, Index end) const {
        Eigen::Map<Vector> e(out + begin, end - begin);
        e.noalias() = fc2_weight.middleRows(begin, end - begin) * Eigen::Map<const Vector>(hidden, reduced());
        e += S(paths) * fc2_bias.segment(begin, end - begin);
    }
};

}  // namespace seattn::detail
