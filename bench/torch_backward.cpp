// Backward of SE, spatial attention and CBAM as a libtorch user gets it: autograd through
// the same ops as the forward benchmarks (mean / amax pooling, linear, conv2d, sigmoid).

#include "torch_backward.hpp"

#include <stdexcept>
#include <vector>

#include <torch/torch.h>

namespace torch_backward {
namespace {

class AutogradRunner : public Runner {
public:
    AutogradRunner(const std::string& block, bool nhwc, long n, long c, long h, long w) {
        if (block != "se" && block != "spatial" && block != "cbam") throw std::invalid_argument("unknown block " + block);
        torch::manual_seed(0);
        torch::Tensor x = torch::randn({n, c, h, w});
        if (nhwc) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
        x.requires_grad_(true);
        const long reduced = c / 16;
        torch::Tensor fc1 = (torch::randn({reduced, c}) / std::sqrt(double(c))).requires_grad_(true);
        torch::Tensor fc2 = (torch::randn({c, reduced}) / std::sqrt(double(reduced))).requires_grad_(true);
        torch::Tensor conv = (torch::randn({1, 2, 7, 7}) / 7.0).requires_grad_(true);

        auto channel_weights = [&](const torch::Tensor& in, bool with_max) {
            auto mlp = [&](const torch::Tensor& pooled) { return torch::linear(torch::relu(torch::linear(pooled, fc1)), fc2); };
            torch::Tensor logits = mlp(in.mean({2, 3}));
            if (with_max) logits = logits + mlp(in.amax({2, 3}));
            return torch::sigmoid(logits).view({in.size(0), in.size(1), 1, 1});
        };
        auto spatial_map = [&](const torch::Tensor& in) {
            const torch::Tensor pooled = torch::cat({in.mean(1, true), in.amax(1, true)}, 1);
            return torch::sigmoid(torch::conv2d(pooled, conv, {}, 1, 3));
        };
        inputs_ = {x};
        if (block == "se") {
            y_ = x * channel_weights(x, false);
            inputs_.insert(inputs_.end(), {fc1, fc2});
        } else if (block == "spatial") {
            y_ = x * spatial_map(x);
            inputs_.push_back(conv);
        } else {
            const torch::Tensor scaled = x * channel_weights(x, true);
            y_ = scaled * spatial_map(scaled);
            inputs_.insert(inputs_.end(), {fc1, fc2, conv});
        }
        grad_y_ = torch::randn_like(y_);
    }

    void run() override {
        grads_ = torch::autograd::grad({y_}, inputs_, {grad_y_}, /*retain_graph=*/true);
    }

private:
    torch::Tensor y_, grad_y_;
    std::vector<torch::Tensor> inputs_, grads_;
};

}  // namespace

std::unique_ptr<Runner> make_runner(const std::string& block, bool nhwc, long n, long c, long h, long w, int threads) {
    torch::set_num_threads(threads);
    return std::make_unique<AutogradRunner>(block, nhwc, n, c, h, w);
}

}  // namespace torch_backward
