// SpatialAttention against a case worked by hand and against the independent reference.

#include <cmath>
#include <random>

#include "support.hpp"

namespace {

struct SpatialOptions {
    int k;
    bool bias, max_first, batchnorm, hardsigmoid;
};

template <class S, class L>
std::pair<seattn::SpatialAttention<S, L>, ref::Spatial> make_spatial(const SpatialOptions& o, std::mt19937_64& rng) {
    seattn::SpatialConfig config;
    config.kernel = o.k;
    config.bias = o.bias;
    config.channel_pool = o.max_first ? seattn::ChannelPoolOrder::max_avg : seattn::ChannelPoolOrder::avg_max;
    config.batchnorm = o.batchnorm;
    config.bn_eps = 1e-3;
    config.gate = o.hardsigmoid ? seattn::Gate::hardsigmoid : seattn::Gate::sigmoid;
    seattn::SpatialAttention<S, L> block(config);
    ref::Spatial r;
    r.k = o.k, r.max_first = o.max_first, r.batchnorm = o.batchnorm, r.hardsigmoid = o.hardsigmoid, r.bn_eps = 1e-3;
    r.weight = ref::uniform(std::size_t(2 * o.k * o.k), 1.0, rng);
    for (double& v : r.weight) v = double(S(v));
    block.set_parameter("conv.weight", {1, 2, o.k, o.k}, support::cast<S>(r.weight).data());
    auto set_scalar = [&](const char* name, double& field, double value) {
        field = double(S(value));
        const S v = S(value);
        block.set_parameter(name, {1}, &v);
    };
    if (o.bias) set_scalar("conv.bias", r.bias, 0.3);
    if (o.batchnorm) {
        set_scalar("bn.weight", r.bn_weight, 1.7);
        set_scalar("bn.bias", r.bn_bias, -0.4);
        set_scalar("bn.running_mean", r.bn_mean, 0.25);
        set_scalar("bn.running_var", r.bn_var, 2.5);
    }
    return {std::move(block), r};
}

}  // namespace

TEMPLATE_TEST_CASE("spatial attention on a 2x2 map worked by hand", "[spatial]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    // Channels [[1, 2], [3, 4]] and [[3, 0], [-1, 2]]: mean [[2, 1], [1, 3]], max [[3, 2], [3, 4]].
    // The 3x3 kernel passes the mean through its centre and takes 0.5 * the max of the right
    // neighbour (zero padding past the edge); bias -2. Logits [[2 + 1 - 2, 1 + 0 - 2],
    // [1 + 2 - 2, 3 + 0 - 2]] = [[1, -1], [1, 1]].
    ref::Tensor4d x(1, 2, 2, 2);
    x.setValues({{{{1, 2}, {3, 4}}, {{3, 0}, {-1, 2}}}});
    seattn::SpatialConfig config;
    config.kernel = 3;
    config.bias = true;
    seattn::SpatialAttention<S, typename TestType::Layout> block(config);
    std::vector<S> weight(18, S(0));
    weight[4] = S(1);         // mean map, centre tap
    weight[9 + 5] = S(0.5);   // max map, row 1, column 2: the right neighbour
    block.set_parameter("conv.weight", {1, 2, 3, 3}, weight.data());
    const S bias = S(-2);
    block.set_parameter("conv.bias", {1}, &bias);

    const double s1 = 1 / (1 + std::exp(-1.0)), s_1 = 1 / (1 + std::exp(1.0));
    const double map[2][2] = {{s1, s_1}, {s1, s1}};
    const auto input = support::in_layout<TestType>(x);
    const auto y = support::from_layout<TestType>(block.forward(input));
    const auto attention = block.spatial_map(input);
    for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 2; ++w) {
            CHECK(attention(0, h, w) == Approx(map[h][w]).epsilon(1e-6));
            for (int c = 0; c < 2; ++c) CHECK(y(0, c, h, w) == Approx(x(0, c, h, w) * map[h][w]).epsilon(1e-6));
        }
}

TEMPLATE_TEST_CASE("spatial attention on a 1x1 map uses only the kernel's centre", "[spatial]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    ref::Tensor4d x(2, 3, 1, 1);
    x.setValues({{{{0.5}}, {{-1.0}}, {{2.0}}}, {{{-3.0}}, {{-2.0}}, {{-4.0}}}});
    seattn::SpatialAttention<S, typename TestType::Layout> block(seattn::SpatialConfig{});
    std::vector<S> weight(2 * 49, S(7));  // every tap but the centres falls on padding
    weight[24] = S(0.8), weight[49 + 24] = S(-0.3);
    block.set_parameter("conv.weight", {1, 2, 7, 7}, weight.data());
    const auto y = support::from_layout<TestType>(block.forward(support::in_layout<TestType>(x)));
    const double means[2] = {0.5, -3.0}, maxes[2] = {2.0, -2.0};
    for (int n = 0; n < 2; ++n) {
        const double gate = 1 / (1 + std::exp(-(0.8 * means[n] - 0.3 * maxes[n])));
        for (int c = 0; c < 3; ++c) CHECK(y(n, c, 0, 0) == Approx(x(n, c, 0, 0) * gate).epsilon(1e-6));
    }
}

TEMPLATE_TEST_CASE("spatial attention matches the reference for every option", "[spatial]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    std::mt19937_64 rng(5);
    const int shapes[][2] = {{6, 5}, {2, 3}, {1, 1}, {9, 7}};  // (2, 3) and (1, 1) are smaller than k = 7
    for (int k : {1, 3, 5, 7})
        for (int mask = 0; mask < 16; ++mask)
            for (const auto& hw : shapes) {
                const SpatialOptions o{k, bool(mask & 1), bool(mask & 2), bool(mask & 4), bool(mask & 8)};
                INFO("k " << k << " bias " << o.bias << " max_first " << o.max_first << " bn " << o.batchnorm
                          << " hardsigmoid " << o.hardsigmoid << " map " << hw[0] << "x" << hw[1]);
                auto [block, r] = make_spatial<S, typename TestType::Layout>(o, rng);
                ref::Tensor4d x = ref::random_tensor(2, 4, hw[0], hw[1], rng);
                x = x.unaryExpr([](double v) { return double(S(v)); });
                const auto expected = ref::scale(x, {}, ref::spatial_map(x, r));
                const auto y = block.forward(support::in_layout<TestType>(x));
                support::require_close(support::from_layout<TestType>(y), expected, support::tolerance<S>());
            }
}

TEST_CASE("spatial attention default initialisation follows PyTorch's distribution", "[spatial][init]") {
    seattn::SpatialConfig config;
    config.bias = true;
    config.batchnorm = true;
    const seattn::SpatialAttention<double, seattn::NCHW> a(config, 3), b(config, 3);
    CHECK(a.parameter("conv.weight") == b.parameter("conv.weight"));
    const double bound = 1 / std::sqrt(98.0);  // Conv2d(2, 1, 7): fan_in 2 * 7 * 7
    for (double v : a.parameter("conv.weight")) REQUIRE(std::abs(v) <= bound);
    CHECK(std::abs(a.parameter("conv.bias")[0]) <= bound);
    CHECK(a.parameter("bn.weight") == std::vector<double>{1});
    CHECK(a.parameter("bn.bias") == std::vector<double>{0});
    CHECK(a.parameter("bn.running_mean") == std::vector<double>{0});
    CHECK(a.parameter("bn.running_var") == std::vector<double>{1});
}
