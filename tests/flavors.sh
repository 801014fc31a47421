#!/usr/bin/env bash
# MariaDB 11 and MySQL primary + replica pairs from Debian's archive, for
# the tests to run against each flavor, beside the 10.11 set of
# tests/servers.sh. Debian 12 carries neither, so each comes from a minimal
# chroot made by debootstrap (MariaDB 11.8 from trixie, MySQL 9.7 from
# sid), with its two servers started by hand inside, bound to 127.0.0.1,
# with the accounts and TLS certificates of tests/servers.sh (monitor:
# SELECT, SHOW DATABASES; admin; repl).
#
#   tests/flavors.sh test [mariadb11] [mysql]   bring up, run the integration and
#                                               consistency tests against each
#   tests/flavors.sh up [mariadb11] [mysql]     bring up (idempotent)
#   tests/flavors.sh env FLAVOR                 the environment the tests read
#   tests/flavors.sh down                       stop every server here
#
# Ports: mariadb11 33306 (primary) / 33307 (replica); mysql 23306 / 23307.
# Tests that need more than a pair (a second or chained replica, another
# primary) or a MariaDB-only feature skip themselves on the pairs, naming
# the test and the reason (tests/support: `require`).
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
innodb-buffer-pool-size=512M
$(tests/servers.sh tuning)
ssl-ca=/srv/tls/ca.pem
ssl-cert=/srv/tls/server-cert.pem
ssl-key=/srv/tls/server-key.pem
$gtid
EOF
}

is_up() {
  sql "$1" "$2" "SELECT 1" >/dev/null 2>&1
}

# server_running PIDFILE BINARY: the pid file's process runs BINARY.
server_running() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ -n $pid ]] && grep -qa "$2" "/proc/$pid/cmdline" 2>/dev/null
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
  # A server killed by a test leaves its socket lock file behind, naming
  # its pid; once that pid is reused, MySQL refuses to start ("Another
  # process ... is using unix socket file"). Stale unless the server of
  # the pid file still runs.
  if ! server_running "$dir$d/mysqld.pid" "$(server_bin "$flavor")"; then
    rm -f "$dir$d/mysqld.sock" "$dir$d/mysqld.sock.lock"
  fi
  log "starting $flavor $name on 127.0.0.1:$(port "$flavor" "$name")"
  setsid chroot "$dir" "$(server_bin "$flavor")" --defaults-file="$d/my.cnf" --user=root \
    </dev/null >/dev/null 2>&1 &
  # Not this shell's job: the tests kill and restart servers at will.
  disown
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
  local flavor=$1 certs
  make_chroot "$flavor"
  # The certificates of tests/servers.sh, so that the TLS tests hold here.
  if [[ ! -f $ROOT/$flavor/srv/tls/ca.pem ]]; then
    certs=$(env -u DRIFT_TEST_DIR tests/servers.sh env | sed -n 's/^export DRIFT_TEST_DIR=//p')/tls
    env -u DRIFT_TEST_DIR tests/servers.sh certs
    mkdir -p "$ROOT/$flavor/srv/tls"
    cp "$certs"/*.pem "$ROOT/$flavor/srv/tls/"
  fi
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
  local flavor name pid i
  for flavor in mariadb11 mysql; do
    for name in replica primary; do
      pid=$ROOT/$flavor/srv/$name/mysqld.pid
      [[ -f $pid ]] || continue
      pid=$(cat "$pid")
      kill "$pid" 2>/dev/null || continue
      # A MySQL source takes 10-15 s to stop.
      for ((i = 0; i < 120; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
    done
    if mountpoint -q "$ROOT/$flavor/proc"; then umount "$ROOT/$flavor/proc"; fi
  done
}

# env FLAVOR: what tests/support reads to find the pair.
print_env() {
  cat <<EOF
export DRIFT_FLAVOR=$1
export DRIFT_PRIMARY_PORT=$(port "$1" primary)
export DRIFT_REPLICA_PORT=$(port "$1" replica)
export DRIFT_TEST_DIR=$ROOT/$1/srv
export DRIFT_MONITOR_PASSWORD=$MONITOR_PASSWORD
export DRIFT_ADMIN_PASSWORD=admin-pw
EOF
}

# test FLAVOR: the integration tests against its pair. Tests that need more
# than a pair skip themselves by name, with their reason (support's
# `require`), into $DRIFT_SKIP_LOG.
test_flavor() {
  local flavor=$1
  (
    eval "$(print_env "$flavor")"
    cargo test --locked --no-fail-fast --test integration_tests --test consistency_tests \
      --test content_tests --test replicas_tests
  )
}

command=${1:-test}
shift || true
flavors=("$@")
((${#flavors[@]})) || flavors=(mariadb11 mysql)
case $command in
  down) down ;;
  env) print_env "${flavors[0]}" ;;
  up)
    for flavor in "${flavors[@]}"; do up "$flavor"; done
    ;;
  test)
    for flavor in "${flavors[@]}"; do up "$flavor"; done
    failed=()
    for flavor in "${flavors[@]}"; do
      log "testing against $flavor: $(chroot "$ROOT/$flavor" "$(server_bin "$flavor")" --version)"
      test_flavor "$flavor" || failed+=("$flavor")
    done
    if ((${#failed[@]})); then
      log "tests failed against: ${failed[*]}"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 test|up|env|down [mariadb11] [mysql]" >&2
    exit 3
    ;;
esac
