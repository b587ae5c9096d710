#!/bin/sh
# Benchmark (runs inside the lab guest, in a director namespace): loads SERVICES x DESTS IPVS entries into an empty
# table with `lvsd restore`, `ipvsadm -R` and keepalived (same services, no checkers), RUNS times each, and prints
# each tool's median time from start to the last entry visible, the ratios, and lvsd's write syscalls.
# Usage: ipvs-load.sh CHECKOUT [SERVICES] [DESTS] [RUNS]
#
# Every run loads into a network namespace of its own, made for it: IPVS state is per namespace, and a flushed table
# is not empty to the kernel. Deleted destinations stay in the namespace's trash list for one to three minutes
# (IP_VS_DEST_TRASH_PERIOD), and every destination added is first looked for in that list, one entry at a time: after
# `ipvsadm -C` of the previous run's 20,000 destinations, the same 22,000 adds spent ~560 ms in sendmsg instead of
# ~54 ms (lvsd restore -v, guest kernel 6.1). That cost fell on every run but the first and weighed most on the fastest
# tool. Each namespace's table is flushed after its run (untimed): /proc/net/ip_vs, which tells when a load is
# complete, walks one hash table shared by all namespaces and skipped entries while another namespace held 22,000
# (360 of 2,727 shown, `ipvsadm -Sn` listing all); the namespaces themselves are removed at the end, so that no run
# shares the CPU with the kernel tearing one down.
set -u
if [ "${1:-}" = --run ]; then
  # one timed run in the current namespace: ipvs-load.sh --run TOOL WORKDIR CHECKOUT SERVICES DESTS
  TOOL=$2; W=$3; CHECKOUT=$4; SERVICES=$5; DESTS=$6; MODE=run
else
  CHECKOUT=$1; SERVICES=${2:-2000}; DESTS=${3:-10}; RUNS=${4:-3}; MODE=main
  W=/tmp/bench.$$; mkdir -p "$W"
fi
OBJECTS=$((SERVICES * (DESTS + 1)))
LVSD="$CHECKOUT/bin/lvsd"

# the same table in both input formats; services 10.1.X.Y:80, destinations 10.2.J.K:80
[ "$MODE" = main ] && awk -v S="$SERVICES" -v D="$DESTS" -v R="$W/restore.txt" -v K="$W/keepalived.conf" 'BEGIN {
  print "global_defs {\n    router_id bench\n}" > K
  for (i = 0; i < S; i++) {
    vip = sprintf("10.1.%d.%d", int(i / 256), i % 256)
    printf "-A -t %s:80 -s wrr\n", vip > R
    printf "virtual_server %s 80 {\n    delay_loop 60\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n", vip > K
    for (j = 0; j < D; j++) {
      rs = sprintf("10.2.%d.%d", j, (i % 250) + 1)
      printf "-a -t %s:80 -r %s:80 -g -w %d\n", vip, rs, j + 1 > R
      printf "    real_server %s 80 {\n        weight %d\n    }\n", rs, j + 1 > K
    }
    print "}" > K
  }
}'
LAST_VIP=$(printf '%08X:0050' $(( (10 << 24) | (1 << 16) | (((SERVICES - 1) / 256) << 8) | ((SERVICES - 1) % 256) )))
LAST_RS=$(printf '%08X:0050' $(( (10 << 24) | (2 << 16) | ((DESTS - 1) << 8) | (((SERVICES - 1) % 250) + 1) )))

now() { date +%s%N; }
# last_visible: every destination is in the kernel table (keepalived does not add in file order, so the last
# line of the file is not the last entry it adds) and the last destination of the last service is among them
count() { grep -c '^  -> [0-9A-F]' /proc/net/ip_vs; }
last_visible() {
  [ "$(count)" -eq $((SERVICES * DESTS)) ] &&
    awk -v v="$LAST_VIP" -v r="$LAST_RS" '$2 == v { s = 1; next } /^[TUF]/ { s = 0 } s && $2 == r { f = 1 } END { exit !f }' /proc/net/ip_vs
}
ms() { echo $(( ($2 - $1) / 1000000 )); }

# the synchronous loaders are done when they exit; the check after them is outside the timing
run_lvsd() { t0=$(now); $LVSD restore < "$W/restore.txt" || echo "lvsd restore failed" >&2; t1=$(now); last_visible || echo "lvsd: table incomplete" >&2; ms "$t0" "$t1"; }
run_ipvsadm() { t0=$(now); ipvsadm -R < "$W/restore.txt" || echo "ipvsadm -R failed" >&2; t1=$(now); last_visible || echo "ipvsadm: table incomplete" >&2; ms "$t0" "$t1"; }
run_keepalived() {
  t0=$(now)
  keepalived -n -C -l -f "$W/keepalived.conf" -p "$W/k.pid" -c "$W/kc.pid" >"$W/keepalived.log" 2>&1 &
  kp=$!
  while ! last_visible; do sleep 0.1; done
  t1=$(now)
  # count before stopping it: keepalived removes its services when it stops
  count > "$W/keepalived.count"
  kill -TERM $kp; wait $kp 2>/dev/null
  ms "$t0" "$t1"
}

if [ "$MODE" = run ]; then
  t=$(run_$TOOL)
  if [ "$TOOL" = keepalived ]; then n=$(cat "$W/keepalived.count"); else n=$(count); fi
  echo "$t $n"
  exit 0
fi

# fresh_ns NAME: a new network namespace with lo up and the real servers' /16 on it (a destination must be a
# routable unicast address)
NSES=""
fresh_ns() {
  ip netns add "$1" && ip -n "$1" link set lo up && ip -n "$1" addr add 10.2.255.254/16 dev lo || { echo "BENCH-FAIL cannot make namespace $1"; exit 1; }
  NSES="$NSES $1"
}
cleanup() { for ns in $NSES; do ip netns del "$ns" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT

# one untimed run of each tool first, so that no tool pays for its first read of its files inside the timings
printf -- '-A -t 10.1.255.255:80 -s wrr\n' > "$W/warm.txt"
fresh_ns lvsdbench-warm
ip netns exec lvsdbench-warm sh -c "$LVSD restore < '$W/warm.txt' >/dev/null; ipvsadm -C; ipvsadm -R < '$W/warm.txt'; ipvsadm -C"
keepalived -v >/dev/null 2>&1

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# rounds interleave the tools (lvsd, ipvsadm, keepalived, then again): a change in the host's load (other guests,
# CPU steal) then falls on every tool alike instead of on whichever ran during it
for tool in lvsd ipvsadm keepalived; do : > "$W/$tool.times"; done
for r in $(seq 1 "$RUNS"); do
  for tool in lvsd ipvsadm keepalived; do
    ns=lvsdbench-$tool-$r
    fresh_ns "$ns"
    set -- $(ip netns exec "$ns" sh "$0" --run "$tool" "$W" "$CHECKOUT" "$SERVICES" "$DESTS")
    t=${1:-0}; n=${2:-0}
    ip netns exec "$ns" ipvsadm -C
    echo "run $tool #$r: ${t} ms, destinations visible: $n" >&2
    [ "$n" -eq $((SERVICES * DESTS)) ] || { echo "BENCH-FAIL $tool loaded $n of $((SERVICES * DESTS)) destinations" ; }
    echo "$t" >> "$W/$tool.times"
  done
done

# write syscalls of one lvsd restore (separate run: strace slows it down)
fresh_ns lvsdbench-strace
ip netns exec lvsdbench-strace strace -f -c -e trace=sendmsg,sendto,write,writev -o "$W/strace.txt" $LVSD restore < "$W/restore.txt" >/dev/null
ip netns exec lvsdbench-strace ipvsadm -C
WRITES=$(awk '$NF ~ /^(sendmsg|sendto|write|writev)$/ { n += $4 } END { print n + 0 }' "$W/strace.txt")
NLWRITES=$(awk '$NF ~ /^(sendmsg|sendto)$/ { n += $4 } END { print n + 0 }' "$W/strace.txt")

L=$(median < "$W/lvsd.times"); I=$(median < "$W/ipvsadm.times"); K=$(median < "$W/keepalived.times")
echo "BENCH objects=$OBJECTS services=$SERVICES dests_per_service=$DESTS runs=$RUNS"
echo "BENCH lvsd restore      median ${L} ms  (runs: $(tr '\n' ' ' < "$W/lvsd.times"))"
echo "BENCH ipvsadm -R        median ${I} ms  (runs: $(tr '\n' ' ' < "$W/ipvsadm.times"))"
echo "BENCH keepalived        median ${K} ms  (runs: $(tr '\n' ' ' < "$W/keepalived.times"))"
# the same ratio round by round (each round ran the tools back to back under the same load)
echo "BENCH ratio lvsd/ipvsadm per round: $(paste -d' ' "$W/lvsd.times" "$W/ipvsadm.times" | awk '{ printf "%.3f ", $1 / $2 }')"
awk -v l="$L" -v i="$I" -v k="$K" -v w="$WRITES" -v nw="$NLWRITES" -v o="$OBJECTS" 'BEGIN {
  printf "BENCH ratio lvsd/ipvsadm = %.3f (target <= 0.100) %s\n", l / i, (l / i <= 0.1 ? "OK" : "MISSED")
  printf "BENCH ratio lvsd/keepalived = %.3f (target <= 0.333) %s\n", l / k, (l / k <= 1 / 3 ? "OK" : "MISSED")
  printf "BENCH lvsd write syscalls = %d (netlink sendmsg/sendto %d) for %d objects = %.2f per 100 objects (target <= 1) %s\n", w, nw, o, w * 100 / o, (w * 100 / o <= 1 ? "OK" : "MISSED")
}'
