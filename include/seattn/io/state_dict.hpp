#pragma once
/// @file state_dict.hpp
/// Loading a block's weights from a PyTorch state dict saved as safetensors, under the names
/// the PyTorch implementations use (torchvision, timm, the official CBAM, nn.Sequential), and
/// saving them back under those names. Needs nlohmann-json (link seattn::io).

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "../any_block.hpp"
#include "../detail/shape.hpp"
#include "../errors.hpp"
#include "detail/naming.hpp"
#include "safetensors.hpp"
#include "state_dict_names.hpp"

namespace seattn::io {

namespace detail {

inline std::string dims(const std::vector<Index>& shape) {
    return seattn::detail::format_dims(shape, static_cast<int>(shape.size()));
}

inline bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

inline std::string where(const std::string& prefix) {
    return prefix.empty() ? "at the top level" : "under prefix '" + prefix + "'";
}

/// A way a half's parameters may be named in the file: a place and a naming.
struct Candidate {
    std::string place;  // full key prefix, the user's prefix included
    const Naming* naming;
    std::vector<StateDictNames::Entry> entries;
    std::size_t present = 0;
};

/// Finds the one candidate naming under which all of a half's parameters are in `file`, and
/// refuses keys of that half's modules the block has no parameter for (a bias or BatchNorm
/// the config lacks); num_batches_tracked is PyTorch bookkeeping and is ignored.
inline Candidate resolve(const Part& part, const std::vector<std::string>& parameters, const SafeTensors& file,
                         const std::string& prefix, const std::string& block_name) {
    std::vector<Candidate> candidates;
    for (const auto& place : part.places)
        for (const auto& naming : *part.namings) {
            Candidate c{prefix + place, &naming, {}, 0};
            for (const auto& p : parameters) {
                if (!starts_with(p, part.ours)) continue;
                c.entries.push_back({p, c.place + rename(p.substr(part.ours.size()), naming)});
                c.present += file.contains(c.entries.back().key) ? 1 : 0;
            }
            candidates.push_back(std::move(c));
        }
    std::vector<const Candidate*> complete;
    const Candidate* best = &candidates.front();
    for (const auto& c : candidates) {
        if (c.present == c.entries.size()) complete.push_back(&c);
        if (c.present > best->present) best = &c;
    }
    const std::string half =
        "the " + block_name + (part.ours.empty() ? "" : "'s " + part.ours.substr(0, part.ours.size() - 1) + " half");
    if (complete.size() > 1)
        throw format_error(file.source() + ": weights for " + half + " " + where(prefix) + " are ambiguous: both '" +
                           complete[0]->entries.front().key + "' and '" + complete[1]->entries.front().key + "' exist");
    if (complete.empty()) {
        if (best->present == 0) {
            std::string tried;
            for (const auto& c : candidates) tried += (tried.empty() ? "'" : ", '") + c.entries.front().key + "'";
            throw format_error(file.source() + ": no weights for " + half + " " + where(prefix) + ": none of " + tried +
                               " is in the file");
        }
        for (const auto& e : best->entries)
            if (!file.contains(e.key))
                throw format_error(file.source() + ": missing key '" + e.key + "' (parameter " + e.parameter + " of " +
                                   half + ", naming " + best->naming->description + ")");
    }
    const Candidate& chosen = *complete.front();
    for (const auto& [ours, theirs] : chosen.naming->modules) {
        const std::string module = chosen.place + theirs + ".";
        for (const auto& t : file.tensors()) {
            if (!starts_with(t.name, module) || starts_with(t.name, module + "num_batches_tracked")) continue;
            bool known = false;
            for (const auto& e : chosen.entries) known = known || e.key == t.name;
            if (!known)
                throw format_error(file.source() + ": unexpected key '" + t.name + "' " + dims(t.shape) + ": " + half +
                                   " has no such parameter with this config (bias or batchnorm off?)");
        }
    }
    return chosen;
}

inline std::string shape_hint(const std::vector<Index>& expected, const std::vector<Index>& actual) {
    const auto ones = [](const std::vector<Index>& a, const std::vector<Index>& b) {
        return a.size() == b.size() + 2 && a[a.size() - 1] == 1 && a[a.size() - 2] == 1 &&
               std::equal(b.begin(), b.end(), a.begin());
    };
    if (ones(actual, expected)) return " (a 1x1 conv weight: the config needs fc = conv1x1)";
    if (ones(expected, actual)) return " (a Linear weight: the config needs fc = linear)";
    return "";
}

template <class S, class L>
std::string name_of(const SEBlock<S, L>&) { return "SE block"; }
template <class S, class L>
std::string name_of(const SpatialAttention<S, L>&) { return "spatial attention block"; }
template <class S, class L>
std::string name_of(const CBAM<S, L>&) { return "CBAM block"; }

template <class Block>
StateDictNames load_weights(Block& block, const SafeTensors& file, const std::string& prefix) {
    using Scalar = typename decltype(block.parameter(""))::value_type;
    const std::vector<std::string> parameters = block.parameter_names();
    const std::string name = name_of(block);
    StateDictNames names;
    for (const auto& part : parts_of(block)) {
        const Candidate chosen = resolve(part, parameters, file, prefix, name);
        for (const auto& e : chosen.entries) names.add(e.parameter, e.key);
        names.add_naming(chosen.naming->description + " at '" + chosen.place + "'");
    }
    for (const auto& e : names.entries()) {
        const TensorInfo& t = file.info(e.key);
        const std::vector<Index> expected = block.parameter_shape(e.parameter);
        if (t.shape != expected)
            throw format_error(file.source() + ": key '" + e.key + "' has shape " + dims(t.shape) + ", but the " + name +
                               "'s " + e.parameter + " needs " + dims(expected) + shape_hint(expected, t.shape));
        if (!is_floating(t.dtype))
            throw format_error(file.source() + ": key '" + e.key + "' has dtype " + dtype_name(t.dtype) +
                               ", weights must be F16, BF16, F32 or F64");
    }
    Block loaded = block;
    for (const auto& e : names.entries()) {
        const std::vector<Scalar> values = file.values<Scalar>(e.key);
        try {
            loaded.set_parameter(e.parameter, file.info(e.key).shape, values.data());
        } catch (const error& err) {
            throw format_error(file.source() + ": key '" + e.key + "': " + err.what());
        }
    }
    block = std::move(loaded);
    return names;
}

}  // namespace detail

/// Loads every parameter of `block` from the state dict in `file`, the keys under `prefix`
/// (e.g. "layer1.0.se."), recognising the naming it follows: fc1/fc2 (torchvision, timm),
/// fc.0/fc.2 (nn.Sequential), mlp.1/mlp.3 (official CBAM ChannelGate). Keys of other modules
/// are left alone. Everything is checked before the block changes: a missing key, a key of
/// the block's modules it has no parameter for (a bias the config lacks), a wrong shape or a
/// non-float dtype is a format_error naming the file, the key and both shapes, and leaves
/// `block` as it was. Returns which key each parameter came from.
template <class S, class L>
StateDictNames load_state_dict(SEBlock<S, L>& block, const SafeTensors& file, const std::string& prefix = "") {
    return detail::load_weights(block, file, prefix);
}

/// Loads a spatial attention block as the SE overload does, recognising conv + bn (seattn,
/// the design document), conv.conv + conv.bn (timm) and spatial.conv + spatial.bn (official
/// CBAM); the BatchNorm is folded into the conv.
template <class S, class L>
StateDictNames load_state_dict(SpatialAttention<S, L>& block, const SafeTensors& file, const std::string& prefix = "") {
    return detail::load_weights(block, file, prefix);
}

/// Loads a CBAM block as the SE overload does, its channel half under channel. (timm,
/// seattn), se. (the design document) or ChannelGate. (official), its spatial half under
/// spatial. or SpatialGate., each in any naming its block recognises.
template <class S, class L>
StateDictNames load_state_dict(CBAM<S, L>& block, const SafeTensors& file, const std::string& prefix = "") {
    return detail::load_weights(block, file, prefix);
}

/// Loads whichever block `block` holds, as its own overload does.
template <class S, class L>
StateDictNames load_state_dict(AnyBlock<S, L>& block, const SafeTensors& file, const std::string& prefix = "") {
    return std::visit([&](auto& b) { return load_state_dict(b, file, prefix); }, block.variant());
}

/// Adds every parameter of `block` to `writer` under its key in `names` (float: F32,
/// double: F64), so that PyTorch's load_state_dict reads them back.
template <class Block>
void save_state_dict(SafeTensorsWriter& writer, const Block& block, const StateDictNames& names) {
    for (const auto& e : names.entries()) {
        const auto values = block.parameter(e.parameter);
        writer.add(e.key, block.parameter_shape(e.parameter), values.data());
    }
}

}  // namespace seattn::io
