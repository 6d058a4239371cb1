#pragma once
// Where the PyTorch golden cases are: $SEATTN_GOLDEN_DIR, else the directory CMake passes as
// SEATTN_GOLDEN_DIR_DEFAULT (../shared/golden next to the project).

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace support {

/// The golden directory this run reads.
inline std::string golden_dir() {
    if (const char* dir = std::getenv("SEATTN_GOLDEN_DIR")) return dir;
    return SEATTN_GOLDEN_DIR_DEFAULT;
}

/// Every *.safetensors file in the golden directory, sorted; empty if there is none.
inline std::vector<std::string> golden_files() {
    std::vector<std::string> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(golden_dir(), error))
        if (entry.path().extension() == ".safetensors") files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace support
