# server/tds fuzz targets: one per wire entry point (see fuzz/CMakeLists.txt).
if(TARGET mk_tds)
    mk_add_fuzz(tds_packet ${CMAKE_CURRENT_SOURCE_DIR}/tds_packet_fuzz.c mk_tds)
    mk_add_fuzz(tds_prelogin ${CMAKE_CURRENT_SOURCE_DIR}/tds_prelogin_fuzz.c mk_tds)
    mk_add_fuzz(tds_login7 ${CMAKE_CURRENT_SOURCE_DIR}/tds_login7_fuzz.c mk_tds)
    mk_add_fuzz(tds_sqlbatch ${CMAKE_CURRENT_SOURCE_DIR}/tds_sqlbatch_fuzz.c mk_tds)
endif()
