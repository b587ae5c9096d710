#!/bin/bash
# monitor_nginx.sh — the vrrp_script of examples/l4-directors-as-real-servers (install as
# /etc/keepalived/monitor_nginx.sh, mode 0755, owned by root). Exit 0 while this host's nginx answers HTTP on port
# 80, 1 otherwise: after `fall 2` failed runs lvsd lowers VI_1's priority by 15 (master 100 -> 85, below the
# backup's 90) and the VIP moves. nginx is asked over the loopback rather than found in the process list
# (`killall -0 nginx` is also true for an nginx that no longer answers), in bash alone: no curl to start, so the
# check stays far inside its 1 s timeout on a busy host.
exec 3<>/dev/tcp/127.0.0.1/80 || exit 1
printf 'HEAD / HTTP/1.0\r\n\r\n' >&3
read -r -t 0.8 status <&3 && [[ $status == HTTP/* ]]
