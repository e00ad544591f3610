/*
 * Private: schema creation, version check and migrations (schema.c).
 */
#ifndef CAT_SCHEMA_H
#define CAT_SCHEMA_H

#include <stdbool.h>

#include "internal.h"

/* "MKCT": PRAGMA application_id of every mirrorkey catalog. */
#define CAT_APPLICATION_ID 0x4d4b4354

/*
 * Bring an open connection's schema to CAT_SCHEMA_VERSION: create it in an
 * empty file (when allow_create), migrate an older one, refuse a newer one
 * (MK_E_STATE + CAT_R_SCHEMA_NEWER) or a foreign file (MK_E_INVALID +
 * CAT_R_NOT_A_CATALOG).
 */
MK_RESULT cat_schema_prepare(cat_db *db, bool allow_create);

#endif
