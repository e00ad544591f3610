# server/endpoint fuzz targets: the frame reader and the HELLO/ACCEPT/REJECT
# bodies, session control messages, and partner addresses (see fuzz/CMakeLists.txt).
if(TARGET mk_endpoint)
    mk_add_fuzz(ep_frame ${CMAKE_CURRENT_SOURCE_DIR}/ep_frame_fuzz.c mk_endpoint)
    mk_add_fuzz(ep_hello ${CMAKE_CURRENT_SOURCE_DIR}/ep_hello_fuzz.c mk_endpoint)
    mk_add_fuzz(ep_address ${CMAKE_CURRENT_SOURCE_DIR}/ep_address_fuzz.c mk_endpoint)
    mk_add_fuzz(ep_control ${CMAKE_CURRENT_SOURCE_DIR}/ep_control_fuzz.c mk_endpoint)
endif()
