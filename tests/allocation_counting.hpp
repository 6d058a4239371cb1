#pragma once
// Counting heap allocations in a test executable: include this first, in one source file
// of the executable. It replaces the global operator new (every form, on any thread) to
// count, and turns Eigen's EIGEN_RUNTIME_NO_MALLOC check into a count instead of an abort
// (release builds included).

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

namespace {
std::atomic<long> heap_allocations{0};
std::atomic<bool> counting{false};
std::atomic<long> eigen_check_failures{0};

void* counted_allocation(std::size_t size) {
    if (counting) ++heap_allocations;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace

// Eigen asserts, including its "no heap allocation now" check, count instead of aborting.
#define EIGEN_RUNTIME_NO_MALLOC
#define eigen_assert(condition)                       \
    do {                                              \
        if (!(condition)) ++eigen_check_failures;     \
    } while (false)

void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    if (counting) ++heap_allocations;
    return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    if (counting) ++heap_allocations;
    return std::malloc(size ? size : 1);
}
// GCC pairs a replaced operator delete's free() with the operator new it sees and warns
// (-Wmismatched-new-delete); both are replaced here, so the pairing is right.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <Eigen/Core>

namespace {

/// Allocations (operator new anywhere, or Eigen's allocator) during `repeats` calls of f.
template <class F>
long allocations_during(F&& f, int repeats) {
    heap_allocations = 0;
    eigen_check_failures = 0;
    Eigen::internal::set_is_malloc_allowed(false);
    counting = true;
    for (int i = 0; i < repeats; ++i) f();
    counting = false;
    Eigen::internal::set_is_malloc_allowed(true);
    return heap_allocations + eigen_check_failures;
}

}  // namespace
