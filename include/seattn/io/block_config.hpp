#pragma once
/// @file block_config.hpp
/// Block configurations as JSON, in the vocabulary of the golden files' `config` metadata:
/// {"block": "se", "channels": 64, "reduced": 4, "bias": false, "fc": "linear",
///  "activation": "relu", "gate": "sigmoid", "pool": ["avg"]}, and for spatial attention
/// "kernel", "channel_pool", "bias", "batchnorm", "bn_eps" (CBAM: "spatial_bias"; its "gate"
/// serves both halves unless "spatial_gate" names the spatial one).
/// Needs nlohmann-json (link seattn::io).

#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../any_block.hpp"
#include "../config.hpp"
#include "../errors.hpp"
#include "detail/header.hpp"

namespace seattn::io {

namespace detail {

/// Reads a config's fields, naming the source and the field in every error.
class ConfigReader {
public:
    ConfigReader(const Json& json, std::string source) : json_(json), source_(std::move(source)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw config_error(source_ + ": config '" + key + "' " + what);
    }

    const Json* find(const std::string& key) {
        used_.insert(key);
        const auto it = json_.find(key);
        return it == json_.end() ? nullptr : &*it;
    }

    void read(const std::string& key, bool& out) {
        if (const Json* v = find(key)) {
            if (!v->is_boolean()) fail(key, "must be true or false, got " + json_kind(*v));
            out = v->get<bool>();
        }
    }

    void read(const std::string& key, Index& out, bool required = false) {
        const Json* v = find(key);
        if (!v) {
            if (required) fail(key, "is missing");
            return;
        }
        if (!v->is_number_integer() || (v->is_number_unsigned() && v->get<std::uint64_t>() > std::uint64_t(1) << 40))
            fail(key, "must be an integer below 2^40, got " + json_kind(*v));
        out = static_cast<Index>(v->get<std::int64_t>());
    }

    void read(const std::string& key, double& out) {
        if (const Json* v = find(key)) {
            if (!v->is_number() || !std::isfinite(v->get<double>())) fail(key, "must be a finite number, got " + json_kind(*v));
            out = v->get<double>();
        }
    }

    /// A string field that must be one of `names`; returns its position there.
    std::optional<std::size_t> choice(const std::string& key, const std::vector<std::string>& names) {
        const Json* v = find(key);
        if (!v) return std::nullopt;
        for (std::size_t i = 0; i < names.size(); ++i)
            if (v->is_string() && v->get_ref<const std::string&>() == names[i]) return i;
        fail(key, "must be one of " + list(names) + ", got " + json_kind(*v));
    }

    /// An array-of-strings field that must equal one of `options`; returns its position there.
    std::optional<std::size_t> sequence(const std::string& key, const std::vector<std::vector<std::string>>& options) {
        const Json* v = find(key);
        if (!v) return std::nullopt;
        std::string allowed;
        for (std::size_t i = 0; i < options.size(); ++i) {
            if (*v == Json(options[i])) return i;
            allowed += (i ? " or " : "") + Json(options[i]).dump();
        }
        fail(key, "must be " + allowed + ", got " + json_kind(*v));
    }

    /// Every key of the config was read: anything else is an option this library lacks.
    void check_all_used() const {
        for (const auto& [key, value] : json_.items())
            if (!used_.count(key)) {
                std::vector<std::string> known(used_.begin(), used_.end());
                throw config_error(source_ + ": config has the unknown key '" + key + "' (known: " + list(known) + ")");
            }
    }

    const std::string& source() const { return source_; }

private:
    static std::string list(const std::vector<std::string>& names) {
        std::string s;
        for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
        return s;
    }

    const Json& json_;
    std::string source_;
    std::set<std::string> used_;
};

inline void read_se(ConfigReader& in, SEConfig& c) {
    in.read("channels", c.channels, true);
    in.read("reduced", c.reduced);
    in.read("reduction", c.reduction);
    in.read("bias", c.bias);
    if (auto fc = in.choice("fc", {"linear", "conv1x1"})) c.fc = static_cast<FcKind>(*fc);
    if (auto act = in.choice("activation", {"relu", "silu"})) c.activation = static_cast<Activation>(*act);
    if (auto gate = in.choice("gate", {"sigmoid", "hardsigmoid"})) c.gate = static_cast<Gate>(*gate);
    if (auto pool = in.sequence("pool", {{"avg"}, {"avg", "max"}, {"max", "avg"}}))
        c.pool = *pool == 0 ? SqueezePool::avg : SqueezePool::avg_max;
}

inline void read_spatial(ConfigReader& in, SpatialConfig& c, const std::string& bias_key) {
    in.read("kernel", c.kernel);
    if (auto order = in.sequence("channel_pool", {{"avg", "max"}, {"max", "avg"}}))
        c.channel_pool = static_cast<ChannelPoolOrder>(*order);
    in.read(bias_key, c.bias);
    in.read("batchnorm", c.batchnorm);
    in.read("bn_eps", c.bn_eps);
    if (auto gate = in.choice("gate", {"sigmoid", "hardsigmoid"})) c.gate = static_cast<Gate>(*gate);
}

}  // namespace detail

/// The block configuration a JSON object describes; its "block" key (se, spatial, cbam)
/// gives the kind unless `kind` does (both given must agree). Unset fields keep the config
/// structs' defaults; "channels" is required for se and cbam. Throws config_error naming
/// `source`, the key and what is wrong, for unknown keys and blocks too.
inline BlockConfig block_config_from_json(const nlohmann::ordered_json& json, const std::string& source = "config",
                                          std::optional<BlockKind> kind = std::nullopt) {
    if (!json.is_object()) throw config_error(source + ": config must be a JSON object, got " + detail::json_kind(json));
    detail::ConfigReader in(json, source);
    if (auto named = in.choice("block", {"se", "spatial", "cbam"})) {
        if (kind && *kind != static_cast<BlockKind>(*named))
            in.fail("block", "is '" + block_kind_name(static_cast<BlockKind>(*named)) + "', but the file says '" +
                                 block_kind_name(*kind) + "'");
        kind = static_cast<BlockKind>(*named);
    }
    if (!kind) in.fail("block", "is missing (expected se, spatial or cbam)");

    BlockConfig config;
    switch (*kind) {
        case BlockKind::se: {
            SEConfig c;
            detail::read_se(in, c);
            config = c;
            break;
        }
        case BlockKind::spatial: {
            SpatialConfig c;
            detail::read_spatial(in, c, "bias");
            config = c;
            break;
        }
        case BlockKind::cbam: {
            CBAMConfig c;
            detail::read_se(in, c.channel);
            detail::read_spatial(in, c.spatial, "spatial_bias");
            c.spatial.gate = c.channel.gate;
            if (auto gate = in.choice("spatial_gate", {"sigmoid", "hardsigmoid"})) c.spatial.gate = static_cast<Gate>(*gate);
            config = c;
            break;
        }
    }
    in.check_all_used();
    try {
        std::visit([](const auto& c) { c.validate(); }, config);
    } catch (const config_error& e) {
        throw config_error(source + ": " + e.what());
    }
    return config;
}

/// The block configuration the JSON text `text` describes (see block_config_from_json); text
/// that is not JSON, or nests deeper than a config can, is a config_error too.
inline BlockConfig parse_block_config(const std::string& text, const std::string& source = "config",
                                      std::optional<BlockKind> kind = std::nullopt) {
    nlohmann::ordered_json json;
    try {
        json = detail::parse_json(text.data(), text.data() + text.size(), source, "config");
    } catch (const format_error& e) {
        throw config_error(e.what());
    }
    return block_config_from_json(json, source, kind);
}

/// `config` as a JSON object in the same vocabulary (block_config_from_json reads it back).
inline nlohmann::ordered_json block_config_json(const BlockConfig& config) {
    using Json = nlohmann::ordered_json;
    static const char* gates[] = {"sigmoid", "hardsigmoid"};
    const auto se_fields = [&](Json& j, const SEConfig& c) {
        j["channels"] = c.channels;
        j["reduced"] = c.reduced_width();
        j["bias"] = c.bias;
        j["fc"] = c.fc == FcKind::linear ? "linear" : "conv1x1";
        j["activation"] = c.activation == Activation::relu ? "relu" : "silu";
        j["gate"] = gates[static_cast<int>(c.gate)];
        j["pool"] = c.pool == SqueezePool::avg ? Json{"avg"} : Json{"avg", "max"};
    };
    const auto spatial_fields = [&](Json& j, const SpatialConfig& c, const char* bias_key, const char* gate_key) {
        j["kernel"] = c.kernel;
        j["channel_pool"] = c.channel_pool == ChannelPoolOrder::avg_max ? Json{"avg", "max"} : Json{"max", "avg"};
        j[bias_key] = c.bias;
        j["batchnorm"] = c.batchnorm;
        j["bn_eps"] = c.bn_eps;
        if (gate_key) j[gate_key] = gates[static_cast<int>(c.gate)];
    };
    Json j = Json::object();
    j["block"] = block_kind_name(block_kind(config));
    if (const auto* se = std::get_if<SEConfig>(&config)) se_fields(j, *se);
    if (const auto* spatial = std::get_if<SpatialConfig>(&config)) spatial_fields(j, *spatial, "bias", "gate");
    if (const auto* cbam = std::get_if<CBAMConfig>(&config)) {
        se_fields(j, cbam->channel);
        spatial_fields(j, cbam->spatial, "spatial_bias",
                       cbam->spatial.gate != cbam->channel.gate ? "spatial_gate" : nullptr);
    }
    return j;
}

}  // namespace seattn::io
