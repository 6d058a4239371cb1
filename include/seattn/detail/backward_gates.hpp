#pragma once
// Derivatives of the gates and activations, as PyTorch's autograd defines them at every
// input, kinks included.

#include "gates.hpp"

namespace seattn::detail {

/// dL/d(logit) from dL/d(gate), given the logit and the gate value it produced.
/// Hard-sigmoid: grad * 1/6 strictly inside (-3, 3) and 0 elsewhere, as PyTorch's
/// hardsigmoid_backward (so 0 at exactly -3 and 3). PyTorch's CPU kernel takes 1/6 as the
/// float constant 1.0f / 6.0f also for double tensors (3e-8 above 1/6); using the same
/// constant keeps double gradients equal to PyTorch's to rounding instead of to 3e-8.
template <class S>
S gate_backward(Gate g, S logit, S gate, S grad) {
    if (g == Gate::sigmoid) return grad * (S(1) - gate) * gate;
    constexpr S pytorch_one_sixth = S(1.0f / 6.0f);
    return (logit > S(-3) && logit < S(3)) ? grad * pytorch_one_sixth : S(0);
}

/// dL/d(pre-activation) from dL/d(activation). ReLU passes the gradient where its output is
/// positive (0 at the kink, as PyTorch's threshold_backward); SiLU's derivative is
/// s * (1 + a * (1 - s)) with s = sigmoid(a).
template <class S>
S activation_backward(Activation act, S pre, S grad) {
    if (act == Activation::relu) return pre > S(0) ? grad : S(0);
    const S s = sigmoid(pre);
    return grad * (s * (S(1) + pre * (S(1) - s)));
}

}  // namespace seattn::detail
