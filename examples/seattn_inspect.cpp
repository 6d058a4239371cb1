// seattn-inspect FILE.safetensors: lists the tensors (name, dtype, shape) and the metadata of
// any safetensors file; when the metadata carries a block `config`, builds that block, loads
// its weights, runs it on `x` when present and reports the largest deviation from `y`.
// Exit status 0 when everything is valid (and matches), 1 with a message on stderr otherwise.

#include <algorithm>
#include <cmath>
#include <exception>
#include <iomanip>
#include <iostream>
#include <string>

#include <seattn/io.hpp>

namespace {

/// The golden README's tolerance: |a - b| <= tol * (1 + |b|).
template <class S>
constexpr double tolerance() {
    return std::is_same<S, float>::value ? 1e-5 : 1e-10;
}

std::string dims(const std::vector<seattn::Index>& shape) {
    return seattn::detail::format_dims(shape, static_cast<int>(shape.size()));
}

void list_contents(const seattn::io::SafeTensors& file) {
    std::cout << file.source() << ": " << file.tensors().size() << " tensors, header " << file.header_size()
              << " bytes\n";
    std::size_t width = 4;
    for (const auto& t : file.tensors()) width = std::max(width, t.name.size());
    for (const auto& t : file.tensors())
        std::cout << "  " << std::left << std::setw(static_cast<int>(width)) << t.name << "  " << std::setw(7)
                  << seattn::io::dtype_name(t.dtype) << " " << dims(t.shape) << "\n";
    if (!file.metadata().empty()) std::cout << "metadata:\n";
    for (const auto& [key, value] : file.metadata()) std::cout << "  " << key << ": " << value << "\n";
}

/// The block's output on the file's x; a format_error naming the file if x does not fit it.
template <class S>
seattn::Tensor4<S> run_on_x(const seattn::io::SafeTensors& file, const seattn::AnyBlock<S, seattn::NCHW>& block) {
    try {
        return block.forward(file.tensor<S, 4>("x"));
    } catch (const seattn::shape_error& e) {
        throw seattn::format_error(file.source() + ": tensor 'x' does not fit the block: " + e.what());
    }
}

/// Runs the file's block (built in S) on x and returns the worst |y - y_ref| / (1 + |y_ref|);
/// throws format_error when x and y disagree in shape.
template <class S>
double worst_deviation(const seattn::io::SafeTensors& file, const seattn::io::LoadedBlock<S, seattn::NCHW>& loaded) {
    const auto y = run_on_x(file, loaded.block);
    const auto expected = file.tensor<double, 4>("y");
    if (expected.dimensions() != y.dimensions())
        throw seattn::format_error(file.source() + ": tensor 'y' has shape " + dims(file.info("y").shape) +
                                   ", but x " + dims(file.info("x").shape) + " gives an output of x's shape");
    double worst = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) {
        const double b = expected.data()[i], d = std::abs(double(y.data()[i]) - b) / (1.0 + std::abs(b));
        worst = std::isnan(d) ? INFINITY : std::max(worst, d);
    }
    return worst;
}

/// Builds, loads and runs the block the metadata describes; returns whether y matches.
bool check_block(const seattn::io::SafeTensors& file) {
    const seattn::BlockConfig config = seattn::io::metadata_block_config(file);
    const auto as_double = seattn::io::load_block<double, seattn::NCHW>(file, config);
    const auto as_float = seattn::io::load_block<float, seattn::NCHW>(file, config);
    std::cout << "block: " << seattn::io::block_config_json(config).dump() << "\n";
    for (const auto& naming : as_double.names.namings()) std::cout << "  naming: " << naming << "\n";
    for (const auto& e : as_double.names.entries())
        std::cout << "  " << e.parameter << " <- " << e.key << " " << dims(as_double.block.parameter_shape(e.parameter))
                  << "\n";
    if (!file.contains("x")) {
        std::cout << "no tensor 'x': weights loaded, nothing to run\n";
        return true;
    }
    if (!file.contains("y")) {
        run_on_x(file, as_double.block);
        std::cout << "ran on x " << dims(file.info("x").shape) << "; no tensor 'y' to compare with\n";
        return true;
    }
    const double d = worst_deviation(file, as_double), f = worst_deviation(file, as_float);
    std::cout << "forward on x " << dims(file.info("x").shape) << ", worst |y - y_file| / (1 + |y_file|): double "
              << std::scientific << std::setprecision(2) << d << " (tolerance " << tolerance<double>() << "), float " << f
              << " (tolerance " << tolerance<float>() << ")\n";
    if (d <= tolerance<double>() && f <= tolerance<float>()) return true;
    std::cerr << "seattn-inspect: " << file.source() << ": the block's output differs from tensor 'y' (double "
              << d << ", float " << f << ")\n";
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: seattn-inspect FILE.safetensors\n";
        return 1;
    }
    try {
        const auto file = seattn::io::SafeTensors::open(argv[1]);
        list_contents(file);
        if (!seattn::io::has_block_config(file)) return 0;
        return check_block(file) ? 0 : 1;
    } catch (const seattn::error& e) {
        std::cerr << "seattn-inspect: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "seattn-inspect: " << argv[1] << ": " << e.what() << "\n";
    }
    return 1;
}
