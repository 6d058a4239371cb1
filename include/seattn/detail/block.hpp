#pragma once
// The forward interface every block shares: tensor checks, output allocation, in-place
// support and the per-thread default workspace. Derived provides
//   void check_input(const Shape&) const;            // throws shape_error
//   void run(const Scalar* x, Scalar* y, const Shape&, Workspace<Scalar>&) const;

#include <cstddef>
#include <type_traits>

#include "../workspace.hpp"
#include "shape.hpp"

namespace seattn::detail {

template <class Derived, class Scalar, class Layout>
class Block {
    static_assert(std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value,
                  "seattn blocks compute in float or double");
    static_assert(std::is_same<Layout, NCHW>::value || std::is_same<Layout, NHWC>::value,
                  "Layout is seattn::NCHW or seattn::NHWC");

public:
    /// Writes the block's output for `x` into `y` (same shape; may be `x` itself), using
    /// `ws` for scratch, its thread pool, and to keep the attention for inspection.
    template <class XT, class YT>
    void forward(const XT& x, YT&& y, Workspace<Scalar>& ws) const {
        static_assert(std::is_same<tensor_scalar_t<XT>, Scalar>::value, "input scalar type must match the block's");
        static_assert(std::is_same<tensor_scalar_t<YT>, Scalar>::value, "output scalar type must match the block's");
        const auto in = batch_of<Layout>(x, "input");
        auto out = batch_of<Layout>(y, "output");
        static_assert(!std::is_const<std::remove_pointer_t<decltype(out.data)>>::value, "output must be writable");
        check_output(x, y, in.data, static_cast<std::size_t>(in.shape.size()) * sizeof(Scalar), out.data);
        derived().check_input(in.shape);
        derived().run(in.data, out.data, in.shape, ws);
    }

    /// Writes the block's output for `x` into `y` (same shape; may be `x` itself) on the
    /// calling thread. Allocates nothing once this thread has seen the shape.
    template <class XT, class YT>
    void forward(const XT& x, YT&& y) const {
        thread_local Workspace<Scalar> ws;
        forward(x, y, ws);
    }

    /// The block's output for `x` (rank 3 or 4, dimensions in Layout's order) as a new tensor.
    template <class XT>
    Eigen::Tensor<Scalar, std::decay_t<XT>::NumDimensions, Eigen::RowMajor> forward(const XT& x) const {
        Eigen::Tensor<Scalar, std::decay_t<XT>::NumDimensions, Eigen::RowMajor> y(x.dimensions());
        forward(x, y);
        return y;
    }

private:
    const Derived& derived() const { return static_cast<const Derived&>(*this); }
};

}  // namespace seattn::detail
