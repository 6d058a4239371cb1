#pragma once
/// @file gradients.hpp
/// Parameter gradients of a backward pass, under the block's own PyTorch parameter names.

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "layout.hpp"

namespace seattn {

template <class Scalar>
class Gradients;

namespace detail {
template <class Scalar>
void clear_gradients(Gradients<Scalar>& grads);
template <class Scalar>
Scalar* gradient_slot(Gradients<Scalar>& grads, std::string_view prefix, std::string_view name,
                      std::initializer_list<Index> shape);
}  // namespace detail

/// dL/d(parameter) for every trainable parameter of the block whose backward filled it, by
/// name ("fc1.weight", "spatial.bn.bias", ...), row-major in the PyTorch shape
/// parameter_shape(name) reports. BatchNorm running statistics are constants, not trainable,
/// so they have no entry. Each backward overwrites the values (it does not accumulate);
/// once it has seen a block, refilling it allocates nothing.
template <class Scalar>
class Gradients {
public:
    /// Number of parameters with a gradient.
    std::size_t size() const { return count_; }

    /// Name of the i-th gradient, in the block's parameter order.
    const std::string& name(std::size_t i) const { return at(i).name; }
    /// PyTorch shape of the i-th gradient.
    const std::vector<Index>& shape(std::size_t i) const { return at(i).shape; }
    /// Values of the i-th gradient, row-major in shape(i).
    const std::vector<Scalar>& values(std::size_t i) const { return at(i).values; }

    /// Names of all gradients, in the block's parameter order.
    std::vector<std::string> names() const {
        std::vector<std::string> result;
        for (std::size_t i = 0; i < count_; ++i) result.push_back(entries_[i].name);
        return result;
    }

    /// Whether the last backward produced a gradient called `name`.
    bool contains(std::string_view name) const { return find(name) != nullptr; }

    /// PyTorch shape of the gradient `name`; throws config_error for an unknown name.
    const std::vector<Index>& shape(std::string_view name) const { return get(name).shape; }

    /// Values of the gradient `name`, row-major in its PyTorch shape; throws config_error
    /// for an unknown name.
    const std::vector<Scalar>& operator[](std::string_view name) const { return get(name).values; }

private:
    struct Entry {
        std::string name;
        std::vector<Index> shape;
        std::vector<Scalar> values;
    };

    friend void detail::clear_gradients<Scalar>(Gradients&);
    friend Scalar* detail::gradient_slot<Scalar>(Gradients&, std::string_view, std::string_view,
                                                 std::initializer_list<Index>);

    const Entry& at(std::size_t i) const {
        if (i >= count_)
            throw std::out_of_range("Gradients: index " + std::to_string(i) + " out of range, size " +
                                    std::to_string(count_));
        return entries_[i];
    }

    const Entry* find(std::string_view name) const {
        for (std::size_t i = 0; i < count_; ++i)
            if (entries_[i].name == name) return &entries_[i];
        return nullptr;
    }

    const Entry& get(std::string_view name) const {
        if (const Entry* e = find(name)) return *e;
        std::string known;
        for (std::size_t i = 0; i < count_; ++i) known += (i ? ", " : "") + entries_[i].name;
        throw config_error("Gradients: no gradient '" + std::string(name) + "'; it has: " + known);
    }

    // Entries beyond count_ are kept so a refill reuses their memory.
    std::vector<Entry> entries_;
    std::size_t count_ = 0;
};

namespace detail {

/// Starts refilling `grads`: the next gradient_slot call is its first entry.
template <class Scalar>
void clear_gradients(Gradients<Scalar>& grads) {
    grads.count_ = 0;
}

/// Storage, zeroed, for the next gradient `prefix + name` of `shape`; reuses the entry at
/// that position when it already has that name and shape, so a warm refill allocates nothing.
template <class Scalar>
Scalar* gradient_slot(Gradients<Scalar>& grads, std::string_view prefix, std::string_view name,
                      std::initializer_list<Index> shape) {
    using Entry = typename Gradients<Scalar>::Entry;
    Index size = 1;
    for (Index d : shape) size *= d;
    if (grads.count_ == grads.entries_.size()) grads.entries_.emplace_back();
    Entry& e = grads.entries_[grads.count_++];
    const bool same_name = e.name.size() == prefix.size() + name.size() &&
                           std::string_view(e.name).substr(0, prefix.size()) == prefix &&
                           std::string_view(e.name).substr(prefix.size()) == name;
    if (!same_name) e.name = std::string(prefix) + std::string(name);
    if (!std::equal(e.shape.begin(), e.shape.end(), shape.begin(), shape.end())) e.shape.assign(shape);
    e.values.assign(static_cast<std::size_t>(size), Scalar(0));
    return e.values.data();
}

}  // namespace detail
}  // namespace seattn
