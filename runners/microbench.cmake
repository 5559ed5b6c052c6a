# microbench.cmake - the Google Benchmark C shim and qtopo-microbench (included from
# runners/CMakeLists.txt). Targets appear only once the libraries they measure exist, so this
# file configures at every stage of the tree.

# qtp_gbench_shim: C API over Google Benchmark (gbench_shim.h). C programs that link it are
# linked by the C++ driver (CMake propagates the static library's CXX link language).
add_library(qtp_gbench_shim STATIC ${CMAKE_CURRENT_LIST_DIR}/gbench_shim.cc)
target_include_directories(qtp_gbench_shim PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(qtp_gbench_shim PUBLIC benchmark::benchmark)

if(TARGET qtp_queues AND TARGET qtp_measure)
  add_executable(qtopo-microbench ${CMAKE_CURRENT_LIST_DIR}/microbench.c)
  target_link_libraries(qtopo-microbench PRIVATE qtp_gbench_shim qtp_queues qtp_measure
                                                 Threads::Threads)
  # The allocation counter's interposer, linked as into qtopo, so malloc_free/counted measures
  # it (without it, that row measures glibc like malloc_free/libc).
  if(TARGET qtp_alloc_count)
    target_link_libraries(qtopo-microbench PRIVATE qtp_alloc_count)
  endif()
endif()
