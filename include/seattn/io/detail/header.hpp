#pragma once
// Parsing and validating a safetensors header: the JSON itself (bounded nesting, no duplicate
// keys), then every entry against the size of the data section, before any data is read.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../detail/shape.hpp"
#include "../../errors.hpp"
#include "../dtype.hpp"
#include "../tensor_info.hpp"

namespace seattn::io::detail {

using Json = nlohmann::ordered_json;

/// A valid header is at most 2 containers deep (object -> entry -> shape); anything far
/// deeper is hostile, and refusing it while parsing keeps every later walk of the tree short.
inline constexpr int max_json_depth = 32;

/// Largest header accepted, as in the reference implementation (100 MB).
inline constexpr std::uint64_t max_header_bytes = 100'000'000;

/// The validated contents of a header.
struct Header {
    std::vector<TensorInfo> tensors;  // in the header's order
    std::map<std::string, std::string> metadata;
};

inline std::string json_kind(const Json& value) {
    if (value.is_number_unsigned()) return "non-negative integer " + value.dump();
    if (value.is_number_integer()) return "negative integer " + value.dump();
    if (value.is_number_float()) return "non-integer number " + value.dump();
    std::string text = value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(value.type_name()) + " " + text;
}

/// Parses `what` (e.g. "header") as JSON, refusing deep nesting and duplicate keys as it goes.
inline Json parse_json(const char* begin, const char* end, const std::string& source, const std::string& what = "header") {
    std::vector<std::set<std::string>> keys_seen;  // one set per open object, by depth
    const Json::parser_callback_t check = [&](int depth, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) {
            if (depth >= max_json_depth)
                throw format_error(source + ": " + what + " nests JSON more than " + std::to_string(max_json_depth) +
                                   " levels deep");
            if (event == Json::parse_event_t::object_start) {
                keys_seen.resize(static_cast<std::size_t>(depth) + 1);
                keys_seen[static_cast<std::size_t>(depth)].clear();
            }
        } else if (event == Json::parse_event_t::key) {
            const std::string& key = parsed.get_ref<const std::string&>();
            if (!keys_seen[static_cast<std::size_t>(depth) - 1].insert(key).second)
                throw format_error(source + ": " + what + " has the key '" + key + "' twice in one object");
        }
        return true;
    };
    try {
        return Json::parse(begin, end, check);
    } catch (const Json::exception& e) {
        throw format_error(source + ": " + what + " is not valid JSON: " + e.what());
    }
}

/// Metadata: a JSON object whose values are all strings.
inline std::map<std::string, std::string> parse_metadata(const Json& value, const std::string& source) {
    if (!value.is_object())
        throw format_error(source + ": __metadata__ must be an object of strings, got " + json_kind(value));
    std::map<std::string, std::string> metadata;
    for (const auto& [key, entry] : value.items()) {
        if (!entry.is_string())
            throw format_error(source + ": __metadata__ entry '" + key + "' must be a string, got " + json_kind(entry));
        metadata.emplace(key, entry.get<std::string>());
    }
    return metadata;
}

/// A non-negative integer field of an entry.
inline std::uint64_t parse_uint(const Json& value, const std::string& where) {
    if (!value.is_number_unsigned()) throw format_error(where + " must be a non-negative integer, got " + json_kind(value));
    return value.get<std::uint64_t>();
}

/// One tensor entry, checked against a data section of `data_size` bytes.
inline TensorInfo parse_entry(const std::string& name, const Json& value, std::uint64_t data_size,
                              const std::string& source) {
    const std::string where = source + ": tensor '" + name + "'";
    if (name.empty()) throw format_error(source + ": a tensor has an empty name");
    if (!value.is_object()) throw format_error(where + " must be an object, got " + json_kind(value));
    for (const auto& [key, field] : value.items())
        if (key != "dtype" && key != "shape" && key != "data_offsets")
            throw format_error(where + ": unknown field '" + key + "' (expected dtype, shape, data_offsets)");
    for (const char* key : {"dtype", "shape", "data_offsets"})
        if (!value.contains(key)) throw format_error(where + ": missing field '" + key + "'");

    TensorInfo info;
    info.name = name;
    const Json& dtype = value["dtype"];
    if (!dtype.is_string()) throw format_error(where + ": dtype must be a string, got " + json_kind(dtype));
    const auto parsed_dtype = parse_dtype(dtype.get_ref<const std::string&>());
    if (!parsed_dtype) throw format_error(where + ": unknown dtype " + dtype.dump());
    info.dtype = *parsed_dtype;

    const Json& shape = value["shape"];
    if (!shape.is_array()) throw format_error(where + ": shape must be an array, got " + json_kind(shape));
    bool empty = false;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const std::uint64_t d = parse_uint(shape[i], where + ": shape[" + std::to_string(i) + "]");
        if (d > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()))
            throw format_error(where + ": shape[" + std::to_string(i) + "] = " + std::to_string(d) + " is too large");
        empty = empty || d == 0;
        info.shape.push_back(static_cast<Index>(d));
    }
    const std::string dims = seattn::detail::format_dims(info.shape, static_cast<int>(info.shape.size()));
    std::uint64_t bytes = empty ? 0 : dtype_size(info.dtype);
    for (std::size_t i = 0; !empty && i < info.shape.size(); ++i) {
        const auto d = static_cast<std::uint64_t>(info.shape[i]);
        if (bytes > std::numeric_limits<std::uint64_t>::max() / d ||
            bytes * d > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()))
            throw format_error(where + ": shape " + dims + " has more elements than any file can hold");
        bytes *= d;
    }

    const Json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
        throw format_error(where + ": data_offsets must be an array [begin, end], got " + json_kind(offsets));
    info.begin = parse_uint(offsets[0], where + ": data_offsets[0]");
    info.end = parse_uint(offsets[1], where + ": data_offsets[1]");
    const std::string range = "[" + std::to_string(info.begin) + ", " + std::to_string(info.end) + "]";
    if (info.begin > info.end) throw format_error(where + ": data_offsets " + range + " are reversed (begin > end)");
    if (info.end > data_size)
        throw format_error(where + ": data_offsets " + range + " run past the end of the data section (" +
                           std::to_string(data_size) + " bytes)");
    if (info.end - info.begin != bytes)
        throw format_error(where + ": data_offsets " + range + " span " + std::to_string(info.end - info.begin) +
                           " bytes, but shape " + dims + " of " + dtype_name(info.dtype) + " needs " +
                           std::to_string(bytes));
    return info;
}

/// Two tensors may not share a byte.
inline void check_overlaps(const std::vector<TensorInfo>& tensors, const std::string& source) {
    std::vector<const TensorInfo*> by_offset;
    for (const auto& t : tensors)
        if (t.end > t.begin) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
    for (std::size_t i = 1; i < by_offset.size(); ++i) {
        const TensorInfo &a = *by_offset[i - 1], &b = *by_offset[i];
        if (b.begin < a.end)
            throw format_error(source + ": tensor '" + b.name + "' (bytes " + std::to_string(b.begin) + ".." +
                               std::to_string(b.end) + ") overlaps tensor '" + a.name + "' (bytes " +
                               std::to_string(a.begin) + ".." + std::to_string(a.end) + ")");
    }
}

/// Parses and validates the header text for a data section of `data_size` bytes.
inline Header parse_header(const char* begin, const char* end, std::uint64_t data_size, const std::string& source) {
    const Json json = parse_json(begin, end, source);
    if (!json.is_object()) throw format_error(source + ": header must be a JSON object, got " + json_kind(json));
    Header header;
    for (const auto& [name, value] : json.items()) {
        if (name == "__metadata__")
            header.metadata = parse_metadata(value, source);
        else
            header.tensors.push_back(parse_entry(name, value, data_size, source));
    }
    check_overlaps(header.tensors, source);
    return header;
}

}  // namespace seattn::io::detail
