#pragma once
// Excitation: the two-layer MLP that maps a pooled channel vector to channel logits.

#include <Eigen/Core>

#include "../config.hpp"
#include "gates.hpp"

namespace seattn::detail {

template <class S>
struct Excitation {
    using Matrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Vector = Eigen::Matrix<S, Eigen::Dynamic, 1>;

    Matrix fc1_weight;  // reduced x channels (PyTorch's [out, in])
    Vector fc1_bias;    // reduced; zero when the config has no bias
    Matrix fc2_weight;  // channels x reduced
    Vector fc2_bias;    // channels
    Activation activation = Activation::relu;

    Index channels() const { return fc1_weight.cols(); }
    Index reduced() const { return fc1_weight.rows(); }

    /// logits (+)= fc2(act(fc1(pooled))); `hidden` receives the activated hidden vector.
    void logits(const S* pooled, S* hidden, S* out, bool accumulate) const {
        Eigen::Map<const Vector> z(pooled, channels());
        Eigen::Map<Vector> h(hidden, reduced()), e(out, channels());
        h.noalias() = fc1_weight * z;
        h += fc1_bias;
        for (Index i = 0; i < h.size(); ++i) h[i] = apply_activation(activation, h[i]);
        if (accumulate)
            e.noalias() += fc2_weight * h;
        else
            e.noalias() = fc2_weight * h;
        e += fc2_bias;
    }
};

}  // namespace seattn::detail
