#pragma once
/// @file any_block.hpp
/// One of the three blocks, chosen at run time: what a model description or a weight file's
/// metadata builds when the block kind is only known from the data.

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "cbam.hpp"
#include "config.hpp"
#include "gradients.hpp"
#include "se_block.hpp"
#include "spatial_attention.hpp"
#include "training_workspace.hpp"
#include "workspace.hpp"

namespace seattn {

/// Kind of a block.
enum class BlockKind {
    se,       ///< SEBlock
    spatial,  ///< SpatialAttention
    cbam      ///< CBAM
};

/// "se", "spatial" or "cbam": the kind's name in configs and metadata.
inline std::string block_kind_name(BlockKind kind) {
    switch (kind) {
        case BlockKind::se: return "se";
        case BlockKind::spatial: return "spatial";
        case BlockKind::cbam: return "cbam";
    }
    return "?";
}

/// Everything needed to build a block: its kind is the alternative held.
using BlockConfig = std::variant<SEConfig, SpatialConfig, CBAMConfig>;

/// The kind of block `config` describes.
inline BlockKind block_kind(const BlockConfig& config) { return static_cast<BlockKind>(config.index()); }

/// An SEBlock, SpatialAttention or CBAM on Scalar tensors in Layout, with their common
/// interface (forward, named parameters); the concrete block is reachable through get_if.
template <class Scalar, class Layout>
class AnyBlock {
public:
    /// The concrete blocks, in BlockKind's order.
    using Variant = std::variant<SEBlock<Scalar, Layout>, SpatialAttention<Scalar, Layout>, CBAM<Scalar, Layout>>;

    /// Builds the block `config` describes with PyTorch's default initialisation drawn from
    /// `seed`; throws config_error for an invalid configuration.
    explicit AnyBlock(const BlockConfig& config, std::uint64_t seed = 0) : block_(build(config, seed)) {}

    /// Holds `block`, one of the three concrete blocks.
    template <class Block, class = std::enable_if_t<std::is_constructible<Variant, Block&&>::value>>
    AnyBlock(Block&& block) : block_(std::forward<Block>(block)) {}

    /// Which block this is.
    BlockKind kind() const { return static_cast<BlockKind>(block_.index()); }
    /// Its configuration (SE: hidden width resolved).
    BlockConfig config() const {
        return std::visit([](const auto& b) { return BlockConfig(b.config()); }, block_);
    }

    /// The concrete block if it is a Block, else nullptr.
    template <class Block>
    Block* get_if() { return std::get_if<Block>(&block_); }
    /// The concrete block if it is a Block, else nullptr.
    template <class Block>
    const Block* get_if() const { return std::get_if<Block>(&block_); }
    /// The concrete block, for std::visit.
    Variant& variant() { return block_; }
    /// The concrete block, for std::visit.
    const Variant& variant() const { return block_; }

    /// The block's output for `x` (rank 3 or 4, Layout's order) as a new tensor.
    template <class XT>
    auto forward(const XT& x) const {
        return std::visit([&](const auto& b) { return b.forward(x); }, block_);
    }
    /// Writes the block's output for `x` into `y` (x's shape; may be x itself).
    template <class XT, class YT>
    void forward(const XT& x, YT&& y) const {
        std::visit([&](const auto& b) { b.forward(x, y); }, block_);
    }
    /// Writes the block's output for `x` into `y` through the workspace `ws`.
    template <class XT, class YT>
    void forward(const XT& x, YT&& y, Workspace<Scalar>& ws) const {
        std::visit([&](const auto& b) { b.forward(x, y, ws); }, block_);
    }

    /// Training-mode forward: y as forward gives it, keeping in `ws` what backward needs.
    template <class XT, class YT>
    void forward_train(const XT& x, YT&& y, TrainingWorkspace<Scalar>& ws) const {
        std::visit([&](const auto& b) { b.forward_train(x, y, ws); }, block_);
    }
    /// Backward of the last forward_train through `ws`: dL/dx into `grad_x` (may be
    /// `grad_y`), dL/d(parameter) into `grads` by parameter name.
    template <class GYT, class GXT>
    void backward(const GYT& grad_y, GXT&& grad_x, Gradients<Scalar>& grads, TrainingWorkspace<Scalar>& ws) const {
        std::visit([&](const auto& b) { b.backward(grad_y, grad_x, grads, ws); }, block_);
    }

    /// Names of the block's parameters, e.g. "fc1.weight".
    std::vector<std::string> parameter_names() const {
        return std::visit([](const auto& b) { return b.parameter_names(); }, block_);
    }
    /// PyTorch shape of parameter `name`; config_error for a name the block lacks.
    std::vector<Index> parameter_shape(std::string_view name) const {
        return std::visit([&](const auto& b) { return b.parameter_shape(name); }, block_);
    }
    /// Values of parameter `name`, row-major in its PyTorch shape.
    std::vector<Scalar> parameter(std::string_view name) const {
        return std::visit([&](const auto& b) { return b.parameter(name); }, block_);
    }
    /// Sets parameter `name` from row-major `values` in `shape` (its PyTorch shape, else
    /// shape_error); a throwing call leaves the block as it was.
    void set_parameter(std::string_view name, const std::vector<Index>& shape, const Scalar* values) {
        std::visit([&](auto& b) { b.set_parameter(name, shape, values); }, block_);
    }

private:
    static Variant build(const BlockConfig& config, std::uint64_t seed) {
        switch (config.index()) {
            case 0: return Variant(std::in_place_index<0>, std::get<0>(config), seed);
            case 1: return Variant(std::in_place_index<1>, std::get<1>(config), seed);
            default: return Variant(std::in_place_index<2>, std::get<2>(config), seed);
        }
    }

    Variant block_;
};

}  // namespace seattn
