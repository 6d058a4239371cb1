#pragma once
/// @file se_block.hpp
/// Squeeze-and-Excitation (Hu et al., CVPR 2018): y = x * gate(fc2(act(fc1(mean_hw(x))))),
/// one weight per channel. With SqueezePool::avg_max it is CBAM's channel attention.

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "config.hpp"
#include "gradients.hpp"
#include "training_workspace.hpp"
#include "workspace.hpp"
#include "detail/backward_channel.hpp"
#include "detail/block.hpp"
#include "detail/excitation.hpp"
#include "detail/gates.hpp"
#include "detail/init.hpp"
#include "detail/parallel.hpp"
#include "detail/parameters.hpp"
#include "detail/scale.hpp"
#include "detail/squeeze.hpp"
#include "detail/trainable.hpp"

namespace seattn {

/// Squeeze-and-Excitation block on Scalar (float or double) tensors in Layout (NCHW or NHWC).
/// Parameters, PyTorch shapes: fc1.weight [reduced, C] (or [reduced, C, 1, 1] with
/// FcKind::conv1x1), fc1.bias [reduced], fc2.weight [C, reduced] (or [C, reduced, 1, 1]),
/// fc2.bias [C]; the biases exist only when config.bias is set.
template <class Scalar, class Layout>
class SEBlock : public detail::Block<SEBlock<Scalar, Layout>, Scalar, Layout>,
                public detail::Trainable<SEBlock<Scalar, Layout>, Scalar, Layout>,
                public detail::Parameterized<SEBlock<Scalar, Layout>, Scalar> {
public:
    /// Builds the block with PyTorch's default initialisation drawn from `seed`; throws
    /// config_error for an invalid configuration.
    explicit SEBlock(const SEConfig& config, std::uint64_t seed = 0) : config_(config) {
        config_.validate();
        config_.reduced = config_.reduced_width();
        const Index c = config_.channels, r = config_.reduced;
        mlp_.fc1_weight.setZero(r, c);
        mlp_.fc1_bias.setZero(r);
        mlp_.fc2_weight.setZero(c, r);
        mlp_.fc2_bias.setZero(c);
        mlp_.activation = config_.activation;
        std::mt19937_64 rng(seed);
        reset_parameters(rng);
    }

    /// Redraws every parameter from PyTorch's default distributions using `rng`.
    void reset_parameters(std::mt19937_64& rng) {
        const Index c = channels(), r = reduced();
        detail::init_uniform_fan_in(mlp_.fc1_weight.data(), r * c, c, rng);
        detail::init_uniform_fan_in(mlp_.fc2_weight.data(), c * r, r, rng);
        if (config_.bias) {
            detail::init_uniform_fan_in(mlp_.fc1_bias.data(), r, c, rng);
            detail::init_uniform_fan_in(mlp_.fc2_bias.data(), c, r, rng);
        }
        parameters_changed();
    }

    /// The configuration, with the hidden width resolved.
    const SEConfig& config() const { return config_; }
    /// C, the channel count inputs must have.
    Index channels() const { return config_.channels; }
    /// Hidden width of the excitation MLP.
    Index reduced() const { return mlp_.reduced(); }

    /// Channel weights (N x C) the block computes for `x`, without scaling x.
    template <class XT>
    ChannelWeights<Scalar> channel_weights(const XT& x) const {
        Workspace<Scalar> ws;
        const auto in = detail::batch_of<Layout>(x, "input");
        check_input(in.shape);
        ws.reset(in.shape);
        excite(in.data, in.shape, ws);
        return ws.channel_weights();
    }

private:
    friend detail::Block<SEBlock, Scalar, Layout>;
    friend detail::Parameterized<SEBlock, Scalar>;
    template <class, class>
    friend class CBAM;

    template <class Self, class F>
    static void visit_parameters(Self& self, F&& f) {
        const Index c = self.channels(), r = self.reduced();
        const bool conv = self.config_.fc == FcKind::conv1x1;
        f(std::string("fc1.weight"), conv ? std::vector<Index>{r, c, 1, 1} : std::vector<Index>{r, c},
          self.mlp_.fc1_weight.data());
        if (self.config_.bias) f(std::string("fc1.bias"), std::vector<Index>{r}, self.mlp_.fc1_bias.data());
        f(std::string("fc2.weight"), conv ? std::vector<Index>{c, r, 1, 1} : std::vector<Index>{c, r},
          self.mlp_.fc2_weight.data());
        if (self.config_.bias) f(std::string("fc2.bias"), std::vector<Index>{c}, self.mlp_.fc2_bias.data());
    }
    void parameters_changed() { mlp_.pack_fc2(); }

    void check_input(const detail::Shape& s) const {
        if (s.c != channels())
            throw shape_error("SEBlock: expected " + std::to_string(channels()) + " channels, got " +
                              detail::describe(s, Layout{}));
    }

    void run(const Scalar* x, Scalar* y, const detail::Shape& s, Workspace<Scalar>& ws) const {
        ws.reset(s);
        const Index pieces = prepare(s, ws);
        const Scalar* weights = ws.channel_weights_.data();
        const bool streaming = detail::stream_output<Scalar>(s.size());
        auto scale = [&](Index task) {
            const Index n = task / pieces;
            detail::scale_piece(x + n * s.sample_size(), s.c, s.pixels(), task % pieces, pieces, Layout{},
                                weights + n * s.c, y + n * s.sample_size(), streaming);
        };
        if (pieces == 1) {
            // A thread per sample: squeeze, excite and scale it while it is cached.
            detail::parallel_for(ws.pool_, s.n, [&](Index begin, Index end) {
                for (Index n = begin; n < end; ++n) {
                    squeeze_piece(x, s, n, 1, ws);
                    excite_sample(s, n, 1, ws);
                    scale(n);
                }
            });
            return;
        }
        // The scaling's tasks are the squeeze's pieces, so each thread rescales what it read.
        // An NCHW piece that shares the MLP computes the weights of the very channels it
        // scales, and scales them in the same task, with no wait for the other pieces.
        Index tasks[max_excite_phases + 1];
        const int excite_phases = excite_phase_tasks(s, pieces, tasks);
        const bool scale_with_weights = std::is_same_v<Layout, NCHW> && shares_mlp(pieces);
        const int phases = scale_with_weights ? excite_phases : excite_phases + 1;
        tasks[excite_phases] = s.n * pieces;
        detail::parallel_phases(ws.pool_, tasks, phases, [&](int phase, Index task) {
            if (phase < excite_phases) excite_phase(x, s, pieces, phase, task, ws);
            if (phase == phases - 1) scale(task);
        });
    }

    /// Squeeze and excitation of every sample: fills ws's channel weights (N x C).
    void excite(const Scalar* x, const detail::Shape& s, Workspace<Scalar>& ws) const {
        const Index pieces = prepare(s, ws);
        Index tasks[max_excite_phases];
        const int excite_phases = excite_phase_tasks(s, pieces, tasks);
        detail::parallel_phases(ws.pool_, tasks, excite_phases,
                                [&](int phase, Index task) { excite_phase(x, s, pieces, phase, task, ws); });
    }

    /// Sizes ws's channel buffers for `s` and returns the pieces each sample's squeeze is cut
    /// into so that a small batch still uses every thread.
    Index prepare(const detail::Shape& s, Workspace<Scalar>& ws) const {
        const Index pieces = detail::pieces_per_sample(ws.pool_, s.n);
        ws.prepare_channel(s, reduced(), config_.pool == SqueezePool::avg_max, pieces);
        return pieces;
    }

    /// Whether the `pieces` pieces of a sample share its MLP: each computes the share of
    /// fc1's products of a slice of the channels, then the weights of those channels. NCHW
    /// pieces are slices of the channels already, and always do: their shares add no phase,
    /// and SE then scales each piece in the task that computed its weights. NHWC pieces are
    /// slices of the pixels, and need a phase for the squeeze of each slice of the channels
    /// first, which only large weights repay (Excitation::shared_by). Small NHWC MLPs run in
    /// one task per sample.
    bool shares_mlp(Index pieces) const {
        return pieces > 1 && (std::is_same_v<Layout, NCHW> || mlp_.shared_by(pieces));
    }

    /// Most phases of the channel weights (excite_phase_tasks).
    static constexpr int max_excite_phases = 3;

    /// Fills tasks with the task counts of the phases of the channel weights of a batch whose
    /// samples are cut into pieces, and returns how many phases: the squeeze of every piece
    /// (with its share of fc1 in NCHW), then either the rest of each sample in one task, or,
    /// where the pieces share the MLP, the weights of each piece's channels, after (NHWC) the
    /// squeeze and the share of fc1 of each piece's channels.
    int excite_phase_tasks(const detail::Shape& s, Index pieces, Index* tasks) const {
        tasks[0] = s.n * pieces;
        if (!shares_mlp(pieces)) {
            tasks[1] = s.n;
            return 2;
        }
        const int phases = std::is_same_v<Layout, NCHW> ? 2 : 3;
        std::fill(tasks + 1, tasks + phases, s.n * pieces);
        return phases;
    }

    /// Task `task` of excite phase `phase`.
    void excite_phase(const Scalar* x, const detail::Shape& s, Index pieces, int phase, Index task,
                      Workspace<Scalar>& ws) const {
        if (phase == 0) squeeze_piece(x, s, task, pieces, ws);
        if (!shares_mlp(pieces)) {
            if (phase == 1) excite_sample(s, task, pieces, ws);
            return;
        }
        const int last = std::is_same_v<Layout, NCHW> ? 1 : 2;
        if (phase == last - 1) share_fc1(s, task, pieces, ws);
        if (phase == last) excite_piece(s, task, pieces, ws);
    }

    /// Squeeze of piece task % pieces of sample task / pieces into ws.
    void squeeze_piece(const Scalar* x, const detail::Shape& s, Index task, Index pieces, Workspace<Scalar>& ws) const {
        const Index n = task / pieces, at = task * detail::thread_buffer_stride<Scalar>(s.c);
        // An input too large for the cache to keep y is too large for it to keep x between calls.
        const bool from_memory = detail::stream_output<Scalar>(s.size());
        Scalar* max = ws.pooled_max_.empty() ? nullptr : ws.pooled_max_.data() + n * s.c;
        detail::squeeze_piece(x + n * s.sample_size(), s.c, s.pixels(), task % pieces, pieces, Layout{},
                              ws.pooled_mean_.data() + n * s.c, max, ws.piece_sum_.data() + at,
                              max ? ws.piece_max_.data() + at : nullptr, ws.squeeze_scratch_.data() + at, from_memory);
    }

    /// Channel weights of sample n from its squeezed pieces.
    void excite_sample(const detail::Shape& s, Index n, Index pieces, Workspace<Scalar>& ws) const {
        finish_sample_squeeze(s, n, pieces, 0, s.c, ws);
        Scalar* hidden[2];
        public_hidden(s, n, ws, hidden);
        mlp_.hidden_units(pooled(s, n, ws).data(), hidden, pooled_paths(ws));
        excite_channels(s, n, hidden, 0, s.c, ws);
    }

    /// Means (and maxes) of channels [begin, end) of sample n from its squeezed pieces.
    void finish_sample_squeeze(const detail::Shape& s, Index n, Index pieces, Index begin, Index end,
                               Workspace<Scalar>& ws) const {
        const Index at = n * s.c + begin, stride = detail::thread_buffer_stride<Scalar>(s.c),
                    pieces_at = n * pieces * stride + begin;
        Scalar* max = ws.pooled_max_.empty() ? nullptr : ws.pooled_max_.data() + at;
        detail::finish_squeeze(end - begin, s.pixels(), pieces, Layout{}, ws.pooled_mean_.data() + at, max,
                               ws.piece_sum_.data() + pieces_at, max ? ws.piece_max_.data() + pieces_at : nullptr,
                               stride);
    }

    /// Channels [begin, end) of piece task % pieces of its sample's `pieces`.
    static std::pair<Index, Index> piece_channels(const detail::Shape& s, Index task, Index pieces) {
        const Index piece = task % pieces;
        return {detail::piece_begin(s.c, piece, pieces), detail::piece_begin(s.c, piece + 1, pieces)};
    }

    /// Piece task % pieces of sample n = task / pieces: the means (and maxes) of its channels
    /// (NHWC: from the squeezed pieces), and their share of fc1's products.
    void share_fc1(const detail::Shape& s, Index task, Index pieces, Workspace<Scalar>& ws) const {
        const Index n = task / pieces, r = reduced();
        const auto [begin, end] = piece_channels(s, task, pieces);
        finish_sample_squeeze(s, n, pieces, begin, end, ws);
        Scalar* share = ws.fc1_shares_.data() + task * hidden_stride(ws);
        Scalar* shares[2] = {share, share + r};
        mlp_.fc1_share(pooled(s, n, ws).data(), shares, pooled_paths(ws), begin, end);
    }

    /// Weights of the channels of piece task % pieces of sample task / pieces from the
    /// pieces' shares of fc1. Every piece computes the hidden units, the first into ws's.
    void excite_piece(const detail::Shape& s, Index task, Index pieces, Workspace<Scalar>& ws) const {
        const Index n = task / pieces, r = reduced(), stride = hidden_stride(ws);
        Scalar* hidden[2];
        if (task % pieces == 0) {
            public_hidden(s, n, ws, hidden);
        } else {
            hidden[0] = ws.piece_hidden_.data() + task * stride;
            hidden[1] = hidden[0] + r;
        }
        mlp_.hidden_from_shares(ws.fc1_shares_.data() + n * pieces * stride, pieces, stride, hidden,
                                pooled_paths(ws));
        const auto [begin, end] = piece_channels(s, task, pieces);
        excite_channels(s, n, hidden, begin, end, ws);
    }

    /// Pooled vectors per sample the MLP maps: the mean, and the max when there is one (CBAM).
    static Index pooled_paths(const Workspace<Scalar>& ws) { return ws.pooled_max_.empty() ? 1 : 2; }

    /// Sample n's pooled vectors: the mean, and (CBAM) the max.
    static std::array<const Scalar*, 2> pooled(const detail::Shape& s, Index n, const Workspace<Scalar>& ws) {
        const Index at = n * s.c;
        return {ws.pooled_mean_.data() + at, pooled_paths(ws) == 2 ? ws.pooled_max_.data() + at : nullptr};
    }

    /// Values from one piece's fc1 shares (and hidden units) to the next's in ws.
    Index hidden_stride(const Workspace<Scalar>& ws) const {
        return detail::thread_buffer_stride<Scalar>(pooled_paths(ws) * reduced());
    }

    /// Where sample n's hidden units go in ws, a vector per path.
    void public_hidden(const detail::Shape& s, Index n, Workspace<Scalar>& ws, Scalar** hidden) const {
        hidden[0] = ws.hidden_.data() + n * reduced();
        hidden[1] = pooled_paths(ws) == 2 ? ws.hidden_.data() + (s.n + n) * reduced() : nullptr;
    }

    /// Logits and gated weights of channels [begin, end) of sample n from its hidden units
    /// (a vector per path), summed over the paths; with a max path, its vector then holds
    /// the sum of both, which fc2 maps once.
    void excite_channels(const detail::Shape& s, Index n, Scalar* const* hidden, Index begin, Index end,
                         Workspace<Scalar>& ws) const {
        const Index at = n * s.c, paths = pooled_paths(ws);
        if (paths == 2) mlp_.sum_paths(hidden, hidden[1]);
        Scalar* logits = ws.channel_logits_.data() + at;
        mlp_.logit_rows(hidden[paths - 1], paths, logits, begin, end);
        detail::apply_gate(config_.gate, logits + begin, end - begin, ws.channel_weights_.data() + at + begin);
    }

    // ---- Training: forward_train / backward come from detail::Trainable; the maths is in
    // detail/backward_channel.hpp. Separate from run() / excite(), which serve inference.
    friend detail::Trainable<SEBlock, Scalar, Layout>;

    void train_forward(const Scalar* x, Scalar* y, const detail::Shape& s, TrainingWorkspace<Scalar>& ws) const {
        train_excite(x, s, ws);
        detail::scale_batch<Layout>(ws.pool_, x, s, ws.channel_.gates.data(), static_cast<const Scalar*>(nullptr), y);
    }

    /// Channel attention of every sample in training mode: fills ws's channel tape.
    void train_excite(const Scalar* x, const detail::Shape& s, TrainingWorkspace<Scalar>& ws) const {
        ws.channel_.prepare(s, reduced(), config_.pool == SqueezePool::avg_max);
        ws.has_channel_ = true;
        detail::channel_forward_train<Layout>(ws.pool_, mlp_, config_.gate, x, s, ws.channel_);
    }

    /// Zeroed storage in `grads` for each trainable parameter, named prefix + PyTorch name.
    detail::ChannelGradientSlots<Scalar> gradient_slots(Gradients<Scalar>& grads, std::string_view prefix) const {
        const Index c = channels(), r = reduced();
        const bool conv = config_.fc == FcKind::conv1x1;
        detail::ChannelGradientSlots<Scalar> out{};
        out.fc1_weight = conv ? detail::gradient_slot(grads, prefix, "fc1.weight", {r, c, 1, 1})
                              : detail::gradient_slot(grads, prefix, "fc1.weight", {r, c});
        if (config_.bias) out.fc1_bias = detail::gradient_slot(grads, prefix, "fc1.bias", {r});
        out.fc2_weight = conv ? detail::gradient_slot(grads, prefix, "fc2.weight", {c, r, 1, 1})
                              : detail::gradient_slot(grads, prefix, "fc2.weight", {c, r});
        if (config_.bias) out.fc2_bias = detail::gradient_slot(grads, prefix, "fc2.bias", {c});
        return out;
    }

    /// Backward of the channel attention recorded in ws; grad_x may be grad_y itself.
    void backward_stage(const Scalar* grad_y, Scalar* grad_x, const detail::Shape& s,
                        const detail::ChannelGradientSlots<Scalar>& out, TrainingWorkspace<Scalar>& ws) const {
        detail::channel_backward<Layout>(ws.pool_, mlp_, config_.gate, ws.input_.data(), grad_y, grad_x, s, ws.channel_);
        detail::channel_parameter_gradients(ws.pool_, s, ws.channel_, out);
    }

    void train_backward(const Scalar* grad_y, Scalar* grad_x, const detail::Shape& s, Gradients<Scalar>& grads,
                        TrainingWorkspace<Scalar>& ws) const {
        backward_stage(grad_y, grad_x, s, gradient_slots(grads, std::string_view()), ws);
    }

    SEConfig config_;
    detail::Excitation<Scalar> mlp_;
};

}  // namespace seattn
