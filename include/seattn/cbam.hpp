#pragma once
/// @file cbam.hpp
/// CBAM (Woo et al., ECCV 2018): channel attention (an SEBlock pooling avg and max) followed
/// by spatial attention, y = s(x * w) * (x * w): one pass over x for the channel weights, one
/// for the spatial map and the output.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "config.hpp"
#include "gradients.hpp"
#include "se_block.hpp"
#include "spatial_attention.hpp"
#include "training_workspace.hpp"
#include "workspace.hpp"
#include "detail/backward_channel.hpp"
#include "detail/trainable.hpp"

namespace seattn {

/// CBAM block on Scalar (float or double) tensors in Layout (NCHW or NHWC). Parameters are
/// the channel block's under "channel." and the spatial block's under "spatial.", e.g.
/// "channel.fc1.weight", "spatial.conv.weight".
template <class Scalar, class Layout>
class CBAM : public detail::Block<CBAM<Scalar, Layout>, Scalar, Layout>,
             public detail::Trainable<CBAM<Scalar, Layout>, Scalar, Layout>,
             public detail::Parameterized<CBAM<Scalar, Layout>, Scalar> {
public:
    /// Builds both halves with PyTorch's default initialisation drawn from `seed`; throws
    /// config_error for an invalid configuration.
    explicit CBAM(const CBAMConfig& config, std::uint64_t seed = 0)
        : channel_(config.channel, seed), spatial_(config.spatial, seed + 1) {}

    /// Redraws every parameter from PyTorch's default distributions using `rng`.
    void reset_parameters(std::mt19937_64& rng) {
        channel_.reset_parameters(rng);
        spatial_.reset_parameters(rng);
    }

    /// The channel-attention half.
    const SEBlock<Scalar, Layout>& channel_attention() const { return channel_; }
    /// The spatial-attention half.
    const SpatialAttention<Scalar, Layout>& spatial_attention() const { return spatial_; }
    /// The configuration of both halves.
    CBAMConfig config() const { return CBAMConfig{channel_.config(), spatial_.config()}; }
    /// C, the channel count inputs must have.
    Index channels() const { return channel_.channels(); }

private:
    friend detail::Block<CBAM, Scalar, Layout>;
    friend detail::Parameterized<CBAM, Scalar>;

    template <class Self, class F>
    static void visit_parameters(Self& self, F&& f) {
        using Data = decltype(self.channel_.mlp_.fc1_weight.data());
        decltype(self.channel_)::visit_parameters(self.channel_, [&](const std::string& name, const std::vector<Index>& shape, Data data) {
            f("channel." + name, shape, data);
        });
        decltype(self.spatial_)::visit_parameters(self.spatial_, [&](const std::string& name, const std::vector<Index>& shape, Data data) {
            f("spatial." + name, shape, data);
        });
    }
    void parameters_changed() {
        channel_.parameters_changed();
        spatial_.parameters_changed();
    }

    void check_input(const detail::Shape& s) const { channel_.check_input(s); }

    void run(const Scalar* x, Scalar* y, const detail::Shape& s, Workspace<Scalar>& ws) const {
        ws.reset(s);
        const Index pieces = channel_.prepare(s, ws);
        const auto pass = spatial_.prepare_pass(x, y, s, ws.channel_weights_.data(), ws);
        // Pieces only when the spatial pass splits too: a second thread left idle through the
        // whole spatial pass falls asleep, and waking it for the next squeeze costs more than
        // it saved.
        if (pieces > 1 && (pass.bands > 1 || pass.channel_groups > 1)) {
            Index tasks[SEBlock<Scalar, Layout>::max_excite_phases + detail::max_spatial_phases];
            const int excite_phases = channel_.excite_phase_tasks(s, pieces, tasks);
            const int phases = excite_phases + detail::spatial_phases(pass, tasks + excite_phases);
            detail::parallel_phases(ws.pool_, tasks, phases, [&](int phase, Index task) {
                if (phase < excite_phases)
                    channel_.excite_phase(x, s, pieces, phase, task, ws);
                else
                    detail::spatial_phase<Layout>(pass, phase - excite_phases, task);
            });
            return;
        }
        // A thread per sample: both passes over it run while it is cached.
        detail::parallel_for(ws.pool_, s.n, [&](Index begin, Index end) {
            for (Index n = begin; n < end; ++n) {
                channel_.squeeze_piece(x, s, n, 1, ws);
                channel_.excite_sample(s, n, 1, ws);
                detail::pool_spatial_band<Layout>(pass, n);
            }
        });
    }

    // ---- Training: forward_train / backward come from detail::Trainable. The channel half,
    // then the spatial half on x * w; the backward runs the same pieces in reverse.
    friend detail::Trainable<CBAM, Scalar, Layout>;

    void train_forward(const Scalar* x, Scalar* y, const detail::Shape& s, TrainingWorkspace<Scalar>& ws) const {
        channel_.train_excite(x, s, ws);
        spatial_.train_attend(x, ws.channel_.gates.data(), s, ws);
        detail::scale_batch<Layout>(ws.pool_, x, s, ws.channel_.gates.data(), ws.spatial_.gates.data(), y);
    }

    void train_backward(const Scalar* grad_y, Scalar* grad_x, const detail::Shape& s, Gradients<Scalar>& grads,
                        TrainingWorkspace<Scalar>& ws) const {
        // Slots in parameter order (channel first) before either half writes its gradients.
        const auto channel_out = channel_.gradient_slots(grads, "channel.");
        const auto spatial_out = spatial_.gradient_slots(grads, "spatial.");
        spatial_.backward_stage(grad_y, grad_x, s, ws.channel_.gates.data(), spatial_out, ws);
        channel_.backward_stage(grad_x, grad_x, s, channel_out, ws);
    }

    SEBlock<Scalar, Layout> channel_;
    SpatialAttention<Scalar, Layout> spatial_;
};

}  // namespace seattn
