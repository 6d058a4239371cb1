#pragma once
// Building safetensors files byte by byte in tests, well-formed or not.

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace support {

/// An 8-byte little-endian `length`, then `header`, then `data`.
inline std::vector<std::uint8_t> safetensors_bytes(std::uint64_t length, const std::string& header,
                                                   const std::vector<std::uint8_t>& data = {}) {
    std::vector<std::uint8_t> bytes;
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
}

/// A file whose length field is the header's true length.
inline std::vector<std::uint8_t> safetensors_bytes(const std::string& header, const std::vector<std::uint8_t>& data = {}) {
    return safetensors_bytes(header.size(), header, data);
}

/// Reads a whole file (e.g. a golden case) into memory.
inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

/// Writes `bytes` to `path`.
inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace support
