#pragma once
/// @file load_block.hpp
/// A block from a file alone: its configuration from the `config` metadata (as the golden
/// files carry it), its weights from the state dict. Needs nlohmann-json (link seattn::io).

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "../any_block.hpp"
#include "../errors.hpp"
#include "block_config.hpp"
#include "safetensors.hpp"
#include "state_dict.hpp"
#include "state_dict_names.hpp"

namespace seattn::io {

/// A block and the state-dict key each of its parameters was loaded from.
template <class Scalar, class Layout>
struct LoadedBlock {
    AnyBlock<Scalar, Layout> block;  ///< the block, weights loaded
    StateDictNames names;            ///< parameter name <-> state-dict key
};

/// Whether `file`'s metadata describes a block (has a "config" entry).
inline bool has_block_config(const SafeTensors& file) { return file.metadata().count("config") != 0; }

/// The block configuration in `file`'s metadata: the JSON object under "config", whose kind
/// is its "block" key or the metadata's "block" entry (both given must agree). Throws
/// format_error if there is none, config_error naming the file and the key for a bad one.
inline BlockConfig metadata_block_config(const SafeTensors& file) {
    const auto& metadata = file.metadata();
    const auto config = metadata.find("config");
    if (config == metadata.end()) throw format_error(file.source() + ": __metadata__ has no 'config' describing a block");
    std::optional<BlockKind> kind;
    if (const auto block = metadata.find("block"); block != metadata.end()) {
        for (BlockKind k : {BlockKind::se, BlockKind::spatial, BlockKind::cbam})
            if (block->second == block_kind_name(k)) kind = k;
        if (!kind)
            throw config_error(file.source() + ": __metadata__ 'block' is '" + block->second +
                               "', expected se, spatial or cbam");
    }
    return parse_block_config(config->second, file.source() + ": __metadata__", kind);
}

/// Builds the block `config` describes and loads its weights from `file` under `prefix`
/// (see load_state_dict); throws config_error or format_error naming the problem.
template <class Scalar, class Layout>
LoadedBlock<Scalar, Layout> load_block(const SafeTensors& file, const BlockConfig& config, const std::string& prefix = "") {
    // The config comes from the file too: a block is allocated only once the file is seen to
    // hold at least as many values as the config asks for, so no allocation is sized by an
    // unchecked number.
    const Index needed = std::visit([](const auto& c) { return c.parameter_count(); }, config);
    Index available = 0;
    for (const auto& tensor : file.tensors()) available += tensor.element_count();
    if (needed > available)
        throw format_error(file.source() + ": the block config needs " + std::to_string(needed) +
                           " parameter values, but the file's tensors hold only " + std::to_string(available));
    AnyBlock<Scalar, Layout> block(config);
    StateDictNames names = load_state_dict(block, file, prefix);
    return {std::move(block), std::move(names)};
}

/// Builds the block `file`'s metadata describes and loads its weights from the file.
template <class Scalar, class Layout>
LoadedBlock<Scalar, Layout> load_block(const SafeTensors& file) {
    return load_block<Scalar, Layout>(file, metadata_block_config(file));
}

}  // namespace seattn::io
