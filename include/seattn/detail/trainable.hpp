#pragma once
// The training interface every block shares: tensor checks, the saved input, and the
// forward_train / backward pairing. Derived provides
//   void check_input(const Shape&) const;     // throws shape_error
//   void train_forward(const Scalar* x, Scalar* y, const Shape&, TrainingWorkspace<Scalar>&) const;
//   void train_backward(const Scalar* grad_y, Scalar* grad_x, const Shape&, Gradients<Scalar>&,
//                       TrainingWorkspace<Scalar>&) const;

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
        const auto io = input_output<Scalar, Layout>(x, y, "input", "output");
        derived().check_input(io.in.shape);
        ws.begin_forward(this, io.in.shape, io.in.data);
        derived().train_forward(ws.input_.data(), io.out.data, io.in.shape, ws);
    }

    /// Backward of the last forward_train through `ws` (which this block ran, with its
    /// parameters unchanged since): from dL/dy `grad_y` (the output's shape and layout)
    /// writes dL/dx into `grad_x` (same shape; may be `grad_y` itself) and overwrites `grads`
    /// with dL/d(parameter) for every trainable parameter, summed over the batch. Throws
    /// std::logic_error when `ws` holds no forward_train of this block, shape_error when
    /// grad_y's shape differs from that forward's. Allocates nothing once warm.
    template <class GYT, class GXT>
    void backward(const GYT& grad_y, GXT&& grad_x, Gradients<Scalar>& grads, TrainingWorkspace<Scalar>& ws) const {
        if (ws.block_ != this) throw std::logic_error("backward: the workspace holds no forward_train of this block");
        const auto io = input_output<Scalar, Layout>(grad_y, grad_x, "grad_y", "grad_x");
        const Shape& s = ws.shape_, &gy = io.in.shape;
        if (gy.n != s.n || gy.c != s.c || gy.h != s.h || gy.w != s.w)
            throw shape_error("backward: grad_y must have the forward's shape, " + describe(s, Layout{}) + "; got " +
                              describe(gy, Layout{}));
        clear_gradients(grads);
        derived().train_backward(io.in.data, io.out.data, s, grads, ws);
    }

private:
    const Derived& derived() const { return static_cast<const Derived&>(*this); }
};

}  // namespace seattn::detail
