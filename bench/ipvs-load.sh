#!/bin/sh
# Benchmark (runs inside the lab guest, in a director namespace): loads SERVICES x DESTS IPVS entries into an empty
# table with `lvsd restore`, `ipvsadm -R` and keepalived (same services, no checkers), RUNS times each, and prints
# each tool's median time from start to the last entry visible, the ratios, and lvsd's write syscalls.
# Usage: ipvs-load.sh CHECKOUT [SERVICES] [DESTS] [RUNS]
set -u
CHECKOUT=$1; SERVICES=${2:-2000}; DESTS=${3:-10}; RUNS=${4:-3}
W=/tmp/bench.$$; mkdir -p "$W"
OBJECTS=$((SERVICES * (DESTS + 1)))
LVSD="$CHECKOUT/bin/lvsd"
# the real servers live in 10.2.0.0/16: a destination must be a routable unicast address
ip addr add 10.2.255.254/16 dev lo 2>/dev/null; ip route add 10.2.0.0/16 dev lo 2>/dev/null

# the same table in both input formats; services 10.1.X.Y:80, destinations 10.2.J.K:80
awk -v S="$SERVICES" -v D="$DESTS" -v R="$W/restore.txt" -v K="$W/keepalived.conf" 'BEGIN {
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
empty() { ipvsadm -C; }
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

# one untimed run of each tool first: the guest reads binaries through hostfs, and no tool should pay for its first
# read into the page cache (node's is ~90 MB) inside the timings
printf -- '-A -t 10.1.255.255:80 -s wrr\n' > "$W/warm.txt"
empty; $LVSD restore < "$W/warm.txt" >/dev/null; empty; ipvsadm -R < "$W/warm.txt"; empty
keepalived -v >/dev/null 2>&1

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# rounds interleave the tools (lvsd, ipvsadm, keepalived, then again): a change in the host's load (other guests,
# CPU steal) then falls on every tool alike instead of on whichever ran during it
for tool in lvsd ipvsadm keepalived; do : > "$W/$tool.times"; done
for r in $(seq 1 "$RUNS"); do
  for tool in lvsd ipvsadm keepalived; do
    empty
    t=$(run_$tool)
    if [ "$tool" = keepalived ]; then n=$(cat "$W/keepalived.count"); else n=$(count); fi
    echo "run $tool #$r: ${t} ms, destinations visible: $n" >&2
    [ "$n" -eq $((SERVICES * DESTS)) ] || { echo "BENCH-FAIL $tool loaded $n of $((SERVICES * DESTS)) destinations" ; }
    echo "$t" >> "$W/$tool.times"
  done
done
empty

# write syscalls of one lvsd restore (separate run: strace slows it down)
strace -f -c -e trace=sendmsg,sendto,write,writev -o "$W/strace.txt" $LVSD restore < "$W/restore.txt" >/dev/null
WRITES=$(awk '$NF ~ /^(sendmsg|sendto|write|writev)$/ { n += $4 } END { print n + 0 }' "$W/strace.txt")
NLWRITES=$(awk '$NF ~ /^(sendmsg|sendto)$/ { n += $4 } END { print n + 0 }' "$W/strace.txt")
empty

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
rm -rf "$W"
