#!/usr/bin/env bash
# MariaDB 11 and MySQL primary + replica pairs from Debian's archive, for
# the checks that need them, beside the 10.11 pair of tests/servers.sh.
# Debian 12 carries neither, so each comes from a minimal chroot made by
# debootstrap (MariaDB 11.8 from trixie, MySQL 9.7 from sid), with its two
# servers started by hand inside, bound to 127.0.0.1, with the accounts of
# tests/servers.sh (monitor: SELECT, SHOW DATABASES; admin; repl).
#
#   tests/flavors.sh [check] [mariadb11] [mysql]   bring up (idempotent) and check
#   tests/flavors.sh down                          stop every server here
#
# Ports: mariadb11 33306 (primary) / 33307 (replica); mysql 23306 / 23307.
# The check runs the release binary against each pair and prints
# "N passed, M failed". Not part of tests/run.sh yet: sid moves, and the
# chroots take about 3 minutes to make.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=${DRIFT_CHROOTS:-/var/tmp/check_mysql_drift-chroots}
MIRROR=${DRIFT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
MONITOR_PASSWORD=monitor-pw

log() { printf 'flavors.sh: %s\n' "$*" >&2; }

# The facts of each flavor, by name: suite, packages, server, first port.
suite() { case $1 in mariadb11) echo trixie ;; mysql) echo sid ;; esac; }
packages() { case $1 in mariadb11) echo mariadb-server,mariadb-client ;; mysql) echo mysql-server,mysql-client ;; esac; }
server_bin() { case $1 in mariadb11) echo mariadbd ;; mysql) echo mysqld ;; esac; }
client_bin() { case $1 in mariadb11) echo mariadb ;; mysql) echo mysql ;; esac; }
port() { # port FLAVOR primary|replica
  local base
  case $1 in mariadb11) base=33306 ;; mysql) base=23306 ;; esac
  if [[ $2 == primary ]]; then echo "$base"; else echo $((base + 1)); fi
}

make_chroot() {
  local flavor=$1 dir=$ROOT/$1
  if [[ -x $dir/usr/sbin/$(server_bin "$flavor") ]]; then
    return
  fi
  command -v debootstrap >/dev/null || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  log "making the $flavor chroot ($(suite "$flavor")) in $dir"
  mkdir -p "$dir"
  debootstrap --variant=minbase --include="$(packages "$flavor")" "$(suite "$flavor")" "$dir" "$MIRROR" \
    >"$ROOT/$flavor.debootstrap.log" 2>&1 || {
    tail -n 20 "$ROOT/$flavor.debootstrap.log" >&2
    exit 1
  }
  # A minbase chroot has no /etc/hosts: name resolution of localhost.
  echo "127.0.0.1 localhost" >"$dir/etc/hosts"
}

# sql FLAVOR NAME STATEMENTS: as root over the instance's socket.
sql() {
  chroot "$ROOT/$1" "$(client_bin "$1")" -S "/srv/$2/mysqld.sock" -uroot -N -B -e "$3"
}

server_config() { # server_config FLAVOR NAME PORT ID
  local flavor=$1 d=/srv/$2
  local group=mysqld gtid="gtid-strict-mode=ON
log-slave-updates=ON
binlog-format=MIXED"
  if [[ $flavor == mysql ]]; then
    gtid="gtid-mode=ON
enforce-gtid-consistency=ON
mysqlx=OFF"
  fi
  [[ $flavor == mariadb11 ]] && group=mariadbd
  cat <<EOF
[$group]
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
bind-address=127.0.0.1
port=$3
server-id=$4
log-bin=$d/data/binlog
skip-name-resolve
innodb-buffer-pool-size=128M
$gtid
EOF
}

is_up() {
  sql "$1" "$2" "SELECT 1" >/dev/null 2>&1
}

start_instance() { # start_instance FLAVOR NAME ID
  local flavor=$1 name=$2 dir=$ROOT/$1 d=/srv/$2
  mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
  is_up "$flavor" "$name" && return
  mkdir -p "$dir$d"
  server_config "$flavor" "$name" "$(port "$flavor" "$name")" "$3" >"$dir$d/my.cnf"
  if [[ ! -d $dir$d/data ]]; then
    if [[ $flavor == mysql ]]; then
      chroot "$dir" mysqld --defaults-file="$d/my.cnf" --user=root --initialize-insecure >/dev/null 2>&1
    else
      chroot "$dir" mariadb-install-db --defaults-file="$d/my.cnf" --user=root --skip-test-db \
        --skip-name-resolve --auth-root-authentication-method=socket >/dev/null 2>&1
    fi
  fi
  log "starting $flavor $name on 127.0.0.1:$(port "$flavor" "$name")"
  setsid chroot "$dir" "$(server_bin "$flavor")" --defaults-file="$d/my.cnf" --user=root \
    </dev/null >/dev/null 2>&1 &
  local i
  for ((i = 0; i < 120; i++)); do
    is_up "$flavor" "$name" && return
    sleep 0.5
  done
  log "$flavor $name did not start"
  tail -n 20 "$dir$d/error.log" >&2
  exit 1
}

accounts() {
  echo "SET SESSION sql_log_bin=0;
    CREATE USER IF NOT EXISTS 'admin'@'127.0.0.1' IDENTIFIED BY 'admin-pw';
    GRANT ALL ON *.* TO 'admin'@'127.0.0.1' WITH GRANT OPTION;
    CREATE USER IF NOT EXISTS 'monitor'@'%' IDENTIFIED BY '$MONITOR_PASSWORD';
    GRANT SELECT, SHOW DATABASES ON *.* TO 'monitor'@'%';
    CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw';
    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';"
}

start_replication() {
  local flavor=$1 p
  p=$(port "$flavor" primary)
  if [[ $flavor == mysql ]]; then
    sql mysql replica "CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=$p,
      SOURCE_USER='repl', SOURCE_PASSWORD='repl-pw', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1;
      START REPLICA;"
  else
    sql mariadb11 replica "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$p,
      MASTER_USER='repl', MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos; START SLAVE;"
  fi
}

up() {
  local flavor=$1
  make_chroot "$flavor"
  start_instance "$flavor" primary 1
  start_instance "$flavor" replica 2
  if [[ ! -f $ROOT/$flavor/srv/configured ]]; then
    sql "$flavor" primary "$(accounts)"
    sql "$flavor" replica "$(accounts)"
    start_replication "$flavor"
    touch "$ROOT/$flavor/srv/configured"
  fi
  log "$flavor: $(chroot "$ROOT/$flavor" "$(server_bin "$flavor")" --version)"
}

down() {
  local flavor name pid
  for flavor in mariadb11 mysql; do
    for name in replica primary; do
      pid=$ROOT/$flavor/srv/$name/mysqld.pid
      [[ -f $pid ]] || continue
      kill "$(cat "$pid")" 2>/dev/null || true
    done
    sleep 15
    if mountpoint -q "$ROOT/$flavor/proc"; then umount "$ROOT/$flavor/proc"; fi
  done
}

passed=0
failed=0
check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then
    echo "PASS: $name"
    passed=$((passed + 1))
  else
    echo "FAIL: $name"
    failed=$((failed + 1))
  fi
}

# run FLAVOR: the plugin against the pair; sets OUT and CODE.
run() {
  CODE=0
  OUT=$(MYSQL_PWD=$MONITOR_PASSWORD target/release/check_mysql_drift -u monitor -t 10 \
    --master "127.0.0.1:$(port "$1" primary)" --replica "127.0.0.1:$(port "$1" replica)" \
    --include-db '^flavor_db$') || CODE=$?
  echo "  $1: exit $CODE: $(head -n1 <<<"$OUT" | cut -c1-150)"
}
answered() { [[ $CODE -eq $1 && $(head -n1 <<<"$OUT") == "DRIFT $2 - $3"* ]]; }
said() { grep -qF "$1" <<<"$OUT"; }

check_flavor() {
  local flavor=$1
  for side in replica primary; do sql "$flavor" "$side" "SET SESSION sql_log_bin=0; DROP DATABASE IF EXISTS flavor_db"; done
  sql "$flavor" primary "CREATE DATABASE flavor_db;
    CREATE TABLE flavor_db.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB;
    INSERT INTO flavor_db.t (v) VALUES (1), (2), (3);"
  sleep 2
  run "$flavor"
  check "$flavor: a healthy pair is OK" answered 0 OK "1 of 1 tables match"
  sql "$flavor" replica "SET SESSION sql_log_bin=0; INSERT INTO flavor_db.t (v) VALUES (9)"
  run "$flavor"
  if [[ $flavor == mysql ]]; then
    # No replication positions on MySQL yet: a difference is unverified
    # (UNKNOWN), never drift and never OK.
    check "$flavor: drift without positions is unverified, not OK" answered 3 UNKNOWN "0 of 1 tables match, 1 unverified"
  else
    check "$flavor: drift is CRITICAL naming the table" answered 2 CRITICAL "1 of 1 tables differ (flavor_db.t +1)"
  fi
  sql "$flavor" replica "SET SESSION sql_log_bin=0; DELETE FROM flavor_db.t WHERE v = 9"
  if [[ $flavor == mysql ]]; then
    sql mysql replica "STOP REPLICA SQL_THREAD"
    run mysql
    check "mysql: a stopped applier is CRITICAL naming it" answered 2 CRITICAL \
      "replication is not running on replica 127.0.0.1:$(port mysql replica) (receiver ON, applier OFF)"
    sql mysql replica "START REPLICA SQL_THREAD"
  else
    sql mariadb11 replica "STOP SLAVE SQL_THREAD"
    run mariadb11
    check "mariadb11: a stopped replica is CRITICAL" answered 2 CRITICAL \
      "replication is not running on replica 127.0.0.1:$(port mariadb11 replica) (Slave_running=OFF)"
    sql mariadb11 replica "START SLAVE SQL_THREAD"
  fi
}

case ${1:-check} in
  down)
    down
    exit 0
    ;;
  check) shift || true ;;
esac
flavors=("$@")
((${#flavors[@]})) || flavors=(mariadb11 mysql)
cargo build --release --locked --quiet
for flavor in "${flavors[@]}"; do
  up "$flavor"
  check_flavor "$flavor"
done
echo "flavors: $passed passed, $failed failed"
((failed == 0))
