#pragma once
/// @file version.hpp
/// Library version.

#define SEATTN_VERSION_MAJOR 0
#define SEATTN_VERSION_MINOR 1
#define SEATTN_VERSION_PATCH 0

namespace seattn {
/// "0.1.0"
inline constexpr const char* version = "0.1.0";
}  // namespace seattn
