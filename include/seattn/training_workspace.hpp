#pragma once
/// @file training_workspace.hpp
/// What a training-mode forward keeps for the backward pass, and the thread pool both use.

#include <vector>

#include "layout.hpp"
#include "workspace_base.hpp"
#include "detail/backward_tape.hpp"
#include "detail/shape.hpp"

namespace seattn {

namespace detail {
template <class, class, class>
class Trainable;
}  // namespace detail

/// Memory of one training step: forward_train stores a copy of the input and every
/// intermediate the backward needs (pooled vectors, hidden activations, pre-gate logits,
/// gates, arg-max positions of max pooling, channel-pooled maps); backward reads them.
/// Buffers only grow: once it has seen the largest shape, a step allocates nothing.
/// One workspace serves one forward_train / backward pair at a time.
template <class Scalar>
class TrainingWorkspace : public WorkspaceBase<Scalar> {
public:
    /// Single-threaded, or on a pool that splits the batch (WorkspaceBase).
    using WorkspaceBase<Scalar>::WorkspaceBase;

    /// Channel weights (N x C, in [0, 1]) of the last forward_train; throws std::logic_error
    /// when it had no channel attention.
    Eigen::TensorMap<const ChannelWeights<Scalar>> channel_weights() const {
        return this->channel_view(channel_.gates.data(), this->shape_.c, "channel_weights");
    }

    /// Spatial map (N x H x W, in [0, 1]) of the last forward_train; throws std::logic_error
    /// when it had no spatial attention.
    Eigen::TensorMap<const SpatialMap<Scalar>> spatial_map() const {
        return this->spatial_view(spatial_.gates.data(), "spatial_map");
    }

private:
    template <class, class, class>
    friend class detail::Trainable;
    template <class, class>
    friend class SEBlock;
    template <class, class>
    friend class SpatialAttention;
    template <class, class>
    friend class CBAM;

    void begin_forward(const void* block, const detail::Shape& s, const Scalar* x) {
        block_ = block;
        this->shape_ = s;
        this->has_channel_ = this->has_spatial_ = false;
        input_.assign(x, x + s.size());
    }

    const void* block_ = nullptr;  // the block whose forward_train filled this workspace
    std::vector<Scalar> input_;  // the forward's x, so that y may overwrite it
    detail::ChannelTape<Scalar> channel_;
    detail::SpatialTape<Scalar> spatial_;
};

}  // namespace seattn
