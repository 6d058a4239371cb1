// The fused kernels at the sizes that stress their edges: channel counts that are not a
// multiple of any packet size and a few that are, maps smaller than the conv kernel, small
// batches cut into more pieces than there are rows, pools of many threads, and outputs large
// enough for streaming stores. Expected values come from the independent double reference.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "support.hpp"

namespace {

struct Size {
    int n, c, h, w;
};

// 64, 24 and 8 channels are whole packets of float and double, few enough for the NHWC
// squeeze to keep their sums (and, for 24 and 8 floats and 8 doubles, maxes) in registers
// (detail::register_packets), over blocks of pixels with tails of 1-3. The two sizes
// before the last have NHWC rows long enough that the spatial pass finishes fewer rows at
// once than the conv computes at once (detail::rows_per_finish): the first in double
// only, whatever the packet size, the second in both. The last size is a single sample
// cut into as many NHWC row bands and NCHW channel groups as there are threads on every
// pool, with fewer hidden units than pieces; its bands are tall enough to pool their halo
// rows on pools of 1 and 3 threads (2 and 4 bands, so with bands between two others) and
// not on 7. Single samples of 1, 3 and 8 channels have fewer channels than the largest
// pools have threads, and so fewer NCHW groups.
const Size odd_sizes[] = {{1, 1, 1, 1},   {1, 3, 2, 3},    {3, 13, 5, 9},    {2, 37, 13, 7},
                          {1, 20, 1, 11}, {5, 9, 4, 4},    {2, 64, 9, 9},    {3, 24, 3, 5},
                          {1, 8, 13, 11}, {1, 1280, 9, 4}, {1, 512, 9, 33}, {1, 10, 100, 130}};
const int pool_sizes[] = {0, 1, 3, 7};

seattn::SEConfig se_config(int c, bool with_max) {
    seattn::SEConfig config;
    config.channels = c;
    config.reduced = c > 2 ? c / 3 : 1;
    config.bias = true;
    config.pool = with_max ? seattn::SqueezePool::avg_max : seattn::SqueezePool::avg;
    return config;
}

seattn::SpatialConfig spatial_config() {
    seattn::SpatialConfig config;
    config.kernel = 7;
    config.bias = true;
    return config;
}

/// forward(x, y, ws) on a pool of every size in pool_sizes, each compared with `expected`.
template <class V, class Block>
void check_on_pools(const Block& block, const ref::Tensor4d& x, const ref::Tensor4d& expected) {
    using S = typename V::Scalar;
    const auto in = support::in_layout<V>(x);
    for (const int threads : pool_sizes) {
        INFO("pool of " << threads << " threads");
        std::unique_ptr<Eigen::ThreadPool> pool = threads ? std::make_unique<Eigen::ThreadPool>(threads) : nullptr;
        seattn::Workspace<S> ws(pool.get());
        support::T4<S> y(in.dimensions());
        block.forward(in, y, ws);
        support::require_close(support::from_layout<V>(y), expected, support::tolerance<S>());
        support::T4<S> in_place = in;
        block.forward(in_place, in_place, ws);
        support::require_close(support::from_layout<V>(in_place), expected, support::tolerance<S>());
    }
}

/// x rounded to S, so that the reference sees the block's input exactly.
template <class S>
ref::Tensor4d random_input(const Size& size, std::mt19937_64& rng) {
    ref::Tensor4d x = ref::random_tensor(size.n, size.c, size.h, size.w, rng);
    return x.unaryExpr([](double v) { return double(S(v)); });
}

/// SE (its MLP on the mean), spatial attention and CBAM of C channels, which a test runs
/// on the same inputs by index.
template <class S, class L>
struct ThreeBlocks {
    seattn::SEBlock<S, L> se;
    seattn::SpatialAttention<S, L> spatial;
    seattn::CBAM<S, L> cbam;

    ThreeBlocks(int c, std::uint64_t seed)
        : se(se_config(c, false), seed),
          spatial(spatial_config(), seed + 1),
          cbam(seattn::CBAMConfig{se_config(c, true), spatial_config()}, seed + 2) {}

    /// forward(x, y, workspace...) of block `which`: 0 SE, 1 spatial attention, 2 CBAM.
    template <class X, class Y, class... Workspace>
    void forward(int which, const X& x, Y& y, Workspace&... workspace) const {
        if (which == 0)
            se.forward(x, y, workspace...);
        else if (which == 1)
            spatial.forward(x, y, workspace...);
        else
            cbam.forward(x, y, workspace...);
    }
};

}  // namespace

TEST_CASE("single samples are cut into NHWC row bands and NCHW channel groups on every pool", "[kernels]") {
    const auto shape = [](const Size& size) { return seattn::detail::Shape{size.n, size.c, size.h, size.w}; };
    const Size& wide = odd_sizes[std::size(odd_sizes) - 1];
    for (const int threads : pool_sizes) {
        if (threads == 0) continue;
        Eigen::ThreadPool pool(threads);
        INFO("pool of " << threads << " threads");
        CHECK(seattn::detail::pieces_per_sample(&pool, wide.n) == threads + 1);
        CHECK(seattn::detail::spatial_bands<float>(&pool, shape(wide), seattn::NHWC{}) == threads + 1);
        CHECK(seattn::detail::spatial_bands<float>(&pool, shape(wide), seattn::NCHW{}) == 1);
        CHECK(seattn::detail::channel_groups<float>(&pool, shape(wide), seattn::NCHW{}) == threads + 1);
        CHECK(seattn::detail::channel_groups<double>(&pool, shape(wide), seattn::NHWC{}) == 1);
        const seattn::Index pad = spatial_config().kernel / 2;
        CHECK(seattn::detail::band_pools_halo<float>(shape(wide), threads + 1, pad, seattn::NHWC{}) == (threads < 7));
        CHECK_FALSE(seattn::detail::band_pools_halo<float>(shape(wide), threads + 1, pad, seattn::NCHW{}));
        for (const Size& size : odd_sizes)
            if (size.n == 1 && size.c <= threads) {
                INFO(size.c << " channels");
                CHECK(seattn::detail::channel_groups<double>(&pool, shape(size), seattn::NCHW{}) == size.c);
            }
    }
}

TEST_CASE("single NHWC samples share large MLPs between their pieces and run small ones whole", "[kernels]") {
    // The NHWC SE and CBAM tests on pools then take both ways of computing a cut sample's
    // weights; NCHW pieces always share the MLP.
    const auto shared = [](const Size& size, auto scalar) {
        seattn::detail::Excitation<decltype(scalar)> mlp;
        const seattn::Index reduced = se_config(size.c, false).reduced;
        mlp.fc1_weight.setZero(reduced, size.c);
        mlp.fc2_weight.setZero(size.c, reduced);
        CHECK_FALSE(mlp.shared_by(1));
        return mlp.shared_by(2);
    };
    int singles = 0, shared_float = 0, shared_double = 0;
    for (const Size& size : odd_sizes)
        if (size.n == 1) {
            ++singles;
            shared_float += shared(size, float());
            shared_double += shared(size, double());
        }
    CHECK(shared_float > 0);
    CHECK(shared_float < singles);
    CHECK(shared_double > 0);
    CHECK(shared_double < singles);
}

TEST_CASE("the sizes with long NHWC rows finish fewer rows at once than the conv computes", "[kernels]") {
    const auto rows_per_finish = [](const Size& size, auto scalar) {
        return seattn::detail::rows_per_finish<decltype(scalar)>(seattn::detail::Shape{size.n, size.c, size.h, size.w},
                                                                 spatial_config().kernel / 2);
    };
    const Size& longer = odd_sizes[std::size(odd_sizes) - 2];
    const Size& shorter = odd_sizes[std::size(odd_sizes) - 3];
    CHECK(rows_per_finish(longer, float()) == 1);
    CHECK(rows_per_finish(longer, double()) == 1);
    const seattn::Index k = spatial_config().kernel;
    CHECK(rows_per_finish(shorter, float()) == seattn::detail::conv_rows_at_once<float>(shorter.w, k));
    CHECK(rows_per_finish(shorter, double()) < seattn::detail::conv_rows_at_once<double>(shorter.w, k));
}

TEST_CASE("the largest odd sizes walk their samples in the cached orders", "[kernels]") {
    // On one thread a sample is one squeeze piece: 1x512x9x33 in float and 1x10x100x130 in
    // double are larger than detail::cached_tail_bytes in both layouts, so the kernel tests
    // check the split walks (the squeezes' tail first and head last, the spatial pass's
    // NCHW scaling's tail first) against the reference; a piece no larger is walked in
    // memory order.
    using seattn::detail::cached_head_end;
    using seattn::detail::cached_tail_begin;
    const Size& longer = odd_sizes[std::size(odd_sizes) - 2];
    const Size& last = odd_sizes[std::size(odd_sizes) - 1];
    const auto split = [](const Size& size, Eigen::Index bytes) {
        const Eigen::Index pixels = Eigen::Index(size.h) * size.w;
        const Eigen::Index nchw = cached_tail_begin(0, size.c, pixels * bytes);
        const Eigen::Index nchw_head = cached_head_end(0, size.c, pixels * bytes);
        const Eigen::Index nhwc = cached_tail_begin(0, pixels, size.c * bytes);
        return nchw > 0 && nchw < size.c && nchw_head > 0 && nchw_head < size.c && nhwc > 0 && nhwc < pixels;
    };
    CHECK(split(longer, sizeof(float)));
    CHECK(split(last, sizeof(double)));
    CHECK_FALSE(split(last, sizeof(float)));
    const Eigen::Index units = seattn::detail::cached_tail_bytes / 64;
    CHECK(cached_tail_begin(3, 3 + units, 64) == 3);
    CHECK(cached_tail_begin(3, 4 + units, 64) == 4);
}

TEST_CASE("the squeeze's walk covers every unit once: the tail first, the head last", "[kernels]") {
    using Range = std::pair<Eigen::Index, Eigen::Index>;
    const auto walk = [](Eigen::Index begin, Eigen::Index end) {
        std::vector<Range> ranges;
        seattn::detail::tail_first_head_last(begin, end, 64, [&](Eigen::Index first, Eigen::Index last) {
            if (first < last) ranges.emplace_back(first, last);
        });
        return ranges;
    };
    const Eigen::Index u = seattn::detail::cached_tail_bytes / 64;  // units in the cached head or tail
    CHECK(walk(3, 3 + 3 * u) == std::vector<Range>{{3 + 2 * u, 3 + 3 * u}, {3 + u, 3 + 2 * u}, {3, 3 + u}});
    CHECK(walk(3, 3 + u + 5) == std::vector<Range>{{3 + u, 3 + u + 5}, {3, 3 + u}});
    CHECK(walk(3, 3 + u) == std::vector<Range>{{3, 3 + u}});
    CHECK(walk(3, 3).empty());
}

TEMPLATE_TEST_CASE("the NHWC squeeze adds in registers exactly as it does through a scratch row", "[kernels]", float,
                   double) {
    using S = TestType;
    constexpr Eigen::Index lanes = seattn::detail::lanes<S>;
    std::mt19937_64 rng(10);
    std::normal_distribution<double> normal;
    // 64 pixels are a full block (squeeze_block_pixels), the others shorter ones.
    for (const bool with_max : {false, true})
        for (Eigen::Index packets = 1; packets <= seattn::detail::register_packets(with_max); ++packets)
            for (const Eigen::Index pixels : {1, 3, 4, 7, 63, 64}) {
                INFO("packets " << packets << " pixels " << pixels << " max " << with_max);
                const Eigen::Index channels = packets * lanes;
                std::vector<S> x(static_cast<std::size_t>(channels * pixels));
                for (S& v : x) v = S(normal(rng));
                std::vector<S> sum(static_cast<std::size_t>(channels)), max(sum.size());
                for (std::size_t c = 0; c < sum.size(); ++c) sum[c] = S(normal(rng)), max[c] = x[c];
                std::vector<S> scratch_sum = sum, scratch_max = max, scratch(sum.size());
                REQUIRE(seattn::detail::accumulate_pixels_in_registers(x.data(), channels, pixels, sum.data(),
                                                                       with_max ? max.data() : nullptr));
                seattn::detail::accumulate_pixels_through_scratch(x.data(), channels, pixels, scratch_sum.data(),
                                                                  with_max ? scratch_max.data() : nullptr,
                                                                  scratch.data(), 0);
                CHECK(sum == scratch_sum);
                CHECK(max == scratch_max);
            }
    S unused = 0;
    CHECK_FALSE(seattn::detail::accumulate_pixels_in_registers(&unused, lanes + 1, 1, &unused, static_cast<S*>(nullptr)));
    const Eigen::Index too_many = (seattn::detail::register_packets(true) + 1) * lanes;
    std::vector<S> wide(static_cast<std::size_t>(too_many), S(0));
    CHECK_FALSE(seattn::detail::accumulate_pixels_in_registers(wide.data(), too_many, 1, wide.data(), wide.data()));
}

TEMPLATE_TEST_CASE("the vectorised sigmoid gives a value the same bits wherever it lies", "[kernels]", float, double) {
    using S = TestType;
    // Logits from saturation through 0, more than two packets of any width and a partial one.
    constexpr Eigen::Index count = 37;
    std::vector<S> logits(count);
    for (Eigen::Index i = 0; i < count; ++i) logits[std::size_t(i)] = S(-100) + S(200) * S(i) / S(count - 1);
    logits[1] = S(-3.25), logits[2] = S(0), logits[3] = S(0.5), logits[4] = S(17.75);
    std::vector<S> expected(count);
    seattn::detail::apply_gate(seattn::Gate::sigmoid, logits.data(), count, expected.data());
    for (Eigen::Index i = 0; i < count; ++i)
        CHECK(std::abs(double(expected[std::size_t(i)]) - 1.0 / (1.0 + std::exp(-double(logits[std::size_t(i)])))) <=
              4 * std::numeric_limits<S>::epsilon());
    // Shifting input and output by any number of values below a 64-byte packet moves where
    // an aligned packet would begin; a single value is the shortest run, all tail.
    const Eigen::Index shifts = 64 / Eigen::Index(sizeof(S));
    std::vector<S> in(std::size_t(count + shifts)), out(in.size());
    for (Eigen::Index shift = 0; shift < shifts; ++shift) {
        INFO("shift " << shift);
        std::copy(logits.begin(), logits.end(), in.begin() + shift);
        seattn::detail::apply_gate(seattn::Gate::sigmoid, in.data() + shift, count, out.data() + shift);
        CHECK(std::equal(expected.begin(), expected.end(), out.begin() + shift));
    }
    for (Eigen::Index i = 0; i < count; ++i) {
        S one = 0;
        seattn::detail::apply_gate(seattn::Gate::sigmoid, logits.data() + i, 1, &one);
        CHECK(one == expected[std::size_t(i)]);
    }
}

TEMPLATE_TEST_CASE("the spatial conv matches a direct convolution at every tile width, kernel and flip", "[kernels]",
                   float, double) {
    using S = TestType;
    using Eigen::Index;
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> uniform(-1, 1);
    // Widths from one packet or less to past max_tile_packets of either packet size, so that
    // every tile width and both ways of reading a tile's taps (loaded or shifted, on AVX-512)
    // are taken, forwards and flipped (the training's backward); the rows are convolved in two
    // calls, as the spatial pass splits them, leaving remainders for every tile height.
    std::vector<Index> widths;
    for (Index w = 1; w <= 40; ++w) widths.push_back(w);
    for (const Index w : {47, 56, 63, 64, 65, 80, 100, 128, 129, 140}) widths.push_back(w);
    for (const Index k : {1, 3, 5, 7})
        for (const Index h : {1, 5, 9})
            for (const Index w : widths)
                for (const bool flip : {false, true}) {
                    INFO("k " << k << " h " << h << " w " << w << " flip " << flip);
                    std::vector<S> maps(std::size_t(2 * h * w)), weight(std::size_t(2 * k * k));
                    for (S& v : maps) v = S(uniform(rng));
                    for (S& v : weight) v = S(uniform(rng));
                    const S bias = S(uniform(rng));
                    const seattn::detail::PaddedMaps<S> g(2, h, w, k);
                    std::vector<S> padded(std::size_t(g.size()), S(0));
                    const S* sources[2] = {maps.data(), maps.data() + h * w};
                    seattn::detail::pad_rows(sources, g, 0, h, padded.data());
                    std::vector<S> out(std::size_t(h * w));
                    const Index middle = h / 2;
                    for (const auto& [begin, end] : {std::pair(Index(0), middle), std::pair(middle, h)}) {
                        if (flip)
                            seattn::detail::spatial_conv_rows<true>(padded.data(), g, weight.data(), bias, begin, end,
                                                                    out.data() + begin * w);
                        else
                            seattn::detail::spatial_conv_rows<false>(padded.data(), g, weight.data(), bias, begin,
                                                                     end, out.data() + begin * w);
                    }
                    // The reference's conv, and the same of the terms' magnitudes for the error bound
                    // of summing the 2 k^2 + 1 terms in any order.
                    std::vector<double> values[2], magnitudes[2], taps(weight.size()), tap_magnitudes(weight.size());
                    for (Index m = 0; m < 2; ++m)
                        for (Index i = 0; i < h * w; ++i) {
                            values[m].push_back(double(maps[std::size_t(m * h * w + i)]));
                            magnitudes[m].push_back(std::abs(values[m].back()));
                        }
                    for (Index m = 0; m < 2; ++m)
                        for (Index i = 0; i < k; ++i)
                            for (Index j = 0; j < k; ++j) {
                                const std::size_t at = std::size_t((m * k + i) * k + j);
                                taps[at] = double(flip ? weight[std::size_t((m * k + k - 1 - i) * k + k - 1 - j)]
                                                       : weight[at]);
                                tap_magnitudes[at] = std::abs(taps[at]);
                            }
                    const std::vector<double> expected = ref::conv(values, int(h), int(w), taps, int(k), double(bias));
                    const std::vector<double> magnitude =
                        ref::conv(magnitudes, int(h), int(w), tap_magnitudes, int(k), std::abs(double(bias)));
                    Index wrong = 0;
                    for (std::size_t i = 0; i < out.size(); ++i) {
                        const double bound = double(2 * k * k + 1) * std::numeric_limits<S>::epsilon() * magnitude[i];
                        wrong += std::abs(double(out[i]) - expected[i]) > bound;
                    }
                    CHECK(wrong == 0);
                }
}

TEMPLATE_TEST_CASE("SE kernels at odd sizes and thread counts match the reference", "[kernels]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    std::mt19937_64 rng(11);
    for (const Size& size : odd_sizes)
        for (const bool with_max : {false, true}) {
            INFO("N=" << size.n << " C=" << size.c << " H=" << size.h << " W=" << size.w << " max " << with_max);
            const seattn::SEBlock<S, typename TestType::Layout> se(se_config(size.c, with_max), 5);
            const ref::Tensor4d x = random_input<S>(size, rng);
            const auto m = support::reference_mlp(se, "", size.c, int(se.reduced()));
            check_on_pools<TestType>(se, x, ref::scale(x, ref::channel_weights(x, m, with_max), {}));
        }
}

TEMPLATE_TEST_CASE("spatial kernels at odd sizes and thread counts match the reference", "[kernels]",
                   SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    std::mt19937_64 rng(12);
    const seattn::SpatialAttention<S, typename TestType::Layout> spatial(spatial_config(), 6);
    const auto r = support::reference_spatial(spatial, "", 7);
    for (const Size& size : odd_sizes) {
        INFO("N=" << size.n << " C=" << size.c << " H=" << size.h << " W=" << size.w);
        const ref::Tensor4d x = random_input<S>(size, rng);
        check_on_pools<TestType>(spatial, x, ref::scale(x, {}, ref::spatial_map(x, r)));
    }
}

TEMPLATE_TEST_CASE("CBAM kernels at odd sizes and thread counts match the reference", "[kernels]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    std::mt19937_64 rng(13);
    for (const Size& size : odd_sizes) {
        INFO("N=" << size.n << " C=" << size.c << " H=" << size.h << " W=" << size.w);
        const seattn::CBAM<S, typename TestType::Layout> cbam(seattn::CBAMConfig{se_config(size.c, true), spatial_config()},
                                                              7);
        const ref::Tensor4d x = random_input<S>(size, rng);
        const auto m = support::reference_mlp(cbam, "channel.", size.c, int(cbam.channel_attention().reduced()));
        const auto channel_scaled = ref::scale(x, ref::channel_weights(x, m, true), {});
        const auto r = support::reference_spatial(cbam, "spatial.", 7);
        const auto expected = ref::scale(channel_scaled, {}, ref::spatial_map(channel_scaled, r));
        check_on_pools<TestType>(cbam, x, expected);
    }
}

TEMPLATE_TEST_CASE("outputs large enough for streaming stores equal the per-sample results", "[kernels]",
                   (support::Variant<float, seattn::NCHW>), (support::Variant<float, seattn::NHWC>)) {
    using L = typename TestType::Layout;
    // 3 samples of C x H x W floats: the batch passes the streaming threshold, one sample
    // alone does not, and single-threaded both run the same arithmetic. 61 channels leave
    // NHWC pixels that start off a packet boundary; 128 channels are pixels large enough
    // (detail::spread_pixel_bytes) for the NHWC pooling of a batch that size to read a few
    // packets of pixels at a time.
    constexpr int n = 3;
    const int sizes[][2] = {{64, 160}, {61, 160}, {128, 112}};
    for (const auto& [c, h] : sizes) {
        const int w = h;
        INFO("C=" << c << " H=W=" << h);
        REQUIRE(seattn::detail::stream_output<float>(Eigen::Index(n) * c * h * w));
        REQUIRE_FALSE(seattn::detail::stream_output<float>(Eigen::Index(c) * h * w));
        REQUIRE((c * Eigen::Index(sizeof(float)) >= seattn::detail::spread_pixel_bytes) == (c == 128));
        const ThreeBlocks<float, L> blocks(c, 8);
        support::T4<float> x = std::is_same<L, seattn::NCHW>::value ? support::T4<float>(n, c, h, w)
                                                                   : support::T4<float>(n, h, w, c);
        x.setRandom();
        for (int block = 0; block < 3; ++block) {
            INFO("block " << block);
            support::T4<float> batch(x.dimensions());
            blocks.forward(block, x, batch);
            // An output one float off the packet alignment streams through the per-pixel path,
            // which must give the same bits as the whole-run path.
            std::vector<float> shifted_storage(static_cast<std::size_t>(x.size()) + 1);
            Eigen::TensorMap<support::T4<float>> shifted(shifted_storage.data() + 1, x.dimensions());
            blocks.forward(block, x, shifted);
            support::require_close(support::T4<float>(shifted), batch, 0);
            for (int i = 0; i < n; ++i) {
                const Eigen::array<Eigen::Index, 4> start{i, 0, 0, 0};
                const Eigen::array<Eigen::Index, 4> extent{1, x.dimension(1), x.dimension(2), x.dimension(3)};
                const support::T4<float> sample = x.slice(start, extent);
                support::T4<float> expected(sample.dimensions());
                blocks.forward(block, sample, expected);
                const support::T4<float> actual = batch.slice(start, extent);
                support::require_close(actual, expected, 0);
            }
        }
    }
}

TEMPLATE_TEST_CASE("outputs do not depend on where x and y lie in memory", "[kernels]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    std::mt19937_64 rng(14);
    // Odd sizes, so that planes and pixels start off the packet alignment: a batch, and two
    // single samples, which a pool cuts into pieces and of which 1x512x9x33 in float and
    // 1x10x100x130 in double are walked in the squeeze's cached order.
    const Size sizes[] = {{2, 37, 13, 7}, {1, 512, 9, 33}, {1, 10, 100, 130}};
    for (const Size& size : sizes) {
        INFO("N=" << size.n << " C=" << size.c << " H=" << size.h << " W=" << size.w);
        const ThreeBlocks<S, L> blocks(size.c, 21);
        const auto x = support::in_layout<TestType>(random_input<S>(size, rng));
        std::vector<S> x_storage(std::size_t(x.size()) + 16), y_storage(x_storage.size());
        for (const int threads : {0, 1}) {
            INFO("pool of " << threads << " threads");
            std::unique_ptr<Eigen::ThreadPool> pool = threads ? std::make_unique<Eigen::ThreadPool>(threads) : nullptr;
            seattn::Workspace<S> ws(pool.get());
            for (int block = 0; block < 3; ++block) {
                INFO("block " << block);
                support::T4<S> aligned(x.dimensions());
                blocks.forward(block, x, aligned, ws);
                // x and y moved by 1 to 15 elements (a cache line of floats, two of doubles),
                // in opposite directions, so that their alignments differ from each other too.
                for (Eigen::Index offset = 1; offset < 16; ++offset) {
                    INFO("offset " << offset);
                    const auto x_moved = support::copy_at(x, x_storage, offset);
                    Eigen::TensorMap<support::T4<S>> y_moved(y_storage.data() + 16 - offset, x.dimensions());
                    blocks.forward(block, x_moved, y_moved, ws);
                    support::require_close(support::T4<S>(y_moved), aligned, 0);
                }
            }
        }
    }
}
