#pragma once
/// @file safetensors_writer.hpp
/// Writing safetensors files: named F32 / F64 tensors and a `__metadata__` string map.
/// Needs nlohmann-json (link seattn::io).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>
#include <unsupported/Eigen/CXX11/Tensor>

#include "../errors.hpp"
#include "../layout.hpp"
#include "detail/little_endian.hpp"
#include "dtype.hpp"

namespace seattn::io {

/// Collects named tensors and metadata, then writes them as one safetensors file whose
/// tensors are laid out in the order they were added.
class SafeTensorsWriter {
public:
    /// Adds tensor `name` of dtype F32 (float) or F64 (double) with `shape`, from row-major
    /// `values`; throws format_error for a repeated or reserved name or a negative dimension.
    template <class Scalar>
    void add(const std::string& name, const std::vector<Index>& shape, const Scalar* values) {
        static_assert(std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value,
                      "safetensors values are written as F32 (float) or F64 (double)");
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(count(name, shape)) * sizeof(Scalar));
        detail::encode_floats(values, bytes.size() / sizeof(Scalar), bytes.data());
        add_raw(name, std::is_same<Scalar, float>::value ? DType::F32 : DType::F64, shape, std::move(bytes));
    }

    /// Adds a row-major Eigen tensor (float: F32, double: F64) under `name`.
    template <class Scalar, int Rank>
    void add(const std::string& name, const Eigen::Tensor<Scalar, Rank, Eigen::RowMajor>& tensor) {
        add(name, std::vector<Index>(tensor.dimensions().begin(), tensor.dimensions().end()), tensor.data());
    }

    /// Adds tensor `name` of any dtype from its little-endian `bytes`, which must hold
    /// exactly product(shape) elements.
    void add_raw(const std::string& name, DType dtype, const std::vector<Index>& shape, std::vector<std::uint8_t> bytes) {
        const Index elements = count(name, shape);
        if (bytes.size() != static_cast<std::size_t>(elements) * dtype_size(dtype))
            throw format_error("safetensors writer: tensor '" + name + "' has " + std::to_string(bytes.size()) +
                               " bytes, its shape needs " +
                               std::to_string(static_cast<std::size_t>(elements) * dtype_size(dtype)));
        if (name.empty() || name == "__metadata__" || !names_.insert(name).second)
            throw format_error("safetensors writer: tensor name '" + name + "' is empty, reserved or already used");
        entries_.push_back(Entry{name, dtype, shape, std::move(bytes)});
    }

    /// Sets `__metadata__[key]` to `value`.
    void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

    /// The file's bytes: length, header (padded with spaces to a multiple of 8), data.
    std::vector<std::uint8_t> bytes() const {
        nlohmann::ordered_json header = nlohmann::ordered_json::object();
        if (!metadata_.empty()) header["__metadata__"] = metadata_;
        std::uint64_t offset = 0;
        for (const auto& e : entries_) {
            header[e.name] = {{"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {offset, offset + e.bytes.size()}}};
            offset += e.bytes.size();
        }
        std::string text = header.dump();
        text.append((8 - text.size() % 8) % 8, ' ');
        std::vector<std::uint8_t> out(8 + text.size());
        detail::store_le<std::uint64_t>(text.size(), out.data());
        std::copy(text.begin(), text.end(), out.begin() + 8);
        out.reserve(out.size() + offset);
        for (const auto& e : entries_) out.insert(out.end(), e.bytes.begin(), e.bytes.end());
        return out;
    }

    /// Writes the file to `path`; throws format_error if it cannot be written.
    void save(const std::string& path) const {
        const std::vector<std::uint8_t> data = bytes();
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        file.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        if (!file.flush()) throw format_error(path + ": cannot write the file");
    }

private:
    struct Entry {
        std::string name;
        DType dtype;
        std::vector<Index> shape;
        std::vector<std::uint8_t> bytes;
    };

    static Index count(const std::string& name, const std::vector<Index>& shape) {
        Index elements = 1;
        for (Index d : shape) {
            if (d < 0)
                throw format_error("safetensors writer: tensor '" + name + "' has a negative dimension " + std::to_string(d));
            elements *= d;
        }
        return elements;
    }

    std::vector<Entry> entries_;
    std::set<std::string> names_;
    std::map<std::string, std::string> metadata_;
};

}  // namespace seattn::io
