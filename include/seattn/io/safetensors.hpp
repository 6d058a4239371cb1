#pragma once
/// @file safetensors.hpp
/// Reading safetensors files (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length, a JSON header naming every tensor's dtype, shape and byte
/// range, then the raw little-endian data. The file is untrusted: everything is validated
/// before any data is read, and anything malformed is a format_error naming the file, the
/// entry and what is wrong. Needs nlohmann-json (link seattn::io).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <unsupported/Eigen/CXX11/Tensor>

#include "../errors.hpp"
#include "../layout.hpp"
#include "detail/header.hpp"
#include "detail/little_endian.hpp"
#include "dtype.hpp"
#include "safetensors_writer.hpp"
#include "tensor_info.hpp"

namespace seattn::io {

/// A validated safetensors file held in memory: its tensors' names, dtypes and shapes, the
/// `__metadata__` string map, and the values converted to float or double on request.
class SafeTensors {
public:
    /// Reads and validates the file at `path`; throws format_error if it cannot be read or
    /// is malformed.
    static SafeTensors open(const std::string& path) {
        std::ifstream file(path, std::ios::binary | std::ios::ate);
        if (!file) throw format_error(path + ": cannot open the file");
        const std::streamoff size = file.tellg();
        if (size < 0) throw format_error(path + ": cannot read the file's size");
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
        file.seekg(0);
        if (!file.read(reinterpret_cast<char*>(bytes.data()), size)) throw format_error(path + ": cannot read the file");
        return SafeTensors(std::move(bytes), path);
    }

    /// Validates the `size` bytes at `data` (copied) as a safetensors file; `source` names
    /// it in error messages.
    static SafeTensors parse(const void* data, std::size_t size, const std::string& source = "<memory>") {
        const auto* first = static_cast<const std::uint8_t*>(data);
        return SafeTensors(std::vector<std::uint8_t>(first, first + size), source);
    }

    /// Validates `bytes` as a safetensors file; `source` names it in error messages.
    static SafeTensors parse(std::vector<std::uint8_t> bytes, const std::string& source = "<memory>") {
        return SafeTensors(std::move(bytes), source);
    }

    /// The file name (or the source given to parse), as error messages name it.
    const std::string& source() const { return source_; }
    /// Size of the JSON header in bytes.
    std::uint64_t header_size() const { return header_size_; }
    /// Every tensor, in the header's order.
    const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
    /// The `__metadata__` map (empty when the file has none).
    const std::map<std::string, std::string>& metadata() const { return header_.metadata; }

    /// Whether the file has a tensor called `name`.
    bool contains(const std::string& name) const { return find(name) != nullptr; }

    /// The tensor called `name`; throws format_error if the file has none.
    const TensorInfo& info(const std::string& name) const {
        if (const TensorInfo* t = find(name)) return *t;
        throw format_error(source_ + ": no tensor '" + name + "'");
    }

    /// Values of tensor `name`, row-major, converted to Scalar; throws format_error if there
    /// is no such tensor or its dtype is not F16, BF16, F32 or F64.
    template <class Scalar>
    std::vector<Scalar> values(const std::string& name) const {
        const TensorInfo& t = info(name);
        if (!is_floating(t.dtype))
            throw format_error(source_ + ": tensor '" + name + "' has dtype " + dtype_name(t.dtype) +
                               "; only F16, BF16, F32 and F64 convert to floating-point values");
        std::vector<Scalar> out(static_cast<std::size_t>(t.element_count()));
        detail::decode_floats(t.dtype, bytes_.data() + data_start_ + t.begin, out.size(), out.data());
        return out;
    }

    /// Tensor `name` as a row-major Eigen tensor of rank Rank; throws format_error if its
    /// rank differs or values<Scalar>(name) would throw.
    template <class Scalar, int Rank>
    Eigen::Tensor<Scalar, Rank, Eigen::RowMajor> tensor(const std::string& name) const {
        const TensorInfo& t = info(name);
        if (t.shape.size() != static_cast<std::size_t>(Rank))
            throw format_error(source_ + ": tensor '" + name + "' has shape " +
                               seattn::detail::format_dims(t.shape, static_cast<int>(t.shape.size())) +
                               ", expected rank " + std::to_string(Rank));
        Eigen::array<Index, Rank> dims;
        for (int i = 0; i < Rank; ++i) dims[i] = t.shape[static_cast<std::size_t>(i)];
        Eigen::Tensor<Scalar, Rank, Eigen::RowMajor> out(dims);
        const std::vector<Scalar> v = values<Scalar>(name);
        std::copy(v.begin(), v.end(), out.data());
        return out;
    }

private:
    SafeTensors(std::vector<std::uint8_t> bytes, std::string source) : source_(std::move(source)), bytes_(std::move(bytes)) {
        const std::uint64_t size = bytes_.size();
        if (size < 8)
            throw format_error(source_ + ": " + std::to_string(size) +
                               " bytes is too short for the 8-byte header length");
        header_size_ = detail::load_le<std::uint64_t>(bytes_.data());
        if (header_size_ > size - 8)
            throw format_error(source_ + ": header length " + std::to_string(header_size_) +
                               " runs past the end of the file (" + std::to_string(size - 8) +
                               " bytes follow the length)");
        if (header_size_ > detail::max_header_bytes)
            throw format_error(source_ + ": header length " + std::to_string(header_size_) + " exceeds the limit of " +
                               std::to_string(detail::max_header_bytes) + " bytes");
        if (header_size_ < 2 || bytes_[8] != '{')
            throw format_error(source_ + ": header must be a JSON object starting with '{'");
        data_start_ = 8 + header_size_;
        const char* header = reinterpret_cast<const char*>(bytes_.data()) + 8;
        header_ = detail::parse_header(header, header + header_size_, size - data_start_, source_);
        for (std::size_t i = 0; i < header_.tensors.size(); ++i) index_.emplace(header_.tensors[i].name, i);
    }

    const TensorInfo* find(const std::string& name) const {
        const auto it = index_.find(name);
        return it == index_.end() ? nullptr : &header_.tensors[it->second];
    }

    std::string source_;
    std::vector<std::uint8_t> bytes_;
    std::uint64_t header_size_ = 0;
    std::uint64_t data_start_ = 0;
    detail::Header header_;
    std::map<std::string, std::size_t> index_;  // name -> position in header_.tensors
};

}  // namespace seattn::io
