#!/usr/bin/env bash
# The plugin as its users run it: built into a .deb (packaging/build.sh),
# the package checked and unpacked into a scratch root, and the binary there
# called by the real consumers from Debian's packages against the local pair:
#   - Icinga 2: a daemon loads packaging/icinga2, schedules the check, records
#     OK, then CRITICAL after drift is injected; its PerfdataWriter output
#     holds the perfdata and `icinga2 console` parses every value;
#   - Nagios Core: `nagios4 -v` accepts the packaged definitions;
#   - NRPE: check_nrpe returns the plugin's status line and exit code;
#   - Zabbix: a zabbix_agentd with the packaged UserParameters, asked over
#     the agent's TCP protocol as a Zabbix server or proxy asks it;
#   - Prometheus: promtool lints --output openmetrics (healthy, drift, a
#     replica down, bad arguments); the packaged wrapper feeds a real
#     node_exporter's textfile collector, which a real Prometheus scrapes;
#     promtool checks and tests the shipped alerting rules.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: pass when the command succeeds
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
check_logged() { # check_logged LOG NAME COMMAND...: the same, its output kept in LOG and shown on failure
  local log=$1 name=$2
  shift 2
  if "$@" >"$log" 2>&1; then
    pass "$name"
  else
    fail "$name"
    tail -n 30 "$log"
  fi
}

install_consumers() {
  local missing=()
  command -v icinga2 >/dev/null || missing+=(icinga2-bin)
  command -v nagios4 >/dev/null || missing+=(nagios4-core)
  command -v nrpe >/dev/null || missing+=(nagios-nrpe-server)
  [[ -x /usr/lib/nagios/plugins/check_nrpe ]] || missing+=(nagios-nrpe-plugin)
  command -v zabbix_agentd >/dev/null || missing+=(zabbix-agent)
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v prometheus-node-exporter >/dev/null || missing+=(prometheus-node-exporter)
  ((${#missing[@]})) || return 0
  echo "consumers.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Our own daemons only: keep the packages from starting theirs.
  local policy=/usr/sbin/policy-rc.d made=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((made)); then rm -f "$policy"; fi
}

tests/servers.sh up
eval "$(tests/servers.sh env)"
install_consumers
WORK=$(mktemp -d /tmp/check_mysql_drift-consumers.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  if [[ -n ${ICINGA_PID:-} ]]; then kill "$ICINGA_PID" 2>/dev/null || true; fi
  if [[ -n ${NRPE_PID:-} ]]; then kill "$NRPE_PID" 2>/dev/null || true; fi
  if [[ -f $WORK/zabbix_agentd.pid ]]; then kill "$(cat "$WORK/zabbix_agentd.pid")" 2>/dev/null || true; fi
  if [[ -n ${EXPORTER_PID:-} ]]; then kill "$EXPORTER_PID" 2>/dev/null || true; fi
  if [[ -n ${PROMETHEUS_PID:-} ]]; then kill "$PROMETHEUS_PID" 2>/dev/null || true; fi
  if [[ -z ${KEEP:-} ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

sql() { # sql primary|replica|replica2|chained STATEMENTS
  mariadb --no-defaults -S "$DRIFT_TEST_DIR/$1/mysqld.sock" -uroot -N -B -e "$2"
}
REPLICAS=(replica replica2 chained)
sync_replicas() {
  local pos side
  pos=$(sql primary 'SELECT @@gtid_binlog_pos')
  for side in "${REPLICAS[@]}"; do
    sql "$side" "SELECT MASTER_GTID_WAIT('$pos', 30)" >/dev/null
  done
}
# The three replicas of the test set (one chained through another), for the
# checks of several replicas in one run.
SET_LIST=127.0.0.1:$DRIFT_REPLICA_PORT,127.0.0.1:$DRIFT_REPLICA2_PORT,127.0.0.1:$DRIFT_CHAINED_PORT
SET_LABELS=(127_0_0_1_"$DRIFT_REPLICA_PORT" 127_0_0_1_"$DRIFT_REPLICA2_PORT" 127_0_0_1_"$DRIFT_CHAINED_PORT")
# has_set_perfdata LINE: a status line with each replica's figures under its label.
has_set_perfdata() {
  local label
  for label in "${SET_LABELS[@]}"; do
    [[ $1 == *" $label.tables=1;;;0 "* && $1 == *" $label.drifted="* ]] || return 1
  done
}

# --- the package ---------------------------------------------------------
echo "== packages"
check_logged "$WORK/build.log" "packaging/build.sh" packaging/build.sh
shopt -s nullglob
debs=(target/packages/*.deb)
rpms=(target/packages/*.rpm)
shopt -u nullglob
check ".deb built" test "${#debs[@]}" -ge 1
check ".rpm built" test "${#rpms[@]}" -ge 1
if ((${#debs[@]} == 0)); then
  echo "consumers: $passed passed, $failed failed"
  exit 1
fi
DEB=${debs[0]}
contents=$(dpkg-deb -c "$DEB")
for path in ./usr/lib/nagios/plugins/check_mysql_drift ./usr/share/man/man1/check_mysql_drift.1.gz \
  ./usr/share/icinga2/include/plugins-contrib.d/mysql_drift.conf \
  ./usr/share/doc/check-mysql-drift/examples/check_mysql_drift.cnf; do
  check "deb holds $path" grep -q " $path\$" <<<"$contents"
done
check "deb binary is executable" grep -q '^-rwxr-xr-x .* ./usr/lib/nagios/plugins/check_mysql_drift$' <<<"$contents"
SCRATCH=$WORK/root
dpkg-deb -x "$DEB" "$SCRATCH"
PLUGIN_DIR=$SCRATCH/usr/lib/nagios/plugins
PLUGIN=$PLUGIN_DIR/check_mysql_drift
version=$("$PLUGIN" --version)
check "unpacked binary runs ($version)" test "$version" = "check_mysql_drift $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
check "man page renders" bash -c "zcat '$SCRATCH/usr/share/man/man1/check_mysql_drift.1.gz' | grep -q 'master'"

# A database of our own on the set, and an option file for the monitor account.
drop_ours() {
  local side
  for side in "${REPLICAS[@]}" primary; do
    sql "$side" "SET SESSION sql_log_bin=0; DROP DATABASE IF EXISTS consumers_db"
  done
}
drop_ours
sql primary "CREATE DATABASE consumers_db; CREATE TABLE consumers_db.t (id INT PRIMARY KEY) ENGINE=InnoDB;
  INSERT INTO consumers_db.t VALUES (1), (2), (3);"
sync_replicas
CNF=$WORK/check_mysql_drift.cnf
cat >"$CNF" <<EOF
[client]
user = monitor
password = $DRIFT_MONITOR_PASSWORD
[check_mysql_drift]
master = 127.0.0.1:$DRIFT_PRIMARY_PORT
replica = 127.0.0.1:$DRIFT_REPLICA_PORT
EOF
chmod 644 "$CNF"
run_plugin() { "$PLUGIN" --defaults-file "$CNF" --include-db '^consumers_db$'; }
if out=$(run_plugin); then pass "unpacked binary checks the pair: $out"; else fail "unpacked binary checks the pair: $out"; fi

# --- Prometheus --------------------------------------------------------------
echo "== Prometheus"
EXAMPLES=$SCRATCH/usr/share/doc/check-mysql-drift/examples
metrics() { "$PLUGIN" --defaults-file "$CNF" --include-db '^consumers_db$' --output openmetrics "$@" || true; }
# lints METRICS: promtool finds nothing to complain about.
lints() {
  local out
  if out=$(promtool check metrics <<<"$1" 2>&1) && [[ -z $out ]]; then return 0; fi
  echo "  promtool: $out"
  return 1
}
healthy=$(metrics)
check "promtool check metrics: a healthy pair" lints "$healthy"
check "metrics of a healthy pair: 0 drifted" grep -qx "check_mysql_drift_drifted_tables{replica=\"127.0.0.1:$DRIFT_REPLICA_PORT\"} 0" <<<"$healthy"
down=$(metrics --replica 127.0.0.1:1)
check "promtool check metrics: a replica down" lints "$down"
# failed_run METRICS STATE: up 0, the state code, and no figure to look healthy.
failed_run() {
  grep -qx "check_mysql_drift_up 0" <<<"$1" && grep -qx "check_mysql_drift_state $2" <<<"$1" &&
    ! grep -q "^check_mysql_drift_drifted_tables" <<<"$1"
}
check "metrics of a replica down: up 0, state 2, no healthy figure" failed_run "$down" 2
bad=$(metrics --connections abc)
check "promtool check metrics: bad arguments" lints "$bad"
check "metrics of bad arguments: up 0, state 3" failed_run "$bad" 3

# The wrapper into a real node_exporter's textfile collector, scraped by a
# real Prometheus; all on loopback.
TEXTFILE=$WORK/textfile
mkdir -p "$TEXTFILE"
textfile() {
  CHECK_MYSQL_DRIFT=$PLUGIN "$EXAMPLES/prometheus/check_mysql_drift-textfile.sh" "$TEXTFILE" \
    --defaults-file "$CNF" --include-db '^consumers_db$'
}
textfile
check "the wrapper leaves one .prom file and no temporary one" \
  test "$(find "$TEXTFILE" -mindepth 1 | wc -l)" -eq 1 -a -f "$TEXTFILE/check_mysql_drift.prom"
EXPORTER_PORT=19100
PROMETHEUS_PORT=19090
prometheus-node-exporter --web.listen-address="127.0.0.1:$EXPORTER_PORT" --collector.disable-defaults \
  --collector.textfile --collector.textfile.directory="$TEXTFILE" >"$WORK/exporter.log" 2>&1 &
EXPORTER_PID=$!
# http_get URL: the body, or nothing once 20 s have passed.
http_get() {
  python3 - "$1" <<'PY'
import sys, time, urllib.request
for _ in range(80):
    try:
        print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())
        sys.exit(0)
    except OSError:
        time.sleep(0.25)
sys.exit(1)
PY
}
served=$(http_get "http://127.0.0.1:$EXPORTER_PORT/metrics") || true
check "node_exporter serves 0 drifted on a healthy pair" grep -qx \
  "check_mysql_drift_drifted_tables{replica=\"127.0.0.1:$DRIFT_REPLICA_PORT\"} 0" <<<"$served"
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $EXAMPLES/prometheus/check_mysql_drift.rules.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$EXPORTER_PORT"]
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >"$WORK/prometheus.log" 2>&1 &
PROMETHEUS_PID=$!
# scraped QUERY VALUE: Prometheus reports VALUE for QUERY within 30 s.
scraped() {
  python3 - "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" "$1" "$2" <<'PY'
import json, sys, time, urllib.parse, urllib.request
url, query, want = sys.argv[1], sys.argv[2], sys.argv[3]
got = None
for _ in range(120):
    try:
        body = urllib.request.urlopen(url + "?" + urllib.parse.urlencode({"query": query}), timeout=2).read()
        result = json.loads(body)["data"]["result"]
        got = [r["value"][1] for r in result]
        if got == [want]:
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.25)
print(f"  {query}: {got}, not [{want}]")
sys.exit(1)
PY
}
replica_q="{replica=\"127.0.0.1:$DRIFT_REPLICA_PORT\"}"
check "Prometheus scrapes 0 drifted on a healthy pair" scraped "check_mysql_drift_drifted_tables$replica_q" 0
sql replica "SET SESSION sql_log_bin=0; INSERT INTO consumers_db.t VALUES (-1)"
drifted=$(metrics)
check "promtool check metrics: after drift" lints "$drifted"
check "metrics after drift: the table's row difference" grep -qx \
  "check_mysql_drift_table_row_difference{replica=\"127.0.0.1:$DRIFT_REPLICA_PORT\",database=\"consumers_db\",table=\"t\"} 1" <<<"$drifted"
textfile
served=$(http_get "http://127.0.0.1:$EXPORTER_PORT/metrics") || true
check "node_exporter serves 1 drifted after drift" grep -qx \
  "check_mysql_drift_drifted_tables{replica=\"127.0.0.1:$DRIFT_REPLICA_PORT\"} 1" <<<"$served"
check "node_exporter serves the state code 2 after drift" grep -qx "check_mysql_drift_state 2" <<<"$served"
check "Prometheus scrapes 1 drifted after drift" scraped "check_mysql_drift_drifted_tables$replica_q" 1
check "Prometheus scrapes the state code 2 after drift" scraped "check_mysql_drift_replica_state$replica_q" 2
check "Prometheus evaluates the drift rule (pending or firing)" scraped \
  'count(ALERTS{alertname="MysqlDriftDetected"})' 1
sql replica "SET SESSION sql_log_bin=0; DELETE FROM consumers_db.t WHERE id = -1"
kill "$EXPORTER_PID" "$PROMETHEUS_PID" 2>/dev/null || true
wait "$EXPORTER_PID" "$PROMETHEUS_PID" 2>/dev/null || true
EXPORTER_PID=
PROMETHEUS_PID=
check_logged "$WORK/promtool-rules.log" "promtool check rules: the shipped rules" \
  promtool check rules packaging/prometheus/check_mysql_drift.rules.yml
check_logged "$WORK/promtool-test.log" "promtool test rules: drift, a failing check and a stale one fire" \
  bash -c 'cd packaging/prometheus && promtool test rules check_mysql_drift.rules.test.yml'

# --- Nagios Core -----------------------------------------------------------
echo "== Nagios Core"
N=$WORK/nagios
mkdir -p "$N/var/spool/checkresults" "$N/var/rw"
# Nagios reads ";" as a comment: one directive a line.
cat >"$N/templates.cfg" <<EOF
define contact {
  contact_name                  admin
  service_notification_period   24x7
  host_notification_period      24x7
  service_notification_options  n
  host_notification_options     n
  service_notification_commands notify
  host_notification_commands    notify
}
define contactgroup {
  contactgroup_name admins
  members           admin
}
define timeperiod {
  timeperiod_name 24x7
  alias           always
  monday          00:00-24:00
  tuesday         00:00-24:00
  wednesday       00:00-24:00
  thursday        00:00-24:00
  friday          00:00-24:00
  saturday        00:00-24:00
  sunday          00:00-24:00
}
define command {
  command_name notify
  command_line /bin/true
}
define command {
  command_name check_dummy
  command_line /bin/true
}
define host {
  name                 linux-server
  register             0
  check_command        check_dummy
  max_check_attempts   1
  check_period         24x7
  notification_period  24x7
  contact_groups       admins
}
define service {
  name                 generic-service
  register             0
  max_check_attempts   1
  check_interval       5
  retry_interval       1
  check_period         24x7
  notification_period  24x7
  contact_groups       admins
}
EOF
# The packaged $USER3$ line, pointed at our option file.
user3=$(grep -F "\$USER3\$=" packaging/nagios/resource.cfg | sed "s#=.*#=$CNF#")
cat >"$N/resource.cfg" <<EOF
\$USER1\$=$PLUGIN_DIR
$user3
EOF
cat >"$N/nagios.cfg" <<EOF
log_file=$N/var/nagios.log
cfg_file=$N/templates.cfg
cfg_file=$ROOT/packaging/nagios/commands.cfg
cfg_file=$ROOT/packaging/nagios/services.cfg
resource_file=$N/resource.cfg
status_file=$N/var/status.dat
object_cache_file=$N/var/objects.cache
precached_object_file=$N/var/objects.precache
temp_file=$N/var/nagios.tmp
temp_path=$N/var
check_result_path=$N/var/spool/checkresults
command_file=$N/var/rw/nagios.cmd
lock_file=$N/var/nagios.lock
state_retention_file=$N/var/retention.dat
nagios_user=root
nagios_group=root
illegal_macro_output_chars=\`~\$&|'"<>
EOF
check_logged "$N/verify.log" "nagios4 -v accepts packaging/nagios" nagios4 -v "$N/nagios.cfg"
check "nagios4 -v saw the service" grep -q "Checked 1 services" "$N/verify.log"
# The command line as Nagios would expand it, run for real.
cmdline=$(sed -n 's/^ *command_line *//p' packaging/nagios/commands.cfg)
cmdline=${cmdline//\$USER1\$/$PLUGIN_DIR}
cmdline=${cmdline//\$USER3\$/$CNF}
cmdline=${cmdline//\$ARG1\$/127.0.0.1:$DRIFT_PRIMARY_PORT}
cmdline=${cmdline//\$ARG2\$/127.0.0.1:$DRIFT_REPLICA_PORT}
cmdline=${cmdline//\$ARG3\$/--include-db ^consumers_db\$}
if out=$(sh -c "$cmdline"); then
  pass "the Nagios command line answers OK: $out"
else
  fail "the Nagios command line answers OK: $out"
fi
# Several replicas through the same command: $ARG2$ a comma-separated list.
set_cmdline=${cmdline//127.0.0.1:$DRIFT_REPLICA_PORT/$SET_LIST}
out=$(sh -c "$set_cmdline") || true
nagios_set_ok() { [[ $out == "DRIFT OK - 127.0.0.1:$DRIFT_REPLICA_PORT: 1 of 1 tables match; "* ]] && has_set_perfdata "$(head -n1 <<<"$out")"; }
check "the Nagios command line with three replicas answers OK: ${out:0:120}..." nagios_set_ok

# --- NRPE ------------------------------------------------------------------
echo "== NRPE"
NRPE_PORT=15666
nrpe_cmd=$(grep '^command\[' packaging/nrpe/check_mysql_drift.cfg)
nrpe_cmd=${nrpe_cmd//\/usr\/lib\/nagios\/plugins\/check_mysql_drift/$PLUGIN}
nrpe_cmd=${nrpe_cmd//\/etc\/nagios\/check_mysql_drift.cnf/$CNF}
# The packaged command compares every database; the test pair holds other
# tests' leftovers, so this one adds its filter. NRPE reads $...$ as a
# macro: the filter's "$" stays last on the line.
cat >"$WORK/nrpe.cfg" <<EOF
pid_file=$WORK/nrpe.pid
server_port=$NRPE_PORT
server_address=127.0.0.1
allowed_hosts=127.0.0.1
nrpe_user=nagios
nrpe_group=nagios
dont_blame_nrpe=0
command_timeout=60
$nrpe_cmd --include-db ^consumers_db\$
${nrpe_cmd/check_mysql_drift]/check_mysql_drift_set]} --replica $SET_LIST --include-db ^consumers_db\$
EOF
nrpe -c "$WORK/nrpe.cfg" -n -f >"$WORK/nrpe.log" 2>&1 &
NRPE_PID=$!
for _ in $(seq 50); do
  /usr/lib/nagios/plugins/check_nrpe -H 127.0.0.1 -p $NRPE_PORT -n >/dev/null 2>&1 && break
  sleep 0.2
done
# nrpe_matches CODE WORD: check_nrpe answers the plugin's own status line
# and exit code.
nrpe_matches() {
  local direct via via_code
  direct=$(run_plugin | head -n1) || true
  via_code=0
  via=$(/usr/lib/nagios/plugins/check_nrpe -H 127.0.0.1 -p $NRPE_PORT -n -c check_mysql_drift -t 60) || via_code=$?
  echo "  check_nrpe: exit $via_code: $(head -n1 <<<"$via" | cut -c1-100)"
  [[ $via_code -eq $1 && $(head -n1 <<<"$via") == "DRIFT $2 - "* && ${direct%% | *} == "$(head -n1 <<<"$via" | sed 's/ | .*//')" ]]
}
check "check_nrpe returns the plugin's OK line and exit code 0" nrpe_matches 0 OK
# Three replicas: the whole status line, perfdata of all three included.
set_code=0
set_line=$(/usr/lib/nagios/plugins/check_nrpe -H 127.0.0.1 -p $NRPE_PORT -n -c check_mysql_drift_set -t 60 | head -n1) || set_code=$?
nrpe_set_ok() { [[ $set_code -eq 0 && $set_line == "DRIFT OK - "* ]] && has_set_perfdata "$set_line"; }
check "check_nrpe returns three replicas' OK line and all their perfdata (${#set_line} bytes: ${set_line:0:80}...)" nrpe_set_ok
sql replica "SET SESSION sql_log_bin=0; INSERT INTO consumers_db.t VALUES (-1)"
check "check_nrpe returns the plugin's CRITICAL line and exit code 2" nrpe_matches 2 CRITICAL
sql replica "SET SESSION sql_log_bin=0; DELETE FROM consumers_db.t WHERE id = -1"
kill "$NRPE_PID" 2>/dev/null || true
NRPE_PID=

# --- Zabbix ----------------------------------------------------------------
echo "== Zabbix agent"
ZABBIX_PORT=15050
# The packaged UserParameters, pointed at the unpacked binary and our option
# file, limited to our database like the NRPE command; and one more key,
# the packaged count command with a replica that is down.
zabbix_param() { # zabbix_param KEY: the packaged command of KEY, as installed here
  sed -n "s#^UserParameter=$1,##p" packaging/zabbix/check_mysql_drift.conf |
    sed -e "s#/usr/lib/nagios/plugins/check_mysql_drift#$PLUGIN#" -e "s#/etc/zabbix/check_mysql_drift.cnf#$CNF#"
}
count_cmd=$(zabbix_param mysql.drift.count)
cat >"$WORK/zabbix_agentd.conf" <<EOF
PidFile=$WORK/zabbix_agentd.pid
LogFile=$WORK/zabbix_agentd.log
ListenIP=127.0.0.1
ListenPort=$ZABBIX_PORT
Server=127.0.0.1
StartAgents=2
AllowRoot=1
Timeout=30
UserParameter=mysql.drift.count,$count_cmd --include-db ^consumers_db\$
UserParameter=mysql.drift.json,$(zabbix_param mysql.drift.json) --include-db ^consumers_db\$
UserParameter=test.drift.count.down,$count_cmd --include-db ^consumers_db\$ --replica 127.0.0.1:1
EOF
check_logged "$WORK/zabbix_start.log" "zabbix_agentd starts with the packaged UserParameters" \
  zabbix_agentd -c "$WORK/zabbix_agentd.conf"
# zabbix_get KEY: the agent's answer, asked as a server asks it: "ZBXD",
# flags 0x01, the key's length (8 bytes, little-endian), the key; the
# answer comes framed the same way.
zabbix_get() {
  python3 - "$ZABBIX_PORT" "$1" <<'PY'
import socket, struct, sys
key = sys.argv[2].encode()
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60) as s:
    s.sendall(b"ZBXD\x01" + struct.pack("<Q", len(key)) + key)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
assert data[:5] == b"ZBXD\x01", data[:16]
(n,) = struct.unpack("<Q", data[5:13])
print(data[13 : 13 + n].decode())
PY
}
for _ in $(seq 50); do zabbix_get agent.ping >/dev/null 2>&1 && break; sleep 0.2; done
answer=$(zabbix_get mysql.drift.count) || true
check "Zabbix: mysql.drift.count is 0 on a healthy pair (got '$answer')" test "$answer" = 0
answer=$(zabbix_get mysql.drift.json) || true
is_ok_json() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if j["state"] == "OK" and j["drifted"] == 0 else 1)' "$answer"; }
check "Zabbix: mysql.drift.json is JSON with state OK (${answer:0:60}...)" is_ok_json
sql replica "SET SESSION sql_log_bin=0; INSERT INTO consumers_db.t VALUES (-1)"
answer=$(zabbix_get mysql.drift.count) || true
check "Zabbix: mysql.drift.count is 1 after drift (got '$answer')" test "$answer" = 1
sql replica "SET SESSION sql_log_bin=0; DELETE FROM consumers_db.t WHERE id = -1"
answer=$(zabbix_get test.drift.count.down) || true
not_a_number() { [[ -n $answer && ! $answer =~ ^[0-9]+$ ]]; }
check "Zabbix: a replica that is down gives no number but why (got '${answer:0:80}')" not_a_number
kill "$(cat "$WORK/zabbix_agentd.pid")" 2>/dev/null || true

# --- Icinga 2 --------------------------------------------------------------
echo "== Icinga 2"
I=$WORK/icinga2
mkdir -p "$I"/{data,log,cache,spool,run,perfdata,perftmp}
cat >"$I/icinga2.conf" <<EOF
const PluginDir = "$PLUGIN_DIR"
include <itl>
include <plugins>
include "$SCRATCH/usr/share/icinga2/include/plugins-contrib.d/mysql_drift.conf"

object CheckerComponent "checker" { }

object PerfdataWriter "perfdata" {
  service_perfdata_path = "$I/perfdata/service-perfdata"
  service_temp_path = "$I/perftmp/service-perfdata"
  host_perfdata_path = "$I/perfdata/host-perfdata"
  host_temp_path = "$I/perftmp/host-perfdata"
  rotation_interval = 1s
}

object Host "pair" {
  check_command = "dummy"
  enable_active_checks = false
}

template Service "drift-service" {
  host_name = "pair"
  check_command = "mysql_drift"
  check_interval = 2s
  retry_interval = 2s
  max_check_attempts = 1
  vars.mysql_drift_master = "127.0.0.1:$DRIFT_PRIMARY_PORT"
  vars.mysql_drift_password = "$DRIFT_MONITOR_PASSWORD"
  vars.mysql_drift_include_db = [ "^consumers_db\$\$" ]
  vars.mysql_drift_timeout = 20
}

object Service "drift" {
  import "drift-service"
  vars.mysql_drift_replica = "127.0.0.1:$DRIFT_REPLICA_PORT"
}

object Service "drift_set" {
  import "drift-service"
  vars.mysql_drift_replica = [ "127.0.0.1:$DRIFT_REPLICA_PORT", "127.0.0.1:$DRIFT_REPLICA2_PORT",
    "127.0.0.1:$DRIFT_CHAINED_PORT" ]
}
EOF
ICINGA_DEFS=(-DRunAsUser=root -DRunAsGroup=root -DDataDir="$I/data" -DLogDir="$I/log" -DCacheDir="$I/cache"
  -DSpoolDir="$I/spool" -DInitRunDir="$I/run")
check_logged "$I/validate.log" "icinga2 daemon -C accepts the CheckCommand" \
  icinga2 daemon -C -c "$I/icinga2.conf" "${ICINGA_DEFS[@]}"
icinga2 daemon -c "$I/icinga2.conf" "${ICINGA_DEFS[@]}" >"$I/daemon.log" 2>&1 &
ICINGA_PID=$!

# wait_state SERVICE STATE: the newest SERVICESTATE the PerfdataWriter wrote
# for SERVICE is STATE.
wait_state() {
  local i line
  for ((i = 0; i < 60; i++)); do
    line=$(cat "$I"/perfdata/service-perfdata* 2>/dev/null | grep -P "\tSERVICEDESC::$1\t" | tail -n1) || true
    if [[ $line == *"SERVICESTATE::$2"* ]]; then
      LAST_LINE=$line
      return 0
    fi
    sleep 1
  done
  echo "last perfdata line: $line"
  tail -n 20 "$I/daemon.log"
  return 1
}
# perfdata_of: the perfdata of the line wait_state found.
perfdata_of() {
  local perf=${LAST_LINE:-}
  perf=${perf#*SERVICEPERFDATA::}
  echo "${perf%%$'\t'*}"
}
check "Icinga 2 records OK" wait_state drift OK
perf=$(perfdata_of)
has_perfdata() { [[ $perf == *"tables=1;;;0"* && $perf == *"drifted=0;;0;0"* && $perf == *"time="* ]]; }
check "PerfdataWriter holds the perfdata: ${perf:0:60}..." has_perfdata
check "Icinga 2 records OK for three replicas (an array of replicas)" wait_state drift_set OK
set_perf=$(perfdata_of)
check "PerfdataWriter holds each replica's perfdata under its label: ${set_perf:0:60}..." has_set_perfdata " $set_perf"
sql replica2 "SET SESSION sql_log_bin=0; INSERT INTO consumers_db.t VALUES (-1)"
check "Icinga 2 records CRITICAL after drift on the second replica" wait_state drift_set CRITICAL
sql replica "SET SESSION sql_log_bin=0; INSERT INTO consumers_db.t VALUES (-1)"
check "Icinga 2 records CRITICAL after drift" wait_state drift CRITICAL
kill "$ICINGA_PID" 2>/dev/null || true
wait "$ICINGA_PID" 2>/dev/null || true
ICINGA_PID=

# Every perfdata value the plugin writes, through Icinga's own parser (the
# drift is still there: CRITICAL, exit 2).
# icinga_parses LINE: sets ITEMS to the number of perfdata values of the
# status line LINE and BAD to 1 when Icinga's parser rejects one.
icinga_parses() {
  local item parsed
  BAD=0
  ITEMS=0
  for item in ${1#* | }; do
    ITEMS=$((ITEMS + 1))
    parsed=$(icinga2 console --eval "parse_performance_data(\"$item\")" 2>&1) || true
    if [[ $parsed != *"\"label\":\"${item%%=*}\""* || $parsed != *"\"value\":"* ]]; then
      echo "  icinga2 rejects $item: $parsed"
      BAD=1
    fi
  done
}
line=$(run_plugin | head -n1) || true
icinga_parses "$line"
check "icinga2 console parses all $ITEMS perfdata values of: ${line#* | }" test $BAD -eq 0 -a $ITEMS -ge 12

# The same for the labels of several replicas (drift on two of them).
line=$("$PLUGIN" --defaults-file "$CNF" --include-db '^consumers_db$' --replica "$SET_LIST" | head -n1) || true
icinga_parses "$line"
check "icinga2 console parses all $ITEMS perfdata values of three replicas" test $BAD -eq 0 -a $ITEMS -eq 37

drop_ours
echo "consumers: $passed passed, $failed failed"
((failed == 0))
