#pragma once
// The excitation MLP (fc1, activation, fc2) as training needs it: the backward of one pooled
// path and the weight gradients over a batch (its forward is the inference one, Excitation).

#include <Eigen/Core>

#include "backward_gates.hpp"
#include "excitation.hpp"
#include "parallel.hpp"
#include "squeeze.hpp"

namespace seattn::detail {

/// Backward of one pooled path: from dL/dlogits (channels) to dL/dpre (reduced, kept for
/// the weight gradients) and dL/dpooled (channels). `grad_hidden` is `reduced` of scratch.
template <class S>
void excitation_backward(const Excitation<S>& mlp, const S* grad_logits, const S* pre, S* grad_hidden, S* grad_pre,
                         S* grad_pooled) {
    using Vector = typename Excitation<S>::Vector;
    Eigen::Map<const Vector> gl(grad_logits, mlp.channels()), a(pre, mlp.reduced());
    Eigen::Map<Vector> gh(grad_hidden, mlp.reduced()), ga(grad_pre, mlp.reduced()), gz(grad_pooled, mlp.channels());
    gh.noalias() = mlp.fc2_weight.transpose() * gl;
    for (Index i = 0; i < ga.size(); ++i) ga[i] = activation_backward(mlp.activation, a[i], gh[i]);
    gz.noalias() = mlp.fc1_weight.transpose() * ga;
}

/// Weight and bias gradients of the MLP summed over a batch of `n` samples and `paths`
/// pooled paths, in sample order whatever the thread count:
///   d fc2.weight[c, r] = sum grad_logits[n, c] * hidden[path, n, r],  d fc2.bias[c] = sum grad_logits[n, c]
///   d fc1.weight[r, c] = sum grad_pre[path, n, r] * pooled[path, n, c], d fc1.bias[r] = sum grad_pre[path, n, r]
/// (the fc2 bias is added once per path, so each path contributes). Bias pointers may be null.
template <class S>
void excitation_parameter_gradients(Eigen::ThreadPoolInterface* pool, Index n, Index paths, Index channels,
                                    Index reduced, const S* grad_logits, const S* hidden, const S* grad_pre,
                                    const S* pooled, S* fc1_weight, S* fc1_bias, S* fc2_weight, S* fc2_bias) {
    const Index batch_c = n * channels, batch_r = n * reduced;
    parallel_for(pool, channels, [&](Index begin, Index end) {
        for (Index c = begin; c < end; ++c) {
            ArrayMap<S> row(fc2_weight + c * reduced, reduced);
            S bias = S(0);
            for (Index s = 0; s < n; ++s)
                for (Index path = 0; path < paths; ++path) {
                    const S g = grad_logits[s * channels + c];
                    row += g * ConstArrayMap<S>(hidden + path * batch_r + s * reduced, reduced);
                    bias += g;
                }
            if (fc2_bias) fc2_bias[c] = bias;
        }
    });
    parallel_for(pool, reduced, [&](Index begin, Index end) {
        for (Index r = begin; r < end; ++r) {
            ArrayMap<S> row(fc1_weight + r * channels, channels);
            S bias = S(0);
            for (Index s = 0; s < n; ++s)
                for (Index path = 0; path < paths; ++path) {
                    const S g = grad_pre[path * batch_r + s * reduced + r];
                    row += g * ConstArrayMap<S>(pooled + path * batch_c + s * channels, channels);
                    bias += g;
                }
            if (fc1_bias) fc1_bias[r] = bias;
        }
    });
}

}  // namespace seattn::detail
