# T-SQL parser (server/sql): the whole batch parser, plus the rendering round
# trip the fuzz target checks on every batch that parses.
mk_add_fuzz(sql_parse ${CMAKE_CURRENT_SOURCE_DIR}/sql_parse_fuzz.c mk_sql)
