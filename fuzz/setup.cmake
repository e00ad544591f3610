# setup fuzz targets: the topology file of `mirrorkey apply` (see fuzz/CMakeLists.txt).
if(TARGET mk_setup_topology)
    mk_add_fuzz(setup_topology ${CMAKE_CURRENT_SOURCE_DIR}/setup_topology_fuzz.c mk_setup_topology)
endif()
