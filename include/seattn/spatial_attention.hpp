#pragma once
/// @file spatial_attention.hpp
/// Spatial attention (CBAM's spatial gate): y = x * gate(bn(conv_kxk([mean_c(x), max_c(x)]))),
/// one weight per pixel.

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config.hpp"
#include "gradients.hpp"
#include "training_workspace.hpp"
#include "workspace.hpp"
#include "detail/backward_channel.hpp"
#include "detail/backward_spatial.hpp"
#include "detail/block.hpp"
#include "detail/init.hpp"
#include "detail/parallel.hpp"
#include "detail/parameters.hpp"
#include "detail/spatial_pass.hpp"
#include "detail/trainable.hpp"

namespace seattn {

/// Spatial attention block on Scalar (float or double) tensors in Layout (NCHW or NHWC), for
/// any channel count. Parameters, PyTorch shapes: conv.weight [1, 2, k, k]; conv.bias [1]
/// when config.bias; bn.weight, bn.bias, bn.running_mean, bn.running_var [1] when
/// config.batchnorm (eval mode: folded into the conv whenever a parameter is set).
template <class Scalar, class Layout>
class SpatialAttention : public detail::Block<SpatialAttention<Scalar, Layout>, Scalar, Layout>,
                         public detail::Trainable<SpatialAttention<Scalar, Layout>, Scalar, Layout>,
                         public detail::Parameterized<SpatialAttention<Scalar, Layout>, Scalar> {
public:
    /// Builds the block with PyTorch's default initialisation drawn from `seed` (BatchNorm:
    /// weight 1, bias 0, running mean 0, running var 1); throws config_error for an invalid
    /// configuration.
    explicit SpatialAttention(const SpatialConfig& config, std::uint64_t seed = 0) : config_(config) {
        config_.validate();
        const Index k = config_.kernel;
        conv_weight_.assign(2 * k * k, Scalar(0));
        std::mt19937_64 rng(seed);
        reset_parameters(rng);
    }

    /// Redraws the conv parameters from PyTorch's default distributions using `rng` and
    /// resets the BatchNorm to identity statistics.
    void reset_parameters(std::mt19937_64& rng) {
        const Index fan_in = 2 * config_.kernel * config_.kernel;
        detail::init_uniform_fan_in(conv_weight_.data(), fan_in, fan_in, rng);
        if (config_.bias) detail::init_uniform_fan_in(&conv_bias_, 1, fan_in, rng);
        bn_weight_ = Scalar(1), bn_bias_ = Scalar(0), bn_mean_ = Scalar(0), bn_var_ = Scalar(1);
        parameters_changed();
    }

    /// The configuration.
    const SpatialConfig& config() const { return config_; }
    /// Convolution kernel size k.
    Index kernel() const { return config_.kernel; }

    /// Spatial attention maps (N x H x W) the block computes for `x`, without scaling x.
    template <class XT>
    SpatialMap<Scalar> spatial_map(const XT& x) const {
        Workspace<Scalar> ws;
        const auto in = detail::batch_of<Layout>(x, "input");
        ws.reset(in.shape);
        attend(in.data, nullptr, in.shape, nullptr, ws);
        return ws.spatial_map();
    }

private:
    friend detail::Block<SpatialAttention, Scalar, Layout>;
    friend detail::Parameterized<SpatialAttention, Scalar>;
    template <class, class>
    friend class CBAM;

    template <class Self, class F>
    static void visit_parameters(Self& self, F&& f) {
        const Index k = self.config_.kernel;
        f(std::string("conv.weight"), std::vector<Index>{1, 2, k, k}, self.conv_weight_.data());
        if (self.config_.bias) f(std::string("conv.bias"), std::vector<Index>{1}, &self.conv_bias_);
        if (self.config_.batchnorm) {
            f(std::string("bn.weight"), std::vector<Index>{1}, &self.bn_weight_);
            f(std::string("bn.bias"), std::vector<Index>{1}, &self.bn_bias_);
            f(std::string("bn.running_mean"), std::vector<Index>{1}, &self.bn_mean_);
            f(std::string("bn.running_var"), std::vector<Index>{1}, &self.bn_var_);
        }
    }

    /// Folds the eval-mode BatchNorm into the conv: bn(conv(m)) = conv'(m) with
    /// w' = w * g / sqrt(var + eps) and b' = (b - mean) * g / sqrt(var + eps) + beta.
    void parameters_changed() {
        double factor = 1.0, shift = 0.0;
        if (config_.batchnorm) {
            const double var_eps = double(bn_var_) + config_.bn_eps;
            if (!(var_eps > 0))
                throw config_error("SpatialAttention: bn.running_var + bn_eps must be > 0, got " +
                                   std::to_string(var_eps));
            factor = double(bn_weight_) / std::sqrt(var_eps);
            shift = double(bn_bias_) - double(bn_mean_) * factor;
        }
        folded_weight_.resize(conv_weight_.size());
        for (std::size_t i = 0; i < conv_weight_.size(); ++i)
            folded_weight_[i] = static_cast<Scalar>(double(conv_weight_[i]) * factor);
        folded_bias_ = static_cast<Scalar>((config_.bias ? double(conv_bias_) : 0.0) * factor + shift);
    }

    void check_input(const detail::Shape&) const {}

    void run(const Scalar* x, Scalar* y, const detail::Shape& s, Workspace<Scalar>& ws) const {
        ws.reset(s);
        attend(x, y, s, nullptr, ws);
    }

    /// Channel pooling, conv and gate of every sample of x, each channel first multiplied by
    /// `channel_weights` (N x C) when given: fills ws's spatial map (N x H x W). When y is not
    /// null, also writes y = x * channel_weights * map in the same pass.
    void attend(const Scalar* x, Scalar* y, const detail::Shape& s, const Scalar* channel_weights,
                Workspace<Scalar>& ws) const {
        detail::run_spatial_pass<Layout>(prepare_pass(x, y, s, channel_weights, ws), ws.pool_);
    }

    /// Sizes ws's spatial buffers for `s` and describes the pass attend() runs.
    detail::SpatialPass<Scalar> prepare_pass(const Scalar* x, Scalar* y, const detail::Shape& s,
                                             const Scalar* channel_weights, Workspace<Scalar>& ws) const {
        const Index bands = detail::spatial_bands<Scalar>(ws.pool_, s, Layout{});
        const Index groups = detail::channel_groups<Scalar>(ws.pool_, s, Layout{});
        const detail::PaddedMaps<Scalar> padding(2, s.h, s.w, config_.kernel);
        // In place, a band would pool halo rows its neighbour may already have scaled.
        const bool halo = y != x && detail::band_pools_halo<Scalar>(s, bands, config_.kernel / 2, Layout{});
        // Bands that pool their halo rows and channel groups each pad their own conv input.
        const bool tasks_pad = halo || groups > 1;
        const Index tasks = s.n * std::max(bands, groups);
        const Index task_padded_stride = detail::thread_buffer_stride<Scalar>(padding.size());
        const Index map_stride = detail::thread_buffer_stride<Scalar>(s.pixels());
        ws.prepare_spatial(s, tasks_pad ? tasks * task_padded_stride : s.n * padding.size(),
                           groups > 1 ? tasks * map_stride : 0, tasks_pad ? tasks * map_stride : 0);
        detail::SpatialPass<Scalar> pass;
        pass.x = x;
        pass.y = y;
        pass.shape = s;
        pass.channel_weights = channel_weights;
        pass.conv_weight = folded_weight_.data();
        pass.conv_bias = folded_bias_;
        pass.max_first = config_.channel_pool == ChannelPoolOrder::max_avg;
        pass.gate = config_.gate;
        pass.mean = ws.map_mean_.data();
        pass.max = ws.map_max_.data();
        pass.logits = ws.spatial_logits_.data();
        pass.map = ws.spatial_map_.data();
        pass.padding = padding;
        pass.padded = ws.padded_maps_.data();
        pass.bands = bands;
        pass.halo = halo;
        pass.channel_groups = groups;
        pass.task_padded_stride = task_padded_stride;
        pass.halo_mean = ws.halo_mean_.data();
        pass.halo_max = ws.halo_max_.data();
        pass.group_sums = ws.group_sums_.data();
        pass.group_maxes = ws.group_maxes_.data();
        pass.map_stride = map_stride;
        pass.streaming = detail::stream_output<Scalar>(s.size());
        return pass;
    }

    // ---- Training: forward_train / backward come from detail::Trainable; the maths is in
    // detail/backward_spatial.hpp. The BatchNorm stays unfolded (gamma and beta train).
    friend detail::Trainable<SpatialAttention, Scalar, Layout>;

    detail::SpatialParameters<Scalar> training_parameters() const {
        detail::SpatialParameters<Scalar> par;
        par.weight = conv_weight_.data();
        par.bias = config_.bias ? conv_bias_ : Scalar(0);
        par.batchnorm = config_.batchnorm;
        if (config_.batchnorm) {
            par.bn_weight = bn_weight_, par.bn_bias = bn_bias_, par.bn_mean = bn_mean_;
            par.bn_inv_std = static_cast<Scalar>(1.0 / std::sqrt(double(bn_var_) + config_.bn_eps));
        }
        par.gate = config_.gate;
        par.max_first = config_.channel_pool == ChannelPoolOrder::max_avg;
        par.kernel = config_.kernel;
        return par;
    }

    /// Spatial attention of x * channel_weights (N x C, may be null) in training mode:
    /// fills ws's spatial tape.
    void train_attend(const Scalar* x, const Scalar* channel_weights, const detail::Shape& s,
                      TrainingWorkspace<Scalar>& ws) const {
        ws.spatial_.prepare(s, kernel());
        ws.has_spatial_ = true;
        detail::spatial_forward_train<Layout>(ws.pool_, training_parameters(), x, channel_weights, s, ws.spatial_);
    }

    void train_forward(const Scalar* x, Scalar* y, const detail::Shape& s, TrainingWorkspace<Scalar>& ws) const {
        train_attend(x, nullptr, s, ws);
        detail::scale_batch<Layout>(ws.pool_, x, s, static_cast<const Scalar*>(nullptr), ws.spatial_.gates.data(), y);
    }

    /// Zeroed storage in `grads` for each trainable parameter, named prefix + PyTorch name.
    detail::SpatialGradientSlots<Scalar> gradient_slots(Gradients<Scalar>& grads, std::string_view prefix) const {
        const Index k = kernel();
        detail::SpatialGradientSlots<Scalar> out{};
        out.conv_weight = detail::gradient_slot(grads, prefix, "conv.weight", {1, 2, k, k});
        if (config_.bias) out.conv_bias = detail::gradient_slot(grads, prefix, "conv.bias", {1});
        if (config_.batchnorm) {
            out.bn_weight = detail::gradient_slot(grads, prefix, "bn.weight", {1});
            out.bn_bias = detail::gradient_slot(grads, prefix, "bn.bias", {1});
        }
        return out;
    }

    /// Backward of the spatial attention recorded in ws, to dL/d(x * channel_weights);
    /// grad_x may be grad_y itself.
    void backward_stage(const Scalar* grad_y, Scalar* grad_x, const detail::Shape& s, const Scalar* channel_weights,
                        const detail::SpatialGradientSlots<Scalar>& out, TrainingWorkspace<Scalar>& ws) const {
        detail::spatial_backward<Layout>(ws.pool_, training_parameters(), ws.input_.data(), channel_weights, grad_y,
                                         grad_x, s, ws.spatial_);
        detail::spatial_parameter_gradients(s, ws.spatial_, out);
    }

    void train_backward(const Scalar* grad_y, Scalar* grad_x, const detail::Shape& s, Gradients<Scalar>& grads,
                        TrainingWorkspace<Scalar>& ws) const {
        backward_stage(grad_y, grad_x, s, nullptr, gradient_slots(grads, std::string_view()), ws);
    }

    SpatialConfig config_;
    std::vector<Scalar> conv_weight_;  // [2, k, k]
    Scalar conv_bias_ = 0, bn_weight_ = 1, bn_bias_ = 0, bn_mean_ = 0, bn_var_ = 1;
    std::vector<Scalar> folded_weight_;
    Scalar folded_bias_ = 0;
};

}  // namespace seattn
