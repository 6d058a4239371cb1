#pragma once
// The forward interface every block shares: tensor checks, output allocation, in-place
// support and the per-thread default workspace. Derived provides
//   void check_input(const Shape&) const;            // throws shape_error
//   void run(const Scalar* x, Scalar* y, const Shape&, Workspace<Scalar>&) const;

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
        const auto io = input_output<Scalar, Layout>(x, y, "input", "output");
        derived().check_input(io.in.shape);
        derived().run(io.in.data, io.out.data, io.in.shape, ws);
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
