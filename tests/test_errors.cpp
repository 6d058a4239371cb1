// Every misuse comes back as a typed exception whose message names the problem.

#include "support.hpp"

using Catch::Matchers::Contains;

namespace {

seattn::SEConfig se_config(seattn::Index channels) {
    seattn::SEConfig config;
    config.channels = channels;
    config.reduced = 2;
    return config;
}

}  // namespace

TEST_CASE("exceptions share one base derived from std::invalid_argument", "[errors]") {
    STATIC_REQUIRE(std::is_base_of<std::invalid_argument, seattn::error>::value);
    STATIC_REQUIRE(std::is_base_of<seattn::error, seattn::shape_error>::value);
    STATIC_REQUIRE(std::is_base_of<seattn::error, seattn::config_error>::value);
    STATIC_REQUIRE(std::is_base_of<seattn::error, seattn::format_error>::value);
}

TEST_CASE("wrong rank names the expected and actual rank", "[errors]") {
    const seattn::SEBlock<float, seattn::NCHW> se(se_config(4));
    Eigen::Tensor<float, 2, Eigen::RowMajor> matrix(4, 4);
    matrix.setZero();
    REQUIRE_THROWS_AS(se.forward(matrix), seattn::shape_error);
    REQUIRE_THROWS_WITH(se.forward(matrix), Contains("expected rank 4 (N, C, H, W)") && Contains("got rank 2 [4, 4]"));
    Eigen::Tensor<float, 5, Eigen::RowMajor> five(1, 4, 2, 2, 1);
    REQUIRE_THROWS_WITH(se.forward(five), Contains("got rank 5 [1, 4, 2, 2, 1]"));
    const seattn::SpatialAttention<double, seattn::NHWC> spatial(seattn::SpatialConfig{});
    Eigen::Tensor<double, 1, Eigen::RowMajor> vector(3);
    REQUIRE_THROWS_WITH(spatial.forward(vector), Contains("(N, H, W, C)") && Contains("got rank 1 [3]"));
}

TEST_CASE("channel count that does not match the block", "[errors]") {
    const seattn::SEBlock<float, seattn::NHWC> se(se_config(8));
    seattn::Tensor4<float> x(2, 5, 5, 3);
    x.setZero();
    REQUIRE_THROWS_AS(se.forward(x), seattn::shape_error);
    REQUIRE_THROWS_WITH(se.forward(x), Contains("expected 8 channels, got 3") && Contains("NHWC"));
    seattn::CBAMConfig config;
    config.channel = se_config(8);
    const seattn::CBAM<float, seattn::NCHW> cbam(config);
    seattn::Tensor3<float> image(6, 4, 4);
    image.setZero();
    REQUIRE_THROWS_WITH(cbam.forward(image), Contains("expected 8 channels, got 6"));
}

TEST_CASE("empty dimensions are rejected", "[errors]") {
    const seattn::SEBlock<float, seattn::NCHW> se(se_config(4));
    seattn::Tensor4<float> empty(0, 4, 3, 3);
    REQUIRE_THROWS_AS(se.forward(empty), seattn::shape_error);
    REQUIRE_THROWS_WITH(se.forward(empty), Contains("must be >= 1, got [0, 4, 3, 3]"));
    const seattn::SpatialAttention<float, seattn::NCHW> spatial(seattn::SpatialConfig{});
    seattn::Tensor3<float> no_width(4, 3, 0);
    REQUIRE_THROWS_WITH(spatial.forward(no_width), Contains("got [4, 3, 0]"));
}

TEST_CASE("output of another shape, or partly overlapping the input", "[errors]") {
    const seattn::SEBlock<float, seattn::NCHW> se(se_config(4));
    seattn::Tensor4<float> x(1, 4, 3, 3), y(1, 4, 3, 2);
    x.setZero();
    REQUIRE_THROWS_AS(se.forward(x, y), seattn::shape_error);
    REQUIRE_THROWS_WITH(se.forward(x, y), Contains("expected the input's shape [1, 4, 3, 3], got [1, 4, 3, 2]"));
    std::vector<float> buffer(2 * 36, 1.0f);
    Eigen::TensorMap<seattn::Tensor4<float>> in(buffer.data(), 1, 4, 3, 3), out(buffer.data() + 5, 1, 4, 3, 3);
    REQUIRE_THROWS_WITH(se.forward(in, out), Contains("partially overlaps"));
    CHECK(buffer[5] == 1.0f);
}

TEST_CASE("invalid configurations", "[errors]") {
    using Spatial = seattn::SpatialAttention<float, seattn::NCHW>;
    using SE = seattn::SEBlock<float, seattn::NCHW>;
    for (seattn::Index k : {0, -3, 4}) {
        seattn::SpatialConfig config;
        config.kernel = k;
        REQUIRE_THROWS_AS(Spatial(config), seattn::config_error);
        REQUIRE_THROWS_WITH(Spatial(config), Contains("kernel must be odd and >= 1, got " + std::to_string(k)));
    }
    seattn::SpatialConfig bn;
    bn.batchnorm = true;
    bn.bn_eps = 0;
    REQUIRE_THROWS_WITH(Spatial(bn), Contains("bn_eps must be > 0"));

    seattn::SEConfig config;
    config.channels = 8;  // 8 / 16 rounds down to a hidden width of 0
    REQUIRE_THROWS_AS(SE(config), seattn::config_error);
    REQUIRE_THROWS_WITH(SE(config), Contains("reduced width must be >= 1, got 0 (channels 8 / reduction 16)"));
    config.reduced = -1;
    REQUIRE_THROWS_WITH(SE(config), Contains("reduced width must be >= 1, got -1"));
    config.reduced = 0;
    config.reduction = 0;
    REQUIRE_THROWS_WITH(SE(config), Contains("reduction ratio must be >= 1, got 0"));
    config.channels = 0;
    config.reduced = 1;
    REQUIRE_THROWS_WITH(SE(config), Contains("channels must be >= 1, got 0"));
}

TEST_CASE("weights of the wrong shape or name leave the block unchanged", "[errors]") {
    seattn::SEConfig config = se_config(4);
    config.fc = seattn::FcKind::conv1x1;
    seattn::SEBlock<float, seattn::NCHW> se(config);
    const auto before = se.parameter("fc1.weight");
    const std::vector<float> values(8, 1.0f);
    REQUIRE_THROWS_AS(se.set_parameter("fc1.weight", {2, 4}, values.data()), seattn::shape_error);
    REQUIRE_THROWS_WITH(se.set_parameter("fc1.weight", {2, 4}, values.data()),
                        Contains("'fc1.weight'") && Contains("expected shape [2, 4, 1, 1], got [2, 4]"));
    REQUIRE_THROWS_WITH(se.set_parameter("fc2.weight", {2, 4, 1, 1}, values.data()),
                        Contains("expected shape [4, 2, 1, 1], got [2, 4, 1, 1]"));
    REQUIRE_THROWS_AS(se.set_parameter("fc1.bias", {2}, values.data()), seattn::config_error);
    REQUIRE_THROWS_WITH(se.parameter("fc3.weight"), Contains("unknown parameter 'fc3.weight'") &&
                                                        Contains("fc1.weight, fc2.weight"));
    CHECK(se.parameter("fc1.weight") == before);

    seattn::SpatialConfig spatial_config;
    spatial_config.batchnorm = true;
    seattn::SpatialAttention<double, seattn::NCHW> spatial(spatial_config);
    seattn::Tensor4<double> x(1, 2, 3, 3);
    x.setConstant(1.0);
    const seattn::Tensor4<double> y_before = spatial.forward(x);
    const double negative = -2.0;
    REQUIRE_THROWS_AS(spatial.set_parameter("bn.running_var", {1}, &negative), seattn::config_error);
    CHECK(spatial.parameter("bn.running_var") == std::vector<double>{1.0});
    const seattn::Tensor4<double> y_after = spatial.forward(x);
    support::require_close(y_after, y_before, 0);
}

TEST_CASE("attention is only inspectable after a forward that computed it", "[errors]") {
    seattn::Workspace<float> ws;
    REQUIRE_THROWS_AS(ws.channel_weights(), std::logic_error);
    const seattn::SpatialAttention<float, seattn::NCHW> spatial(seattn::SpatialConfig{});
    seattn::Tensor4<float> x(1, 2, 3, 3);
    x.setConstant(1.0f);
    seattn::Tensor4<float> y(x.dimensions());
    spatial.forward(x, y, ws);
    CHECK(ws.spatial_map().dimension(1) == 3);
    REQUIRE_THROWS_WITH(ws.channel_weights(), Contains("computed none"));
}
