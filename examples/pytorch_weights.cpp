// The PyTorch round trip: run, in C++, an SE block and a CBAM block whose weights PyTorch
// saved with safetensors.torch.save_file (the README's "PyTorch weights" section has the
// Python lines), and compare with the output PyTorch saved next to them.
//
//   pytorch_weights se.safetensors cbam.safetensors
//
// A file whose metadata carries a block `config` (as the golden files do) builds that block;
// otherwise the configs below, which match the README's Python modules, are used.

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>

#include <seattn/io.hpp>

namespace {

/// torchvision.ops.SqueezeExcitation(64, 16): 1x1 convs with biases, ReLU, sigmoid.
seattn::SEConfig torchvision_se() {
    seattn::SEConfig config;
    config.channels = 64;
    config.reduced = 16;
    config.bias = true;
    config.fc = seattn::FcKind::conv1x1;
    return config;
}

/// timm's CbamModule(64): avg + max pooled 1x1-conv MLP without biases (64 / 16 = 4 wide),
/// then a 7x7 conv without bias followed by an eval-mode BatchNorm.
seattn::CBAMConfig timm_cbam() {
    seattn::CBAMConfig config;
    config.channel.channels = 64;
    config.channel.reduced = 4;
    config.channel.fc = seattn::FcKind::conv1x1;
    config.spatial.kernel = 7;
    config.spatial.batchnorm = true;
    return config;
}

/// Loads `block` from `file`, prints where each weight came from, runs it on the file's x
/// and compares with its y; returns whether they agree.
bool run(seattn::AnyBlock<float, seattn::NCHW>& block, const seattn::io::SafeTensors& file) {
    const seattn::io::StateDictNames names = seattn::io::load_state_dict(block, file);
    std::cout << file.source() << ": " << seattn::block_kind_name(block.kind()) << " block\n";
    for (const auto& naming : names.namings()) std::cout << "  naming: " << naming << "\n";
    for (const auto& e : names.entries()) std::cout << "  " << e.parameter << " <- " << e.key << "\n";

    const seattn::Tensor4<float> x = file.tensor<float, 4>("x");  // N, C, H, W as PyTorch saved it
    const seattn::Tensor4<float> y = block.forward(x);
    const seattn::Tensor4<double> expected = file.tensor<double, 4>("y");
    double worst = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i)
        worst = std::max(worst, std::abs(double(y.data()[i]) - expected.data()[i]) / (1 + std::abs(expected.data()[i])));
    // PyTorch's float32 and ours round differently; 1e-4 leaves room for long sums.
    const bool match = worst <= 1e-4;
    std::cout << "  x " << x.dimension(0) << "x" << x.dimension(1) << "x" << x.dimension(2) << "x" << x.dimension(3)
              << ": worst |y - y_pytorch| / (1 + |y_pytorch|) = " << worst << (match ? " (match)\n" : " (MISMATCH)\n");
    return match;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: pytorch_weights se.safetensors cbam.safetensors\n";
        return 1;
    }
    try {
        bool ok = true;
        const seattn::BlockConfig defaults[] = {torchvision_se(), timm_cbam()};
        for (int i = 0; i < 2; ++i) {
            const auto file = seattn::io::SafeTensors::open(argv[i + 1]);
            const seattn::BlockConfig config =
                seattn::io::has_block_config(file) ? seattn::io::metadata_block_config(file) : defaults[i];
            seattn::AnyBlock<float, seattn::NCHW> block(config);
            ok = run(block, file) && ok;
        }
        return ok ? 0 : 1;
    } catch (const seattn::error& e) {  // format_error, config_error, shape_error
        std::cerr << "pytorch_weights: " << e.what() << "\n";
        return 1;
    }
}
