// Parity with PyTorch on every golden case in the golden directory: each block is built from
// the case's own config metadata and loaded from its state dict, then run in both layouts and
// both scalar types against the y PyTorch computed, within the golden README's tolerances.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <seattn/io.hpp>

#include "golden_files.hpp"
#include "reference.hpp"
#include "support.hpp"

namespace {

using support::T4;

/// One golden file, parsed, with the block configuration its metadata describes.
struct GoldenCase {
    std::string name;
    seattn::io::SafeTensors file;
    seattn::BlockConfig config;
};

GoldenCase read_case(const std::string& path) {
    auto file = seattn::io::SafeTensors::open(path);
    const auto& metadata = file.metadata();
    const auto layout = metadata.find("layout");
    if (layout != metadata.end() && layout->second != "NCHW")
        throw seattn::format_error(path + ": layout '" + layout->second + "', the golden cases are NCHW");
    const auto it = metadata.find("case");
    std::string name = it != metadata.end() ? it->second : std::filesystem::path(path).stem().string();
    seattn::BlockConfig config = seattn::io::metadata_block_config(file);
    return GoldenCase{std::move(name), std::move(file), std::move(config)};
}

/// The README's tolerance: |a - b| <= tol * (1 + |b|).
template <class S>
constexpr double golden_tolerance() {
    return std::is_same<S, float>::value ? 1e-5 : 1e-10;
}

/// Largest |a - b| / (1 + |b|) over two NCHW tensors of one shape.
double worst_deviation(const T4<double>& actual, const T4<double>& expected) {
    double worst = 0;
    for (Eigen::Index i = 0; i < expected.size(); ++i) {
        const double a = actual.data()[i], b = expected.data()[i];
        const double d = std::abs(a - b) / (1.0 + std::abs(b));
        worst = std::isnan(d) ? INFINITY : std::max(worst, d);
    }
    return worst;
}

/// A tensor of the case in the block's scalar type and layout (the files are NCHW).
template <class S, class L>
T4<S> case_tensor(const GoldenCase& c, const std::string& name) {
    T4<S> nchw = c.file.tensor<S, 4>(name);
    if (std::is_same<L, seattn::NHWC>::value) return support::to_nhwc(nchw);
    return nchw;
}

/// Largest deviation of `actual` (S, layout L) from the case's tensor `name` (NCHW, as
/// case_tensor reads it).
template <class L, class S>
double case_deviation(const T4<S>& actual, const GoldenCase& c, const std::string& name) {
    T4<double> nchw = actual.template cast<double>();
    if (std::is_same<L, seattn::NHWC>::value) nchw = support::to_nchw(nchw);
    const T4<double> expected = c.file.tensor<double, 4>(name);
    REQUIRE(nchw.dimensions() == expected.dimensions());
    return worst_deviation(nchw, expected);
}

/// Result of one case in one (scalar, layout) variant.
struct VariantResult {
    std::string variant;
    double forward = 0;    // worst deviation of y
    double backward = -1;  // worst deviation of grad_x and the parameter gradients; < 0: none in the case
};

/// The README's gradient tolerance: float sums over a batch may need 1e-4.
template <class S>
constexpr double golden_gradient_tolerance() {
    return std::is_same<S, float>::value ? 1e-4 : 1e-10;
}

/// Largest |a - b| / (1 + |b|) over two flat arrays of one size.
template <class S>
double worst_deviation(const std::vector<S>& actual, const std::vector<double>& expected) {
    REQUIRE(actual.size() == expected.size());
    double worst = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double d = std::abs(double(actual[i]) - expected[i]) / (1.0 + std::abs(expected[i]));
        worst = std::isnan(d) ? INFINITY : std::max(worst, d);
    }
    return worst;
}

/// Backward pass: forward_train's y against PyTorch's y, then from the case's grad_y, grad_x
/// and every parameter gradient against PyTorch's, each parameter's under grad.<its
/// state-dict key>; every grad.<key> the case has must be one of the block's gradients.
template <class S, class L>
double check_backward(const GoldenCase& c, const seattn::io::LoadedBlock<S, L>& loaded) {
    const T4<S> x = case_tensor<S, L>(c, "x"), grad_y = case_tensor<S, L>(c, "grad_y");
    seattn::TrainingWorkspace<S> ws;
    seattn::Gradients<S> grads;
    T4<S> y(x.dimensions()), grad_x(x.dimensions());
    loaded.block.forward_train(x, y, ws);
    CHECK(case_deviation<L>(y, c, "y") <= golden_tolerance<S>());
    loaded.block.backward(grad_y, grad_x, grads, ws);

    double worst = case_deviation<L>(grad_x, c, "grad_x");
    CHECK(worst <= golden_gradient_tolerance<S>());

    std::vector<std::string> expected_keys;
    for (const auto& t : c.file.tensors())
        if (t.name.rfind("grad.", 0) == 0) expected_keys.push_back(t.name);
    std::vector<std::string> checked_keys;
    for (std::size_t g = 0; g < grads.size(); ++g) {
        const std::string key = "grad." + loaded.names.key(grads.name(g));
        INFO("gradient " << grads.name(g) << " against " << key);
        REQUIRE(c.file.contains(key));
        REQUIRE(c.file.info(key).shape == grads.shape(g));
        const double deviation = worst_deviation(grads.values(g), c.file.values<double>(key));
        CHECK(deviation <= golden_gradient_tolerance<S>());
        worst = std::max(worst, deviation);
        checked_keys.push_back(key);
    }
    std::sort(expected_keys.begin(), expected_keys.end());
    std::sort(checked_keys.begin(), checked_keys.end());
    CHECK(checked_keys == expected_keys);
    return worst;
}

/// Forward pass: y of the block on x against PyTorch's y.
template <class S, class L>
double check_forward(const GoldenCase& c, const seattn::AnyBlock<S, L>& block) {
    const T4<S> x = case_tensor<S, L>(c, "x");
    const double worst = case_deviation<L>(block.forward(x), c, "y");
    CHECK(worst <= golden_tolerance<S>());
    return worst;
}

/// Every check of case `c` for one (scalar, layout) variant: the block is built from the
/// case's config and loaded from its state dict; the backward is checked when the case
/// carries grad_y.
template <class S, class L>
VariantResult check_variant(const GoldenCase& c) {
    const std::string variant = std::string(std::is_same<S, float>::value ? "float" : "double") + " " + L::name;
    INFO("variant " << variant);
    const auto loaded = seattn::io::load_block<S, L>(c.file, c.config);
    VariantResult result{variant};
    result.forward = check_forward(c, loaded.block);
    if (c.file.contains("grad_y")) result.backward = check_backward(c, loaded);
    return result;
}

/// Checks every variant of case `c` and prints one line naming it.
void check_case(const GoldenCase& c) {
    INFO("case " << c.name << " (" << c.file.source() << ")");
    const std::vector<VariantResult> results{
        check_variant<float, seattn::NCHW>(c), check_variant<float, seattn::NHWC>(c),
        check_variant<double, seattn::NCHW>(c), check_variant<double, seattn::NHWC>(c)};
    std::ostringstream line;
    line << "golden " << std::left << std::setw(30) << c.name << std::setw(8) << seattn::block_kind_name(seattn::block_kind(c.config))
         << " x " << seattn::detail::format_dims(c.file.info("x").shape, 4) << "  worst |dy|/(1+|y|):";
    for (const auto& r : results) line << "  " << r.variant << " " << std::setprecision(2) << std::scientific << r.forward;
    if (results.front().backward >= 0) {
        line << "  grad worst |dg|/(1+|g|):";
        for (const auto& r : results) line << "  " << r.variant << " " << std::setprecision(2) << std::scientific << r.backward;
    }
    std::cout << line.str() << std::endl;
}

/// Rounds to float, as the golden files store inputs and weights.
std::vector<double> as_stored(std::vector<double> v) {
    for (double& e : v) e = double(float(e));
    return v;
}

/// Writes a case of the golden vocabulary whose y is the independent reference's, with
/// weights under the given PyTorch keys: the shapes and options the golden generator may
/// also produce (1x1 maps, maps smaller than the kernel, other kernels and widths).
struct GeneratedCase {
    GeneratedCase(std::string name_, std::string block_, std::string config_, std::vector<Eigen::Index> x_shape_)
        : name(std::move(name_)), block(std::move(block_)), config(std::move(config_)), x_shape(std::move(x_shape_)) {}

    std::string name, block, config;
    std::vector<Eigen::Index> x_shape;
    seattn::io::SafeTensorsWriter writer;
    std::mt19937_64 rng{42};

    /// Values uniform in offset +- bound, stored under `key`.
    std::vector<double> weight(const std::string& key, const std::vector<Eigen::Index>& shape, double bound, double offset = 0) {
        Eigen::Index count = 1;
        for (auto d : shape) count *= d;
        auto values = ref::uniform(static_cast<std::size_t>(count), bound, rng);
        for (double& v : values) v += offset;
        values = as_stored(values);
        const std::vector<float> stored(values.begin(), values.end());
        writer.add(key, shape, stored.data());
        return values;
    }

    ref::Tensor4d input() {
        ref::Tensor4d x = ref::random_tensor(int(x_shape[0]), int(x_shape[1]), int(x_shape[2]), int(x_shape[3]), rng);
        for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = double(float(x.data()[i]));
        writer.add("x", T4<float>(x.cast<float>()));
        return x;
    }

    void save(const std::string& dir, const ref::Tensor4d& y) {
        writer.add("y", y);
        writer.set_metadata("case", name);
        writer.set_metadata("block", block);
        writer.set_metadata("layout", "NCHW");
        writer.set_metadata("config", config);
        writer.save(dir + "/" + name + ".safetensors");
    }
};

ref::Mlp generated_mlp(GeneratedCase& g, const std::string& fc1, const std::string& fc2, int c, int r, bool conv, bool bias) {
    ref::Mlp m;
    m.c = c, m.r = r;
    const auto shape = [&](Eigen::Index out, Eigen::Index in) {
        return conv ? std::vector<Eigen::Index>{out, in, 1, 1} : std::vector<Eigen::Index>{out, in};
    };
    m.w1 = g.weight(fc1 + ".weight", shape(r, c), 1.0);
    if (bias) m.b1 = g.weight(fc1 + ".bias", {r}, 0.5);
    m.w2 = g.weight(fc2 + ".weight", shape(c, r), 1.0);
    if (bias) m.b2 = g.weight(fc2 + ".bias", {c}, 0.5);
    return m;
}

ref::Spatial generated_spatial(GeneratedCase& g, const std::string& conv, const std::string& bn, int k, bool bias) {
    ref::Spatial s;
    s.k = k;
    s.weight = g.weight(conv + ".weight", {1, 2, k, k}, 0.5);
    if (bias) s.bias = g.weight(conv + ".bias", {1}, 0.5)[0];
    if (!bn.empty()) {
        s.batchnorm = true;
        s.bn_weight = g.weight(bn + ".weight", {1}, 0.5, 1.0)[0];
        s.bn_bias = g.weight(bn + ".bias", {1}, 0.5)[0];
        s.bn_mean = g.weight(bn + ".running_mean", {1}, 0.5)[0];
        s.bn_var = g.weight(bn + ".running_var", {1}, 0.5, 1.0)[0];
    }
    return s;
}

/// Writes six generated cases to `dir`.
void generate_cases(const std::string& dir) {
    {
        GeneratedCase g{"gen_se_torchvision_1x1_map", "se",
                        R"({"activation": "silu", "bias": true, "block": "se", "channels": 10, "fc": "conv1x1", "gate": "hardsigmoid", "pool": ["avg"], "reduced": 3})",
                        {1, 10, 1, 1}};
        ref::Mlp m = generated_mlp(g, "fc1", "fc2", 10, 3, true, true);
        m.silu = true, m.hardsigmoid = true;
        const auto x = g.input();
        g.save(dir, ref::scale(x, ref::channel_weights(x, m, false), {}));
    }
    {
        GeneratedCase g{"gen_se_sequential", "se",
                        R"({"activation": "relu", "bias": false, "block": "se", "channels": 5, "fc": "linear", "gate": "sigmoid", "pool": ["avg"], "reduced": 2})",
                        {3, 5, 2, 3}};
        const ref::Mlp m = generated_mlp(g, "fc.0", "fc.2", 5, 2, false, false);
        const auto x = g.input();
        g.save(dir, ref::scale(x, ref::channel_weights(x, m, false), {}));
    }
    {
        GeneratedCase g{"gen_spatial_timm_small_map", "spatial",
                        R"({"batchnorm": true, "bias": false, "block": "spatial", "bn_eps": 0.001, "channel_pool": ["max", "avg"], "gate": "hardsigmoid", "kernel": 5})",
                        {2, 4, 2, 2}};
        ref::Spatial s = generated_spatial(g, "conv.conv", "conv.bn", 5, false);
        s.max_first = true, s.hardsigmoid = true, s.bn_eps = 1e-3;
        const auto x = g.input();
        g.save(dir, ref::scale(x, {}, ref::spatial_map(x, s)));
    }
    {
        GeneratedCase g{"gen_spatial_k1_bias", "spatial",
                        R"({"batchnorm": false, "bias": true, "block": "spatial", "channel_pool": ["avg", "max"], "gate": "sigmoid", "kernel": 1})",
                        {1, 3, 1, 1}};
        const ref::Spatial s = generated_spatial(g, "conv", "", 1, true);
        const auto x = g.input();
        g.save(dir, ref::scale(x, {}, ref::spatial_map(x, s)));
    }
    const auto cbam = [&](const std::string& name, const std::string& config, std::vector<Eigen::Index> shape,
                          const std::vector<std::string>& keys, bool conv, bool bias, int k, bool max_first) {
        GeneratedCase g{name, "cbam", config, shape};
        const int c = int(shape[1]);
        ref::Mlp m = generated_mlp(g, keys[0], keys[1], c, 2, conv, bias);
        ref::Spatial s = generated_spatial(g, keys[2], keys[3], k, false);
        s.max_first = max_first;
        const auto x = g.input();
        const auto scaled = ref::scale(x, ref::channel_weights(x, m, true), {});
        g.save(dir, ref::scale(scaled, {}, ref::spatial_map(scaled, s)));
    };
    cbam("gen_cbam_official_small_map",
         R"({"activation": "relu", "batchnorm": true, "bias": true, "block": "cbam", "bn_eps": 1e-05, "channel_pool": ["max", "avg"], "channels": 6, "fc": "linear", "gate": "sigmoid", "kernel": 7, "pool": ["avg", "max"], "reduced": 2, "spatial_bias": false})",
         {1, 6, 3, 2}, {"ChannelGate.mlp.1", "ChannelGate.mlp.3", "SpatialGate.spatial.conv", "SpatialGate.spatial.bn"}, false, true, 7, true);
    cbam("gen_cbam_timm_1x1_map",
         R"({"activation": "relu", "batchnorm": true, "bias": false, "block": "cbam", "bn_eps": 1e-05, "channel_pool": ["avg", "max"], "channels": 8, "fc": "conv1x1", "gate": "sigmoid", "kernel": 3, "pool": ["avg", "max"], "reduced": 2, "spatial_bias": false})",
         {2, 8, 1, 1}, {"channel.fc1", "channel.fc2", "spatial.conv.conv", "spatial.conv.bn"}, true, false, 3, false);
}

}  // namespace

TEST_CASE("the golden check reads any case of the vocabulary: generated edge cases", "[golden]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("seattn_generated_golden_" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    generate_cases(dir.string());
    std::size_t checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        INFO("file " << entry.path());
        check_case(read_case(entry.path().string()));
        ++checked;
    }
    CHECK(checked == 6);
    std::filesystem::remove_all(dir);
}

TEST_CASE("every golden case matches PyTorch in both layouts and both scalar types", "[golden]") {
    const std::vector<std::string> files = support::golden_files();
    INFO("golden directory " << support::golden_dir() << " (set SEATTN_GOLDEN_DIR to use another)");
    REQUIRE(!files.empty());
    for (const auto& path : files) {
        INFO("file " << path);
        try {
            check_case(read_case(path));
        } catch (const std::exception& e) {
            FAIL_CHECK("error: " << e.what());
        }
    }
}
