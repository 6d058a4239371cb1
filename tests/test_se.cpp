// SEBlock against the independent reference, across options, layouts and scalar types.

#include <cmath>
#include <random>

#include "support.hpp"

namespace {

struct SeOptions {
    bool bias, silu, hardsigmoid, with_max;
    int channels, reduced;
};

/// An SE block and the reference MLP holding the same random weights.
template <class S, class L>
std::pair<seattn::SEBlock<S, L>, ref::Mlp> make_se(const SeOptions& o, std::mt19937_64& rng) {
    seattn::SEConfig config;
    config.channels = o.channels;
    config.reduced = o.reduced;
    config.bias = o.bias;
    config.activation = o.silu ? seattn::Activation::silu : seattn::Activation::relu;
    config.gate = o.hardsigmoid ? seattn::Gate::hardsigmoid : seattn::Gate::sigmoid;
    config.pool = o.with_max ? seattn::SqueezePool::avg_max : seattn::SqueezePool::avg;
    seattn::SEBlock<S, L> se(config);
    ref::Mlp m;
    m.c = o.channels, m.r = o.reduced, m.silu = o.silu, m.hardsigmoid = o.hardsigmoid;
    // Weights large enough that hardsigmoid's flat regions and relu's zero are both hit.
    m.w1 = ref::uniform(std::size_t(o.reduced * o.channels), 1.5, rng);
    m.w2 = ref::uniform(std::size_t(o.channels * o.reduced), 1.5, rng);
    // Weights pass through S so the reference sees exactly what the block holds.
    for (double& v : m.w1) v = double(S(v));
    for (double& v : m.w2) v = double(S(v));
    se.set_parameter("fc1.weight", {o.reduced, o.channels}, support::cast<S>(m.w1).data());
    se.set_parameter("fc2.weight", {o.channels, o.reduced}, support::cast<S>(m.w2).data());
    if (o.bias) {
        m.b1 = ref::uniform(std::size_t(o.reduced), 1.0, rng);
        m.b2 = ref::uniform(std::size_t(o.channels), 1.0, rng);
        for (double& v : m.b1) v = double(S(v));
        for (double& v : m.b2) v = double(S(v));
        se.set_parameter("fc1.bias", {o.reduced}, support::cast<S>(m.b1).data());
        se.set_parameter("fc2.bias", {o.channels}, support::cast<S>(m.b2).data());
    }
    return {std::move(se), m};
}

}  // namespace

TEMPLATE_TEST_CASE("SEBlock matches the reference for every option", "[se]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    std::mt19937_64 rng(7);
    for (int mask = 0; mask < 16; ++mask) {
        const SeOptions o{bool(mask & 1), bool(mask & 2), bool(mask & 4), bool(mask & 8), 12, 3};
        INFO("bias " << o.bias << " silu " << o.silu << " hardsigmoid " << o.hardsigmoid << " max " << o.with_max);
        auto [se, mlp] = make_se<S, L>(o, rng);
        ref::Tensor4d x = ref::random_tensor(3, o.channels, 5, 4, rng);
        x = x.unaryExpr([](double v) { return double(S(v)); });
        const auto expected = ref::scale(x, ref::channel_weights(x, mlp, o.with_max), {});
        const auto y = se.forward(support::in_layout<TestType>(x));
        support::require_close(support::from_layout<TestType>(y), expected, support::tolerance<S>());
    }
}

TEMPLATE_TEST_CASE("SEBlock layouts agree and float agrees with double", "[se]", float, double) {
    std::mt19937_64 rng(11);
    const SeOptions o{true, false, false, false, 32, 8};
    auto [nchw, mlp] = make_se<TestType, seattn::NCHW>(o, rng);
    seattn::SEBlock<TestType, seattn::NHWC> nhwc(nchw.config());
    seattn::SEBlock<double, seattn::NCHW> wide(nchw.config());
    for (const auto& name : nchw.parameter_names()) {
        const auto values = nchw.parameter(name);
        nhwc.set_parameter(name, nchw.parameter_shape(name), values.data());
        const std::vector<double> as_double(values.begin(), values.end());
        wide.set_parameter(name, nchw.parameter_shape(name), as_double.data());
    }
    const support::T4<TestType> x = ref::random_tensor(2, 32, 7, 9, rng).cast<TestType>();
    const support::T4<TestType> y_nchw = nchw.forward(x);
    const support::T4<TestType> y_nhwc = nhwc.forward(support::to_nhwc(x));
    support::require_close(support::to_nchw(y_nhwc), y_nchw, support::tolerance<TestType>());
    const support::T4<double> y_wide = wide.forward(support::T4<double>(x.template cast<double>()));
    support::require_close(y_nchw, y_wide, 1e-5);
}

TEMPLATE_TEST_CASE("SEBlock forward overloads agree: rank 3, TensorMap, in place", "[se]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    std::mt19937_64 rng(3);
    auto [se, mlp] = make_se<S, L>({true, true, false, true, 6, 2}, rng);
    const ref::Tensor4d x = ref::random_tensor(1, 6, 3, 5, rng);
    const auto expected = ref::scale(x, ref::channel_weights(x, mlp, true), {});
    auto input = support::in_layout<TestType>(x);

    Eigen::TensorMap<const Eigen::Tensor<S, 3, Eigen::RowMajor>> image(input.data(), input.dimension(1),
                                                                       input.dimension(2), input.dimension(3));
    Eigen::Tensor<S, 3, Eigen::RowMajor> y3 = se.forward(image);
    support::T4<S> y3_as_batch = y3.reshape(input.dimensions());
    support::require_close(support::from_layout<TestType>(y3_as_batch), expected, support::tolerance<S>());

    support::T4<S> y(input.dimensions());
    Eigen::TensorMap<support::T4<S>> y_map(y.data(), y.dimensions());
    se.forward(input, y_map);
    support::require_close(support::from_layout<TestType>(y), expected, support::tolerance<S>());

    se.forward(input, input);
    support::require_close(support::from_layout<TestType>(input), expected, support::tolerance<S>());
}

TEST_CASE("SEBlock default initialisation follows PyTorch's distribution", "[se][init]") {
    seattn::SEConfig config;
    config.channels = 256;
    config.reduction = 4;
    config.bias = true;
    const seattn::SEBlock<double, seattn::NCHW> a(config, 1), b(config, 1), c(config, 2);
    CHECK(a.reduced() == 64);
    CHECK(a.parameter("fc1.weight") == b.parameter("fc1.weight"));
    CHECK(a.parameter("fc1.weight") != c.parameter("fc1.weight"));
    // nn.Linear: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)); mean 0, variance bound^2 / 3.
    for (const auto& [name, fan_in] : std::vector<std::pair<std::string, double>>{
             {"fc1.weight", 256}, {"fc1.bias", 256}, {"fc2.weight", 64}, {"fc2.bias", 64}}) {
        INFO(name);
        const auto v = a.parameter(name);
        const double bound = 1 / std::sqrt(fan_in);
        double sum = 0, sum_sq = 0;
        for (double e : v) {
            REQUIRE(std::abs(e) <= bound);
            sum += e, sum_sq += e * e;
        }
        const double n = double(v.size()), mean = sum / n, var = sum_sq / n - mean * mean;
        CHECK(std::abs(mean) < 4 * bound / std::sqrt(3 * n));
        if (v.size() > 1000) CHECK(var == Approx(bound * bound / 3).epsilon(0.1));
    }
}

TEMPLATE_TEST_CASE("SEBlock computes with the parameters reset_parameters draws", "[se][init]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    seattn::SEConfig config;
    config.channels = 40;
    config.reduced = 6;
    config.bias = true;
    seattn::SEBlock<S, typename TestType::Layout> se(config, 1);
    const auto first_fc2 = se.parameter("fc2.weight");
    std::mt19937_64 rng(5);
    se.reset_parameters(rng);
    REQUIRE(se.parameter("fc2.weight") != first_fc2);
    const ref::Mlp m = support::reference_mlp(se, "", 40, 6);
    ref::Tensor4d x = ref::random_tensor(2, 40, 3, 5, rng);
    x = x.unaryExpr([](double v) { return double(S(v)); });
    const auto expected = ref::scale(x, ref::channel_weights(x, m, false), {});
    const auto y = se.forward(support::in_layout<TestType>(x));
    support::require_close(support::from_layout<TestType>(y), expected, support::tolerance<S>());
}

TEST_CASE("SEBlock reduced width comes from the ratio or is given", "[se][config]") {
    seattn::SEConfig config;
    config.channels = 64;
    CHECK(seattn::SEBlock<float, seattn::NCHW>(config).reduced() == 4);
    config.reduced = 24;
    CHECK(seattn::SEBlock<float, seattn::NCHW>(config).reduced() == 24);
    config.fc = seattn::FcKind::conv1x1;
    const seattn::SEBlock<float, seattn::NCHW> conv(config);
    CHECK(conv.parameter_shape("fc1.weight") == std::vector<seattn::Index>{24, 64, 1, 1});
    CHECK(conv.parameter_names() == std::vector<std::string>{"fc1.weight", "fc2.weight"});
}
