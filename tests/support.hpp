#pragma once
// Test helpers: layout conversion, scalar casts and the comparisons the tests repeat.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <unsupported/Eigen/CXX11/Tensor>

#include <seattn/seattn.hpp>

#include "reference.hpp"

namespace support {

template <class S>
using T4 = Eigen::Tensor<S, 4, Eigen::RowMajor>;

/// NCHW -> NHWC
template <class S>
T4<S> to_nhwc(const T4<S>& x) {
    return x.shuffle(Eigen::array<int, 4>{0, 2, 3, 1});
}

/// NHWC -> NCHW
template <class S>
T4<S> to_nchw(const T4<S>& x) {
    return x.shuffle(Eigen::array<int, 4>{0, 3, 1, 2});
}

template <class S, class T>
T4<S> cast(const T4<T>& x) {
    return x.template cast<S>();
}

template <class S>
std::vector<S> cast(const std::vector<double>& v) {
    return std::vector<S>(v.begin(), v.end());
}

/// A copy of x placed `offset` elements into `storage`, as a map of x's shape: the same
/// values at another alignment.
template <class S>
Eigen::TensorMap<const T4<S>> copy_at(const T4<S>& x, std::vector<S>& storage, Eigen::Index offset) {
    REQUIRE(Eigen::Index(storage.size()) >= offset + x.size());
    std::copy(x.data(), x.data() + x.size(), storage.data() + offset);
    return Eigen::TensorMap<const T4<S>>(storage.data() + offset, x.dimensions());
}

/// Every element within |a - b| <= tol * (1 + |b|); reports the first failure.
template <class A, class B>
void require_close(const A& actual, const B& expected, double tol) {
    REQUIRE(actual.size() == expected.size());
    for (Eigen::Index i = 0; i < actual.size(); ++i) {
        const double a = double(actual.data()[i]), b = double(expected.data()[i]);
        if (!(std::abs(a - b) <= tol * (1.0 + std::abs(b)))) {
            INFO("element " << i << ": got " << a << ", expected " << b);
            REQUIRE(std::abs(a - b) <= tol * (1.0 + std::abs(b)));
        }
    }
}

}  // namespace support

namespace support {

/// A (scalar, layout) pair for TEMPLATE_TEST_CASE.
template <class S, class L>
struct Variant {
    using Scalar = S;
    using Layout = L;
};

/// x (given NCHW) in the variant's layout and scalar type.
template <class V>
T4<typename V::Scalar> in_layout(const T4<double>& nchw) {
    T4<typename V::Scalar> x = nchw.template cast<typename V::Scalar>();
    if (std::is_same<typename V::Layout, seattn::NHWC>::value) return to_nhwc(x);
    return x;
}

/// y (in the variant's layout) back in NCHW, as double.
template <class V>
T4<double> from_layout(const T4<typename V::Scalar>& y) {
    T4<double> d = y.template cast<double>();
    if (std::is_same<typename V::Layout, seattn::NHWC>::value) return to_nchw(d);
    return d;
}

/// Values of `block`'s parameter `name` as doubles, or none when the block has no such
/// parameter (a bias the configuration leaves out).
template <class Block>
std::vector<double> parameter_values(const Block& block, const std::string& name) {
    const auto names = block.parameter_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) return {};
    std::vector<double> values;
    for (const auto v : block.parameter(name)) values.push_back(double(v));
    return values;
}

/// The reference MLP (C channels, r hidden units) holding `block`'s fc1 and fc2 under
/// `prefix` (e.g. "channel." in CBAM), with their biases when it has them.
template <class Block>
ref::Mlp reference_mlp(const Block& block, const std::string& prefix, int c, int r) {
    ref::Mlp m;
    m.c = c, m.r = r;
    m.w1 = parameter_values(block, prefix + "fc1.weight");
    m.b1 = parameter_values(block, prefix + "fc1.bias");
    m.w2 = parameter_values(block, prefix + "fc2.weight");
    m.b2 = parameter_values(block, prefix + "fc2.bias");
    return m;
}

/// The reference spatial attention (a k x k kernel) holding `block`'s conv under `prefix`
/// (e.g. "spatial." in CBAM), with its bias when it has one.
template <class Block>
ref::Spatial reference_spatial(const Block& block, const std::string& prefix, int k) {
    ref::Spatial r;
    r.k = k;
    r.weight = parameter_values(block, prefix + "conv.weight");
    const auto bias = parameter_values(block, prefix + "conv.bias");
    if (!bias.empty()) r.bias = bias[0];
    return r;
}

/// Tolerance for comparing against a double reference.
template <class S>
constexpr double tolerance() {
    return std::is_same<S, float>::value ? 1e-5 : 1e-12;
}

}  // namespace support

#define SEATTN_VARIANTS                                                                           \
    (support::Variant<float, seattn::NCHW>), (support::Variant<float, seattn::NHWC>),             \
        (support::Variant<double, seattn::NCHW>), (support::Variant<double, seattn::NHWC>)
