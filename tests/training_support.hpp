#pragma once
// Helpers for the training tests: the loss L = sum(y * grad_y), central finite differences
// of it, and copying parameters between blocks of different scalar types.

#include <cmath>
#include <string>
#include <vector>

#include "support.hpp"

namespace training {

/// L = sum(y * grad_y) with y from the block's inference forward.
template <class Block, class S>
double loss(const Block& block, const support::T4<S>& x, const support::T4<S>& grad_y) {
    const support::T4<S> y = block.forward(x);
    double total = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) total += double(y.data()[i]) * double(grad_y.data()[i]);
    return total;
}

/// Requires |analytic - numeric| <= tol * (1 + |numeric|), naming what failed.
inline void require_matches(double analytic, double numeric, double tol, const std::string& what) {
    if (!(std::abs(analytic - numeric) <= tol * (1.0 + std::abs(numeric)))) {
        INFO(what << ": backward " << analytic << ", finite difference " << numeric);
        REQUIRE(std::abs(analytic - numeric) <= tol * (1.0 + std::abs(numeric)));
    }
}

/// Checks grad_x and every parameter gradient of `block` (double) at x against central
/// finite differences of L = sum(y * grad_y).
template <class Block>
void check_finite_differences(Block block, support::T4<double> x, const support::T4<double>& grad_y) {
    constexpr double eps = 1e-6, tol = 1e-6;
    seattn::TrainingWorkspace<double> ws;
    seattn::Gradients<double> grads;
    support::T4<double> y(x.dimensions()), grad_x(x.dimensions());
    block.forward_train(x, y, ws);
    support::require_close(y, block.forward(x), 1e-12);
    block.backward(grad_y, grad_x, grads, ws);

    for (Eigen::Index i = 0; i < x.size(); ++i) {
        const double saved = x.data()[i];
        x.data()[i] = saved + eps;
        const double up = loss(block, x, grad_y);
        x.data()[i] = saved - eps;
        const double down = loss(block, x, grad_y);
        x.data()[i] = saved;
        require_matches(grad_x.data()[i], (up - down) / (2 * eps), tol, "grad_x[" + std::to_string(i) + "]");
    }

    std::size_t trainable = 0;
    for (const std::string& name : block.parameter_names())
        if (name.find("running_") == std::string::npos) ++trainable;
    REQUIRE(grads.size() == trainable);
    for (std::size_t g = 0; g < grads.size(); ++g) {
        const std::string name = grads.name(g);
        REQUIRE(grads.shape(g) == block.parameter_shape(name));
        std::vector<double> values = block.parameter(name);
        REQUIRE(grads.values(g).size() == values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double saved = values[i];
            values[i] = saved + eps;
            block.set_parameter(name, grads.shape(g), values.data());
            const double up = loss(block, x, grad_y);
            values[i] = saved - eps;
            block.set_parameter(name, grads.shape(g), values.data());
            const double down = loss(block, x, grad_y);
            values[i] = saved;
            block.set_parameter(name, grads.shape(g), values.data());
            require_matches(grads.values(g)[i], (up - down) / (2 * eps), tol, name + "[" + std::to_string(i) + "]");
        }
    }
}

/// Requires the same gradient names, in the same order, with values within `tol` of
/// `expected`'s (|a - b| <= tol * (1 + |b|); tol 0 demands identical values).
template <class A, class B>
void require_same_gradients(const seattn::Gradients<A>& actual, const seattn::Gradients<B>& expected, double tol) {
    REQUIRE(actual.names() == expected.names());
    for (std::size_t g = 0; g < expected.size(); ++g) {
        INFO(expected.name(g));
        const auto& a = actual.values(g);
        const auto& b = expected.values(g);
        using ArrayA = Eigen::Array<A, Eigen::Dynamic, 1>;
        using ArrayB = Eigen::Array<B, Eigen::Dynamic, 1>;
        support::require_close(Eigen::Map<const ArrayA>(a.data(), Eigen::Index(a.size())),
                               Eigen::Map<const ArrayB>(b.data(), Eigen::Index(b.size())), tol);
    }
}

/// Copies every parameter of `from` into `to` (same configuration, any scalar types).
template <class To, class From>
void copy_parameters(To& to, const From& from) {
    for (const std::string& name : from.parameter_names()) {
        const auto values = from.parameter(name);
        std::vector<typename decltype(to.parameter(name))::value_type> cast(values.begin(), values.end());
        to.set_parameter(name, from.parameter_shape(name), cast.data());
    }
}

/// Sets a BatchNorm's statistics and affine parameters (prefix "" or "spatial.") to
/// non-trivial values so that each of them matters.
template <class Block>
void set_batchnorm(Block& block, const std::string& prefix) {
    using S = typename decltype(block.parameter(prefix + "bn.weight"))::value_type;
    const std::vector<seattn::Index> one{1};
    const S weight = S(1.3), bias = S(-0.2), mean = S(0.1), var = S(0.7);
    block.set_parameter(prefix + "bn.weight", one, &weight);
    block.set_parameter(prefix + "bn.bias", one, &bias);
    block.set_parameter(prefix + "bn.running_mean", one, &mean);
    block.set_parameter(prefix + "bn.running_var", one, &var);
}

}  // namespace training
