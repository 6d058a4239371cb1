#pragma once
/// @file workspace.hpp
/// Scratch memory and thread pool for a forward pass, and the attention it computed.

#include <vector>

#include <unsupported/Eigen/CXX11/ThreadPool>

#include "errors.hpp"
#include "layout.hpp"
#include "workspace_base.hpp"
#include "detail/parallel.hpp"
#include "detail/shape.hpp"

namespace seattn {

/// Reusable scratch memory for forward passes: once it has seen the largest shape, a
/// forward through it allocates nothing. It also keeps the attention of the last input
/// (channel weights, spatial map) and names the thread pool the pass runs on.
/// One workspace serves one forward at a time.
template <class Scalar>
class Workspace : public WorkspaceBase<Scalar> {
public:
    /// Single-threaded, or on a pool that splits the batch and the pixels (WorkspaceBase).
    using WorkspaceBase<Scalar>::WorkspaceBase;

    /// Channel weights (N x C, in [0, 1]) of the last forward through this workspace;
    /// throws std::logic_error when that forward had no channel attention.
    Eigen::TensorMap<const ChannelWeights<Scalar>> channel_weights() const {
        return this->channel_view(channel_weights_.data(), this->shape_.c, "channel_weights");
    }

    /// Squeezed channel means z (N x C) of the last forward's channel attention.
    Eigen::TensorMap<const ChannelWeights<Scalar>> channel_means() const {
        return this->channel_view(pooled_mean_.data(), this->shape_.c, "channel_means");
    }

    /// Hidden excitation activations h = act(fc1(z)) (N x reduced) of the mean-pooled path.
    Eigen::TensorMap<const ChannelWeights<Scalar>> excitation_hidden() const {
        return this->channel_view(hidden_.data(), reduced_, "excitation_hidden");
    }

    /// Channel logits before the gate (N x C): fc2(h), summed over the pooled paths.
    Eigen::TensorMap<const ChannelWeights<Scalar>> channel_logits() const {
        return this->channel_view(channel_logits_.data(), this->shape_.c, "channel_logits");
    }

    /// Spatial attention map (N x H x W, in [0, 1]) of the last forward through this
    /// workspace; throws std::logic_error when that forward had no spatial attention.
    Eigen::TensorMap<const SpatialMap<Scalar>> spatial_map() const {
        return this->spatial_view(spatial_map_.data(), "spatial_map");
    }

private:
    template <class, class>
    friend class SEBlock;
    template <class, class>
    friend class SpatialAttention;
    template <class, class>
    friend class CBAM;

    void prepare_channel(const detail::Shape& s, Index reduced, bool with_max, Index pieces_per_sample) {
        this->shape_ = s;
        reduced_ = reduced;
        pooled_mean_.resize(s.n * s.c);
        pooled_max_.resize(with_max ? s.n * s.c : 0);
        const Index piece_buffers = s.n * pieces_per_sample * detail::thread_buffer_stride<Scalar>(s.c);
        piece_sum_.resize(piece_buffers);
        piece_max_.resize(with_max ? piece_buffers : 0);
        squeeze_scratch_.resize(piece_buffers);
        hidden_.resize((with_max ? 2 : 1) * s.n * reduced);
        const Index hidden_stride = detail::thread_buffer_stride<Scalar>((with_max ? 2 : 1) * reduced);
        const Index hidden_buffers = pieces_per_sample > 1 ? s.n * pieces_per_sample * hidden_stride : 0;
        fc1_shares_.resize(hidden_buffers);
        piece_hidden_.resize(hidden_buffers);
        channel_logits_.resize(s.n * s.c);
        channel_weights_.resize(s.n * s.c);
        this->has_channel_ = true;
    }

    void prepare_spatial(const detail::Shape& s, Index padded_maps_size, Index group_maps_size,
                         Index halo_maps_size) {
        this->shape_ = s;
        padded_maps_.resize(padded_maps_size);
        group_sums_.resize(group_maps_size);
        group_maxes_.resize(group_maps_size);
        halo_mean_.resize(halo_maps_size);
        halo_max_.resize(halo_maps_size);
        map_mean_.resize(s.n * s.pixels());
        map_max_.resize(s.n * s.pixels());
        spatial_logits_.resize(s.n * s.pixels());
        spatial_map_.resize(s.n * s.pixels());
        this->has_spatial_ = true;
    }

    void reset(const detail::Shape& s) {
        this->shape_ = s;
        this->has_channel_ = this->has_spatial_ = false;
    }

    Index reduced_ = 0;
    // Channel attention, N x C; hidden is N x reduced for the mean path, then, when there
    // is a max path, N x reduced for the sum of both paths' hidden units. The piece buffers
    // and the squeeze scratch hold C values per piece of a sample (N x pieces rows,
    // detail::thread_buffer_stride apart) that threads squeeze on their own. Where the
    // pieces share the MLP, the fc1 shares and the piece hidden units hold `reduced` values
    // per path per piece (as many rows): each piece's share of fc1's products, and its own
    // copy of the hidden units (the first piece writes hidden instead).
    std::vector<Scalar> pooled_mean_, pooled_max_, piece_sum_, piece_max_, squeeze_scratch_, hidden_, channel_logits_,
        channel_weights_, fc1_shares_, piece_hidden_;
    // Spatial attention, N x H x W, the convolution's zero-padded input maps (one per sample,
    // or per task where tasks pad their own), the sums and maxes of each group of channels
    // when the pass cuts samples into groups, and the means and maxes of each task's halo
    // rows where tasks pad their own (N x groups or N x bands maps, detail::thread_buffer_stride
    // apart).
    std::vector<Scalar> map_mean_, map_max_, spatial_logits_, spatial_map_, padded_maps_, group_sums_, group_maxes_,
        halo_mean_, halo_max_;
};

}  // namespace seattn
