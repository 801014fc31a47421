#!/usr/bin/env bash
# Runs check_mysql_drift with --output openmetrics and puts its answer where
# node_exporter's textfile collector reads it, whole: written to a hidden
# temporary file in the collector's directory (same file system; the
# collector reads only *.prom), then renamed over the old one, so that a
# scrape never reads half a file.
#
#   check_mysql_drift-textfile.sh DIR [PLUGIN OPTIONS...]
#
# DIR: node_exporter's --collector.textfile.directory (Debian:
# /var/lib/prometheus/node-exporter). The file is DIR/$NAME.prom, NAME
# from CHECK_MYSQL_DRIFT_NAME (default check_mysql_drift; one per check).
# The plugin is CHECK_MYSQL_DRIFT (default: the packaged one).
set -euo pipefail

if (($# < 1)); then
  echo "usage: $0 DIR [PLUGIN OPTIONS...]" >&2
  exit 3
fi
dir=$1
shift
plugin=${CHECK_MYSQL_DRIFT:-/usr/lib/nagios/plugins/check_mysql_drift}
name=${CHECK_MYSQL_DRIFT_NAME:-check_mysql_drift}
tmp=$(mktemp "$dir/.$name.prom.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# The exit code is the plugin's state, which the metrics carry.
"$plugin" --output openmetrics "$@" >"$tmp" || true
if ! grep -q '^check_mysql_drift_up ' "$tmp"; then
  # The plugin did not run at all: say so, never leave a healthy file.
  cat >"$tmp" <<'METRICS'
# HELP check_mysql_drift_up 1 when the run compared the servers, 0 when it could not tell (bad arguments, no server, a timeout)
# TYPE check_mysql_drift_up gauge
check_mysql_drift_up 0
# EOF
METRICS
fi
chmod 0644 "$tmp"
mv -f "$tmp" "$dir/$name.prom"
trap - EXIT
