#pragma once
// Excitation: the two-layer MLP that maps a pooled channel vector to channel logits.

#include <algorithm>

#include <Eigen/Core>

#include "../config.hpp"
#include "gates.hpp"
#include "packet_math.hpp"

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
    // fc2 as logit_rows reads it, a packet of channels at a time (pack_fc2): block b holds
    // fc2_weight(b * L + l, j) at (b * reduced + j) * L + l, and the bias at b * L + l, with
    // zeros for channels past the last.
    Vector fc2_packed, fc2_bias_packed;

    Index channels() const { return fc1_weight.cols(); }
    Index reduced() const { return fc1_weight.rows(); }

    /// Bytes of weights from which the NHWC pieces of a sample share the MLP (shared_by).
    /// Sharing adds a phase (each piece first finishes the squeeze of its channels), whose
    /// end costs every thread a wait and a read of what the others wrote, which smaller
    /// weights do not repay: on 2 threads (AVX-512 machine, medians of 10 alternating runs
    /// of seattn_bench), sharing at every size made SE and CBAM on 1x64x56x56, 1x256x56x56
    /// and 1x512x28x28 (2 to 128 KiB of float weights) 0.94-1.00x as fast, while at 1024
    /// channels (512 KiB) it made them 1.12x and 1.02x as fast as one task per sample, and at
    /// 2048 (2 MiB) 1.42x and 1.27x.
    static constexpr Index shared_bytes = Index(256) << 10;

    /// Whether `pieces` NHWC pieces of a sample share its MLP: where the weights outweigh
    /// the sample (2048 channels: 2 MiB against 392 KiB). Smaller MLPs run in one task per
    /// sample.
    bool shared_by(Index pieces) const {
        return pieces > 1 && (fc1_weight.size() + fc2_weight.size()) * Index(sizeof(S)) >= shared_bytes;
    }

    /// Rows of fc1 per block in fc1_share: 64 KiB of float weights at 1024 channels, so
    /// that a block is still in L1 or L2 when the second path reads it.
    static constexpr Index rows_per_block = 16;

    /// share_p = fc1[:, begin:end] * pooled_p[begin:end] for each path p < paths (one or two
    /// pooled vectors, e.g. CBAM's mean and max): the share of fc1's products of channels
    /// [begin, end), which the pieces of a sample holding different channels compute apart
    /// (hidden_from_shares adds them up). A block of fc1's rows serves every path before the
    /// next is read: fc1 can outweigh the activations (2 MiB at 2048 channels), and is then
    /// read from memory once, not once per path.
    void fc1_share(const S* const* pooled, S* const* share, Index paths, Index begin, Index end) const {
        const Index r = reduced(), block = paths == 1 ? std::max(Index(1), r) : rows_per_block;
        for (Index row = 0; row < r; row += block) {
            const Index rows = std::min(block, r - row);
            for (Index p = 0; p < paths; ++p)
                Eigen::Map<Vector>(share[p] + row, rows).noalias() =
                    fc1_weight.block(row, begin, rows, end - begin) *
                    Eigen::Map<const Vector>(pooled[p] + begin, end - begin);
        }
    }

    /// hidden_p = act(fc1(pooled_p)) for each path p < paths. `pre`, when given (a vector
    /// per path, as `hidden`), keeps fc1's outputs before the activation, which training's
    /// backward needs.
    void hidden_units(const S* const* pooled, S* const* hidden, Index paths, S* const* pre = nullptr) const {
        fc1_share(pooled, hidden, paths, 0, channels());
        activate(hidden, paths, pre);
    }

    /// hidden_p = act(fc1(pooled_p)) for each path p < paths from the shares of `pieces`
    /// pieces: piece i's share of path p at shares + i * stride + p * reduced.
    void hidden_from_shares(const S* shares, Index pieces, Index stride, S* const* hidden, Index paths) const {
        const Index r = reduced();
        for (Index p = 0; p < paths; ++p) {
            Eigen::Map<Vector> h(hidden[p], r);
            h = Eigen::Map<const Vector>(shares + p * r, r);
            for (Index i = 1; i < pieces; ++i) h += Eigen::Map<const Vector>(shares + i * stride + p * r, r);
        }
        activate(hidden, paths, nullptr);
    }

    /// hidden_p = act(hidden_p + fc1_bias) for each path p < paths, keeping the sums in pre
    /// when it is given.
    void activate(S* const* hidden, Index paths, S* const* pre) const {
        const Index r = reduced();
        for (Index p = 0; p < paths; ++p) {
            Eigen::Map<Vector> h(hidden[p], r);
            h += fc1_bias;
            if (pre) Eigen::Map<Vector>(pre[p], r) = h;
            for (Index i = 0; i < r; ++i) h[i] = apply_activation(activation, h[i]);
        }
    }

    /// sum[i] = hidden[0][i] + hidden[1][i] for i < reduced: the two paths' hidden units as
    /// logit_rows maps them (sum may be hidden[1]).
    void sum_paths(const S* const* hidden, S* sum) const {
        for (Index i = 0; i < reduced(); ++i) sum[i] = hidden[0][i] + hidden[1][i];
    }

    /// Rebuilds fc2_packed and fc2_bias_packed from fc2_weight and fc2_bias; whoever changes
    /// those calls it.
    void pack_fc2() {
        constexpr Index L = lanes<S>;
        const Index c = channels(), r = reduced();
        fc2_packed.setZero((c + L - 1) / L * r * L);
        fc2_bias_packed.setZero((c + L - 1) / L * L);
        for (Index channel = 0; channel < c; ++channel) {
            for (Index j = 0; j < r; ++j) fc2_packed[(channel / L * r + j) * L + channel % L] = fc2_weight(channel, j);
            fc2_bias_packed[channel] = fc2_bias[channel];
        }
    }

    /// out[c] = fc2(hidden)[c] + paths * fc2_bias[c] for c in [begin, end), a slice of fc2's
    /// rows: with `hidden` the sum of `paths` paths' hidden vectors, the sum of their logits,
    /// reading fc2 once (fc2 is linear). A packet of channels at a time from fc2_packed, with
    /// no sum across a packet's lanes: Eigen's product over fc2's rows of `reduced` values
    /// reduces each row's packets to one value, and took 2.9, 4.4, 10.2 and 28.6 us for
    /// 256-2048 channels with fc2 in memory, this 1.1, 2.6, 6.9 and 26 (microbenchmark,
    /// AVX-512 machine). Every channel is computed alike, so the slice's ends do not change
    /// its values.
    void logit_rows(const S* hidden, Index paths, S* out, Index begin, Index end) const {
        using Eigen::internal::padd;
        using Eigen::internal::pmadd;
        using Eigen::internal::pset1;
        constexpr Index L = lanes<S>;
        const Index r = reduced();
        for (Index block = begin / L; block * L < end; ++block) {
            const S* w = fc2_packed.data() + block * r * L;
            Packet<S> sum[4];
            unroll<4>([&](auto q) { sum[q] = pset1<Packet<S>>(S(0)); });
            Index j = 0;
            for (; j + 4 <= r; j += 4)
                unroll<4>([&](auto q) { sum[q] = pmadd(load(w + (j + q) * L), pset1<Packet<S>>(hidden[j + q]), sum[q]); });
            for (; j < r; ++j) sum[0] = pmadd(load(w + j * L), pset1<Packet<S>>(hidden[j]), sum[0]);
            const Packet<S> logits = pmadd(pset1<Packet<S>>(S(paths)), load(fc2_bias_packed.data() + block * L),
                                           padd(padd(sum[0], sum[1]), padd(sum[2], sum[3])));
            const Index first = std::max(begin, block * L), last = std::min(end, block * L + L);
            if (first == block * L && last == block * L + L) {
                store_packet(out + first, logits);
            } else {
                S lane_values[L];
                store_packet(lane_values, logits);
                std::copy(lane_values + (first - block * L), lane_values + (last - block * L), out + first);
            }
        }
    }
};

}  // namespace seattn::detail
