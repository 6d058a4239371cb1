// Numerical hostility: NaN, infinities, huge magnitudes and denormals behave as PyTorch's
// IEEE arithmetic does, and the gates never overflow into NaN.

#include <cmath>
#include <limits>
#include <vector>

#include "support.hpp"

namespace {

template <class S>
bool all_finite(const support::T4<S>& t) {
    for (Eigen::Index i = 0; i < t.size(); ++i)
        if (!std::isfinite(t.data()[i])) return false;
    return true;
}

template <class S>
seattn::CBAMConfig small_cbam() {
    seattn::CBAMConfig config;
    config.channel.channels = 4;
    config.channel.reduced = 2;
    config.channel.bias = true;
    config.spatial.kernel = 3;
    return config;
}

}  // namespace

TEMPLATE_TEST_CASE("gates saturate without overflow and propagate NaN", "[numerics]", float, double) {
    using S = TestType;
    const S huge = S(1e30), inf = std::numeric_limits<S>::infinity(), nan = std::numeric_limits<S>::quiet_NaN();
    CHECK(seattn::detail::sigmoid(-huge) == S(0));
    CHECK(seattn::detail::sigmoid(huge) == S(1));
    CHECK(seattn::detail::sigmoid(-inf) == S(0));
    CHECK(seattn::detail::sigmoid(inf) == S(1));
    CHECK(std::isnan(seattn::detail::sigmoid(nan)));
    CHECK(seattn::detail::hardsigmoid(-huge) == S(0));
    CHECK(seattn::detail::hardsigmoid(huge) == S(1));
    CHECK(std::isnan(seattn::detail::hardsigmoid(nan)));
    CHECK(seattn::detail::silu(-huge) == S(0));
    CHECK(seattn::detail::silu(huge) == huge);
    CHECK(std::isnan(seattn::detail::relu(nan)));
    CHECK(std::isnan(seattn::detail::silu(nan)));
    // The blocks gate many values at once through the SIMD version: the same limits, in whole
    // packets and in the last partial one (37 values).
    const S in[5] = {-huge, huge, -inf, inf, nan}, sigmoid_out[5] = {S(0), S(1), S(0), S(1), nan};
    std::vector<S> logits(37), gates(37);
    for (std::size_t i = 0; i < logits.size(); ++i) logits[i] = in[i % 5];
    for (const auto gate : {seattn::Gate::sigmoid, seattn::Gate::hardsigmoid}) {
        seattn::detail::apply_gate(gate, logits.data(), Eigen::Index(logits.size()), gates.data());
        for (std::size_t i = 0; i < gates.size(); ++i) {
            INFO("value " << i << (gate == seattn::Gate::sigmoid ? ", sigmoid" : ", hardsigmoid"));
            if (i % 5 == 4)
                CHECK(std::isnan(gates[i]));
            else
                CHECK(gates[i] == sigmoid_out[i % 5]);
        }
    }
}

TEMPLATE_TEST_CASE("NaN in one sample poisons that sample only, as in PyTorch", "[numerics]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    const seattn::CBAM<S, typename TestType::Layout> cbam(small_cbam<S>(), 1);
    std::mt19937_64 rng(1);
    ref::Tensor4d x = ref::random_tensor(2, 4, 5, 5, rng);
    x(1, 2, 3, 1) = std::numeric_limits<double>::quiet_NaN();
    const auto y = support::from_layout<TestType>(cbam.forward(support::in_layout<TestType>(x)));
    // Sample 0 is untouched; in sample 1 the channel MLP mixes the NaN into every weight.
    for (int c = 0; c < 4; ++c)
        for (int p = 0; p < 25; ++p) {
            CHECK(std::isfinite(y(0, c, p / 5, p % 5)));
            CHECK(std::isnan(y(1, c, p / 5, p % 5)));
        }
}

TEMPLATE_TEST_CASE("a NaN max is not hidden by larger values", "[numerics]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    // Spatial attention only: a NaN at one pixel reaches the channel max there (PyTorch's max
    // propagates NaN) and, through the 3x3 conv, its neighbours; pixels two steps away stay finite.
    // 8 channels fill whole SIMD packets, which NHWC pools a packet of pixels at a time; 3 do not.
    seattn::SpatialConfig config;
    config.kernel = 3;
    const seattn::SpatialAttention<S, typename TestType::Layout> spatial(config, 2);
    for (const int channels : {3, 8}) {
        ref::Tensor4d x(1, channels, 5, 5);
        x.setConstant(1.0);
        x(0, 0, 2, 2) = 100.0;
        x(0, 1, 2, 2) = std::numeric_limits<double>::quiet_NaN();
        const auto y = support::from_layout<TestType>(spatial.forward(support::in_layout<TestType>(x)));
        for (int h = 0; h < 5; ++h)
            for (int w = 0; w < 5; ++w) {
                const bool near = std::abs(h - 2) <= 1 && std::abs(w - 2) <= 1;
                INFO(channels << " channels, pixel " << h << ", " << w);
                CHECK(std::isnan(y(0, 2, h, w)) == near);
            }
    }
}

TEMPLATE_TEST_CASE("huge magnitudes saturate the gates instead of overflowing", "[numerics]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    const seattn::CBAM<S, typename TestType::Layout> cbam(small_cbam<S>(), 3);
    std::mt19937_64 rng(3);
    ref::Tensor4d x = ref::random_tensor(2, 4, 6, 6, rng) * 1e30;
    const auto in = support::in_layout<TestType>(x);
    seattn::Workspace<S> ws;
    support::T4<S> y(in.dimensions());
    cbam.forward(in, y, ws);
    CHECK(all_finite<S>(y));
    for (Eigen::Index i = 0; i < ws.channel_weights().size(); ++i) {
        const S w = ws.channel_weights().data()[i];
        CHECK((w >= S(0) && w <= S(1)));
    }
}

TEMPLATE_TEST_CASE("infinite inputs follow IEEE arithmetic", "[numerics]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    seattn::SEConfig config;
    config.channels = 2;
    config.reduced = 1;
    seattn::SEBlock<S, typename TestType::Layout> se(config);
    const std::vector<S> w1 = {S(1), S(0)}, w2 = {S(1), S(-1)};
    se.set_parameter("fc1.weight", {1, 2}, w1.data());
    se.set_parameter("fc2.weight", {2, 1}, w2.data());
    // Channel 0 holds +inf: z0 = inf, h = inf, logits [inf, -inf], weights exactly [1, 0].
    ref::Tensor4d x(1, 2, 2, 2);
    x.setConstant(2.0);
    x(0, 0, 1, 1) = std::numeric_limits<double>::infinity();
    seattn::Workspace<S> ws;
    auto in = support::in_layout<TestType>(x);
    support::T4<S> y(in.dimensions());
    se.forward(in, y, ws);
    CHECK(ws.channel_weights()(0, 0) == S(1));
    CHECK(ws.channel_weights()(0, 1) == S(0));
    const auto out = support::from_layout<TestType>(y);
    CHECK(out(0, 0, 0, 0) == 2.0);
    CHECK(std::isinf(out(0, 0, 1, 1)));
    CHECK(out(0, 1, 0, 0) == 0.0);
}

TEMPLATE_TEST_CASE("denormal inputs give the reference's result", "[numerics]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    seattn::CBAMConfig config = small_cbam<S>();
    const seattn::CBAM<S, typename TestType::Layout> cbam(config, 4);
    std::mt19937_64 rng(4);
    const double tiny = double(std::numeric_limits<S>::denorm_min()) * 64;
    ref::Tensor4d x = ref::random_tensor(1, 4, 4, 4, rng).unaryExpr([tiny](double v) { return double(S(v * tiny)); });
    REQUIRE(std::fpclassify(S(x(0, 0, 0, 0))) == FP_SUBNORMAL);
    const ref::Mlp m = support::reference_mlp(cbam, "channel.", 4, 2);
    const ref::Spatial r = support::reference_spatial(cbam, "spatial.", 3);
    const auto channel_scaled = ref::scale(x, ref::channel_weights(x, m, true), {});
    const auto expected = ref::scale(channel_scaled, {}, ref::spatial_map(channel_scaled, r));
    const auto y = support::from_layout<TestType>(cbam.forward(support::in_layout<TestType>(x)));
    // Subnormals carry an absolute precision of denorm_min, so allow a few of those per
    // product; flushing to zero would miss by about `tiny`, far more.
    const double ulp = double(std::numeric_limits<S>::denorm_min());
    int nonzero = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) {
        CHECK(std::abs(y.data()[i] - expected.data()[i]) <= 4 * ulp + 1e-5 * std::abs(expected.data()[i]));
        nonzero += y.data()[i] != 0;
    }
    CHECK(nonzero > y.size() / 2);
}

TEST_CASE("sizes past 32 bits are indexed in 64 bits, and 64-bit overflow is refused", "[numerics][sizes]") {
    const seattn::SEBlock<float, seattn::NCHW> se([] {
        seattn::SEConfig c;
        c.channels = 4;
        c.reduced = 1;
        return c;
    }());
    // No data is read: the shape is checked before any access.
    Eigen::TensorMap<seattn::Tensor4<float>> big(static_cast<float*>(nullptr), 1, 3, 65536, 65536);
    REQUIRE_THROWS_WITH(se.forward(big, big), Catch::Matchers::Contains("expected 4 channels, got 3") &&
                                                  Catch::Matchers::Contains("H=65536, W=65536"));
    const Eigen::Index half = Eigen::Index(1) << 32;
    Eigen::TensorMap<seattn::Tensor4<float>> overflowing(static_cast<float*>(nullptr), half, 4, half, 1);
    REQUIRE_THROWS_AS(se.forward(overflowing, overflowing), seattn::shape_error);
    REQUIRE_THROWS_WITH(se.forward(overflowing, overflowing), Catch::Matchers::Contains("overflows a 64-bit index"));
}
