#!/usr/bin/env bash
# Brings up (or down) a private MariaDB primary + replica pair on loopback for
# check_mysql_drift's tests and demo, and the rest of the test set: a second
# replica of the primary, a replica chained through the first one, and a
# primary of its own with no replica (for "not a replica of this primary").
# Not the system service: mariadbd processes of our own, each with a datadir
# under $DRIFT_TEST_DIR, stopped by their pid files. Idempotent: "up" on a
# running set only re-checks it.
#
#   tests/servers.sh up | down | reset | status | env | certs | tuning
#
# Ports (127.0.0.1): primary $DRIFT_PRIMARY_PORT (13306), replica $DRIFT_REPLICA_PORT
# (13307), replica2 $DRIFT_REPLICA2_PORT (13308, of the primary, no binary log), chained
# $DRIFT_CHAINED_PORT (13309, of the replica: primary -> replica -> chained), other
# $DRIFT_OTHER_PORT (13310, a primary of its own).
# Accounts: monitor/$DRIFT_MONITOR_PASSWORD (SELECT, SHOW DATABASES: the plugin's
# read-only grant) and admin/$DRIFT_ADMIN_PASSWORD (ALL, for the tests' own setup).
set -euo pipefail

DIR=${DRIFT_TEST_DIR:-/tmp/check_mysql_drift-servers}
PRIMARY_PORT=${DRIFT_PRIMARY_PORT:-13306}
REPLICA_PORT=${DRIFT_REPLICA_PORT:-13307}
REPLICA2_PORT=${DRIFT_REPLICA2_PORT:-13308}
CHAINED_PORT=${DRIFT_CHAINED_PORT:-13309}
OTHER_PORT=${DRIFT_OTHER_PORT:-13310}
# name:port:server_id, in the order they start (a source before its replicas).
INSTANCES=("primary:$PRIMARY_PORT:1" "replica:$REPLICA_PORT:2" "replica2:$REPLICA2_PORT:3"
  "chained:$CHAINED_PORT:4" "other:$OTHER_PORT:5")
MONITOR_PASSWORD=${DRIFT_MONITOR_PASSWORD:-monitor-pw}
ADMIN_PASSWORD=${DRIFT_ADMIN_PASSWORD:-admin-pw}
REPL_PASSWORD=repl-pw

log() { printf 'servers.sh: %s\n' "$*" >&2; }

install_packages() {
  if command -v mariadbd >/dev/null && command -v mariadb >/dev/null && command -v mariadb-install-db >/dev/null &&
    command -v openssl >/dev/null && command -v pt-table-checksum >/dev/null; then
    return
  fi
  log "installing from Debian's packages: mariadb-server and mariadb-client (the test servers), openssl (their TLS certificates) and percona-toolkit (pt-table-checksum, side by side with --checksum)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # policy-rc.d keeps the package from starting the system service: we run our own.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  # percona-toolkit: pt-table-checksum, side by side with --checksum.
  apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client openssl \
    percona-toolkit >/dev/null
  ((created_policy)) && rm -f "$policy"
  return 0
}

# sql NAME STATEMENTS: runs as root over the instance's own socket.
sql() {
  local name=$1
  shift
  mariadb --no-defaults -S "$DIR/$name/mysqld.sock" -uroot -N -B -e "$*"
}

is_up() {
  local name=$1
  [[ -f $DIR/$name/mysqld.pid ]] && kill -0 "$(cat "$DIR/$name/mysqld.pid")" 2>/dev/null &&
    mariadb-admin --no-defaults -S "$DIR/$name/mysqld.sock" -uroot ping >/dev/null 2>&1
}

# Settings every test server shares (tests/flavors.sh too): the load
# tests' write rates, the 11k-table bench's open tables.
tuning() {
  cat <<EOF
innodb-flush-log-at-trx-commit=2
sync-binlog=0
max-connections=200
table-open-cache=65536
table-definition-cache=65536
open-files-limit=300000
EOF
}

# A CA of our own and a server certificate for 127.0.0.1 (and localhost),
# shared by both servers, for the TLS tests: $DIR/tls/ca.pem; and a client
# certificate of the same CA, for accounts that REQUIRE X509.
make_certificates() {
  local t=$DIR/tls
  if [[ ! -f $t/client-cert.pem ]]; then
    mkdir -p "$t"
    [[ -f $t/ca.pem ]] || make_ca "$t"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=check_mysql_drift client" \
      -keyout "$t/client-key.pem" -out "$t/client.csr" 2>/dev/null
    # X.509 v3 (with extensions): rustls refuses v1 certificates.
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$t/client-ext.cnf"
    openssl x509 -req -in "$t/client.csr" -CA "$t/ca.pem" -CAkey "$t/ca-key.pem" -CAcreateserial \
      -days 3650 -extfile "$t/client-ext.cnf" -out "$t/client-cert.pem" 2>/dev/null
  fi
  [[ -f $t/server-cert.pem ]] && return
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$t/server-key.pem" -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$t/ext.cnf"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca-key.pem" -CAcreateserial \
    -days 3650 -extfile "$t/ext.cnf" -out "$t/server-cert.pem" 2>/dev/null
  # A second CA that signed nothing here: verification against it must fail.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=unrelated CA" \
    -keyout "$t/other-ca-key.pem" -out "$t/other-ca.pem" 2>/dev/null
}

make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=check_mysql_drift test CA" \
    -keyout "$1/ca-key.pem" -out "$1/ca.pem" 2>/dev/null
}

start_instance() {
  local name=$1 port=$2 server_id=$3
  local d=$DIR/$name
  if is_up "$name"; then
    return
  fi
  mkdir -p "$d"
  # replica2 keeps no binary log, as many replicas do: MariaDB's version
  # then lacks the "-log" that the primary's has.
  local binlog="log-bin=$d/data/binlog
log-slave-updates=ON"
  [[ $name == replica2 ]] && binlog=""
  cat >"$d/my.cnf" <<EOF
[mariadbd]
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
bind-address=127.0.0.1
port=$port
server-id=$server_id
$binlog
binlog-format=MIXED
gtid-strict-mode=ON
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb-buffer-pool-size=1G
innodb-log-file-size=128M
$(tuning)
ssl-ca=$DIR/tls/ca.pem
ssl-cert=$DIR/tls/server-cert.pem
ssl-key=$DIR/tls/server-key.pem
EOF
  if [[ ! -d $d/data/mysql ]]; then
    log "initialising $name datadir in $d/data"
    mariadb-install-db --defaults-file="$d/my.cnf" --user=root --skip-test-db \
      --auth-root-authentication-method=socket >"$d/install.log" 2>&1 ||
      { cat "$d/install.log" >&2; exit 1; }
  fi
  log "starting $name on 127.0.0.1:$port"
  # setsid: the server outlives the shell that started it and ignores its signals.
  setsid mariadbd --defaults-file="$d/my.cnf" --user=root </dev/null >/dev/null 2>&1 &
  local i
  for ((i = 0; i < 120; i++)); do
    is_up "$name" && return
    sleep 0.5
  done
  log "$name did not start; its error log:"
  tail -n 30 "$d/error.log" >&2
  exit 1
}

# Accounts are made on each server with sql_log_bin=0 so that a replica's
# GTID history holds only what it replicated.
make_accounts() {
  sql "$1" "
    SET SESSION sql_log_bin=0;
    CREATE USER IF NOT EXISTS 'admin'@'127.0.0.1' IDENTIFIED BY '$ADMIN_PASSWORD';
    GRANT ALL ON *.* TO 'admin'@'127.0.0.1' WITH GRANT OPTION;
    CREATE USER IF NOT EXISTS 'monitor'@'%' IDENTIFIED BY '$MONITOR_PASSWORD';
    GRANT SELECT, SHOW DATABASES ON *.* TO 'monitor'@'%';
    CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';"
}

slave_running() {
  sql "$1" "SHOW GLOBAL STATUS LIKE 'Slave_running'" | awk '{print $2}'
}

# replicate NAME SOURCE_PORT: GTID replication of NAME from the server on
# SOURCE_PORT, unless it already runs.
replicate() {
  local name=$1 source_port=$2
  if [[ $(slave_running "$name") != ON ]]; then
    log "starting GTID replication $name <- 127.0.0.1:$source_port"
    sql "$name" "STOP SLAVE;
      CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$source_port,
        MASTER_USER='repl', MASTER_PASSWORD='$REPL_PASSWORD',
        MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
      START SLAVE;"
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    [[ $(slave_running "$name") == ON ]] && return
    sleep 0.5
  done
  log "replication of $name did not start (a set made before $name existed replays" \
    "a history it cannot apply: tests/servers.sh reset, then up):"
  sql "$name" "SHOW SLAVE STATUS\G" | grep -E 'Running|Last_.*Error' >&2
  exit 1
}

configure_set() {
  local instance
  for instance in "${INSTANCES[@]}"; do
    make_accounts "${instance%%:*}"
  done
  replicate replica "$PRIMARY_PORT"
  replicate replica2 "$PRIMARY_PORT"
  replicate chained "$REPLICA_PORT"
  # The other primary has a history of its own, in the same GTID domain.
  sql other "CREATE DATABASE IF NOT EXISTS other_app;
    CREATE TABLE IF NOT EXISTS other_app.t (id INT PRIMARY KEY) ENGINE=InnoDB;
    INSERT IGNORE INTO other_app.t VALUES (1);"
}

stop_instance() {
  local name=$1 pidfile=$DIR/$1/mysqld.pid
  [[ -f $pidfile ]] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill "$pid"
    local i
    for ((i = 0; i < 120; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
}

print_env() {
  cat <<EOF
export DRIFT_TEST_DIR=$DIR
export DRIFT_PRIMARY_PORT=$PRIMARY_PORT
export DRIFT_REPLICA_PORT=$REPLICA_PORT
export DRIFT_REPLICA2_PORT=$REPLICA2_PORT
export DRIFT_CHAINED_PORT=$CHAINED_PORT
export DRIFT_OTHER_PORT=$OTHER_PORT
export DRIFT_MONITOR_PASSWORD=$MONITOR_PASSWORD
export DRIFT_ADMIN_PASSWORD=$ADMIN_PASSWORD
EOF
}

names() {
  local instance
  for instance in "${INSTANCES[@]}"; do
    echo "${instance%%:*}"
  done
}

case ${1:-up} in
  up)
    install_packages
    make_certificates
    for instance in "${INSTANCES[@]}"; do
      IFS=: read -r name port server_id <<<"$instance"
      start_instance "$name" "$port" "$server_id"
    done
    configure_set
    log "set up: primary 127.0.0.1:$PRIMARY_PORT, replicas :$REPLICA_PORT :$REPLICA2_PORT," \
      "chained :$CHAINED_PORT (of :$REPLICA_PORT), other primary :$OTHER_PORT (dir $DIR)"
    ;;
  down)
    # Replicas first, the primary last.
    for name in $(names | tac); do
      stop_instance "$name"
    done
    ;;
  reset)
    "$0" down
    rm -rf "$DIR"
    ;;
  status)
    for name in $(names); do
      if is_up "$name"; then echo "$name: up"; else echo "$name: down"; fi
    done
    ;;
  env) print_env ;;
  certs) make_certificates ;;
  tuning) tuning ;;
  *)
    echo "usage: $0 up|down|reset|status|env|certs|tuning" >&2
    exit 3
    ;;
esac
