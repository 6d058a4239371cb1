// libFuzzer target over everything seattn does with a file from a stranger: the safetensors
// reader, the block config in its metadata, the state-dict loading, and a forward on its `x`.
// A seattn::error is the expected answer to a malformed file; anything else that escapes
// (another exception, a crash, a sanitizer report, a huge allocation) is a finding.

#include <cstddef>
#include <cstdint>

#include <seattn/io.hpp>

namespace {

template <class Scalar>
void exercise(const seattn::io::SafeTensors& file) {
    for (const auto& info : file.tensors()) file.values<Scalar>(info.name);
    if (!seattn::io::has_block_config(file)) return;
    const auto loaded = seattn::io::load_block<Scalar, seattn::NHWC>(file);
    if (file.contains("x") && file.info("x").shape.size() == 4) loaded.block.forward(file.tensor<Scalar, 4>("x"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto file = seattn::io::SafeTensors::parse(data, size, "fuzz-input");
        exercise<float>(file);
        exercise<double>(file);
    } catch (const seattn::error&) {
    }
    return 0;
}
