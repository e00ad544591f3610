/*
 * CREATE / OPEN / CLOSE / ALTER MASTER KEY, and opening the master key at
 * daemon start (DESIGN.md "Key hierarchy").
 *
 * The master key is sealed by the token protector (always) and by a
 * password (when one is given); server/keys does the cryptography, the
 * catalog keeps the two blobs. mirrorkey holds the open master key per
 * instance (SQL Server: per session, reopened through the service master
 * key); here the protector plays the service master key's part. The open key
 * is swapped only when the statement commits (deferred.c).
 *
 * Differences from SQL Server (docs/tsql.md): the service master key forms
 * of ALTER MASTER KEY are refused (50104); at most one password encryption
 * (50109); DROP ENCRYPTION BY PASSWORD may drop the last password, since the
 * protector still seals the key.
 */
#include <string.h>

#include "catalog/masterkey.h"
#include "internal.h"
#include "keys/masterkey.h"
#include "mk/log.h"

static void err_no_master_key(sql_error *err, int line)
{
    sql_error_set(err, 15581, 16, 3, line,
                  "Please create a master key in the database or open the master key in the "
                  "session before performing this operation.");
}

static void err_wrong_password(sql_error *err, int line)
{
    sql_error_set(err, 15313, 16, 1, line,
                  "The key is not encrypted using the specified decryptor.");
}

static mk_result need_token(exec_session *s, int line, sql_error *err)
{
    if (s->inst->token == NULL) {
        sql_error_set(err, EXEC_ERR_HSM, 16, 1, line,
                      "This mirrorkey instance has no HSM token configured; master keys and "
                      "certificate keys live on the token.");
        return MK_ERR;
    }
    return MK_OK;
}

/* The stored master key row; 15581 when there is none. */
static mk_result load_row(exec_session *s, int line, cat_masterkey *row, sql_error *err)
{
    memset(row, 0, sizeof(*row));
    if (mk_ok(cat_masterkey_get(s->db, row))) {
        return MK_OK;
    }
    if (cat_error_reason() == CAT_R_MASTER_KEY_MISSING) {
        err_no_master_key(err, line);
    } else {
        exec_error_from_catalog(err, line, "master key", "");
    }
    return MK_ERR;
}

/*
 * A copy of the master key: the open one, else opened through the
 * protector. MK_ERR (err untouched) when neither works.
 */
static mk_result current_key(exec_session *s, const cat_masterkey *row, mk_secret **out)
{
    mk_result r = MK_ERR;
    pthread_mutex_lock(&s->inst->mk_lock);
    if (s->inst->master_key != NULL) {
        r = mk_secret_from(mk_secret_cdata(s->inst->master_key), mk_secret_len(s->inst->master_key),
                           out);
    }
    pthread_mutex_unlock(&s->inst->mk_lock);
    if (mk_ok(r) || s->inst->token == NULL) {
        return r;
    }
    r = keys_masterkey_open_with_protector(s->inst->token, row->protector_blob, row->protector_len,
                                           out);
    if (mk_failed(r)) {
        mk_log_error_result(MK_LOG_WARN, "opening the master key through the protector");
    }
    return r;
}

/*
 * Seal mk with the protector (created on first use; destroyed again if this
 * statement fails) and, when pw is given, with the password.
 */
static mk_result seal_both(exec_session *s, int line, const mk_secret *mk, const char *pw,
                           mk_buf *prot_blob, mk_buf *pw_blob, sql_error *err)
{
    p11_protector *prot = NULL;
    bool created = false;
    if (mk_failed(keys_protector_get(s->inst->token, &prot, &created))) {
        exec_error_hsm(err, line, "finding or creating the master key protector");
        return MK_ERR;
    }
    mk_result r = MK_OK;
    if (created) {
        size_t id_len = 0;
        const uint8_t *id = p11_protector_id(prot, &id_len);
        r = exec_defer_destroy_id(s, EXEC_ON_ROLLBACK, id, id_len);
    }
    if (mk_ok(r)) {
        r = keys_masterkey_seal_protector(prot, mk, prot_blob);
    }
    p11_protector_free(prot);
    if (mk_ok(r) && pw != NULL) {
        r = keys_masterkey_seal_password(mk, (const uint8_t *)pw, strlen(pw), pw_blob);
    }
    if (mk_failed(r)) {
        exec_error_hsm(err, line, "sealing the master key");
    }
    return r;
}

/*
 * A new master key from the token RNG, sealed by the protector and the
 * password, stored as the catalog's master key (created, or replacing the
 * current one when `replace`), and open once the statement commits.
 */
static mk_result make_and_store(exec_session *s, int line, const char *password, bool replace,
                                sql_error *err)
{
    mk_result res = MK_ERR;
    mk_secret *mk = NULL;
    mk_buf prot_blob;
    mk_buf pw_blob;
    mk_buf_init(&prot_blob, CAT_MK_BLOB_MAX);
    mk_buf_init(&pw_blob, CAT_MK_BLOB_MAX);
    if (mk_failed(keys_masterkey_generate(s->inst->token, &mk))) {
        exec_error_hsm(err, line, "generating the master key");
        goto out;
    }
    GUARD_OUT(seal_both(s, line, mk, password, &prot_blob, &pw_blob, err));
    mk_result stored = replace ? cat_masterkey_update(s->db, prot_blob.data, prot_blob.len, true,
                                                      pw_blob.data, pw_blob.len)
                               : cat_masterkey_create(s->db, prot_blob.data, prot_blob.len,
                                                      pw_blob.data, pw_blob.len);
    if (mk_failed(stored)) {
        exec_error_from_catalog(err, line, "master key", "");
        goto out;
    }
    /* Created means open (SQL Server opens it through the service master key). */
    res = exec_defer_master_key(s, mk);
    mk = NULL;
    if (mk_failed(res)) {
        exec_error_hsm(err, line, "opening the new master key");
    }
out:
    mk_secret_free(mk);
    mk_buf_cleanup(&prot_blob);
    mk_buf_cleanup(&pw_blob);
    return res;
}

mk_result exec_create_master_key(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                 exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_masterkey_stmt *m = &stmt->u.masterkey;
    bool exists = false;
    if (!m->has_password) {
        /* SQL Server (not Azure) requires ENCRYPTION BY PASSWORD. */
        sql_error_syntax(err, stmt->line, "KEY", 3);
        return MK_ERR;
    }
    GUARD(exec_check_password(NULL, m->password, true, stmt->line, err));
    if (mk_failed(cat_masterkey_exists(s->db, &exists))) {
        exec_error_from_catalog(err, stmt->line, "master key", "");
        return MK_ERR;
    }
    if (exists) {
        sql_error_set(err, 15578, 16, 1, stmt->line,
                      "There is already a master key in the database. Please drop it before "
                      "performing this statement.");
        return MK_ERR;
    }
    GUARD(need_token(s, stmt->line, err));
    return make_and_store(s, stmt->line, m->password, false, err);
}

mk_result exec_open_master_key(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                               exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_masterkey_stmt *m = &stmt->u.masterkey;
    cat_masterkey row;
    mk_secret *mk = NULL;
    GUARD(load_row(s, stmt->line, &row, err));
    mk_result r = MK_ERR;
    if (row.password_blob == NULL) {
        err_wrong_password(err, stmt->line);
    } else if (mk_failed(keys_masterkey_open_with_password(row.password_blob, row.password_len,
                                                           (const uint8_t *)m->password,
                                                           strlen(m->password), &mk))) {
        MK_LOG_INFO("OPEN MASTER KEY refused: %s", mk_error_message());
        err_wrong_password(err, stmt->line);
    } else {
        r = exec_defer_master_key(s, mk);
        if (mk_failed(r)) {
            exec_error_hsm(err, stmt->line, "opening the master key");
        }
    }
    cat_masterkey_cleanup(&row);
    return r;
}

mk_result exec_close_master_key(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    if (mk_failed(exec_defer_master_key(s, NULL))) {
        exec_error_hsm(err, stmt->line, "closing the master key");
        return MK_ERR;
    }
    return MK_OK;
}

/* ALTER MASTER KEY [FORCE] REGENERATE WITH ENCRYPTION BY PASSWORD = 'pw'. */
static mk_result regenerate(exec_session *s, const sql_stmt *stmt, const cat_masterkey *row,
                            sql_error *err)
{
    const sql_masterkey_stmt *m = &stmt->u.masterkey;
    mk_secret *old = NULL;
    GUARD(exec_check_password(NULL, m->password, true, stmt->line, err));
    GUARD(need_token(s, stmt->line, err));
    if (mk_failed(current_key(s, row, &old)) && !m->force) {
        sql_error_set(err, 15329, 16, 1, stmt->line,
                      "The current master key cannot be decrypted. If this is a database master "
                      "key, you should attempt to open it in the session before performing this "
                      "operation. The FORCE option can be used to ignore this error and continue "
                      "the operation but the data encrypted by the old master key will be lost.");
        return MK_ERR;
    }
    /* Nothing in the catalog is encrypted under the master key yet: no re-encryption. */
    mk_secret_free(old);
    return make_and_store(s, stmt->line, m->password, true, err);
}

/* ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = 'pw'. */
static mk_result add_password(exec_session *s, const sql_stmt *stmt, const cat_masterkey *row,
                              sql_error *err)
{
    const char *pw = stmt->u.masterkey.password;
    if (row->password_blob != NULL) {
        sql_error_set(err, EXEC_ERR_MK_ONE_PASSWORD, 16, 1, stmt->line,
                      "The master key is already encrypted by a password; mirrorkey keeps one "
                      "password encryption (the HSM protector is the other). Use ALTER MASTER "
                      "KEY DROP ENCRYPTION BY PASSWORD first.");
        return MK_ERR;
    }
    GUARD(exec_check_password(NULL, pw, true, stmt->line, err));
    mk_secret *mk = NULL;
    if (mk_failed(current_key(s, row, &mk))) {
        err_no_master_key(err, stmt->line);
        return MK_ERR;
    }
    mk_buf blob;
    mk_buf_init(&blob, CAT_MK_BLOB_MAX);
    mk_result r = keys_masterkey_seal_password(mk, (const uint8_t *)pw, strlen(pw), &blob);
    mk_secret_free(mk);
    if (mk_failed(r)) {
        exec_error_hsm(err, stmt->line, "sealing the master key");
    } else if (mk_failed(r = cat_masterkey_update(s->db, NULL, 0, true, blob.data, blob.len))) {
        exec_error_from_catalog(err, stmt->line, "master key", "");
    }
    mk_buf_cleanup(&blob);
    return r;
}

/* ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = 'pw': the password must open it. */
static mk_result drop_password(exec_session *s, const sql_stmt *stmt, const cat_masterkey *row,
                               sql_error *err)
{
    const char *pw = stmt->u.masterkey.password;
    mk_secret *mk = NULL;
    if (row->password_blob == NULL ||
        mk_failed(keys_masterkey_open_with_password(row->password_blob, row->password_len,
                                                    (const uint8_t *)pw, strlen(pw), &mk))) {
        err_wrong_password(err, stmt->line);
        return MK_ERR;
    }
    mk_secret_free(mk);
    if (mk_failed(cat_masterkey_update(s->db, NULL, 0, true, NULL, 0))) {
        exec_error_from_catalog(err, stmt->line, "master key", "");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_alter_master_key(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_masterkey_stmt *m = &stmt->u.masterkey;
    if (m->action != SQL_MK_REGENERATE && m->by == SQL_MK_BY_SERVICE_MASTER_KEY) {
        sql_error_set(err, EXEC_ERR_SERVICE_MASTER_KEY, 16, 1, stmt->line,
                      "mirrorkey has no service master key: the master key is always sealed by "
                      "the HSM protector key, which cannot be added or dropped.");
        return MK_ERR;
    }
    cat_masterkey row;
    GUARD(load_row(s, stmt->line, &row, err));
    mk_result r = m->action == SQL_MK_REGENERATE       ? regenerate(s, stmt, &row, err)
                  : m->action == SQL_MK_ADD_ENCRYPTION ? add_password(s, stmt, &row, err)
                                                       : drop_password(s, stmt, &row, err);
    cat_masterkey_cleanup(&row);
    return r;
}

MK_RESULT exec_instance_open_master_key(exec_instance *inst, cat_db *db, bool *opened)
{
    cat_masterkey row;
    mk_secret *mk = NULL;
    if (opened != NULL) {
        *opened = false;
    }
    ENSURE_MSG(inst->token != NULL, MK_E_STATE, "no token configured");
    memset(&row, 0, sizeof(row));
    if (mk_failed(cat_masterkey_get(db, &row))) {
        return cat_error_reason() == CAT_R_MASTER_KEY_MISSING ? MK_OK : MK_ERR;
    }
    mk_result r =
        keys_masterkey_open_with_protector(inst->token, row.protector_blob, row.protector_len, &mk);
    cat_masterkey_cleanup(&row);
    GUARD(r);
    pthread_mutex_lock(&inst->mk_lock);
    mk_secret *old = inst->master_key;
    inst->master_key = mk;
    pthread_mutex_unlock(&inst->mk_lock);
    mk_secret_free(old);
    if (opened != NULL) {
        *opened = true;
    }
    return MK_OK;
}

bool exec_instance_master_key_is_open(exec_instance *inst)
{
    pthread_mutex_lock(&inst->mk_lock);
    bool open = inst->master_key != NULL;
    pthread_mutex_unlock(&inst->mk_lock);
    return open;
}
