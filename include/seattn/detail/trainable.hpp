#pragma once
// The training interface every block shares: tensor checks, the saved input, and the
// forward_train / backward pairing. Derived provides
//   void check_input(const Shape&) const;     // throws shape_error
//   void train_forward(const Scalar* x, Scalar* y, const Shape&, TrainingWorkspace<Scalar>&) const;
//   void train_backward(const Scalar* grad_y, Scalar* grad_x, const Shape&, Gradients<Scalar>&,
//                       TrainingWorkspace<Scalar>&) const;

#include <cstddef>
#include <stdexcept>
#include <type_traits>

#include "../gradients.hpp"
#include "../training_workspace.hpp"
#include "shape.hpp"

namespace seattn::detail {

template <class Derived, class Scalar, class Layout>
class Trainable {
public:
    /// Training-mode forward: writes the block's output for `x` into `y` (same shape; may be
    /// `x` itself) exactly as forward does, and keeps in `ws` a copy of x and every
    /// intermediate the backward needs. Allocates nothing once `ws` has seen the shape.
    template <class XT, class YT>
    void forward_train(const XT& x, YT&& y, TrainingWorkspace<Scalar>& ws) const {
        static_assert(std::is_same<tensor_scalar_t<XT>, Scalar>::value, "input scalar type must match the block's");
        static_assert(std::is_same<tensor_scalar_t<YT>, Scalar>::value, "output scalar type must match the block's");
        const auto in = batch_of<Layout>(x, "input");
        auto out = batch_of<Layout>(y, "output");
        static_assert(!std::is_const<std::remove_pointer_t<decltype(out.data)>>::value, "output must be writable");
        check_output(x, y, in.data, static_cast<std::size_t>(in.shape.size()) * sizeof(Scalar), out.data);
        derived().check_input(in.shape);
        ws.begin_forward(this, in.shape, in.data);
        derived().train_forward(ws.input_.data(), out.data, in.shape, ws);
    }

    /// Backward of the last forward_train through `ws` (which this block ran, with its
    /// parameters unchanged since): from dL/dy `grad_y` (the output's shape and layout)
    /// writes dL/dx into `grad_x` (same shape; may be `grad_y` itself) and overwrites `grads`
    /// with dL/d(parameter) for every trainable parameter, summed over the batch. Throws
    /// std::logic_error when `ws` holds no forward_train of this block, shape_error when
    /// grad_y's shape differs from that forward's. Allocates nothing once warm.
    template <class GYT, class GXT>
    void backward(const GYT& grad_y, GXT&& grad_x, Gradients<Scalar>& grads, TrainingWorkspace<Scalar>& ws) const {
        static_assert(std::is_same<tensor_scalar_t<GYT>, Scalar>::value, "grad_y scalar type must match the block's");
        static_assert(std::is_same<tensor_scalar_t<GXT>, Scalar>::value, "grad_x scalar type must match the block's");
        if (ws.block_ != this) throw std::logic_error("backward: the workspace holds no forward_train of this block");
        const auto gy = batch_of<Layout>(grad_y, "grad_y");
        auto gx = batch_of<Layout>(grad_x, "grad_x");
        static_assert(!std::is_const<std::remove_pointer_t<decltype(gx.data)>>::value, "grad_x must be writable");
        const Shape& s = ws.shape_;
        if (gy.shape.n != s.n || gy.shape.c != s.c || gy.shape.h != s.h || gy.shape.w != s.w)
            throw shape_error("backward: grad_y must have the forward's shape, " + describe(s, Layout{}) + "; got " +
                              describe(gy.shape, Layout{}));
        check_output(grad_y, grad_x, gy.data, static_cast<std::size_t>(s.size()) * sizeof(Scalar), gx.data);
        clear_gradients(grads);
        derived().train_backward(gy.data, gx.data, s, grads, ws);
    }

private:
    const Derived& derived() const { return static_cast<const Derived&>(*this); }
};

}  // namespace seattn::detail
