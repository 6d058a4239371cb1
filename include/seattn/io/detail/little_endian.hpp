#pragma once
// Decoding and encoding the format's little-endian numbers byte by byte, so that the result
// does not depend on the host's byte order or on the alignment of the buffer.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <Eigen/Core>

#include "../dtype.hpp"

namespace seattn::io::detail {

template <class UInt>
UInt load_le(const std::uint8_t* bytes) {
    UInt value = 0;
    for (std::size_t i = 0; i < sizeof(UInt); ++i) value |= static_cast<UInt>(bytes[i]) << (8 * i);
    return value;
}

template <class UInt>
void store_le(UInt value, std::uint8_t* bytes) {
    for (std::size_t i = 0; i < sizeof(UInt); ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

template <class To, class From>
To bit_cast(From from) {
    static_assert(sizeof(To) == sizeof(From), "bit_cast between types of one size");
    To to;
    std::memcpy(&to, &from, sizeof(To));
    return to;
}

template <class Scalar, class Decode>
void decode_each(const std::uint8_t* bytes, std::size_t count, std::size_t size, Scalar* out, Decode decode) {
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<Scalar>(decode(bytes + i * size));
}

/// Converts `count` elements of floating dtype (F16, BF16, F32, F64) at `bytes` to Scalar.
template <class Scalar>
void decode_floats(DType dtype, const std::uint8_t* bytes, std::size_t count, Scalar* out) {
    const std::size_t size = dtype_size(dtype);
    switch (dtype) {
        case DType::F16:
            return decode_each(bytes, count, size, out, [](const std::uint8_t* p) {
                return static_cast<float>(Eigen::half(Eigen::half_impl::raw_uint16_to_half(load_le<std::uint16_t>(p))));
            });
        case DType::BF16:
            return decode_each(bytes, count, size, out, [](const std::uint8_t* p) {
                return static_cast<float>(
                    Eigen::bfloat16(Eigen::bfloat16_impl::raw_uint16_to_bfloat16(load_le<std::uint16_t>(p))));
            });
        case DType::F32:
            return decode_each(bytes, count, size, out,
                               [](const std::uint8_t* p) { return bit_cast<float>(load_le<std::uint32_t>(p)); });
        case DType::F64:
            return decode_each(bytes, count, size, out,
                               [](const std::uint8_t* p) { return bit_cast<double>(load_le<std::uint64_t>(p)); });
        default:
            return;
    }
}

/// Writes `count` values as little-endian F32 or F64 (by Scalar) to `out`.
template <class Scalar>
void encode_floats(const Scalar* values, std::size_t count, std::uint8_t* out) {
    using UInt = std::conditional_t<sizeof(Scalar) == 4, std::uint32_t, std::uint64_t>;
    for (std::size_t i = 0; i < count; ++i) store_le(bit_cast<UInt>(values[i]), out + i * sizeof(Scalar));
}

}  // namespace seattn::io::detail
