#pragma once
// The blocks written with libtorch ops, behind an interface free of Torch types so that only
// torch_blocks.cpp sees Torch's headers and compile flags.

#include <memory>
#include <string>

namespace torch_blocks {

/// One block on one random input, ready to be run repeatedly.
class Runner {
public:
    virtual ~Runner() = default;
    /// Computes the block's output for the input (a new tensor, as libtorch code does).
    virtual void run() = 0;
};

/// Block "se", "spatial" or "cbam" (reduction 16, kernel 7) on a random float input of
/// N x C x H x W, stored NHWC (channels_last) when `nhwc`; sets libtorch to `threads` threads.
std::unique_ptr<Runner> make_runner(const std::string& block, bool nhwc, long n, long c, long h, long w,
                                    int threads);

}  // namespace torch_blocks
