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

    /// hidden[i] = act(fc1(pooled))[i] for i in [begin, end): a slice of fc1's rows, so
    /// that threads can share one sample's excitation (logits follow from logit_rows).
    void hidden_rows(const S* pooled, S* hidden, Index begin, Index end) const {
        Eigen::Map<const Vector> z(pooled, channels());
        Eigen::Map<Vector> h(hidden + begin, end - begin);
        h.noalias() = fc1_weight.middleRows(begin, end - begin) * z;
        h += fc1_bias.segment(begin, end - begin);
        for (Index i = 0; i < h.size(); ++i) h[i] = apply_activation(activation, h[i]);
    }

    /// out[c] (+)= fc2(hidden)[c] for c in [begin, end), a slice of fc2's rows.
    void logit_rows(const S* hidden, S* out, Index begin, Index end, bool accumulate) const {
        Eigen::Map<const Vector> h(hidden, reduced());
        Eigen::Map<Vector> e(out + begin, end - begin);
        if (accumulate)
            e.noalias() += fc2_weight.middleRows(begin, end - begin) * h;
        else
            e.noalias() = fc2_weight.middleRows(begin, end - begin) * h;
        e += fc2_bias.segment(begin, end - begin);
    }
};

}  // namespace seattn::detail
