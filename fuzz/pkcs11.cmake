# Fuzz targets for the pkcs11/ layer: every parser of untrusted text.
mk_add_fuzz(p11_uri ${CMAKE_CURRENT_SOURCE_DIR}/p11_uri_fuzz.c mk_pkcs11)
