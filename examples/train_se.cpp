// Trains an SEBlock with plain SGD so that its channel weights reproduce a target
// reweighting: the target output is x with channel c scaled by target[c]. Prints the loss
// as it falls and the learned channel weights beside the target, then saves the trained
// weights as safetensors under torchvision's names (fc1/fc2 1x1 convs with biases), which
//   torchvision.ops.SqueezeExcitation(8, 4).load_state_dict(safetensors.torch.load_file(path))
// reads back. Usage: train_se [output.safetensors] (default train_se.safetensors).

#include <cmath>
#include <iomanip>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <seattn/io.hpp>
#include <seattn/seattn.hpp>

namespace {

using Block = seattn::SEBlock<float, seattn::NCHW>;
using Tensor = seattn::Tensor4<float>;

/// A batch of N(0, 1) feature maps, N x C x H x W.
Tensor random_batch(seattn::Index n, seattn::Index c, seattn::Index hw, std::mt19937_64& rng) {
    Tensor x(n, c, hw, hw);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (seattn::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
    return x;
}

/// p -= learning_rate * dL/dp for every parameter with a gradient.
void sgd_step(Block& block, const seattn::Gradients<float>& grads, float learning_rate) {
    for (std::size_t g = 0; g < grads.size(); ++g) {
        std::vector<float> values = block.parameter(grads.name(g));
        for (std::size_t i = 0; i < values.size(); ++i) values[i] -= learning_rate * grads.values(g)[i];
        block.set_parameter(grads.name(g), grads.shape(g), values.data());
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "train_se.safetensors";
    constexpr seattn::Index channels = 8, batch = 16, size = 8;
    const std::vector<float> target{0.9f, 0.1f, 0.5f, 0.75f, 0.25f, 0.6f, 0.05f, 0.95f};
    constexpr float learning_rate = 2.0f;
    constexpr int steps = 400;

    seattn::SEConfig config;
    config.channels = channels;
    config.reduced = 4;
    config.bias = true;
    config.fc = seattn::FcKind::conv1x1;  // torchvision's SqueezeExcitation
    Block block(config, /*seed=*/1);

    Eigen::ThreadPool pool(2);
    seattn::TrainingWorkspace<float> ws(&pool);
    seattn::Gradients<float> grads;
    std::mt19937_64 rng(7);
    Tensor y(batch, channels, size, size), grad_y(batch, channels, size, size), grad_x(batch, channels, size, size);

    // L = 1/2 * sum over channels of the mean over samples and pixels of (y - target * x)^2.
    const float per_position = 1.0f / float(batch * size * size);
    std::cout << "step      loss\n";
    for (int step = 0; step <= steps; ++step) {
        const Tensor x = random_batch(batch, channels, size, rng);
        block.forward_train(x, y, ws);
        double loss = 0;
        for (seattn::Index n = 0; n < batch; ++n)
            for (seattn::Index c = 0; c < channels; ++c)
                for (seattn::Index h = 0; h < size; ++h)
                    for (seattn::Index w = 0; w < size; ++w) {
                        const float error = y(n, c, h, w) - target[c] * x(n, c, h, w);
                        loss += 0.5 * double(error) * double(error) * per_position;
                        grad_y(n, c, h, w) = error * per_position;
                    }
        if (step % 50 == 0) std::cout << std::setw(4) << step << "  " << std::scientific << std::setprecision(3) << loss << "\n";
        block.backward(grad_y, grad_x, grads, ws);
        sgd_step(block, grads, learning_rate);
    }

    const Tensor x = random_batch(batch, channels, size, rng);
    block.forward_train(x, y, ws);
    const auto weights = ws.channel_weights();
    std::cout << std::fixed << std::setprecision(3) << "\nchannel  target  learned (mean over a fresh batch)\n";
    for (seattn::Index c = 0; c < channels; ++c) {
        double mean = 0;
        for (seattn::Index n = 0; n < batch; ++n) mean += weights(n, c) / batch;
        std::cout << std::setw(7) << c << "  " << std::setw(6) << target[c] << "  " << std::setw(7) << mean << "\n";
    }

    seattn::io::SafeTensorsWriter writer;
    seattn::io::save_state_dict(writer, block, seattn::io::StateDictNames::own(block));
    writer.set_metadata("config", seattn::io::block_config_json(block.config()).dump());
    writer.save(path);
    std::cout << "\nsaved the trained weights to " << path << "\n";
}
