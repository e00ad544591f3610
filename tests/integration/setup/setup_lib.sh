# Shared by the mirrorkey setup tests (sourced): scripts/instances.sh plus
# a catalog-and-token snapshot, JSON checks and the topology of three
# instances. Arguments of the sourcing test: MIRRORKEYD MIRRORKEY SRC.
MIRRORKEYD=$1
MIRRORKEY=$2
SRC=$3
HOSTS_TO_SHOW=${HOSTS_TO_SHOW:-"HOST_A HOST_B WITNESS"}
# shellcheck source=scripts/instances.sh
source "$SRC/scripts/instances.sh"

# three_topology FILE: HOST_A principal, HOST_B mirror, WITNESS witness of db1.
three_topology() {
    {
        topology_instance HOST_A
        topology_instance HOST_B
        topology_instance WITNESS
        printf '[session db1]\nprincipal = HOST_A\nmirror = HOST_B\nwitness = WITNESS\n'
    } >"$1"
}

# snapshot HOST...: every catalog row apply could change (modify dates included)
# and every object on each token, as text.
snapshot() {
    local h
    for h in "$@"; do
        echo "== $h"
        # tsql's stdout only: its banner goes to stderr and could land anywhere in a merged stream.
        { cat; printf 'go\nexit\n'; } <<'SQL' | FREETDSCONF=$work/$h/freetds.conf "$TSQL" -S "$h" -U admin \
            -P "$ADMIN_PW" 2>/dev/null | tr -d '\r' | sed -E 's/^([0-9]+> )+//'
SELECT name, principal_id, sid, type, is_disabled, create_date, modify_date FROM sys.server_principals
go
SELECT name, principal_id, sid, type, create_date, modify_date FROM sys.database_principals
go
SELECT name, certificate_id, principal_id, thumbprint, pvt_key_encryption_type, expiry_date FROM sys.certificates
go
SELECT * FROM sys.server_permissions
go
SELECT * FROM sys.tcp_endpoints
go
SELECT * FROM sys.database_mirroring_endpoints
go
SELECT name, database_id, create_date FROM sys.databases
go
SELECT database_id, mirroring_guid, mirroring_role_desc, mirroring_partner_name, mirroring_witness_name FROM sys.database_mirroring
go
SELECT name, create_date, modify_date, key_guid FROM sys.symmetric_keys
SQL
        SOFTHSM2_CONF=$(cat "$work/$h/softhsm2.conf.path") "$MIRRORKEY" token list \
            --uri "pkcs11:token=$h?module-path=$(module_path)&pin-source=file:$work/$h/hsm/$h.pin" 2>/dev/null
    done
}
module_path() { sed -n 's/.*module-path=\([^&]*\).*/\1/p' <<<"$MK_TOKEN_URI"; }

# json_statuses FILE: "status count" lines of a --json document; fails on invalid JSON.
json_statuses() {
    "$PYTHON" - "$1" <<'PY'
import json, sys, collections
doc = json.load(open(sys.argv[1]))
assert isinstance(doc["actions"], list) and doc["actions"], "no actions"
for a in doc["actions"]:
    assert set(a) >= {"instance", "step", "status", "detail", "sql"}, a
c = collections.Counter(a["status"] for a in doc["actions"])
for k in sorted(c):
    print(k, c[k])
PY
}

# mirroring_ok: HOST_A PRINCIPAL and HOST_B MIRROR, SYNCHRONIZED, witness CONNECTED.
mirroring_ok() {
    eventually HOST_A "SELECT mirroring_role_desc, mirroring_state_desc, mirroring_witness_state_desc FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL" \
        'PRINCIPAL[[:space:]]+SYNCHRONIZED[[:space:]]+CONNECTED' 30
    eventually HOST_B "SELECT mirroring_role_desc, mirroring_state_desc FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL" \
        'MIRROR[[:space:]]+SYNCHRONIZED' 30
}
