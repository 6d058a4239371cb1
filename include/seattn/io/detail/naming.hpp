#pragma once
// The state-dict naming conventions of the PyTorch implementations seattn loads, and how a
// block splits into halves that each follow one of them.

#include <string>
#include <utility>
#include <vector>

#include "../../cbam.hpp"
#include "../../se_block.hpp"
#include "../../spatial_attention.hpp"

namespace seattn::io::detail {

/// One implementation's module names for a block half: our module -> its module.
struct Naming {
    std::string description;
    std::vector<std::pair<std::string, std::string>> modules;
};

/// Excitation MLPs: our fc1 / fc2.
inline const std::vector<Naming>& excitation_namings() {
    static const std::vector<Naming> namings{
        {"torchvision SqueezeExcitation / timm (fc1, fc2)", {{"fc1", "fc1"}, {"fc2", "fc2"}}},
        {"nn.Sequential(Linear, ReLU, Linear, ...) as in the design document (fc.0, fc.2)", {{"fc1", "fc.0"}, {"fc2", "fc.2"}}},
        {"official CBAM ChannelGate (mlp.1, mlp.3)", {{"fc1", "mlp.1"}, {"fc2", "mlp.3"}}},
    };
    return namings;
}

/// Spatial gates: our conv / bn.
inline const std::vector<Naming>& spatial_namings() {
    static const std::vector<Naming> namings{
        {"seattn / the design document (conv, bn)", {{"conv", "conv"}, {"bn", "bn"}}},
        {"timm SpatialAttn (conv.conv, conv.bn)", {{"conv", "conv.conv"}, {"bn", "conv.bn"}}},
        {"official CBAM SpatialGate (spatial.conv, spatial.bn)", {{"conv", "spatial.conv"}, {"bn", "spatial.bn"}}},
    };
    return namings;
}

/// A half of a block: the prefix of its parameters in our names, the places (key prefixes)
/// its module has in the implementations' state dicts, and the namings it may follow there.
struct Part {
    std::string ours;
    std::vector<std::string> places;
    const std::vector<Naming>* namings;
};

template <class S, class L>
std::vector<Part> parts_of(const SEBlock<S, L>&) {
    return {{"", {""}, &excitation_namings()}};
}

template <class S, class L>
std::vector<Part> parts_of(const SpatialAttention<S, L>&) {
    return {{"", {""}, &spatial_namings()}};
}

/// CBAM's halves: timm and seattn use channel. / spatial., the design document se. / spatial.,
/// the official code ChannelGate. / SpatialGate.
template <class S, class L>
std::vector<Part> parts_of(const CBAM<S, L>&) {
    return {{"channel.", {"channel.", "se.", "ChannelGate."}, &excitation_namings()},
            {"spatial.", {"spatial.", "SpatialGate."}, &spatial_namings()}};
}

/// Our module-relative name ("fc1.weight") under `naming` ("fc.0.weight").
inline std::string rename(const std::string& name, const Naming& naming) {
    const auto dot = name.rfind('.');
    const std::string module = name.substr(0, dot);
    for (const auto& [ours, theirs] : naming.modules)
        if (ours == module) return theirs + name.substr(dot);
    return name;
}

}  // namespace seattn::io::detail
