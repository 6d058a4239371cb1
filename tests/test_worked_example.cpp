// The design document's worked example (../shared/golden/README.md): a 4x4x3 map with channel
// means z = [2.0, 0.5, 1.0], W1 = [0.2, 0.4, 0.1], W2 = [0.5, 1.0, -0.5]^T. The document gives
// h = 0.7, pre-gate [0.35, 0.7, -0.35], weights [0.586, 0.668, 0.413] and scaled means
// [1.17, 0.33, 0.41], each cut (not rounded) after the digits shown.

#include <cmath>

#include "support.hpp"

namespace {

/// The value's first `digits` decimals, cut as the document writes them.
double cut(double v, int digits) {
    const double f = std::pow(10.0, digits);
    return std::trunc(v * f) / f;
}

/// 4x4x3 map (NCHW) whose channels vary over the pixels but average to z.
support::T4<double> worked_input() {
    const double z[3] = {2.0, 0.5, 1.0};
    support::T4<double> x(1, 3, 4, 4);
    for (int c = 0; c < 3; ++c)
        for (int h = 0; h < 4; ++h)
            for (int w = 0; w < 4; ++w) x(0, c, h, w) = z[c] + 0.25 * (h - 1.5) - 0.125 * (w - 1.5) * (c + 1);
    return x;
}

}  // namespace

TEMPLATE_TEST_CASE("worked example reproduces the design document", "[se][worked]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    seattn::SEConfig config;
    config.channels = 3;
    config.reduced = 1;
    seattn::SEBlock<S, L> se(config);
    se.set_parameter("fc1.weight", {1, 3}, std::vector<S>{S(0.2), S(0.4), S(0.1)}.data());
    se.set_parameter("fc2.weight", {3, 1}, std::vector<S>{S(0.5), S(1.0), S(-0.5)}.data());

    const auto x = support::in_layout<TestType>(worked_input());
    seattn::Tensor4<S> y(x.dimensions());
    seattn::Workspace<S> ws;
    se.forward(x, y, ws);

    const double z[3] = {2.0, 0.5, 1.0}, pre_gate[3] = {0.35, 0.7, -0.35};
    const double weights[3] = {0.586, 0.668, 0.413}, scaled_means[3] = {1.17, 0.33, 0.41};
    CHECK(ws.excitation_hidden()(0, 0) == Approx(0.7).epsilon(1e-6));
    const auto y_nchw = support::from_layout<TestType>(y);
    for (int c = 0; c < 3; ++c) {
        INFO("channel " << c);
        CHECK(ws.channel_means()(0, c) == Approx(z[c]).epsilon(1e-6));
        CHECK(ws.channel_logits()(0, c) == Approx(pre_gate[c]).epsilon(1e-6));
        CHECK(cut(ws.channel_weights()(0, c), 3) == Approx(weights[c]).margin(1e-9));
        double mean = 0;
        for (int p = 0; p < 16; ++p) mean += y_nchw(0, c, p / 4, p % 4) / 16;
        CHECK(cut(mean, 2) == Approx(scaled_means[c]).margin(1e-9));
    }
}

TEMPLATE_TEST_CASE("worked example on a single H x W x C image", "[se][worked]", float, double) {
    seattn::SEConfig config;
    config.channels = 3;
    config.reduced = 1;
    seattn::SEBlock<TestType, seattn::NHWC> se(config);
    se.set_parameter("fc1.weight", {1, 3}, std::vector<TestType>{TestType(0.2), TestType(0.4), TestType(0.1)}.data());
    se.set_parameter("fc2.weight", {3, 1}, std::vector<TestType>{TestType(0.5), TestType(1.0), TestType(-0.5)}.data());
    const support::T4<TestType> batch = support::to_nhwc(support::T4<TestType>(worked_input().cast<TestType>()));
    Eigen::TensorMap<const Eigen::Tensor<TestType, 3, Eigen::RowMajor>> image(batch.data(), 4, 4, 3);
    const auto weights = se.channel_weights(image);
    REQUIRE(weights.dimension(0) == 1);
    REQUIRE(weights.dimension(1) == 3);
    CHECK(weights(0, 0) == Approx(1.0 / (1.0 + std::exp(-0.35))).epsilon(1e-6));
    CHECK(weights(0, 1) == Approx(1.0 / (1.0 + std::exp(-0.7))).epsilon(1e-6));
    CHECK(weights(0, 2) == Approx(1.0 / (1.0 + std::exp(0.35))).epsilon(1e-6));
}
