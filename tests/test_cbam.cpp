// CBAM equals spatial attention applied to the output of channel attention, and both
// agree with the independent reference.

#include <array>
#include <random>

#include "support.hpp"

TEMPLATE_TEST_CASE("CBAM equals spatial(channel(x))", "[cbam]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    seattn::CBAMConfig config;
    config.channel.channels = 16;
    config.channel.reduced = 4;
    config.channel.bias = true;
    config.spatial.kernel = 5;
    config.spatial.batchnorm = true;
    config.spatial.channel_pool = seattn::ChannelPoolOrder::max_avg;
    seattn::CBAM<S, L> cbam(config, 42);
    const S bn_var = S(0.7);
    cbam.set_parameter("spatial.bn.running_var", {1}, &bn_var);

    seattn::SEBlock<S, L> channel(config.channel);
    seattn::SpatialAttention<S, L> spatial(config.spatial);
    for (const auto& name : channel.parameter_names())
        channel.set_parameter(name, channel.parameter_shape(name), cbam.parameter("channel." + name).data());
    for (const auto& name : spatial.parameter_names())
        spatial.set_parameter(name, spatial.parameter_shape(name), cbam.parameter("spatial." + name).data());

    std::mt19937_64 gen(9);
    for (const auto& shape : std::vector<std::array<int, 2>>{{8, 6}, {1, 1}, {3, 2}}) {
        const auto x = support::in_layout<TestType>(ref::random_tensor(3, 16, shape[0], shape[1], gen));
        const support::T4<S> expected = spatial.forward(support::T4<S>(channel.forward(x)));
        support::require_close(cbam.forward(x), expected, support::tolerance<S>());

        seattn::Workspace<S> ws;
        support::T4<S> y(x.dimensions());
        cbam.forward(x, y, ws);
        support::require_close(ws.channel_weights(), channel.channel_weights(x), 0);
        support::require_close(ws.spatial_map(), spatial.spatial_map(support::T4<S>(channel.forward(x))),
                               support::tolerance<S>());
    }
}

TEMPLATE_TEST_CASE("CBAM matches the reference", "[cbam]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    seattn::CBAMConfig config;
    config.channel.channels = 8;
    config.channel.reduced = 2;
    seattn::CBAM<S, L> cbam(config, 5);
    const ref::Mlp m = support::reference_mlp(cbam, "channel.", 8, 2);
    const ref::Spatial r = support::reference_spatial(cbam, "spatial.", 7);

    std::mt19937_64 gen(2);
    ref::Tensor4d x = ref::random_tensor(2, 8, 7, 6, gen);
    x = x.unaryExpr([](double v) { return double(S(v)); });
    const auto channel_scaled = ref::scale(x, ref::channel_weights(x, m, true), {});
    const auto expected = ref::scale(channel_scaled, {}, ref::spatial_map(channel_scaled, r));
    const auto y = cbam.forward(support::in_layout<TestType>(x));
    support::require_close(support::from_layout<TestType>(y), expected, support::tolerance<S>());
}
