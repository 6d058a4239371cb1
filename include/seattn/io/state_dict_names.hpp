#pragma once
/// @file state_dict_names.hpp
/// Which PyTorch state-dict key each of a block's parameters corresponds to: returned by
/// load_state_dict, used to save weights or gradients back under PyTorch's own names.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../errors.hpp"

namespace seattn::io {

/// A two-way map between a block's parameter names ("channel.fc1.weight") and the state-dict
/// keys they were loaded from ("ChannelGate.mlp.1.weight"), plus which naming each half used.
class StateDictNames {
public:
    /// One parameter and its key.
    struct Entry {
        std::string parameter;  ///< the block's name, e.g. "fc1.weight"
        std::string key;        ///< the state dict's key, e.g. "se.fc.0.weight"
    };

    /// The names a block's own parameter names give under `prefix`: key = prefix + name.
    template <class Block>
    static StateDictNames own(const Block& block, const std::string& prefix = "") {
        StateDictNames names;
        for (const auto& name : block.parameter_names()) names.add(name, prefix + name);
        names.add_naming("seattn's own names under '" + prefix + "'");
        return names;
    }

    /// Records that `parameter` corresponds to `key`.
    void add(std::string parameter, std::string key) { entries_.push_back(Entry{std::move(parameter), std::move(key)}); }
    /// Records a description of a naming convention used (one per half of a block).
    void add_naming(std::string description) { namings_.push_back(std::move(description)); }

    /// Every parameter with its key, in the block's parameter order.
    const std::vector<Entry>& entries() const { return entries_; }
    /// The naming conventions recognised, e.g. "torchvision SqueezeExcitation (fc1, fc2)".
    const std::vector<std::string>& namings() const { return namings_; }

    /// The key of `parameter`; throws config_error if it has none.
    const std::string& key(std::string_view parameter) const {
        for (const auto& e : entries_)
            if (e.parameter == parameter) return e.key;
        throw config_error("state dict names: no parameter '" + std::string(parameter) + "'");
    }

    /// The parameter loaded from `key`; throws config_error if none was.
    const std::string& parameter(std::string_view key) const {
        for (const auto& e : entries_)
            if (e.key == key) return e.parameter;
        throw config_error("state dict names: no parameter was loaded from key '" + std::string(key) + "'");
    }

private:
    std::vector<Entry> entries_;
    std::vector<std::string> namings_;
};

}  // namespace seattn::io
