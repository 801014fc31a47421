#!/usr/bin/env bash
# The scale benchmark (not part of the test suite): brings up the servers,
# seeds the shapes asked for (default 11k tables) and prints the timings.
#   tests/bench.sh [1k] [10k] [11k] [50k]
#   tests/bench.sh replicas [SHAPE]   three replicas in one run, against one
#                                     replica and against three runs
#   tests/bench.sh checksum           --checksum against pt-table-checksum over
#                                     1,000 tables of 10,000 rows
#   tests/bench.sh bigtable [ROWS]    one table (default 10,000,000 rows): a
#                                     complete pass in key ranges against one
#                                     COUNT(*), and a row hash, on both servers
#   tests/bench.sh flavors [SHAPE]    the shape (default 11k) against MariaDB
#                                     10.11, MariaDB 11 and MySQL (tests/flavors.sh)
# "replicas" runs twice: with the servers sharing this machine's cores, then
# with each server held to SERVER_CPU (default 0.45) of a core by a cgroup
# (cpu.cfs_quota_us), as servers on hosts of their own each have their own
# CPU; the caps are lifted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/servers.sh up
eval "$(tests/servers.sh env)"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
if [[ ${1:-} == flavors ]]; then
  shift
  echo "== MariaDB $(mariadbd --version | grep -o '10\.[0-9.]*' | head -n1) (tests/servers.sh)"
  cargo bench --locked --bench scale -- "$@"
  tests/flavors.sh up mariadb11 mysql
  for flavor in mariadb11 mysql; do
    (
      eval "$(tests/flavors.sh env "$flavor")"
      echo "== $flavor (tests/flavors.sh)"
      cargo bench --locked --bench scale -- "$@"
    )
  done
  exit 0
fi
if [[ ${1:-} != replicas ]]; then
  exec cargo bench --locked --bench scale -- "$@"
fi

CGROUPS=/sys/fs/cgroup/cpu
SERVERS=(primary replica replica2 chained)
SERVER_CPU=${SERVER_CPU:-0.45}

# cap: each server into a cgroup of its own with SERVER_CPU of a core.
cap() {
  local name dir quota
  quota=$(awk -v share="$SERVER_CPU" 'BEGIN { printf "%d", share * 100000 }')
  for name in "${SERVERS[@]}"; do
    dir=$CGROUPS/check_mysql_drift-$name
    mkdir -p "$dir"
    echo 100000 >"$dir/cpu.cfs_period_us"
    echo "$quota" >"$dir/cpu.cfs_quota_us"
    cat "$DRIFT_TEST_DIR/$name/mysqld.pid" >"$dir/cgroup.procs"
  done
}

# uncap: the servers back to the root group, the groups removed.
uncap() {
  local name dir pid
  for name in "${SERVERS[@]}"; do
    dir=$CGROUPS/check_mysql_drift-$name
    [[ -d $dir ]] || continue
    while read -r pid; do
      echo "$pid" >"$CGROUPS/cgroup.procs" 2>/dev/null || true
    done <"$dir/cgroup.procs"
    rmdir "$dir"
  done
}

echo "== the servers share this machine's cores"
cargo bench --locked --bench scale -- "$@"
if [[ ! -w $CGROUPS/cgroup.procs ]]; then
  echo "== no writable cgroup cpu controller at $CGROUPS: no run with each server capped"
  exit 0
fi
trap uncap EXIT
cap
echo "== each server held to $SERVER_CPU of a core, as on a host of its own"
cargo bench --locked --bench scale -- "$@"
