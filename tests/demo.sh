#!/usr/bin/env bash
# The plugin's main job, end to end: brings up a local primary + replica
# pair (tests/servers.sh), loads a small demo schema on the primary, and
# runs check_mysql_drift against the pair as the read-only `monitor`
# account; then makes the replica drift (a write on the replica alone) and
# runs it again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says on stdout what it does as it starts: the first run takes a
# few minutes, and a silent terminal looks stuck.
step() { printf '\n== %s\n' "$*"; }
if ! command -v mariadbd >/dev/null; then
  step "installing MariaDB (server, client), openssl and percona-toolkit from Debian's packages"
fi
step "starting a primary and a replica of our own on 127.0.0.1:13306 and :13307 (not the system service)"
tests/servers.sh up
eval "$(tests/servers.sh env)"
step "building the plugin (about 2 minutes the first time)"
cargo build --release --locked
step "loading a demo schema on the primary"

sql() { mariadb --no-defaults -h127.0.0.1 -uadmin -p"$DRIFT_ADMIN_PASSWORD" -P"$1" -N -B -e "$2"; }
# A fresh demo schema: any earlier one dropped on both sides (unlogged),
# then created on the primary and replicated.
for port in "$DRIFT_REPLICA_PORT" "$DRIFT_PRIMARY_PORT"; do
  sql "$port" "SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS demo_shop;"
done
sql "$DRIFT_PRIMARY_PORT" "
  CREATE DATABASE demo_shop; USE demo_shop;
  CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(40)) ENGINE=InnoDB;
  CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer INT, total DECIMAL(10,2)) ENGINE=InnoDB;
  CREATE TABLE audit (id INT, note VARCHAR(40)) ENGINE=MyISAM;
  INSERT INTO customers (name) VALUES ('ada'), ('grace'), ('linus');
  INSERT INTO orders (customer, total) SELECT 1 + seq % 3, seq FROM seq_1_to_1000;
  INSERT INTO audit VALUES (1, 'created');"
sql "$DRIFT_REPLICA_PORT" "SELECT MASTER_GTID_WAIT('$(sql "$DRIFT_PRIMARY_PORT" 'SELECT @@gtid_binlog_pos')', 30)" >/dev/null

check() {
  echo "\$ MYSQL_PWD=... check_mysql_drift --master 127.0.0.1:$DRIFT_PRIMARY_PORT --replica 127.0.0.1:$DRIFT_REPLICA_PORT -u monitor --include-db '^demo_shop\$' -v"
  set +e
  MYSQL_PWD=$DRIFT_MONITOR_PASSWORD target/release/check_mysql_drift \
    --master "127.0.0.1:$DRIFT_PRIMARY_PORT" --replica "127.0.0.1:$DRIFT_REPLICA_PORT" \
    -u monitor --include-db '^demo_shop$' -v
  echo "(exit code $?)"
  set -e
}

step "running the plugin: a healthy pair"
check
step "running the plugin after 2 rows were written on the replica alone"
sql "$DRIFT_REPLICA_PORT" "SET SESSION sql_log_bin = 0; INSERT INTO demo_shop.orders (customer, total) VALUES (1, 1), (2, 2);"
check
