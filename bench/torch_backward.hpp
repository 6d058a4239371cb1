#pragma once
// The blocks' backward passes through libtorch autograd, behind an interface free of Torch
// types so that only torch_backward.cpp sees Torch's headers and compile flags.

#include <memory>
#include <string>

namespace torch_backward {

/// One block's autograd graph on one random input, kept so its backward can be rerun.
class Runner {
public:
    virtual ~Runner() = default;
    /// dL/dx and dL/d(every parameter) for a fixed random dL/dy (the graph is retained).
    virtual void run() = 0;
};

/// Block "se", "spatial" or "cbam" (reduction 16, kernel 7, as the forward benchmarks) on
/// a random float input of N x C x H x W, stored NHWC (channels_last) when `nhwc`; sets
/// libtorch to `threads` threads.
std::unique_ptr<Runner> make_runner(const std::string& block, bool nhwc, long n, long c, long h, long w, int threads);

}  // namespace torch_backward
