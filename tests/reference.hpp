#pragma once
// An independent, deliberately plain reference for the tests: nested loops in double on
// NCHW data, written from the papers' formulas and PyTorch's definitions, sharing no code
// with the library.

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <unsupported/Eigen/CXX11/Tensor>

namespace ref {

using Tensor4d = Eigen::Tensor<double, 4, Eigen::RowMajor>;

struct Mlp {
    std::vector<double> w1, b1, w2, b2;  // w1 [r][c], w2 [c][r]; empty biases mean none
    int c = 0, r = 0;
    bool silu = false;
    bool hardsigmoid = false;
};

inline double gate(double v, bool hard) {
    return hard ? std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0 : 1.0 / (1.0 + std::exp(-v));
}

inline std::vector<double> mlp(const Mlp& m, const std::vector<double>& z) {
    std::vector<double> out(m.c, 0.0);
    for (int j = 0; j < m.r; ++j) {
        double h = m.b1.empty() ? 0.0 : m.b1[j];
        for (int i = 0; i < m.c; ++i) h += m.w1[j * m.c + i] * z[i];
        h = m.silu ? h / (1.0 + std::exp(-h)) : std::max(h, 0.0);
        for (int i = 0; i < m.c; ++i) out[i] += m.w2[i * m.r + j] * h;
    }
    if (!m.b2.empty())
        for (int i = 0; i < m.c; ++i) out[i] += m.b2[i];
    return out;
}

/// Channel weights [n][c] of SE (with_max = false) or CBAM's channel attention (true).
inline std::vector<std::vector<double>> channel_weights(const Tensor4d& x, const Mlp& m, bool with_max) {
    const int N = x.dimension(0), C = x.dimension(1), H = x.dimension(2), W = x.dimension(3);
    std::vector<std::vector<double>> result;
    for (int n = 0; n < N; ++n) {
        std::vector<double> mean(C, 0.0), max(C, -INFINITY);
        for (int c = 0; c < C; ++c)
            for (int h = 0; h < H; ++h)
                for (int w = 0; w < W; ++w) {
                    mean[c] += x(n, c, h, w) / (H * W);
                    max[c] = std::max(max[c], x(n, c, h, w));
                }
        std::vector<double> logits = mlp(m, mean);
        if (with_max) {
            const std::vector<double> second = mlp(m, max);
            for (int c = 0; c < C; ++c) logits[c] += second[c];
        }
        for (double& v : logits) v = gate(v, m.hardsigmoid);
        result.push_back(logits);
    }
    return result;
}

struct Spatial {
    int k = 7;
    std::vector<double> weight;  // [2][k][k]
    double bias = 0.0;
    bool max_first = false;
    bool batchnorm = false;
    double bn_weight = 1, bn_bias = 0, bn_mean = 0, bn_var = 1, bn_eps = 1e-5;
    bool hardsigmoid = false;
};

/// The k x k cross-correlation (PyTorch's Conv2d, zero padding k / 2) of the two H x W maps
/// with weight [2][k][k], plus bias: an H x W map.
inline std::vector<double> conv(const std::vector<double> (&maps)[2], int H, int W, const std::vector<double>& weight,
                                int k, double bias) {
    const int p = k / 2;
    std::vector<double> out(H * W);
    for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w) {
            double acc = bias;
            for (int m = 0; m < 2; ++m)
                for (int i = 0; i < k; ++i)
                    for (int j = 0; j < k; ++j) {
                        const int hh = h + i - p, ww = w + j - p;
                        if (hh >= 0 && hh < H && ww >= 0 && ww < W)
                            acc += weight[(m * k + i) * k + j] * maps[m][hh * W + ww];
                    }
            out[h * W + w] = acc;
        }
    return out;
}

/// Spatial maps [n][h][w], the conv followed by an unfolded BatchNorm as PyTorch runs it.
inline std::vector<std::vector<double>> spatial_map(const Tensor4d& x, const Spatial& s) {
    const int N = x.dimension(0), C = x.dimension(1), H = x.dimension(2), W = x.dimension(3);
    std::vector<std::vector<double>> result;
    for (int n = 0; n < N; ++n) {
        std::vector<double> pooled[2] = {std::vector<double>(H * W, 0.0), std::vector<double>(H * W, -INFINITY)};
        for (int c = 0; c < C; ++c)
            for (int i = 0; i < H * W; ++i) {
                pooled[0][i] += x(n, c, i / W, i % W) / C;
                pooled[1][i] = std::max(pooled[1][i], x(n, c, i / W, i % W));
            }
        if (s.max_first) std::swap(pooled[0], pooled[1]);
        std::vector<double> map = conv(pooled, H, W, s.weight, s.k, s.bias);
        for (double& acc : map) {
            if (s.batchnorm) acc = (acc - s.bn_mean) / std::sqrt(s.bn_var + s.bn_eps) * s.bn_weight + s.bn_bias;
            acc = gate(acc, s.hardsigmoid);
        }
        result.push_back(map);
    }
    return result;
}

/// x scaled by per-channel weights and/or per-pixel maps (either may be empty).
inline Tensor4d scale(const Tensor4d& x, const std::vector<std::vector<double>>& channel,
                      const std::vector<std::vector<double>>& spatial) {
    Tensor4d y = x;
    const int N = x.dimension(0), C = x.dimension(1), H = x.dimension(2), W = x.dimension(3);
    for (int n = 0; n < N; ++n)
        for (int c = 0; c < C; ++c)
            for (int h = 0; h < H; ++h)
                for (int w = 0; w < W; ++w) {
                    if (!channel.empty()) y(n, c, h, w) *= channel[n][c];
                    if (!spatial.empty()) y(n, c, h, w) *= spatial[n][h * W + w];
                }
    return y;
}

inline std::vector<double> uniform(std::size_t count, double bound, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> dist(-bound, bound);
    std::vector<double> v(count);
    for (double& e : v) e = dist(rng);
    return v;
}

inline Tensor4d random_tensor(int n, int c, int h, int w, std::mt19937_64& rng) {
    Tensor4d x(n, c, h, w);
    std::normal_distribution<double> dist(0.0, 1.0);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = dist(rng);
    return x;
}

}  // namespace ref
