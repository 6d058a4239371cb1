#pragma once
/// @file tensor_info.hpp
/// What a safetensors header says about one tensor.

#include <cstdint>
#include <string>
#include <vector>

#include "../layout.hpp"
#include "dtype.hpp"

namespace seattn::io {

/// One tensor of a safetensors file, as validated from its header.
struct TensorInfo {
    std::string name;          ///< the tensor's key, e.g. "fc1.weight"
    DType dtype = DType::F32;  ///< element type in the file
    std::vector<Index> shape;  ///< dimensions, row-major (PyTorch's order)
    std::uint64_t begin = 0;   ///< first byte, relative to the data section
    std::uint64_t end = 0;     ///< one past the last byte, relative to the data section

    /// Number of elements: the product of shape (1 for a scalar).
    Index element_count() const {
        Index count = 1;
        for (Index d : shape) count *= d;
        return count;
    }
};

}  // namespace seattn::io
