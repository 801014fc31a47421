#!/bin/sh
# Zabbix external-check wrapper: passes the item key's parameters through.
exec /usr/lib/nagios/plugins/check_mysql_drift "$@"
