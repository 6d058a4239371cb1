#pragma once
// The named-parameter interface every block shares: names and shapes as in PyTorch, values
// read and written as flat row-major arrays, each write checked against the expected shape.

#include <algorithm>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../errors.hpp"
#include "../layout.hpp"
#include "shape.hpp"

namespace seattn::detail {

/// Gives Derived (which provides visit_parameters(self, f) calling f(name, shape, data) for
/// each parameter, and parameters_changed()) the public parameter API.
template <class Derived, class Scalar>
class Parameterized {
public:
    /// Names of the block's parameters, e.g. "fc1.weight", in a fixed order.
    std::vector<std::string> parameter_names() const {
        std::vector<std::string> names;
        Derived::visit_parameters(self(), [&](const std::string& name, const std::vector<Index>&, const Scalar*) {
            names.push_back(name);
        });
        return names;
    }

    /// PyTorch shape of parameter `name`; throws config_error for a name the block lacks.
    std::vector<Index> parameter_shape(std::string_view name) const {
        std::vector<Index> shape;
        find(name, [&](const std::vector<Index>& s, const Scalar*) { shape = s; });
        return shape;
    }

    /// Values of parameter `name`, row-major in its PyTorch shape.
    std::vector<Scalar> parameter(std::string_view name) const {
        std::vector<Scalar> values;
        find(name, [&](const std::vector<Index>& s, const Scalar* data) { values.assign(data, data + count(s)); });
        return values;
    }

    /// Sets parameter `name` from `values`, row-major in `shape`, which must be the PyTorch
    /// shape parameter_shape(name) reports; throws shape_error naming both shapes otherwise.
    void set_parameter(std::string_view name, const std::vector<Index>& shape, const Scalar* values) {
        Derived& d = static_cast<Derived&>(*this);
        Scalar* target = nullptr;
        std::vector<Scalar> previous;
        Derived::visit_parameters(d, [&](const std::string& n, const std::vector<Index>& expected, Scalar* data) {
            if (n != name) return;
            if (shape != expected)
                throw shape_error("parameter '" + n + "': expected shape " + format_dims(expected, int(expected.size())) +
                                  ", got " + format_dims(shape, int(shape.size())));
            target = data;
            previous.assign(data, data + count(expected));
            std::copy(values, values + count(expected), data);
        });
        if (!target) throw unknown(name);
        try {
            d.parameters_changed();
        } catch (...) {
            // A value the block cannot use is refused whole: the block stays as it was.
            std::copy(previous.begin(), previous.end(), target);
            d.parameters_changed();
            throw;
        }
    }

    /// Sets parameter `name` from an Eigen Tensor or TensorMap (row-major) in its PyTorch shape.
    template <class TensorType>
    void set_parameter(std::string_view name, const TensorType& tensor) {
        static_assert(static_cast<int>(TensorType::Layout) == static_cast<int>(Eigen::RowMajor),
                      "parameters are row-major, as PyTorch stores them");
        static_assert(std::is_same<std::remove_const_t<typename TensorType::Scalar>, Scalar>::value,
                      "parameter scalar type must match the block's");
        std::vector<Index> shape(tensor.dimensions().begin(), tensor.dimensions().end());
        set_parameter(name, shape, tensor.data());
    }

private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }

    static Index count(const std::vector<Index>& shape) {
        Index n = 1;
        for (Index d : shape) n *= d;
        return n;
    }

    config_error unknown(std::string_view name) const {
        std::string known;
        for (const auto& n : parameter_names()) known += (known.empty() ? "" : ", ") + n;
        return config_error("unknown parameter '" + std::string(name) + "'; this block has: " + known);
    }

    template <class F>
    void find(std::string_view name, F&& f) const {
        bool found = false;
        Derived::visit_parameters(self(), [&](const std::string& n, const std::vector<Index>& s, const Scalar* data) {
            if (n == name) found = true, f(s, data);
        });
        if (!found) throw unknown(name);
    }
};

}  // namespace seattn::detail
