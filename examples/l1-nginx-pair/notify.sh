#!/bin/sh
# notify.sh STATE — notify_master/notify_backup/notify_fault of examples/l1-nginx-pair (install as
# /etc/keepalived/notify.sh, mode 0755, owned by root): records this host's state of VI_1 in
# /run/keepalived-VI_1.state and in the system log.
echo "$1" > /run/keepalived-VI_1.state
logger -t keepalived-notify "VI_1 is now $1" 2>/dev/null || true
