// SE, spatial attention and CBAM as a libtorch user writes them (inference mode, float).

#include "torch_blocks.hpp"

#include <stdexcept>

#include <torch/torch.h>

namespace torch_blocks {
namespace {

torch::Tensor channel_weights(const torch::Tensor& x, const torch::Tensor& fc1, const torch::Tensor& fc2,
                              bool with_max) {
    auto mlp = [&](const torch::Tensor& pooled) { return torch::linear(torch::relu(torch::linear(pooled, fc1)), fc2); };
    torch::Tensor logits = mlp(x.mean({2, 3}));
    if (with_max) logits = logits + mlp(x.amax({2, 3}));
    return torch::sigmoid(logits).view({x.size(0), x.size(1), 1, 1});
}

torch::Tensor spatial_map(const torch::Tensor& x, const torch::Tensor& conv) {
    const torch::Tensor pooled = torch::cat({x.mean(1, true), x.amax(1, true)}, 1);
    return torch::sigmoid(torch::conv2d(pooled, conv, {}, 1, conv.size(2) / 2));
}

class BlockRunner : public Runner {
public:
    BlockRunner(const std::string& block, bool nhwc, long n, long c, long h, long w) : block_(block) {
        if (block != "se" && block != "spatial" && block != "cbam") throw std::invalid_argument("unknown block " + block);
        torch::manual_seed(0);
        x_ = torch::randn({n, c, h, w});
        if (nhwc) x_ = x_.contiguous(torch::MemoryFormat::ChannelsLast);
        const long reduced = c / 16;
        fc1_ = torch::randn({reduced, c}) / std::sqrt(double(c));
        fc2_ = torch::randn({c, reduced}) / std::sqrt(double(reduced));
        conv_ = torch::randn({1, 2, 7, 7}) / 7.0;
    }

    void run() override {
        c10::InferenceMode inference;
        if (block_ == "se")
            y_ = x_ * channel_weights(x_, fc1_, fc2_, false);
        else if (block_ == "spatial")
            y_ = x_ * spatial_map(x_, conv_);
        else {
            const torch::Tensor scaled = x_ * channel_weights(x_, fc1_, fc2_, true);
            y_ = scaled * spatial_map(scaled, conv_);
        }
    }

private:
    std::string block_;
    torch::Tensor x_, y_, fc1_, fc2_, conv_;
};

}  // namespace

std::unique_ptr<Runner> make_runner(const std::string& block, bool nhwc, long n, long c, long h, long w,
                                    int threads) {
    torch::set_num_threads(threads);
    return std::make_unique<BlockRunner>(block, nhwc, n, c, h, w);
}

}  // namespace torch_blocks
