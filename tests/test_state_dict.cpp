// Loading blocks from PyTorch state dicts by the implementations' own names, building blocks
// from config JSON, and every inconsistency between config, keys and shapes refused with a
// typed error naming the file and the key, leaving the block as it was.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <seattn/io.hpp>

#include "support.hpp"

using Catch::Matchers::Contains;
using seattn::Index;
using seattn::io::SafeTensors;
using seattn::io::SafeTensorsWriter;

namespace {

/// Distinct values 1, 2, 3, ... (times `scale`) so that a value in the wrong place shows.
std::vector<float> counting(Index n, float scale = 0.01f) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = scale * float(i + 1);
    return v;
}

Index product(const std::vector<Index>& shape) {
    Index n = 1;
    for (Index d : shape) n *= d;
    return n;
}

/// A state dict of the given keys and shapes, each filled with counting values.
struct StateDict {
    SafeTensorsWriter writer;
    StateDict& add(const std::string& key, const std::vector<Index>& shape, float scale = 0.01f) {
        writer.add(key, shape, counting(product(shape), scale).data());
        return *this;
    }
    SafeTensors file() const { return SafeTensors::parse(writer.bytes(), "weights.safetensors"); }
};

seattn::SEConfig se_config(Index c, Index r, bool bias, seattn::FcKind fc) {
    seattn::SEConfig config;
    config.channels = c;
    config.reduced = r;
    config.bias = bias;
    config.fc = fc;
    return config;
}

seattn::SpatialConfig spatial_config(Index k, bool bias, bool batchnorm) {
    seattn::SpatialConfig config;
    config.kernel = k;
    config.bias = bias;
    config.batchnorm = batchnorm;
    return config;
}

template <class Block>
void require_loaded(const Block& block, const SafeTensors& file, const seattn::io::StateDictNames& names) {
    REQUIRE(names.entries().size() == block.parameter_names().size());
    for (const auto& e : names.entries()) {
        INFO(e.parameter << " <- " << e.key);
        CHECK(block.parameter(e.parameter) == file.values<float>(e.key));
        CHECK(names.key(e.parameter) == e.key);
        CHECK(names.parameter(e.key) == e.parameter);
    }
}

}  // namespace

TEST_CASE("SE weights load under torchvision, nn.Sequential and official CBAM names", "[state_dict]") {
    using Block = seattn::SEBlock<float, seattn::NCHW>;
    SECTION("torchvision fc1/fc2 1x1 convs with biases") {
        Block se(se_config(8, 2, true, seattn::FcKind::conv1x1));
        StateDict sd;
        sd.add("fc1.weight", {2, 8, 1, 1}).add("fc1.bias", {2}, 0.1f).add("fc2.weight", {8, 2, 1, 1}, 0.02f).add("fc2.bias", {8}, 0.3f);
        const auto file = sd.file();
        const auto names = seattn::io::load_state_dict(se, file);
        require_loaded(se, file, names);
        CHECK(names.key("fc1.bias") == "fc1.bias");
        CHECK_THAT(names.namings().front(), Contains("torchvision"));
    }
    SECTION("nn.Sequential fc.0/fc.2 Linear without bias") {
        Block se(se_config(8, 2, false, seattn::FcKind::linear));
        StateDict sd;
        sd.add("fc.0.weight", {2, 8}).add("fc.2.weight", {8, 2}, 0.02f);
        const auto file = sd.file();
        const auto names = seattn::io::load_state_dict(se, file);
        require_loaded(se, file, names);
        CHECK(names.key("fc2.weight") == "fc.2.weight");
    }
    SECTION("official ChannelGate mlp.1/mlp.3 under a prefix, other modules left alone") {
        Block se(se_config(8, 2, true, seattn::FcKind::linear));
        StateDict sd;
        sd.add("layer1.0.conv1.weight", {8, 8, 3, 3})
            .add("layer1.0.ca.mlp.1.weight", {2, 8})
            .add("layer1.0.ca.mlp.1.bias", {2})
            .add("layer1.0.ca.mlp.3.weight", {8, 2}, 0.03f)
            .add("layer1.0.ca.mlp.3.bias", {8}, 0.5f)
            .add("layer1.1.ca.mlp.1.weight", {4, 8});
        const auto file = sd.file();
        const auto names = seattn::io::load_state_dict(se, file, "layer1.0.ca.");
        require_loaded(se, file, names);
        CHECK(names.key("fc1.weight") == "layer1.0.ca.mlp.1.weight");
    }
}

TEST_CASE("spatial weights load under seattn, timm and official CBAM names, BatchNorm folded", "[state_dict]") {
    using Block = seattn::SpatialAttention<double, seattn::NCHW>;
    const std::vector<std::vector<std::string>> namings{
        {"conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"},
        {"conv.conv.weight", "conv.bn.weight", "conv.bn.bias", "conv.bn.running_mean", "conv.bn.running_var"},
        {"spatial.conv.weight", "spatial.bn.weight", "spatial.bn.bias", "spatial.bn.running_mean", "spatial.bn.running_var"}};
    for (const auto& keys : namings) {
        INFO("naming " << keys[0]);
        StateDict sd;
        sd.add(keys[0], {1, 2, 3, 3}, 0.1f);
        for (std::size_t i = 1; i < keys.size(); ++i) sd.add(keys[i], {1}, 0.5f * float(i));
        const std::string tracked = keys[1].substr(0, keys[1].size() - 6) + "num_batches_tracked";
        sd.writer.add_raw(tracked, seattn::io::DType::I64, {}, std::vector<std::uint8_t>(8, 0));
        const auto file = sd.file();
        Block spatial(spatial_config(3, false, true));
        const auto names = seattn::io::load_state_dict(spatial, file);
        REQUIRE(names.entries().size() == 5);
        for (const auto& e : names.entries()) CHECK(spatial.parameter(e.parameter) == file.values<double>(e.key));

        // The folded conv: bn(conv(m)) with gamma 0.5, beta 1.0, mean 1.5, var 2.0 at one pixel
        // of a 1x1 map, where only the kernel's centre taps (avg: index 4, max: 13) see data.
        seattn::Tensor4<double> x(1, 2, 1, 1);
        x.setValues({{{{1.0}}, {{3.0}}}});
        const double conv = double(0.1f * 5) * 2.0 + double(0.1f * 14) * 3.0;
        const double bn = (conv - double(0.5f * 3)) / std::sqrt(double(0.5f * 4) + 1e-5) * double(0.5f * 1) + double(0.5f * 2);
        const auto map = spatial.spatial_map(x);
        CHECK(map(0, 0, 0) == Approx(1.0 / (1.0 + std::exp(-bn))).epsilon(1e-12));
    }
}

TEST_CASE("CBAM halves load from each implementation's places", "[state_dict]") {
    using Block = seattn::CBAM<float, seattn::NHWC>;
    seattn::CBAMConfig config;
    config.channel = se_config(8, 2, false, seattn::FcKind::linear);
    config.spatial = spatial_config(7, false, false);
    const std::vector<std::vector<std::string>> places{{"se.fc.0", "se.fc.2", "spatial.conv"},
                                                       {"channel.fc1", "channel.fc2", "spatial.conv"},
                                                       {"ChannelGate.mlp.1", "ChannelGate.mlp.3", "SpatialGate.spatial.conv"}};
    for (const auto& modules : places) {
        const std::string &fc1 = modules[0], &fc2 = modules[1], &conv = modules[2];
        INFO(fc1 << " / " << conv);
        StateDict sd;
        sd.add(fc1 + ".weight", {2, 8}).add(fc2 + ".weight", {8, 2}, 0.05f).add(conv + ".weight", {1, 2, 7, 7}, 0.001f);
        const auto file = sd.file();
        Block cbam(config);
        const auto names = seattn::io::load_state_dict(cbam, file);
        require_loaded(cbam, file, names);
        CHECK(names.key("channel.fc2.weight") == fc2 + ".weight");
        CHECK(names.namings().size() == 2);
    }
}

TEST_CASE("missing, unexpected, wrongly shaped and non-float weights are refused, block unchanged", "[state_dict][hostile]") {
    seattn::SEBlock<float, seattn::NCHW> se(se_config(8, 2, false, seattn::FcKind::conv1x1), 7);
    const auto before = se.parameter("fc1.weight");
    const auto refuse = [&](const StateDict& sd) {
        const auto file = sd.file();
        REQUIRE_THROWS_AS(seattn::io::load_state_dict(se, file), seattn::format_error);
        CHECK(se.parameter("fc1.weight") == before);
        try {
            seattn::io::load_state_dict(se, file);
        } catch (const seattn::format_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    StateDict missing;
    missing.add("fc1.weight", {2, 8, 1, 1});
    CHECK_THAT(refuse(missing), Contains("weights.safetensors: missing key 'fc2.weight'") && Contains("parameter fc2.weight"));

    StateDict bias;
    bias.add("fc1.weight", {2, 8, 1, 1}).add("fc1.bias", {2}).add("fc2.weight", {8, 2, 1, 1});
    CHECK_THAT(refuse(bias), Contains("weights.safetensors: unexpected key 'fc1.bias' [2]"));

    StateDict channels;
    channels.add("fc1.weight", {2, 6, 1, 1}).add("fc2.weight", {6, 2, 1, 1});
    CHECK_THAT(refuse(channels), Contains("key 'fc1.weight' has shape [2, 6, 1, 1], but the SE block's fc1.weight needs [2, 8, 1, 1]"));

    StateDict linear;
    linear.add("fc1.weight", {2, 8}).add("fc2.weight", {8, 2});
    CHECK_THAT(refuse(linear), Contains("has shape [2, 8], but") && Contains("the config needs fc = linear"));

    StateDict nothing;
    nothing.add("conv.weight", {1, 2, 7, 7});
    CHECK_THAT(refuse(nothing), Contains("no weights for the SE block at the top level") && Contains("'fc.0.weight'"));

    StateDict ambiguous;
    ambiguous.add("fc1.weight", {2, 8, 1, 1}).add("fc2.weight", {8, 2, 1, 1}).add("fc.0.weight", {2, 8, 1, 1}).add("fc.2.weight", {8, 2, 1, 1});
    CHECK_THAT(refuse(ambiguous), Contains("ambiguous"));

    StateDict integer;
    integer.add("fc2.weight", {8, 2, 1, 1});
    integer.writer.add_raw("fc1.weight", seattn::io::DType::I32, {2, 8, 1, 1}, std::vector<std::uint8_t>(64, 0));
    CHECK_THAT(refuse(integer), Contains("key 'fc1.weight' has dtype I32"));

    seattn::SpatialAttention<float, seattn::NCHW> spatial(spatial_config(3, false, true));
    StateDict variance;
    variance.add("conv.weight", {1, 2, 3, 3}).add("bn.weight", {1}).add("bn.bias", {1}).add("bn.running_mean", {1});
    variance.add("bn.running_var", {1}, -1.0f);
    const auto folded_before = spatial.spatial_map(seattn::Tensor4<float>(seattn::Tensor4<float>(1, 2, 3, 3).setConstant(1.0f)));
    REQUIRE_THROWS_WITH(seattn::io::load_state_dict(spatial, variance.file()),
                        Contains("weights.safetensors: key 'bn.running_var'") && Contains("running_var + bn_eps must be > 0"));
    const auto folded_after = spatial.spatial_map(seattn::Tensor4<float>(seattn::Tensor4<float>(1, 2, 3, 3).setConstant(1.0f)));
    support::require_close(folded_after, folded_before, 0.0);
}

TEST_CASE("F16 and BF16 weights convert on loading", "[state_dict]") {
    seattn::SEBlock<double, seattn::NCHW> se(se_config(2, 1, false, seattn::FcKind::linear));
    SafeTensorsWriter w;
    w.add_raw("fc.0.weight", seattn::io::DType::F16, {1, 2}, {0x00, 0x3C, 0x00, 0xC0});  // 1, -2
    w.add_raw("fc.2.weight", seattn::io::DType::BF16, {2, 1}, {0x80, 0x3F, 0x49, 0x40});  // 1, 3.140625
    seattn::io::load_state_dict(se, SafeTensors::parse(w.bytes()));
    CHECK(se.parameter("fc1.weight") == std::vector<double>{1.0, -2.0});
    CHECK(se.parameter("fc2.weight") == std::vector<double>{1.0, 3.140625});
}

TEST_CASE("weights save back under the names they were loaded from", "[state_dict]") {
    seattn::CBAMConfig config;
    config.channel = se_config(4, 2, true, seattn::FcKind::linear);
    config.spatial = spatial_config(3, false, true);
    StateDict sd;
    sd.add("ChannelGate.mlp.1.weight", {2, 4}).add("ChannelGate.mlp.1.bias", {2}).add("ChannelGate.mlp.3.weight", {4, 2});
    sd.add("ChannelGate.mlp.3.bias", {4}).add("SpatialGate.spatial.conv.weight", {1, 2, 3, 3});
    for (const char* p : {"weight", "bias", "running_mean", "running_var"}) sd.add(std::string("SpatialGate.spatial.bn.") + p, {1}, 0.7f);
    const auto original = sd.file();
    seattn::AnyBlock<float, seattn::NCHW> cbam(config);
    const auto names = seattn::io::load_state_dict(cbam, original);

    SafeTensorsWriter out;
    seattn::io::save_state_dict(out, cbam, names);
    const auto saved = SafeTensors::parse(out.bytes(), "saved");
    REQUIRE(saved.tensors().size() == original.tensors().size());
    for (const auto& t : original.tensors()) {
        CHECK(saved.info(t.name).shape == t.shape);
        CHECK(saved.values<float>(t.name) == original.values<float>(t.name));
    }
    const auto own = seattn::io::StateDictNames::own(cbam, "block.");
    CHECK(own.key("spatial.bn.running_var") == "block.spatial.bn.running_var");
}

TEST_CASE("block configs parse from the golden vocabulary and round-trip", "[config]") {
    const auto se = seattn::io::parse_block_config(
        R"({"activation": "silu", "bias": true, "block": "se", "channels": 96, "fc": "conv1x1", "gate": "hardsigmoid", "pool": ["avg"], "reduced": 4})");
    REQUIRE(seattn::block_kind(se) == seattn::BlockKind::se);
    const auto& s = std::get<seattn::SEConfig>(se);
    CHECK(s.channels == 96);
    CHECK(s.reduced == 4);
    CHECK(s.bias);
    CHECK(s.fc == seattn::FcKind::conv1x1);
    CHECK(s.activation == seattn::Activation::silu);
    CHECK(s.gate == seattn::Gate::hardsigmoid);
    CHECK(s.pool == seattn::SqueezePool::avg);

    const auto cbam = seattn::io::parse_block_config(
        R"({"activation": "relu", "batchnorm": true, "bias": true, "block": "cbam", "bn_eps": 0.001, "channel_pool": ["max", "avg"],
            "channels": 64, "fc": "linear", "gate": "sigmoid", "kernel": 5, "pool": ["avg", "max"], "reduced": 4, "spatial_bias": true})");
    const auto& c = std::get<seattn::CBAMConfig>(cbam);
    CHECK(c.channel.pool == seattn::SqueezePool::avg_max);
    CHECK(c.spatial.kernel == 5);
    CHECK(c.spatial.bias);
    CHECK(c.spatial.batchnorm);
    CHECK(c.spatial.bn_eps == 0.001);
    CHECK(c.spatial.channel_pool == seattn::ChannelPoolOrder::max_avg);

    const auto spatial = seattn::io::parse_block_config(R"({"block": "spatial"})");
    CHECK(std::get<seattn::SpatialConfig>(spatial).kernel == 7);

    for (const auto& config : {se, cbam, spatial}) {
        const auto json = seattn::io::block_config_json(config);
        CHECK(seattn::io::block_config_json(seattn::io::parse_block_config(json.dump())) == json);
    }
}

TEST_CASE("bad configs are a config_error naming the source and the key", "[config][hostile]") {
    using seattn::io::parse_block_config;
    const auto refuse = [](const std::string& json) {
        REQUIRE_THROWS_AS(parse_block_config(json, "model.json"), seattn::config_error);
        try {
            parse_block_config(json, "model.json");
        } catch (const seattn::config_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK_THAT(refuse(R"({"block": "resnet"})"), Contains("model.json: config 'block' must be one of se, spatial, cbam, got string \"resnet\""));
    CHECK_THAT(refuse(R"({"channels": 4})"), Contains("model.json: config 'block' is missing"));
    CHECK_THAT(refuse(R"({"block": "se"})"), Contains("config 'channels' is missing"));
    CHECK_THAT(refuse(R"({"block": "se", "channels": 4.5})"), Contains("config 'channels' must be an integer"));
    CHECK_THAT(refuse(R"({"block": "se", "channels": "4"})"), Contains("config 'channels' must be an integer"));
    CHECK_THAT(refuse(R"({"block": "se", "channels": 99999999999999999999})"), Contains("config 'channels' must be an integer"));
    CHECK_THAT(refuse(R"({"block": "se", "channels": -4})"), Contains("model.json: SEConfig: channels must be >= 1, got -4"));
    CHECK_THAT(refuse(R"({"block": "se", "channels": 4, "bias": 1})"), Contains("config 'bias' must be true or false"));
    CHECK_THAT(refuse(R"({"block": "se", "channels": 4, "pool": ["max"]})"), Contains("config 'pool' must be [\"avg\"] or"));
    CHECK_THAT(refuse(R"({"block": "se", "channels": 4, "kernel": 7})"), Contains("config has the unknown key 'kernel'"));
    CHECK_THAT(refuse(R"({"block": "spatial", "kernel": 4})"), Contains("model.json: SpatialConfig: kernel must be odd"));
    CHECK_THAT(refuse(R"({"block": "spatial", "batchnorm": true, "bn_eps": 0})"), Contains("bn_eps must be > 0"));
    CHECK_THAT(refuse(R"({"block": "spatial", "bn_eps": "small"})"), Contains("config 'bn_eps' must be a finite number"));
    CHECK_THAT(refuse(R"([1, 2])"), Contains("model.json: config must be a JSON object"));
    CHECK_THAT(refuse(R"({"block": "se", )"), Contains("model.json: config is not valid JSON"));
    CHECK_THAT(refuse("{\"block\":" + std::string(1000, '[')), Contains("config nests JSON more than"));
    CHECK_THAT(refuse(R"({"block": "se", "channels": 549755813888, "reduced": 549755813888})"),
               Contains("SEConfig: channels 549755813888 x reduced width 549755813888 overflows a 64-bit index"));
    CHECK_THAT(refuse(R"({"block": "spatial", "kernel": 3037000499})"),
               Contains("SpatialConfig: kernel 3037000499 overflows a 64-bit index"));
    REQUIRE_THROWS_WITH(parse_block_config(R"({"block": "se", "channels": 4})", "f", seattn::BlockKind::cbam),
                        Contains("config 'block' is 'se', but the file says 'cbam'"));
}

TEST_CASE("a block is built and loaded from a file's metadata alone", "[config][state_dict]") {
    StateDict sd;
    sd.writer.set_metadata("block", "spatial");
    sd.writer.set_metadata("config", R"({"kernel": 3, "bias": true})");
    sd.add("conv.weight", {1, 2, 3, 3}).add("conv.bias", {1});
    const auto loaded = seattn::io::load_block<float, seattn::NHWC>(sd.file());
    CHECK(loaded.block.kind() == seattn::BlockKind::spatial);
    REQUIRE(loaded.block.get_if<seattn::SpatialAttention<float, seattn::NHWC>>() != nullptr);
    CHECK(loaded.block.get_if<seattn::SEBlock<float, seattn::NHWC>>() == nullptr);
    CHECK(loaded.block.parameter("conv.bias") == std::vector<float>{0.01f});

    seattn::Tensor4<float> x(2, 3, 3, 4);
    x.setRandom();
    const auto& concrete = *loaded.block.get_if<seattn::SpatialAttention<float, seattn::NHWC>>();
    support::require_close(loaded.block.forward(x), concrete.forward(x), 0.0);

    StateDict none;
    none.add("conv.weight", {1, 2, 7, 7});
    REQUIRE_THROWS_WITH((seattn::io::load_block<float, seattn::NCHW>(none.file())),
                        Contains("weights.safetensors: __metadata__ has no 'config'"));
    StateDict wrong;
    wrong.writer.set_metadata("block", "transformer");
    wrong.writer.set_metadata("config", "{}");
    REQUIRE_THROWS_AS((seattn::io::load_block<float, seattn::NCHW>(wrong.file())), seattn::config_error);
    REQUIRE_THROWS_WITH((seattn::io::load_block<float, seattn::NCHW>(wrong.file())),
                        Contains("weights.safetensors: __metadata__ 'block' is 'transformer'"));
}

// Found by seattn_fuzz_safetensors: a tiny file whose config asked for 200000 x 200000 FC
// weights made the loader allocate 160 GB before it looked at the weights.
TEST_CASE("a config asking for more weights than the file holds is refused before allocating", "[config][hostile]") {
    StateDict sd;
    sd.writer.set_metadata("block", "se");
    sd.writer.set_metadata("config", R"({"channels": 200000, "reduced": 200000})");
    sd.add("fc.0.weight", {1, 3}).add("fc.2.weight", {3, 1});
    REQUIRE_THROWS_AS((seattn::io::load_block<float, seattn::NCHW>(sd.file())), seattn::format_error);
    REQUIRE_THROWS_WITH((seattn::io::load_block<float, seattn::NCHW>(sd.file())),
                        Contains("weights.safetensors: the block config needs 80000000000 parameter values, "
                                 "but the file's tensors hold only 6"));
}
