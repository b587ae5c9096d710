#!/bin/bash
# chk_nginx.sh — the vrrp_script of examples/l3-three-tier on both nginx hosts (install as
# /etc/keepalived/chk_nginx.sh, mode 0755, owned by root). Exit 0 while this host's nginx answers HTTP on port 80
# (a 502 for a dead application counts: nginx itself runs), 1 otherwise: lvsd then takes the script's +2 off both
# instances and the VIP this host is MASTER of moves to the other. nginx is asked over the loopback rather than
# found by pgrep (an nginx that hangs still has processes), in bash alone: no curl to start, so the check stays
# far inside its timeout on a busy host.
exec 3<>/dev/tcp/127.0.0.1/80 || exit 1
printf 'HEAD / HTTP/1.0\r\n\r\n' >&3
read -r -t 0.8 status <&3 && [[ $status == HTTP/* ]]
