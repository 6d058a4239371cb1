# Tests of seattn/io: the safetensors reader, state-dict loading, configs and the golden
# PyTorch cases (../shared/golden next to the project, or $SEATTN_GOLDEN_DIR at run time).
set(SEATTN_GOLDEN_DIR "${PROJECT_SOURCE_DIR}/../shared/golden" CACHE PATH
  "Directory of golden *.safetensors cases the tests read unless SEATTN_GOLDEN_DIR is set")

function(seattn_add_io_test name)
  seattn_add_test(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE seattn::io)
  target_compile_definitions(${name} PRIVATE SEATTN_GOLDEN_DIR_DEFAULT="${SEATTN_GOLDEN_DIR}")
endfunction()

seattn_add_io_test(test_safetensors test_safetensors.cpp)
seattn_add_io_test(test_golden test_golden.cpp)
# Not under the sanitizers: the golden cases add numbers, not code paths, to the native
# kernel test, and building them a second time there took CI close to its 20 minutes.
if(SEATTN_NATIVE_TESTS AND NOT SEATTN_SANITIZE)
  seattn_add_io_test(test_golden_native test_golden.cpp)
  seattn_compile_native(test_golden_native)
endif()

# Valid and malformed safetensors files for the seattn-inspect tests and the fuzzer's corpus.
add_executable(seattn_make_malformed make_malformed.cpp)
target_link_libraries(seattn_make_malformed PRIVATE seattn::io)
target_include_directories(seattn_make_malformed PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
seattn_add_io_test(test_state_dict test_state_dict.cpp)
