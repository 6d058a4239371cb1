#pragma once
// The blocks written the way an Eigen user would write them: Tensor expressions for the
// pooling (mean, maximum), matrix products by contract, broadcast multiplies and Eigen's
// direct convolution, each step materialised. The benchmark's "naive_eigen" baseline.

#include <utility>

#include <unsupported/Eigen/CXX11/Tensor>

#include <seattn/layout.hpp>

namespace naive_eigen {

using Tensor4 = Eigen::Tensor<float, 4, Eigen::RowMajor>;
using Tensor3 = Eigen::Tensor<float, 3, Eigen::RowMajor>;
using Tensor2 = Eigen::Tensor<float, 2, Eigen::RowMajor>;

/// Positions of C, H and W among a layout's four dimensions.
template <class Layout>
struct Dims;
template <>
struct Dims<seattn::NCHW> {
    static constexpr int c = 1, h = 2, w = 3;
};
template <>
struct Dims<seattn::NHWC> {
    static constexpr int c = 3, h = 1, w = 2;
};

/// Weights of all three blocks: fc1 [reduced, C], fc2 [C, reduced], and the k x k conv
/// kernels of the mean and the max map.
struct Params {
    Tensor2 fc1, fc2, conv_mean, conv_max;
};

/// Channel weights (N x C) of SE (with_max false) or CBAM's channel attention (true).
template <class Layout, class Device>
Tensor2 channel_weights(const Tensor4& x, const Params& p, bool with_max, const Device& device) {
    using D = Dims<Layout>;
    const Eigen::array<int, 2> spatial{D::h, D::w};
    const Eigen::array<Eigen::IndexPair<int>, 1> inner{Eigen::IndexPair<int>(1, 1)};
    const auto n = x.dimension(0), c = x.dimension(D::c), r = p.fc1.dimension(0);
    Tensor2 pooled(n, c), hidden(n, r), logits(n, c), weights(n, c);
    pooled.device(device) = x.mean(spatial);
    hidden.device(device) = pooled.contract(p.fc1, inner).cwiseMax(0.f);
    logits.device(device) = hidden.contract(p.fc2, inner);
    if (with_max) {
        pooled.device(device) = x.maximum(spatial);
        hidden.device(device) = pooled.contract(p.fc1, inner).cwiseMax(0.f);
        logits.device(device) += hidden.contract(p.fc2, inner);
    }
    weights.device(device) = logits.sigmoid();
    return weights;
}

/// y = x * weights broadcast over the pixels.
template <class Layout, class Device>
void scale_channels(const Tensor4& x, const Tensor2& weights, Tensor4& y, const Device& device) {
    using D = Dims<Layout>;
    Eigen::array<Eigen::Index, 4> shape{1, 1, 1, 1}, repeat{1, 1, 1, 1};
    shape[0] = x.dimension(0), shape[D::c] = x.dimension(D::c);
    repeat[D::h] = x.dimension(D::h), repeat[D::w] = x.dimension(D::w);
    y.device(device) = x * weights.reshape(shape).broadcast(repeat);
}

/// Spatial map (N x H x W): sigmoid of the k x k convolution of the channel mean and max.
template <class Layout, class Device>
Tensor3 spatial_map(const Tensor4& x, const Params& p, const Device& device) {
    using D = Dims<Layout>;
    const auto n = x.dimension(0), h = x.dimension(D::h), w = x.dimension(D::w);
    const int pad = static_cast<int>(p.conv_mean.dimension(0)) / 2;
    const Eigen::array<int, 1> channel{D::c};
    const Eigen::array<std::pair<int, int>, 3> padding{std::make_pair(0, 0), std::make_pair(pad, pad),
                                                        std::make_pair(pad, pad)};
    const Eigen::array<Eigen::Index, 2> image_dims{1, 2};
    Tensor3 mean(n, h, w), max(n, h, w), map(n, h, w);
    mean.device(device) = x.mean(channel);
    max.device(device) = x.maximum(channel);
    map.device(device) = (mean.pad(padding).convolve(p.conv_mean, image_dims) +
                          max.pad(padding).convolve(p.conv_max, image_dims))
                             .sigmoid();
    return map;
}

/// y = x * map broadcast over the channels.
template <class Layout, class Device>
void scale_pixels(const Tensor4& x, const Tensor3& map, Tensor4& y, const Device& device) {
    using D = Dims<Layout>;
    Eigen::array<Eigen::Index, 4> shape{1, 1, 1, 1}, repeat{1, 1, 1, 1};
    shape[0] = x.dimension(0), shape[D::h] = x.dimension(D::h), shape[D::w] = x.dimension(D::w);
    repeat[D::c] = x.dimension(D::c);
    y.device(device) = x * map.reshape(shape).broadcast(repeat);
}

/// Squeeze-and-Excitation: y = x * sigmoid(fc2(relu(fc1(mean_hw(x))))).
template <class Layout, class Device>
void se(const Tensor4& x, const Params& p, Tensor4& y, const Device& device) {
    scale_channels<Layout>(x, channel_weights<Layout>(x, p, false, device), y, device);
}

/// Spatial attention: y = x * sigmoid(conv([mean_c(x), max_c(x)])).
template <class Layout, class Device>
void spatial(const Tensor4& x, const Params& p, Tensor4& y, const Device& device) {
    scale_pixels<Layout>(x, spatial_map<Layout>(x, p, device), y, device);
}

/// CBAM: channel attention (avg and max pooled), then spatial attention of its output.
template <class Layout, class Device>
void cbam(const Tensor4& x, const Params& p, Tensor4& y, const Device& device) {
    Tensor4 channel_scaled(x.dimensions());
    scale_channels<Layout>(x, channel_weights<Layout>(x, p, true, device), channel_scaled, device);
    scale_pixels<Layout>(channel_scaled, spatial_map<Layout>(channel_scaled, p, device), y, device);
}

}  // namespace naive_eigen
