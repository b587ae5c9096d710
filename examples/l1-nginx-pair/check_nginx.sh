#!/bin/bash
# check_nginx.sh — vrrp_script chk_nginx of examples/l1-nginx-pair (install as /etc/keepalived/check_nginx.sh,
# mode 0755, owned by root). Exit 0 while nginx answers HTTP on this host; when it does not, start it once (its
# configuration is tested first) and exit 1 if it still does not answer. After `fall 2` failures lvsd lowers VI_1's
# priority by 30 (master 100 -> 70, below the backup's 80) and the VIP moves; after `rise 2` successes it is back.
# nginx is asked over the loopback, not found in the process list (`killall -0 nginx` is also true for an nginx
# that no longer answers), in bash alone: no curl to start on a busy host. Any HTTP answer counts: a 502 means
# nginx runs, its upstream is nginx's own business.

start_nginx() { nginx -t -q && systemctl restart nginx; }

answers() {
    exec 3<>/dev/tcp/127.0.0.1/80 || return 1
    printf 'HEAD / HTTP/1.0\r\n\r\n' >&3
    local status=
    read -r -t 0.5 status <&3
    exec 3<&-
    [[ $status == HTTP/* ]]
}

answers 2>/dev/null && exit 0
start_nginx >/dev/null 2>&1 || exit 1
for _ in 1 2 3 4 5; do
    answers 2>/dev/null && exit 0
    sleep 0.2
done
exit 1
