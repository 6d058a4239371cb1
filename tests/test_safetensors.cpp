// The safetensors reader and writer: round trips, dtype conversions checked against IEEE bit
// patterns, and every kind of malformed file refused with a format_error naming the file and
// the entry.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <seattn/io/safetensors.hpp>

#include "golden_files.hpp"
#include "safetensors_bytes.hpp"

using Catch::Matchers::Contains;
using seattn::io::DType;
using seattn::io::SafeTensors;

namespace {

SafeTensors parse(const std::vector<std::uint8_t>& bytes) { return SafeTensors::parse(bytes, "hostile.safetensors"); }

SafeTensors parse(const std::string& header, const std::vector<std::uint8_t>& data = {}) {
    return parse(support::safetensors_bytes(header, data));
}

/// A header with one tensor `name` of `dtype`, `shape` and `offsets` (JSON text each).
std::string one_tensor(const std::string& shape, const std::string& offsets, const std::string& dtype = "\"F32\"",
                       const std::string& name = "w") {
    return "{\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
}

std::vector<std::uint8_t> zeros(std::size_t n) { return std::vector<std::uint8_t>(n, 0); }

}  // namespace

TEST_CASE("writer and reader round-trip tensors, shapes and metadata", "[safetensors]") {
    seattn::io::SafeTensorsWriter writer;
    Eigen::Tensor<float, 2, Eigen::RowMajor> w(2, 3);
    w.setValues({{1.5f, -2.0f, 0.25f}, {3.0f, 1e-8f, -0.0f}});
    writer.add("layer.weight", w);
    const std::vector<double> bias{0.1, -7.0};
    writer.add("layer.bias", {2}, bias.data());
    writer.add("scalar", std::vector<seattn::Index>{}, bias.data());
    writer.set_metadata("format", "pt");
    writer.set_metadata("note", "{\"json\": \"inside\"}");

    const auto bytes = writer.bytes();
    const std::uint64_t header = bytes[0] | std::uint64_t(bytes[1]) << 8;
    CHECK(header % 8 == 0);
    const SafeTensors file = SafeTensors::parse(bytes, "roundtrip");
    REQUIRE(file.tensors().size() == 3);
    CHECK(file.tensors()[0].name == "layer.weight");
    CHECK(file.tensors()[1].name == "layer.bias");
    CHECK(file.info("layer.weight").dtype == DType::F32);
    CHECK(file.info("layer.bias").dtype == DType::F64);
    CHECK(file.info("layer.weight").shape == std::vector<seattn::Index>{2, 3});
    CHECK(file.info("scalar").shape.empty());
    CHECK(file.values<double>("scalar") == std::vector<double>{0.1});
    CHECK(file.values<float>("layer.weight") == std::vector<float>{1.5f, -2.0f, 0.25f, 3.0f, 1e-8f, -0.0f});
    CHECK(file.values<double>("layer.bias") == bias);
    const auto as_tensor = file.tensor<float, 2>("layer.weight");
    CHECK(as_tensor(1, 0) == 3.0f);
    CHECK(file.metadata().at("format") == "pt");
    CHECK(file.metadata().at("note") == "{\"json\": \"inside\"}");
}

TEST_CASE("F16 and BF16 decode to the values their bit patterns define", "[safetensors]") {
    // IEEE half: 0x3C00 = 1, 0xC000 = -2, 0x3555 = 1365/4096 (0.333251953125), 0x0001 = 2^-24,
    // 0x7C00 = +inf. bfloat16 is the top half of a float: 0x3F80 = 1, 0x4049 = 3.140625, 0xC2F7 = -123.5.
    const std::vector<std::uint8_t> data{0x00, 0x3C, 0x00, 0xC0, 0x55, 0x35, 0x01, 0x00, 0x00, 0x7C,
                                         0x80, 0x3F, 0x49, 0x40, 0xF7, 0xC2};
    const auto file = parse("{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                            "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[10,16]}}",
                            data);
    const auto half = file.values<double>("h");
    CHECK(half[0] == 1.0);
    CHECK(half[1] == -2.0);
    CHECK(half[2] == 0.333251953125);
    CHECK(half[3] == std::ldexp(1.0, -24));
    CHECK(half[4] == std::numeric_limits<double>::infinity());
    CHECK(file.values<float>("b") == std::vector<float>{1.0f, 3.140625f, -123.5f});
}

TEST_CASE("a golden file reads with the worked example's weights", "[safetensors]") {
    const auto file = SafeTensors::open(support::golden_dir() + "/se_seed_example.safetensors");
    CHECK(file.metadata().at("block") == "se");
    CHECK(file.info("x").shape == std::vector<seattn::Index>{1, 3, 4, 4});
    CHECK(file.info("y").dtype == DType::F64);
    CHECK(file.values<double>("fc.0.weight") == std::vector<double>{double(0.2f), double(0.4f), double(0.1f)});
}

TEST_CASE("non-float tensors are listed but do not convert", "[safetensors]") {
    const auto file = parse(one_tensor("[2]", "[0,16]", "\"I64\"", "bn.num_batches_tracked"), zeros(16));
    CHECK(file.info("bn.num_batches_tracked").dtype == DType::I64);
    REQUIRE_THROWS_AS(file.values<float>("bn.num_batches_tracked"), seattn::format_error);
    REQUIRE_THROWS_WITH(file.values<float>("bn.num_batches_tracked"),
                        Contains("hostile.safetensors") && Contains("'bn.num_batches_tracked'") && Contains("I64"));
    REQUIRE_THROWS_WITH(file.info("missing"), Contains("no tensor 'missing'"));
    REQUIRE_THROWS_WITH((file.tensor<float, 2>("bn.num_batches_tracked")), Contains("expected rank 2"));
}

TEST_CASE("files too short for their header are refused", "[safetensors][hostile]") {
    REQUIRE_THROWS_WITH(parse(std::vector<std::uint8_t>{}), Contains("hostile.safetensors") && Contains("too short"));
    REQUIRE_THROWS_WITH(parse(std::vector<std::uint8_t>(7, 0)), Contains("7 bytes is too short"));
    REQUIRE_THROWS_WITH(parse(support::safetensors_bytes(100, "{}")),
                        Contains("header length 100 runs past the end of the file (2 bytes follow"));
    for (const std::uint64_t length : {std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<std::uint64_t>::max() - 7,
                                       std::uint64_t(1) << 63, std::uint64_t(100'000'001)})
        REQUIRE_THROWS_WITH(parse(support::safetensors_bytes(length, "{}")),
                            Contains("header length " + std::to_string(length) + " runs past the end"));
}

TEST_CASE("every truncation of a golden file is refused", "[safetensors][hostile]") {
    const auto whole = support::read_bytes(support::golden_dir() + "/se_seed_example.safetensors");
    REQUIRE(whole.size() > 100);
    for (std::size_t size = 0; size < whole.size(); size += 1 + size / 16) {
        INFO("truncated to " << size << " bytes");
        const std::vector<std::uint8_t> cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
        REQUIRE_THROWS_AS(parse(cut), seattn::format_error);
    }
    REQUIRE_NOTHROW(parse(whole));
}

TEST_CASE("headers that are not a JSON object are refused", "[safetensors][hostile]") {
    REQUIRE_THROWS_WITH(parse("[1, 2, 3]"), Contains("hostile.safetensors: header must be a JSON object"));
    REQUIRE_THROWS_WITH(parse("\"text\""), Contains("header must be a JSON object"));
    REQUIRE_THROWS_WITH(parse(""), Contains("header must be a JSON object"));
    REQUIRE_THROWS_AS(parse("{\"w\": "), seattn::format_error);
    REQUIRE_THROWS_WITH(parse("{\"w\": tru}"), Contains("hostile.safetensors: header is not valid JSON"));
    REQUIRE_THROWS_WITH(parse("{} {}"), Contains("header is not valid JSON"));
    REQUIRE_THROWS_WITH(parse(std::string("{\"w\"\0:1}", 8)), Contains("header is not valid JSON"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[1]", "[0,4]") + std::string(3, '\xff')), Contains("header is not valid JSON"));
}

TEST_CASE("deeply nested JSON is refused while parsing", "[safetensors][hostile]") {
    const std::size_t depth = 200000;
    REQUIRE_THROWS_WITH(parse("{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}"),
                        Contains("hostile.safetensors: header nests JSON more than 32 levels deep"));
    std::string objects;
    for (std::size_t i = 0; i < depth; ++i) objects += "{\"a\":";
    REQUIRE_THROWS_WITH(parse(objects + "1" + std::string(depth, '}')), Contains("more than 32 levels deep"));
    REQUIRE_THROWS_AS(parse("{\"a\":" + std::string(depth, '[')), seattn::format_error);
}

TEST_CASE("duplicate keys are refused", "[safetensors][hostile]") {
    REQUIRE_THROWS_WITH(parse("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                              "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                              zeros(8)),
                        Contains("the key 'w' twice"));
    REQUIRE_THROWS_WITH(parse("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4)),
                        Contains("the key 'dtype' twice"));
}

TEST_CASE("entries with a bad dtype are refused", "[safetensors][hostile]") {
    REQUIRE_THROWS_WITH(parse(one_tensor("[1]", "[0,4]", "\"F33\""), zeros(4)),
                        Contains("hostile.safetensors: tensor 'w': unknown dtype \"F33\""));
    REQUIRE_THROWS_WITH(parse(one_tensor("[1]", "[0,4]", "32"), zeros(4)), Contains("tensor 'w': dtype must be a string"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[1]", "[0,4]", "\"f32\""), zeros(4)), Contains("unknown dtype \"f32\""));
}

TEST_CASE("entries with a bad shape are refused", "[safetensors][hostile]") {
    REQUIRE_THROWS_WITH(parse(one_tensor("[-1, 4]", "[0,4]"), zeros(4)),
                        Contains("hostile.safetensors: tensor 'w': shape[0] must be a non-negative integer, got negative integer -1"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[2.5]", "[0,4]"), zeros(4)), Contains("shape[0] must be a non-negative integer"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[true]", "[0,4]"), zeros(4)), Contains("shape[0] must be a non-negative integer"));
    REQUIRE_THROWS_WITH(parse(one_tensor("4", "[0,4]"), zeros(4)), Contains("tensor 'w': shape must be an array"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[4294967296, 4294967296, 4]", "[0,4]"), zeros(4)),
                        Contains("tensor 'w': shape [4294967296, 4294967296, 4] has more elements than any file can hold"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[18446744073709551615]", "[0,4]"), zeros(4)), Contains("is too large"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[1e30]", "[0,4]"), zeros(4)), Contains("shape[0] must be a non-negative integer"));
    // an empty tensor is fine, however large its other dimensions
    CHECK(parse(one_tensor("[4294967296, 0]", "[0,0]")).info("w").element_count() == 0);
}

TEST_CASE("entries with bad data_offsets are refused", "[safetensors][hostile]") {
    REQUIRE_THROWS_WITH(parse(one_tensor("[2]", "[0,8]"), zeros(4)),
                        Contains("hostile.safetensors: tensor 'w': data_offsets [0, 8] run past the end of the data section (4 bytes)"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[0]", "[18446744073709551615,18446744073709551615]")), Contains("run past the end"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[1]", "[8,4]"), zeros(8)), Contains("tensor 'w': data_offsets [8, 4] are reversed"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[2, 3]", "[0,20]"), zeros(24)),
                        Contains("tensor 'w': data_offsets [0, 20] span 20 bytes, but shape [2, 3] of F32 needs 24"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[1]", "[0]"), zeros(4)), Contains("data_offsets must be an array [begin, end]"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[1]", "[0,4,8]"), zeros(8)), Contains("data_offsets must be an array [begin, end]"));
    REQUIRE_THROWS_WITH(parse(one_tensor("[1]", "[-4,0]"), zeros(8)), Contains("data_offsets[0] must be a non-negative integer"));
    REQUIRE_THROWS_WITH(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                              zeros(12)),
                        Contains("tensor 'b' (bytes 4..12) overlaps tensor 'a' (bytes 0..8)"));
    REQUIRE_THROWS_WITH(parse("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                              "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                              "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                              zeros(24)),
                        Contains("tensor 'c' (bytes 8..12) overlaps tensor 'a'"));
}

TEST_CASE("malformed entries and metadata are refused", "[safetensors][hostile]") {
    REQUIRE_THROWS_WITH(parse("{\"w\": 5}"), Contains("hostile.safetensors: tensor 'w' must be an object, got non-negative integer 5"));
    REQUIRE_THROWS_WITH(parse("{\"w\": {\"dtype\":\"F32\",\"shape\":[1]}}"), Contains("tensor 'w': missing field 'data_offsets'"));
    REQUIRE_THROWS_WITH(parse("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", zeros(4)),
                        Contains("tensor 'w': unknown field 'extra'"));
    REQUIRE_THROWS_WITH(parse("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4)),
                        Contains("a tensor has an empty name"));
    REQUIRE_THROWS_WITH(parse("{\"__metadata__\": [\"a\"]}"),
                        Contains("hostile.safetensors: __metadata__ must be an object of strings, got array"));
    REQUIRE_THROWS_WITH(parse("{\"__metadata__\": {\"config\": {\"block\": \"se\"}}}"),
                        Contains("__metadata__ entry 'config' must be a string, got object"));
    REQUIRE_THROWS_WITH(parse("{\"__metadata__\": {\"n\": 3}}"), Contains("__metadata__ entry 'n' must be a string"));
    CHECK(parse("{\"__metadata__\": {\"n\": \"3\"}}").metadata().at("n") == "3");
}

TEST_CASE("files that cannot be opened are a format_error naming the path", "[safetensors]") {
    REQUIRE_THROWS_AS(SafeTensors::open("/nonexistent/weights.safetensors"), seattn::format_error);
    REQUIRE_THROWS_WITH(SafeTensors::open("/nonexistent/weights.safetensors"),
                        Contains("/nonexistent/weights.safetensors: cannot open"));
}
