# Fuzz targets for server/keys: the password-sealed master key blob reader.
if(TARGET mk_keys)
    mk_add_fuzz(keys_pwblob ${CMAKE_CURRENT_SOURCE_DIR}/keys_pwblob_fuzz.c mk_keys)
endif()
