#pragma once
// What the forward and backward benchmarks share: the shape of an input, its random
// contents in a layout, and the thread pools kept for the whole run.

#include <memory>
#include <string>
#include <type_traits>

#include <seattn/seattn.hpp>

namespace bench {

using Tensor4 = seattn::Tensor4<float>;

/// N x C x H x W of one benchmarked input.
struct Dims {
    long n, c, h, w;
    std::string name() const {
        return std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
    }
    long size() const { return n * c * h * w; }
};

/// Pool of `size` worker threads (0 to 2), kept for the whole run (nullptr for 0).
inline Eigen::ThreadPool* shared_pool(int size) {
    static std::unique_ptr<Eigen::ThreadPool> pools[3];
    if (size == 0) return nullptr;
    if (!pools[size]) pools[size] = std::make_unique<Eigen::ThreadPool>(size);
    return pools[size].get();
}

/// A random tensor of shape `d`, its dimensions in Layout's order.
template <class Layout>
Tensor4 make_input(const Dims& d) {
    Tensor4 x = std::is_same<Layout, seattn::NCHW>::value ? Tensor4(d.n, d.c, d.h, d.w) : Tensor4(d.n, d.h, d.w, d.c);
    x.setRandom();
    return x;
}

}  // namespace bench
