// SE and spatial attention side by side on a small 3x3x3 feature map: which channels and
// which pixels each block keeps, as numbers and as text heatmaps.

#include <iomanip>
#include <iostream>
#include <algorithm>
#include <string>
#include <vector>

#include <seattn/seattn.hpp>

namespace {

/// One character per value in [0, 1], darker for more attention.
char shade(float v) {
    const std::string ramp = " .:-=+*#%@";
    const int i = static_cast<int>(v * float(ramp.size() - 1) + 0.5f);
    return ramp[static_cast<std::size_t>(std::clamp(i, 0, int(ramp.size()) - 1))];
}

void print_map(const char* title, const seattn::Tensor3<float>& channel_first) {
    std::cout << title << "\n";
    for (int c = 0; c < channel_first.dimension(0); ++c) {
        std::cout << "  c" << c << ":";
        for (int h = 0; h < 3; ++h) {
            std::cout << "  ";
            for (int w = 0; w < 3; ++w) std::cout << std::setw(6) << channel_first(c, h, w);
        }
        std::cout << "\n";
    }
}

}  // namespace

int main() {
    // Channel 0 is a bright blob in the centre, channel 1 a weak gradient, channel 2 noise-like.
    seattn::Tensor3<float> x(3, 3, 3);  // C, H, W
    x.setValues({{{0.1f, 0.5f, 0.1f}, {0.5f, 3.0f, 0.5f}, {0.1f, 0.5f, 0.1f}},
                 {{0.0f, 0.1f, 0.2f}, {0.1f, 0.2f, 0.3f}, {0.2f, 0.3f, 0.4f}},
                 {{0.4f, -0.3f, 0.2f}, {-0.1f, 0.3f, -0.4f}, {0.3f, -0.2f, 0.1f}}});

    // Hand-set weights so the attention is easy to read: SE favours channels with a large
    // mean (logit = 2 * relu(2 z) - 1); the spatial conv adds a pixel's channel mean and max
    // and a little of its neighbours' mean (logit = mean + max + 0.1 * neighbours - 1.5).
    seattn::SEConfig se_config;
    se_config.channels = 3;
    se_config.reduced = 3;
    se_config.bias = true;
    seattn::SEBlock<float, seattn::NCHW> se(se_config);
    const std::vector<float> w1 = {2, 0, 0, 0, 2, 0, 0, 0, 2}, b1 = {0, 0, 0};
    const std::vector<float> w2 = {2, 0, 0, 0, 2, 0, 0, 0, 2}, b2 = {-1, -1, -1};
    se.set_parameter("fc1.weight", {3, 3}, w1.data());
    se.set_parameter("fc1.bias", {3}, b1.data());
    se.set_parameter("fc2.weight", {3, 3}, w2.data());
    se.set_parameter("fc2.bias", {3}, b2.data());

    seattn::SpatialConfig spatial_config;
    spatial_config.kernel = 3;
    spatial_config.bias = true;
    seattn::SpatialAttention<float, seattn::NCHW> spatial(spatial_config);
    std::vector<float> conv(18, 0.1f);  // [mean map 3x3, max map 3x3]
    conv[4] = 1.0f;
    std::fill(conv.begin() + 9, conv.end(), 0.0f);
    conv[9 + 4] = 1.0f;
    const float conv_bias = -1.5f;
    spatial.set_parameter("conv.weight", {1, 2, 3, 3}, conv.data());
    spatial.set_parameter("conv.bias", {1}, &conv_bias);

    std::cout << std::fixed << std::setprecision(2);
    print_map("input x (C x H x W):", x);

    const auto channel_weights = se.channel_weights(x);
    std::cout << "\nSE channel weights:   ";
    for (int c = 0; c < 3; ++c) std::cout << " c" << c << " " << channel_weights(0, c) << " [" << shade(channel_weights(0, c)) << "]";
    std::cout << "\n";
    print_map("SE output (each channel scaled by its weight):", se.forward(x));

    const auto map = spatial.spatial_map(x);
    std::cout << "\nspatial map (H x W)     heatmap\n";
    for (int h = 0; h < 3; ++h) {
        std::cout << " ";
        for (int w = 0; w < 3; ++w) std::cout << std::setw(6) << map(0, h, w);
        std::cout << "     ";
        for (int w = 0; w < 3; ++w) std::cout << shade(map(0, h, w)) << shade(map(0, h, w));
        std::cout << "\n";
    }
    print_map("spatial output (each pixel scaled by the map):", spatial.forward(x));
}
