// The design document's worked example, step by step: a 4x4x3 (H x W x C) map through an SE
// block with W1 = [0.2, 0.4, 0.1] and W2 = [0.5, 1.0, -0.5]^T.

#include <iomanip>
#include <iostream>
#include <vector>

#include <seattn/seattn.hpp>

int main() {
    const float channel_means[3] = {2.0f, 0.5f, 1.0f};
    seattn::Tensor3<float> x(4, 4, 3);  // H, W, C
    for (int h = 0; h < 4; ++h)
        for (int w = 0; w < 4; ++w)
            for (int c = 0; c < 3; ++c)
                // Each channel varies over the map but keeps the document's mean.
                x(h, w, c) = channel_means[c] + 0.25f * float(h - w);

    seattn::SEConfig config;
    config.channels = 3;
    config.reduced = 1;
    seattn::SEBlock<float, seattn::NHWC> se(config);
    const std::vector<float> w1 = {0.2f, 0.4f, 0.1f}, w2 = {0.5f, 1.0f, -0.5f};
    se.set_parameter("fc1.weight", {1, 3}, w1.data());
    se.set_parameter("fc2.weight", {3, 1}, w2.data());

    seattn::Workspace<float> ws;
    seattn::Tensor3<float> y(x.dimensions());
    se.forward(x, y, ws);

    auto print = [](const char* label, auto values, int count) {
        std::cout << std::left << std::setw(34) << label << "[";
        for (int i = 0; i < count; ++i) std::cout << (i ? ", " : "") << values(i);
        std::cout << "]\n";
    };
    std::cout << std::fixed << std::setprecision(4);
    print("squeeze  z = mean over H, W", [&](int c) { return ws.channel_means()(0, c); }, 3);
    print("hidden   h = relu(W1 z)", [&](int i) { return ws.excitation_hidden()(0, i); }, 1);
    print("pre-gate   = W2 h", [&](int c) { return ws.channel_logits()(0, c); }, 3);
    print("weights  s = sigmoid(W2 h)", [&](int c) { return ws.channel_weights()(0, c); }, 3);
    print("scaled means = mean of x * s", [&](int c) {
        float sum = 0;
        for (int h = 0; h < 4; ++h)
            for (int w = 0; w < 4; ++w) sum += y(h, w, c);
        return sum / 16;
    }, 3);
    std::cout << "design document: h = 0.7, pre-gate [0.35, 0.7, -0.35], weights [0.586, 0.668, 0.413],\n"
                 "                 scaled means [1.17, 0.33, 0.41]\n";
}
