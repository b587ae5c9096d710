// Lab layer (pure): the guest's init script and the per-namespace agent that runs commands sent over a serial line.
import { shellQuote } from './topology.js';

/** FAIL_MARKER starts a console line by which the guest's init reports why it gave up: `<marker> <code> <text>`. */
export const FAIL_MARKER = 'LVSD-LAB-FAIL';

/** BASE_MODULES are the kernel modules every lab loads at boot; IPVS schedulers load on demand. */
export const BASE_MODULES = ['ip_vs', 'veth', 'bridge'] as const;

/** GUEST_PATH is the guest's command search path (ip, ipvsadm and nginx are in /usr/sbin). */
export const GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** InitScriptOptions are the inputs of the guest's init script. */
export interface InitScriptOptions {
  /** run folder: shared with the machine at the same path */
  readonly runDir: string;
  /** checkout of the project (the agents' working directory) */
  readonly checkoutDir: string;
  /** folder holding one subfolder of modules per kernel version, e.g. /usr/lib/uml/modules */
  readonly modulesDir: string;
  readonly modules: readonly string[];
  /** network namespaces, in the order of their serial lines ttyS1, ttyS2, … (ttyS0 is the root namespace) */
  readonly namespaces: readonly string[];
  /** path of the topology script (run with sh -e) */
  readonly topologyScript: string;
  /** agent script path (bash) */
  readonly agentScript: string;
  /** extra shell lines run by init after the modules load and before the topology is built */
  readonly bootScript?: string;
}

/**
 * initScript is the guest's /sbin/init: it mounts the guest-private file systems (/proc, /sys, tmpfs on /tmp
 * and /run), makes the modules loadable, builds the topology, starts one agent per namespace and powers off
 * when the root agent ends. Failures print a FAIL_MARKER line and power off.
 */
export function initScript(o: InitScriptOptions): string {
  const q = shellQuote;
  // each host gets its own /run and /var/lib/lvsd (ip netns exec gives it a mount namespace of its own), as separate
  // machines have: daemons' sockets, pid and state files at their default paths do not meet across hosts, and
  // nothing a host writes there reaches this machine's file system
  const hostFs = 'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /var/lib/lvsd && mount -t tmpfs -o mode=0700 tmpfs /var/lib/lvsd && exec bash "$0" "$@"';
  const agents = o.namespaces.map((ns, i) => `ip netns exec ${q(ns)} sh -c ${q(hostFs)} "$A" /dev/ttyS${i + 1} ${q(ns)} &`);
  return `#!/bin/sh
# lvsd lab: guest init (generated)
export PATH=${GUEST_PATH} HOME=/tmp LC_ALL=C.UTF-8 TERM=dumb
export LAB_RUN=${q(o.runDir)} LAB_CHECKOUT=${q(o.checkoutDir)}
A=${q(o.agentScript)}
# power off through the kernel: poweroff(8) would write a shutdown record into this machine's /var/log/wtmp
off() { echo o > /proc/sysrq-trigger 2>/dev/null || poweroff -f --no-wtmp; sleep 60; }
fail() { echo "${FAIL_MARKER} $1 $2"; off; }
up() { read -r t _ < /proc/uptime; echo "lvsd-lab: $1 at \${t}s"; }
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t tmpfs tmpfs /run \\
  || fail LAB_BOOT_FAILED "mounting /proc, /sys or /run failed"
# a checkout under /tmp (a clone made there) must stay visible under the guest's own /tmp: set it aside, cover
# /tmp with a fresh tmpfs, and bind it back at the same path
case "$LAB_CHECKOUT" in /tmp/*) mkdir -p /run/lab-checkout && mount --bind "$LAB_CHECKOUT" /run/lab-checkout \\
  || fail LAB_BOOT_FAILED "cannot set the checkout $LAB_CHECKOUT aside";; esac
mount -t tmpfs -o mode=1777 tmpfs /tmp || fail LAB_BOOT_FAILED "mounting /tmp failed"
case "$LAB_CHECKOUT" in /tmp/*) mkdir -p "$LAB_CHECKOUT" && mount --bind /run/lab-checkout "$LAB_CHECKOUT" \\
  || fail LAB_BOOT_FAILED "cannot show the checkout $LAB_CHECKOUT under the guest's /tmp";; esac
up "init started"
V=$(uname -r) M=${q(o.modulesDir)}
[ -d "$M/$V" ] || fail LAB_NO_IPVS "no kernel modules for $V in $M"
# modprobe reads /lib/modules: a machine without an installed kernel package may lack even the empty folder, and
# the guest's / is this machine's, so the mount point is made there (an empty folder, as any kernel package leaves)
[ -d /lib/modules ] || mkdir -p /lib/modules \\
  || fail LAB_NO_IPVS "this machine has no /lib/modules and the guest cannot create it: run mkdir -p /lib/modules as root"
mount -t tmpfs tmpfs /lib/modules && mkdir -p "/lib/modules/$V" && mount --bind "$M/$V" "/lib/modules/$V" \\
  || fail LAB_NO_IPVS "cannot bind $M/$V on /lib/modules/$V"
modprobe -a ${o.modules.map(q).join(' ')} || fail LAB_NO_IPVS "modprobe ${o.modules.join(' ')} failed (modules of $V from $M)"
up "modules loaded"
${o.bootScript ?? ''}
sh -e ${q(o.topologyScript)} || fail LAB_TOPOLOGY_FAILED "building the topology failed (script ${o.topologyScript})"
up "topology built"
${agents.join('\n')}
bash "$A" /dev/ttyS0 -
off
`;
}

/** topologyScript joins topology commands into the script init runs with sh -e, tracing each command to the console. */
export function topologyScript(commands: readonly string[]): string {
  return `# lvsd lab: topology (generated)\nset -x\n${commands.join('\n')}\n`;
}

/**
 * agentScript is the bash agent of one namespace. It reads lines from its serial line:
 *   run <id>          run $LAB_RUN/cmd/<id>.sh in the background, output to <id>.out and <id>.err
 *   kill <id> <SIG>   signal the command's whole process group (KILL also reports it done)
 *   quit              end the agent (the root agent's end powers the guest off)
 * and answers `ready <ns>` once, then `done <id> <exit status>` per command. Job control (set -m) gives every
 * command its own process group; the outer subshell survives TERM/INT/HUP so that it can report the status.
 */
export function agentScript(): string {
  // agent variables start with _l: commands are sourced by subshells of the agent and see them
  return `# lvsd lab: guest agent (generated); args: serial line, namespace name or -
set -m
_ltty=$1 _lns=$2
stty -F "$_ltty" raw -echo || { echo "${FAIL_MARKER} LAB_BOOT_FAILED agent $_lns: cannot set up $_ltty"; exit 1; }
exec 3<>"$_ltty"
cd "$LAB_CHECKOUT" || cd /
export LAB_HOST=$_lns
declare -A _lpids
_lc=$LAB_RUN/cmd
read -r _lt _ < /proc/uptime; echo "lvsd-lab: agent $_lns ready at \${_lt}s" >&2
echo "ready $_lns" >&3
while read -r _lop _lid _larg <&3; do
  case $_lop in
    run) ( trap : TERM INT HUP; ( . "$_lc/$_lid.sh" ) >"$_lc/$_lid.out" 2>"$_lc/$_lid.err" </dev/null 3>&-; echo "done $_lid $?" >&3 ) &
         _lpids[$_lid]=$! ;;
    kill) _lp=\${_lpids[$_lid]}
          [ -n "$_lp" ] && kill -s "$_larg" -- "-$_lp" 2>/dev/null
          [ "$_larg" = KILL ] && echo "done $_lid 137" >&3 ;;
    quit) break ;;
    *) echo "lvsd-lab agent $_lns: unknown request: $_lop $_lid $_larg" >&2 ;;
  esac
done
`;
}
