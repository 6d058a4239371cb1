#pragma once
/// @file errors.hpp
/// Exceptions thrown by seattn. All derive from std::invalid_argument: every one of them
/// means the caller handed over something the library cannot use as it stands.

#include <stdexcept>
#include <string>

namespace seattn {

/// Base of every seattn exception: bad input, never an internal failure.
class error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// A tensor or weight has the wrong rank, dimensions or channel count; the message names
/// the expected and the actual shape.
class shape_error : public error {
public:
    using error::error;
};

/// A block configuration is invalid (kernel size, reduced width, unknown option...).
class config_error : public error {
public:
    using error::error;
};

/// A file (e.g. safetensors) is malformed; the message names the file and the entry.
class format_error : public error {
public:
    using error::error;
};

}  // namespace seattn
