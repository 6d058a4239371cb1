# Backward benchmarks, added to the seattn_bench executable that bench/CMakeLists.txt defines
# (include this file after seattn_bench and, when Torch is found, seattn_torch_blocks exist).
target_sources(seattn_bench PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backward_bench.cpp)
if(TARGET seattn_torch_blocks)
  target_sources(seattn_torch_blocks PRIVATE ${CMAKE_CURRENT_LIST_DIR}/torch_backward.cpp)
endif()
