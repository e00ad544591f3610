/*
 * Rendering of the key-hierarchy and endpoint statements: master key,
 * certificates, endpoints (see sql/render.h). Passwords are always written
 * as '******'.
 */
#include "internal.h"

#include <inttypes.h>

#include "sql/render.h"

MK_RESULT sql_render_masterkey(const sql_stmt *s, mk_buf *out)
{
    const sql_masterkey_stmt *mk = &s->u.masterkey;
    GUARD(sql_r_str(out, sql_stmt_kind_name(s->kind)));
    switch (s->kind) {
    case SQL_STMT_CREATE_MASTER_KEY:
        if (!mk->has_password) {
            return MK_OK;
        }
        GUARD(sql_r_str(out, " ENCRYPTION BY PASSWORD = "));
        return sql_r_secret(out);
    case SQL_STMT_OPEN_MASTER_KEY:
        GUARD(sql_r_str(out, " DECRYPTION BY PASSWORD = "));
        return sql_r_secret(out);
    case SQL_STMT_ALTER_MASTER_KEY: break;
    default: return MK_OK;
    }
    if (mk->action == SQL_MK_REGENERATE) {
        GUARD(sql_r_str(out, mk->force ? " FORCE REGENERATE" : " REGENERATE"));
        GUARD(sql_r_str(out, " WITH ENCRYPTION BY PASSWORD = "));
        return sql_r_secret(out);
    }
    GUARD(sql_r_str(out, mk->action == SQL_MK_ADD_ENCRYPTION ? " ADD" : " DROP"));
    if (mk->by == SQL_MK_BY_SERVICE_MASTER_KEY) {
        return sql_r_str(out, " ENCRYPTION BY SERVICE MASTER KEY");
    }
    GUARD(sql_r_str(out, " ENCRYPTION BY PASSWORD = "));
    return sql_r_secret(out);
}

/* `, ` between options, nothing before the first. */
static MK_RESULT sep(mk_buf *out, bool *first)
{
    GUARD(sql_r_str(out, *first ? "" : ", "));
    *first = false;
    return MK_OK;
}

static MK_RESULT render_private_key(const sql_private_key *pk, unsigned flags, mk_buf *out)
{
    bool first = true;
    GUARD(sql_r_str(out, " WITH PRIVATE KEY ("));
    if (pk->has_file) {
        GUARD(sep(out, &first));
        GUARD(sql_r_str(out, "FILE = "));
        GUARD(sql_r_string(out, pk->file, false));
    }
    if (pk->has_binary) {
        GUARD(sep(out, &first));
        GUARD(sql_r_str(out, "BINARY = "));
        GUARD(sql_r_binary(out, pk->binary, pk->binary_len, flags));
    }
    if (pk->has_encryption_password) {
        GUARD(sep(out, &first));
        GUARD(sql_r_str(out, "ENCRYPTION BY PASSWORD = "));
        GUARD(sql_r_secret(out));
    }
    if (pk->has_decryption_password) {
        GUARD(sep(out, &first));
        GUARD(sql_r_str(out, "DECRYPTION BY PASSWORD = "));
        GUARD(sql_r_secret(out));
    }
    return sql_r_str(out, ")");
}

static MK_RESULT render_cert_source(const sql_create_cert_stmt *c, unsigned flags, mk_buf *out)
{
    switch (c->source) {
    case SQL_CERT_FROM_ASSEMBLY:
        GUARD(sql_r_str(out, " FROM ASSEMBLY "));
        return sql_r_name(out, c->assembly);
    case SQL_CERT_FROM_BINARY:
        GUARD(sql_r_str(out, " FROM BINARY = "));
        GUARD(sql_r_binary(out, c->binary, c->binary_len, flags));
        break;
    case SQL_CERT_FROM_FILE:
    case SQL_CERT_FROM_EXECUTABLE:
        GUARD(sql_r_str(out, c->source == SQL_CERT_FROM_FILE ? " FROM FILE = "
                                                             : " FROM EXECUTABLE FILE = "));
        GUARD(sql_r_string(out, c->file, false));
        break;
    case SQL_CERT_GENERATE:
        if (c->has_encryption_password) {
            GUARD(sql_r_str(out, " ENCRYPTION BY PASSWORD = "));
            GUARD(sql_r_secret(out));
        }
        GUARD(sql_r_str(out, " WITH SUBJECT = "));
        GUARD(sql_r_string(out, c->subject, false));
        if (c->has_start_date) {
            GUARD(sql_r_str(out, ", START_DATE = "));
            GUARD(sql_r_string(out, c->start_date, false));
        }
        if (c->has_expiry_date) {
            GUARD(sql_r_str(out, ", EXPIRY_DATE = "));
            GUARD(sql_r_string(out, c->expiry_date, false));
        }
        if (c->has_algorithm) {
            GUARD(sql_r_str(out, ", ALGORITHM = "));
            GUARD(sql_r_str(out, sql_cert_algorithm_name(c->algorithm)));
        }
        return MK_OK;
    }
    return c->has_private_key ? render_private_key(&c->private_key, flags, out) : MK_OK;
}

MK_RESULT sql_render_cert(const sql_stmt *s, unsigned flags, mk_buf *out)
{
    GUARD(sql_r_str(out, sql_stmt_kind_name(s->kind)));
    GUARD(sql_r_str(out, " "));
    if (s->kind == SQL_STMT_BACKUP_CERTIFICATE) {
        const sql_backup_cert_stmt *b = &s->u.backup_cert;
        GUARD(sql_r_name(out, b->name));
        GUARD(sql_r_str(out, " TO FILE = "));
        GUARD(sql_r_string(out, b->file, false));
        return b->has_private_key ? render_private_key(&b->private_key, flags, out) : MK_OK;
    }
    const sql_create_cert_stmt *c = &s->u.create_cert;
    GUARD(sql_r_name(out, c->name));
    if (c->has_owner) {
        GUARD(sql_r_str(out, " AUTHORIZATION "));
        GUARD(sql_r_name(out, c->owner));
    }
    GUARD(render_cert_source(c, flags, out));
    if (c->has_active_for_begin_dialog) {
        GUARD(sql_r_str(out, " ACTIVE FOR BEGIN_DIALOG = "));
        GUARD(sql_r_on_off(out, c->active_for_begin_dialog));
    }
    return MK_OK;
}

static MK_RESULT render_tcp(const sql_ep_tcp *tcp, mk_buf *out)
{
    bool first = true;
    GUARD(sql_r_str(out, " AS TCP ("));
    if (tcp->has_port) {
        GUARD(sep(out, &first));
        GUARD(mk_buf_printf(out, "LISTENER_PORT = %" PRId64, tcp->port));
    }
    if (tcp->has_ip) {
        GUARD(sep(out, &first));
        GUARD(sql_r_str(out, "LISTENER_IP = "));
        if (tcp->ip_all) {
            GUARD(sql_r_str(out, "ALL"));
        } else {
            GUARD(sql_r_str(out, "("));
            GUARD(tcp->ip_quoted ? sql_r_string(out, tcp->ip, false) : sql_r_str(out, tcp->ip));
            GUARD(sql_r_str(out, ")"));
        }
    }
    return sql_r_str(out, ")");
}

static MK_RESULT render_auth(const sql_ep_auth *a, mk_buf *out)
{
    static const char *const methods[] = {" NEGOTIATE", " NTLM", " KERBEROS"};
    bool windows_first = a->windows && (!a->certificate || a->windows_first);
    for (int pass = 0; pass < 2; pass++) {
        bool windows_turn = (pass == 0) == windows_first;
        if (windows_turn && a->windows) {
            GUARD(sql_r_str(out, pass == 0 ? "WINDOWS" : " WINDOWS"));
            if (a->has_windows_method) {
                GUARD(sql_r_str(out, methods[a->windows_method]));
            }
        } else if (!windows_turn && a->certificate) {
            GUARD(sql_r_str(out, pass == 0 ? "CERTIFICATE " : " CERTIFICATE "));
            GUARD(sql_r_name(out, a->certificate_name));
        }
    }
    return MK_OK;
}

static MK_RESULT render_mirroring(const sql_ep_mirroring *m, mk_buf *out)
{
    static const char *const modes[] = {"DISABLED", "SUPPORTED", "REQUIRED"};
    static const char *const algs[] = {"AES", "RC4", "AES RC4", "RC4 AES"};
    static const char *const roles[] = {"WITNESS", "PARTNER", "ALL"};
    bool first = true;
    GUARD(sql_r_str(out, " FOR DATABASE_MIRRORING ("));
    if (m->has_auth) {
        GUARD(sep(out, &first));
        GUARD(sql_r_str(out, "AUTHENTICATION = "));
        GUARD(render_auth(&m->auth, out));
    }
    if (m->has_encryption) {
        GUARD(sep(out, &first));
        GUARD(sql_r_str(out, "ENCRYPTION = "));
        GUARD(sql_r_str(out, modes[m->encryption]));
        if (m->has_algorithm) {
            GUARD(sql_r_str(out, " ALGORITHM "));
            GUARD(sql_r_str(out, algs[m->algorithm]));
        }
    }
    if (m->has_role) {
        GUARD(sep(out, &first));
        GUARD(sql_r_str(out, "ROLE = "));
        GUARD(sql_r_str(out, roles[m->role]));
    }
    return sql_r_str(out, ")");
}

MK_RESULT sql_render_endpoint(const sql_stmt *s, mk_buf *out)
{
    static const char *const states[] = {"STARTED", "STOPPED", "DISABLED"};
    const sql_endpoint_stmt *e = &s->u.endpoint;
    GUARD(sql_r_str(out, sql_stmt_kind_name(s->kind)));
    GUARD(sql_r_str(out, " "));
    GUARD(sql_r_name(out, e->name));
    if (e->has_owner) {
        GUARD(sql_r_str(out, " AUTHORIZATION "));
        GUARD(sql_r_name(out, e->owner));
    }
    if (e->has_state) {
        GUARD(sql_r_str(out, " STATE = "));
        GUARD(sql_r_str(out, states[e->state]));
    }
    if (e->has_transport && e->transport == SQL_EP_TCP) {
        GUARD(render_tcp(&e->tcp, out));
    } else if (e->has_transport) {
        GUARD(sql_r_str(out, " AS "));
        GUARD(sql_r_upper(out, e->transport_name));
        GUARD(sql_r_str(out, " ()"));
    }
    if (e->has_payload && e->payload == SQL_EP_MIRRORING) {
        return render_mirroring(&e->mirroring, out);
    }
    if (e->has_payload) {
        GUARD(sql_r_str(out, " FOR "));
        GUARD(sql_r_upper(out, e->payload_name));
        return sql_r_str(out, " ()");
    }
    return MK_OK;
}
