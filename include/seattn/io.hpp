#pragma once
/// @file io.hpp
/// Umbrella header of seattn/io (link seattn::io, which needs nlohmann-json): safetensors
/// files, PyTorch state dicts and block configurations.

#include "any_block.hpp"
#include "io/block_config.hpp"
#include "io/load_block.hpp"
#include "io/safetensors.hpp"
#include "io/state_dict.hpp"
