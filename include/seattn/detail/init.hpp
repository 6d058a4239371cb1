#pragma once
// PyTorch's default parameter initialisation, reproduced in distribution: Linear and Conv2d
// weights and biases are U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)).

#include <cmath>
#include <random>

#include "../layout.hpp"

namespace seattn::detail {

template <class S>
void init_uniform_fan_in(S* data, Index count, Index fan_in, std::mt19937_64& rng) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    std::uniform_real_distribution<double> dist(-bound, bound);
    for (Index i = 0; i < count; ++i) data[i] = static_cast<S>(dist(rng));
}

}  // namespace seattn::detail
