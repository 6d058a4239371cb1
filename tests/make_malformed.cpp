// seattn_make_malformed OUT_DIR: writes OUT_DIR/valid/*.safetensors (well-formed block files)
// and OUT_DIR/malformed/*.safetensors (one defect each, named after it): the inputs of the
// seattn-inspect tests and seed corpus for fuzzing the reader and the loaders.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <seattn/io.hpp>

#include "safetensors_bytes.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;
using seattn::io::SafeTensorsWriter;

/// A small SE case (config, weights, x, and the block's own y) with hooks to spoil it.
struct SECase {
    std::string config = R"({"block": "se", "channels": 3, "reduced": 1, "bias": false, "fc": "linear",
                             "activation": "relu", "gate": "sigmoid", "pool": ["avg"]})";
    std::vector<seattn::Index> x_shape{1, 3, 4, 4};
    double y_scale = 1.0;
    bool drop_fc2 = false;
    bool extra_bias = false;
    bool int_weight = false;

    Bytes bytes() const {
        SafeTensorsWriter w;
        w.set_metadata("block", "se");
        w.set_metadata("config", config);
        seattn::Tensor4<float> x(x_shape[0], x_shape[1], x_shape[2], x_shape[3]);
        for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = 0.25f * float(i % 7) - 0.5f;
        w.add("x", x);
        const std::vector<float> w1{0.2f, 0.4f, 0.1f}, w2{0.5f, 1.0f, -0.5f};
        if (int_weight)
            w.add_raw("fc.0.weight", seattn::io::DType::I32, {1, 3}, Bytes(12, 1));
        else
            w.add("fc.0.weight", {1, 3}, w1.data());
        if (!drop_fc2) w.add("fc.2.weight", {3, 1}, w2.data());
        if (extra_bias) w.add("fc.0.bias", {1}, w1.data());
        if (x_shape[1] == 3) {
            seattn::SEConfig c;
            c.channels = 3;
            c.reduced = 1;
            seattn::SEBlock<double, seattn::NCHW> se(c);
            const std::vector<double> d1(w1.begin(), w1.end()), d2(w2.begin(), w2.end());
            se.set_parameter("fc1.weight", {1, 3}, d1.data());
            se.set_parameter("fc2.weight", {3, 1}, d2.data());
            seattn::Tensor4<double> y = se.forward(seattn::Tensor4<double>(x.cast<double>()));
            y = y * y_scale;
            w.add("y", y);
        }
        return w.bytes();
    }
};

/// A spatial attention case with a BatchNorm whose running_var is `variance`.
Bytes spatial_bytes(float variance) {
    SafeTensorsWriter w;
    w.set_metadata("config", R"({"block": "spatial", "kernel": 3, "channel_pool": ["avg", "max"], "bias": false,
                                 "batchnorm": true, "bn_eps": 1e-5, "gate": "sigmoid"})");
    const std::vector<float> conv(18, 0.1f), one{1.0f}, zero{0.0f}, var{variance};
    w.add("conv.conv.weight", {1, 2, 3, 3}, conv.data());
    w.add("conv.bn.weight", {1}, one.data());
    w.add("conv.bn.bias", {1}, zero.data());
    w.add("conv.bn.running_mean", {1}, zero.data());
    w.add("conv.bn.running_var", {1}, var.data());
    return w.bytes();
}

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
}

Bytes header_only(const std::string& header, std::size_t data_bytes = 16) {
    return support::safetensors_bytes(header, Bytes(data_bytes, 0));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: seattn_make_malformed OUT_DIR\n";
        return 1;
    }
    const std::filesystem::path out(argv[1]);
    std::filesystem::create_directories(out / "valid");
    std::filesystem::create_directories(out / "malformed");

    const Bytes valid = SECase{}.bytes();
    support::write_bytes((out / "valid" / "se_small.safetensors").string(), valid);
    support::write_bytes((out / "valid" / "spatial_bn.safetensors").string(), spatial_bytes(0.5f));

    std::vector<std::pair<std::string, Bytes>> bad;
    const auto with = [](std::function<void(SECase&)> spoil) {
        SECase c;
        spoil(c);
        return c.bytes();
    };
    Bytes past_end = valid;
    past_end[0] = static_cast<std::uint8_t>(past_end[0] + 64), past_end[1] = static_cast<std::uint8_t>(past_end[1] + 64);
    bad = {
        {"empty", {}},
        {"shorter_than_length", Bytes(valid.begin(), valid.begin() + 5)},
        {"truncated_header", Bytes(valid.begin(), valid.begin() + 60)},
        {"truncated_data", Bytes(valid.begin(), valid.end() - 10)},
        {"length_past_end", past_end},
        {"length_near_2_64", support::safetensors_bytes(~std::uint64_t(15), "{}")},
        {"header_array", header_only("[1, 2, 3]")},
        {"header_invalid_json", header_only("{\"w\": tru}")},
        {"header_deep_nesting", header_only("{\"w\":" + std::string(100000, '[') + std::string(100000, ']') + "}")},
        {"duplicate_key", header_only("{" + entry("w", "F32", "[1]", "[0,4]") + "," + entry("w", "F32", "[1]", "[4,8]") + "}")},
        {"unknown_dtype", header_only("{" + entry("w", "F33", "[1]", "[0,4]") + "}")},
        {"negative_shape", header_only("{" + entry("w", "F32", "[-1, 4]", "[0,16]") + "}")},
        {"overflowing_shape", header_only("{" + entry("w", "F64", "[4294967296, 4294967296, 2]", "[0,16]") + "}")},
        {"offsets_out_of_range", header_only("{" + entry("w", "F32", "[8]", "[0,32]") + "}")},
        {"offsets_reversed", header_only("{" + entry("w", "F32", "[1]", "[8,4]") + "}")},
        {"offsets_overlap", header_only("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[4,12]") + "}")},
        {"byte_count_mismatch", header_only("{" + entry("w", "F32", "[2, 2]", "[0,12]") + "}")},
        {"metadata_not_object", header_only("{\"__metadata__\": [\"se\"]}")},
        {"metadata_value_not_string", header_only("{\"__metadata__\": {\"config\": {\"block\": \"se\"}}}")},
        {"config_unknown_block", with([](SECase& c) { c.config = R"({"block": "resnet", "channels": 3})"; })},
        {"config_not_json", with([](SECase& c) { c.config = "{\"block\": \"se\", "; })},
        {"config_unknown_key", with([](SECase& c) { c.config = R"({"block": "se", "channels": 3, "reduced": 1, "stride": 2})"; })},
        {"config_bad_value", with([](SECase& c) { c.config = R"({"block": "se", "channels": 3, "reduced": 1, "gate": "tanh"})"; })},
        {"config_channels_disagree_with_weights", with([](SECase& c) { c.config = R"({"block": "se", "channels": 5, "reduced": 1})"; })},
        {"config_fc_kind_disagrees_with_weights",
         with([](SECase& c) { c.config = R"({"block": "se", "channels": 3, "reduced": 1, "fc": "conv1x1"})"; })},
        {"weights_missing", with([](SECase& c) { c.drop_fc2 = true; })},
        {"weights_unexpected_bias", with([](SECase& c) { c.extra_bias = true; })},
        {"weights_not_float", with([](SECase& c) { c.int_weight = true; })},
        {"x_channels_disagree_with_config", with([](SECase& c) { c.x_shape = {1, 5, 4, 4}; })},
        {"y_differs", with([](SECase& c) { c.y_scale = 1.01; })},
        {"bn_negative_variance", spatial_bytes(-1.0f)},
    };
    for (const auto& [name, bytes] : bad) support::write_bytes((out / "malformed" / (name + ".safetensors")).string(), bytes);
    std::cout << "wrote 2 valid and " << bad.size() << " malformed files to " << out.string() << "\n";
}
