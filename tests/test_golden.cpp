// Parity with PyTorch on every golden case in the golden directory: each block is built from
// the case's own config metadata and loaded from its state dict, then run in both layouts and
// both scalar types against the y PyTorch computed, within the golden README's tolerances.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <seattn/io.hpp>

#include "golden_files.hpp"
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

/// Result of one case in one (scalar, layout) variant.
struct VariantResult {
    std::string variant;
    double forward = 0;  // worst deviation of y
};

/// Forward pass: y of the block on x against PyTorch's y.
template <class S, class L>
double check_forward(const GoldenCase& c, const seattn::AnyBlock<S, L>& block) {
    const T4<S> x = case_tensor<S, L>(c, "x");
    const T4<S> y = block.forward(x);
    T4<double> y_nchw = y.template cast<double>();
    if (std::is_same<L, seattn::NHWC>::value) y_nchw = support::to_nchw(y_nchw);
    const T4<double> expected = c.file.tensor<double, 4>("y");
    REQUIRE(y_nchw.dimensions() == expected.dimensions());
    const double worst = worst_deviation(y_nchw, expected);
    CHECK(worst <= golden_tolerance<S>());
    return worst;
}

/// Every check of case `c` for one (scalar, layout) variant: the block is built from the
/// case's config and loaded from its state dict. Checks of further fields of the case
/// (grad_y -> grad_x, grad.<param>) belong here, next to check_forward.
template <class S, class L>
VariantResult check_variant(const GoldenCase& c) {
    const std::string variant = std::string(std::is_same<S, float>::value ? "float" : "double") + " " + L::name;
    INFO("variant " << variant);
    const auto loaded = seattn::io::load_block<S, L>(c.file, c.config);
    VariantResult result{variant};
    result.forward = check_forward(c, loaded.block);
    return result;
}

/// Checks every variant of case `c` and prints one line naming it.
void check_case(const GoldenCase& c) {
    INFO("case " << c.name << " (" << c.file.source() << ")");
    const std::vector<VariantResult> results{
        check_variant<float, seattn::NCHW>(c), check_variant<float, seattn::NHWC>(c),
        check_variant<double, seattn::NCHW>(c), check_variant<double, seattn::NHWC>(c)};
    std::ostringstream line;
    line << "golden " << std::left << std::setw(24) << c.name << std::setw(8) << seattn::block_kind_name(seattn::block_kind(c.config))
         << " x " << seattn::detail::format_dims(c.file.info("x").shape, 4) << "  worst |dy|/(1+|y|):";
    for (const auto& r : results) line << "  " << r.variant << " " << std::setprecision(2) << std::scientific << r.forward;
    std::cout << line.str() << std::endl;
}

}  // namespace

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
