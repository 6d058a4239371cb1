#pragma once
/// @file seattn.hpp
/// Umbrella header: Squeeze-and-Excitation, spatial attention and CBAM blocks on Eigen tensors.

#include "errors.hpp"
#include "layout.hpp"
#include "config.hpp"
#include "workspace.hpp"
#include "gradients.hpp"
#include "training_workspace.hpp"
#include "se_block.hpp"
#include "spatial_attention.hpp"
#include "cbam.hpp"
#include "version.hpp"
