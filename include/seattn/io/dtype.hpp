#pragma once
/// @file dtype.hpp
/// The element types of the safetensors format, their names and sizes.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace seattn::io {

/// Element type of a safetensors tensor, named as in the format's header.
enum class DType { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

namespace detail {

struct DTypeInfo {
    DType dtype;
    std::string_view name;
    std::size_t size;  // bytes per element
};

inline constexpr std::array<DTypeInfo, 15> dtype_table{{
    {DType::BOOL, "BOOL", 1}, {DType::U8, "U8", 1},   {DType::I8, "I8", 1},     {DType::F8_E5M2, "F8_E5M2", 1},
    {DType::F8_E4M3, "F8_E4M3", 1}, {DType::I16, "I16", 2}, {DType::U16, "U16", 2}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4}, {DType::U32, "U32", 4}, {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},   {DType::I64, "I64", 8}, {DType::U64, "U64", 8},
}};

}  // namespace detail

/// The header's name of `dtype`, e.g. "F32".
inline std::string dtype_name(DType dtype) {
    for (const auto& info : detail::dtype_table)
        if (info.dtype == dtype) return std::string(info.name);
    return "?";
}

/// Bytes per element of `dtype`.
inline std::size_t dtype_size(DType dtype) {
    for (const auto& info : detail::dtype_table)
        if (info.dtype == dtype) return info.size;
    return 0;
}

/// The dtype a header names, or nothing for a name the format does not define.
inline std::optional<DType> parse_dtype(std::string_view name) {
    for (const auto& info : detail::dtype_table)
        if (info.name == name) return info.dtype;
    return std::nullopt;
}

/// Whether values of `dtype` convert to float / double (F16, BF16, F32, F64).
inline bool is_floating(DType dtype) {
    return dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F32 || dtype == DType::F64;
}

}  // namespace seattn::io
