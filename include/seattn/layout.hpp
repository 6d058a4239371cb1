#pragma once
/// @file layout.hpp
/// Memory layouts and the tensor types the blocks read and write.

#include <unsupported/Eigen/CXX11/Tensor>

namespace seattn {

/// Index type of every dimension and size (Eigen's, 64-bit on 64-bit platforms).
using Index = Eigen::Index;

/// Layout tag: dimensions ordered N, C, H, W (PyTorch); a single image is C, H, W.
struct NCHW {
    static constexpr const char* name = "NCHW";
};

/// Layout tag: dimensions ordered N, H, W, C (TensorFlow, the design document's H x W x C);
/// a single image is H, W, C.
struct NHWC {
    static constexpr const char* name = "NHWC";
};

/// A batch of feature maps, dimensions in the order the layout names, row-major so that
/// memory matches PyTorch (NCHW) or TensorFlow (NHWC) exactly.
template <class Scalar>
using Tensor4 = Eigen::Tensor<Scalar, 4, Eigen::RowMajor>;

/// One feature map (C,H,W or H,W,C), row-major.
template <class Scalar>
using Tensor3 = Eigen::Tensor<Scalar, 3, Eigen::RowMajor>;

/// Channel weights of a batch: N x C, row-major.
template <class Scalar>
using ChannelWeights = Eigen::Tensor<Scalar, 2, Eigen::RowMajor>;

/// Spatial attention maps of a batch: N x H x W, row-major.
template <class Scalar>
using SpatialMap = Eigen::Tensor<Scalar, 3, Eigen::RowMajor>;

}  // namespace seattn
