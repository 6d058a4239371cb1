#pragma once
/// @file workspace_base.hpp
/// What Workspace and TrainingWorkspace share: the thread pool their passes run on and the
/// attention the last forward through them computed.

#include <stdexcept>
#include <string>

#include <unsupported/Eigen/CXX11/ThreadPool>

#include "layout.hpp"
#include "detail/shape.hpp"

namespace seattn {

// The blocks, which the workspaces let at their buffers.
template <class Scalar, class Layout>
class SEBlock;
template <class Scalar, class Layout>
class SpatialAttention;
template <class Scalar, class Layout>
class CBAM;

/// Base of Workspace and TrainingWorkspace: the thread pool their passes run on, the shape
/// of the last input and which attentions its forward computed.
template <class Scalar>
class WorkspaceBase {
public:
    /// Single-threaded workspace.
    WorkspaceBase() = default;
    /// Workspace whose passes split their work over `pool`'s threads and the calling
    /// thread; the pool must outlive the passes.
    explicit WorkspaceBase(Eigen::ThreadPoolInterface* pool) : pool_(pool) {}

    /// Thread pool the passes use (nullptr: the calling thread only).
    Eigen::ThreadPoolInterface* thread_pool() const { return pool_; }
    /// Sets the thread pool the following passes use; it must outlive them.
    void set_thread_pool(Eigen::ThreadPoolInterface* pool) { pool_ = pool; }

protected:
    /// `data` seen as N x `columns` (a per-sample vector of the channel attention); throws
    /// std::logic_error naming `what` when the last forward had no channel attention.
    Eigen::TensorMap<const ChannelWeights<Scalar>> channel_view(const Scalar* data, Index columns,
                                                                const char* what) const {
        if (!has_channel_) throw std::logic_error(std::string(what) + ": the last forward computed none");
        return Eigen::TensorMap<const ChannelWeights<Scalar>>(data, shape_.n, columns);
    }

    /// `data` seen as N x H x W; throws std::logic_error naming `what` when the last forward
    /// had no spatial attention.
    Eigen::TensorMap<const SpatialMap<Scalar>> spatial_view(const Scalar* data, const char* what) const {
        if (!has_spatial_) throw std::logic_error(std::string(what) + ": the last forward computed none");
        return Eigen::TensorMap<const SpatialMap<Scalar>>(data, shape_.n, shape_.h, shape_.w);
    }

    Eigen::ThreadPoolInterface* pool_ = nullptr;
    detail::Shape shape_;
    bool has_channel_ = false, has_spatial_ = false;
};

}  // namespace seattn
