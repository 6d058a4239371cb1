# Installs seattn to a scratch prefix, then configures, builds and runs a separate project
# that finds it with find_package(seattn 0.1 CONFIG REQUIRED). Run with cmake -P.
foreach(var SOURCE_DIR WORK_DIR CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "package_consumer.cmake needs -D${var}=...")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/seattn -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_INSTALL_PREFIX=${prefix}
    -DSEATTN_BUILD_TESTS=OFF -DSEATTN_BUILD_EXAMPLES=OFF -DSEATTN_BUILD_BENCHMARKS=OFF -DSEATTN_INSTALL=ON)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/seattn)
# The consumer compiles the README's first C++ block as written, so the quickstart cannot rot.
file(READ ${SOURCE_DIR}/README.md readme)
string(FIND "${readme}" "```cpp\n" start)
if(start EQUAL -1)
  message(FATAL_ERROR "README.md has no ```cpp block")
endif()
math(EXPR start "${start} + 7")
string(SUBSTRING "${readme}" ${start} -1 rest)
string(FIND "${rest}" "```" length)
string(SUBSTRING "${rest}" 0 ${length} quickstart)
file(COPY ${SOURCE_DIR}/tests/package_consumer/CMakeLists.txt DESTINATION ${WORK_DIR}/consumer_src)
file(WRITE ${WORK_DIR}/consumer_src/quickstart.cpp "${quickstart}")
# And the C++ block of the "PyTorch weights" section, built against seattn::io.
string(FIND "${readme}" "## PyTorch weights" section)
if(NOT section EQUAL -1)
  string(SUBSTRING "${readme}" ${section} -1 rest)
  string(FIND "${rest}" "```cpp\n" start)
  math(EXPR start "${start} + 7")
  string(SUBSTRING "${rest}" ${start} -1 rest)
  string(FIND "${rest}" "```" length)
  string(SUBSTRING "${rest}" 0 ${length} pytorch_weights)
  file(WRITE ${WORK_DIR}/consumer_src/pytorch_weights.cpp "${pytorch_weights}")
endif()

run(${CMAKE_COMMAND} -S ${WORK_DIR}/consumer_src -B ${WORK_DIR}/consumer -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer/quickstart)
