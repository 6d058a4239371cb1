#pragma once
/// @file config.hpp
/// Configurations of the three blocks, with the vocabulary of PyTorch implementations.

#include <limits>
#include <string>

#include "errors.hpp"
#include "layout.hpp"

namespace seattn {

/// Activation between the two excitation FC layers.
enum class Activation {
    relu,  ///< max(x, 0): the SE paper, torchvision's default
    silu   ///< x * sigmoid(x): EfficientNet
};

/// Gate that turns logits into attention weights in [0, 1].
enum class Gate {
    sigmoid,     ///< 1 / (1 + exp(-x))
    hardsigmoid  ///< PyTorch's relu6(x + 3) / 6: MobileNetV3
};

/// Squeeze pooling over H, W.
enum class SqueezePool {
    avg,     ///< mean only (SE)
    avg_max  ///< mean and max, each through the MLP, summed before the gate (CBAM)
};

/// How the excitation FC weights are shaped in PyTorch; the maths is identical.
enum class FcKind {
    linear,  ///< nn.Linear: weight [out, in]
    conv1x1  ///< nn.Conv2d with a 1x1 kernel: weight [out, in, 1, 1]
};

/// Order of the two channel-pooled maps fed to the spatial convolution.
enum class ChannelPoolOrder {
    avg_max,  ///< [mean, max]: timm, the design document
    max_avg   ///< [max, mean]: the official CBAM code
};

/// Squeeze-and-Excitation (and CBAM channel attention) configuration.
struct SEConfig {
    Index channels = 0;                     ///< C, the input's channel count (>= 1)
    Index reduced = 0;                      ///< hidden width; 0 means channels / reduction
    Index reduction = 16;                   ///< ratio r used when reduced == 0
    bool bias = false;                      ///< both FC layers have biases
    Activation activation = Activation::relu;
    Gate gate = Gate::sigmoid;
    SqueezePool pool = SqueezePool::avg;
    FcKind fc = FcKind::linear;             ///< PyTorch weight shapes the parameters use

    /// Hidden width the block will use; throws config_error when it would be < 1.
    Index reduced_width() const {
        if (reduced < 0)
            throw config_error("SEConfig: reduced width must be >= 1, got " + std::to_string(reduced));
        if (reduced > 0) return reduced;
        if (reduction < 1)
            throw config_error("SEConfig: reduction ratio must be >= 1, got " + std::to_string(reduction));
        const Index width = channels / reduction;
        if (width < 1)
            throw config_error("SEConfig: reduced width must be >= 1, got 0 (channels " +
                               std::to_string(channels) + " / reduction " + std::to_string(reduction) + ")");
        return width;
    }

    /// Throws config_error naming the first invalid field, or when the weights' sizes would
    /// overflow a 64-bit index.
    void validate() const {
        if (channels < 1)
            throw config_error("SEConfig: channels must be >= 1, got " + std::to_string(channels));
        const Index width = reduced_width();
        // A quarter of the range leaves room for both FC weights and their biases.
        if (width > std::numeric_limits<Index>::max() / 4 / channels)
            throw config_error("SEConfig: channels " + std::to_string(channels) + " x reduced width " +
                               std::to_string(width) + " overflows a 64-bit index");
    }

    /// Number of scalar parameters (FC weights and biases) the block holds.
    Index parameter_count() const {
        validate();
        const Index width = reduced_width();
        return 2 * channels * width + (bias ? channels + width : 0);
    }
};

/// Spatial attention configuration. The block works for any channel count.
struct SpatialConfig {
    Index kernel = 7;                                  ///< odd k >= 1; stride 1, zero padding k / 2
    ChannelPoolOrder channel_pool = ChannelPoolOrder::avg_max;
    bool bias = false;                                 ///< the conv has a bias
    bool batchnorm = false;                            ///< a BatchNorm2d(1) in eval mode follows the conv
    double bn_eps = 1e-5;                              ///< that BatchNorm's epsilon (> 0)
    Gate gate = Gate::sigmoid;

    /// Throws config_error naming the first invalid field.
    void validate() const {
        if (kernel < 1 || kernel % 2 == 0)
            throw config_error("SpatialConfig: kernel must be odd and >= 1, got " + std::to_string(kernel));
        if (kernel > std::numeric_limits<Index>::max() / 4 / kernel)
            throw config_error("SpatialConfig: kernel " + std::to_string(kernel) + " overflows a 64-bit index");
        if (batchnorm && !(bn_eps > 0))
            throw config_error("SpatialConfig: bn_eps must be > 0, got " + std::to_string(bn_eps));
    }

    /// Number of scalar parameters (conv weight and bias, BatchNorm's four) the block holds.
    Index parameter_count() const {
        validate();
        return 2 * kernel * kernel + (bias ? 1 : 0) + (batchnorm ? 4 : 0);
    }
};

/// CBAM configuration: channel attention followed by spatial attention.
struct CBAMConfig {
    SEConfig channel{0, 0, 16, false, Activation::relu, Gate::sigmoid, SqueezePool::avg_max, FcKind::linear};
    SpatialConfig spatial;

    /// Throws config_error naming the first invalid field.
    void validate() const {
        channel.validate();
        spatial.validate();
    }

    /// Number of scalar parameters of both halves.
    Index parameter_count() const { return channel.parameter_count() + spatial.parameter_count(); }
};

}  // namespace seattn
