#pragma once
// Reading a block's input and output tensors as (N, C, H, W) batches, whatever their rank
// and layout, with the checks that turn misuse into a shape_error.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "../errors.hpp"
#include "../layout.hpp"

namespace seattn::detail {

/// Sizes of a batch in the block's terms; the layout decides the strides.
struct Shape {
    Index n = 0, c = 0, h = 0, w = 0;
    Index pixels() const { return h * w; }
    Index sample_size() const { return c * h * w; }
    Index size() const { return n * c * h * w; }
};

/// "3 channels (input N=2, C=3, H=9, W=7, NHWC)"
template <class Layout>
std::string describe(const Shape& s, Layout) {
    return std::to_string(s.c) + " channels (input N=" + std::to_string(s.n) + ", C=" + std::to_string(s.c) +
           ", H=" + std::to_string(s.h) + ", W=" + std::to_string(s.w) + ", " + Layout::name + ")";
}

/// "[2, 64, 9, 7]"
template <class Dims>
std::string format_dims(const Dims& dims, int rank) {
    std::string s = "[";
    for (int i = 0; i < rank; ++i) {
        if (i) s += ", ";
        s += std::to_string(static_cast<long long>(dims[i]));
    }
    return s + "]";
}

template <class Layout>
std::string layout_dims_name(int rank) {
    if (std::is_same<Layout, NCHW>::value) return rank == 3 ? "(C, H, W)" : "(N, C, H, W)";
    return rank == 3 ? "(H, W, C)" : "(N, H, W, C)";
}

/// A raw pointer to a batch with its shape.
template <class Scalar>
struct Batch {
    Scalar* data = nullptr;
    Shape shape;
};

template <class T>
using tensor_scalar_t = std::remove_const_t<typename Eigen::internal::traits<std::decay_t<T>>::Scalar>;

/// Views an Eigen Tensor / TensorMap of rank 3 or 4 as a batch; throws shape_error on any
/// other rank, on empty dimensions, or on sizes whose element count overflows Index.
template <class Layout, class TensorType>
auto batch_of(TensorType& t, const char* what) {
    using T = std::decay_t<TensorType>;
    static_assert(static_cast<int>(T::Layout) == static_cast<int>(Eigen::RowMajor),
                  "seattn tensors must be Eigen::RowMajor so that memory matches PyTorch / TensorFlow");
    constexpr int rank = T::NumDimensions;
    const auto& dims = t.dimensions();
    if (rank != 3 && rank != 4)
        throw shape_error(std::string(what) + ": expected rank 4 " + layout_dims_name<Layout>(4) +
                          " or rank 3 " + layout_dims_name<Layout>(3) + ", got rank " +
                          std::to_string(rank) + " " + format_dims(dims, rank));
    std::array<Index, 4> d{1, 1, 1, 1};
    for (int i = 0; i < rank; ++i) d[4 - rank + i] = static_cast<Index>(dims[i]);
    Index total = 1;
    for (int i = 0; i < 4; ++i) {
        if (d[i] < 1)
            throw shape_error(std::string(what) + ": every dimension of " + layout_dims_name<Layout>(rank) +
                              " must be >= 1, got " + format_dims(dims, rank));
        if (total > std::numeric_limits<Index>::max() / d[i])
            throw shape_error(std::string(what) + ": element count of " + format_dims(dims, rank) +
                              " overflows a 64-bit index");
        total *= d[i];
    }
    Shape s;
    s.n = d[0];
    if (std::is_same<Layout, NCHW>::value) {
        s.c = d[1], s.h = d[2], s.w = d[3];
    } else {
        s.h = d[1], s.w = d[2], s.c = d[3];
    }
    using Ptr = decltype(t.data());
    return Batch<std::remove_pointer_t<Ptr>>{t.data(), s};
}

/// Checks that y has exactly x's dimensions and either is x or does not overlap it.
template <class XT, class YT>
void check_output(const XT& x, const YT& y, const void* x_data, std::size_t x_bytes, const void* y_data) {
    constexpr int xr = std::decay_t<XT>::NumDimensions, yr = std::decay_t<YT>::NumDimensions;
    bool same = xr == yr;
    for (int i = 0; same && i < xr; ++i) same = x.dimensions()[i] == y.dimensions()[i];
    if (!same)
        throw shape_error("output: expected the input's shape " + format_dims(x.dimensions(), xr) + ", got " +
                          format_dims(y.dimensions(), yr));
    const auto xb = reinterpret_cast<std::uintptr_t>(x_data), yb = reinterpret_cast<std::uintptr_t>(y_data);
    if (xb != yb && xb < yb + x_bytes && yb < xb + x_bytes)
        throw shape_error("output: y partially overlaps x; pass the same tensor for in-place or a disjoint one");
}

/// A tensor a block reads and the tensor it writes from it, as batches.
template <class In, class Out>
struct InputOutput {
    Batch<In> in;
    Batch<Out> out;
};

/// Views `x` (read) and `y` (written) as batches of Scalar in Layout, named `x_name` and
/// `y_name` in errors: both rank 3 or 4 with non-empty dimensions, y of x's shape, and y either
/// x itself or not overlapping it (else shape_error).
template <class Scalar, class Layout, class XT, class YT>
auto input_output(const XT& x, YT& y, const char* x_name, const char* y_name) {
    static_assert(std::is_same<tensor_scalar_t<XT>, Scalar>::value, "tensor scalar types must match the block's");
    static_assert(std::is_same<tensor_scalar_t<YT>, Scalar>::value, "tensor scalar types must match the block's");
    const auto in = batch_of<Layout>(x, x_name);
    auto out = batch_of<Layout>(y, y_name);
    using Out = std::remove_pointer_t<decltype(out.data)>;
    static_assert(!std::is_const<Out>::value, "the written tensor must be writable");
    check_output(x, y, in.data, static_cast<std::size_t>(in.shape.size()) * sizeof(Scalar), out.data);
    return InputOutput<std::remove_pointer_t<decltype(in.data)>, Out>{in, out};
}

}  // namespace seattn::detail
