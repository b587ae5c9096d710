import { describe, expect, it } from 'vitest';
import { CONSOLE_TAIL_CHARS, LabError } from '../../src/lab/errors.js';
import { checkTools, findCheckout, findUml } from '../../src/lab/guest.js';
import { nginxConfig, nginxStartCommand, nginxString } from '../../src/lab/nginx.js';
import { agentScript, FAIL_MARKER, initScript } from '../../src/lab/scripts.js';

const initOptions = {
  runDir: '/c/.lab/runs/r1',
  checkoutDir: '/c',
  modulesDir: '/usr/lib/uml/modules',
  modules: ['ip_vs', 'veth', 'bridge'],
  namespaces: ['client', 'rs1'],
  topologyScript: '/c/.lab/runs/r1/topology.sh',
  agentScript: '/c/.lab/runs/r1/agent.sh',
};

describe('initScript', () => {
  it('mounts guest-private /proc, /sys, /tmp and /run before anything else runs', () => {
    const s = initScript(initOptions);
    const mounts = s.indexOf('mount -t proc');
    expect(mounts).toBeGreaterThan(0);
    expect(s.slice(mounts)).toMatch(/tmpfs \/run.*tmpfs \/tmp/s);
    expect(mounts).toBeLessThan(s.indexOf('modprobe'));
  });

  it('keeps a checkout under /tmp visible by binding it back under the guest-private /tmp', () => {
    const s = initScript(initOptions);
    const aside = s.indexOf('mount --bind "$LAB_CHECKOUT" /run/lab-checkout');
    const cover = s.indexOf('mount -t tmpfs -o mode=1777 tmpfs /tmp');
    const back = s.indexOf('mount --bind /run/lab-checkout "$LAB_CHECKOUT"');
    expect(aside).toBeGreaterThan(s.indexOf('tmpfs /run'));
    expect(aside).toBeLessThan(cover);
    expect(cover).toBeLessThan(back);
    expect(back).toBeLessThan(s.indexOf('modprobe'));
  });

  it('binds the modules of the running kernel and loads the ones asked for, reporting LAB_NO_IPVS otherwise', () => {
    const s = initScript(initOptions);
    expect(s).toContain('mount --bind "$M/$V" "/lib/modules/$V"');
    // a machine without /lib/modules (no kernel package) gets the empty mount point before the tmpfs covers it
    expect(s.indexOf('[ -d /lib/modules ] || mkdir -p /lib/modules')).toBeGreaterThan(-1);
    expect(s.indexOf('mkdir -p /lib/modules')).toBeLessThan(s.indexOf('mount -t tmpfs tmpfs /lib/modules'));
    expect(s).toMatch(/modprobe -a ip_vs veth bridge \|\| fail LAB_NO_IPVS/);
    expect(s).toContain(`echo "${FAIL_MARKER} $1 $2"; off;`);
  });

  it('runs the boot script after the modules and before the topology', () => {
    const s = initScript({ ...initOptions, bootScript: 'echo hello-boot' });
    expect(s.indexOf('modprobe')).toBeLessThan(s.indexOf('echo hello-boot'));
    expect(s.indexOf('echo hello-boot')).toBeLessThan(s.indexOf('topology.sh'));
  });

  it('starts one agent per namespace on its own serial line and the root agent on ttyS0, then powers off', () => {
    const s = initScript(initOptions);
    expect(s).toMatch(/^ip netns exec client sh -c '[^']*exec bash "\$0" "\$@"' "\$A" \/dev\/ttyS1 client &$/m);
    expect(s).toMatch(/^ip netns exec rs1 sh -c '[^']*' "\$A" \/dev\/ttyS2 rs1 &$/m);
    // every host has its own /run and /var/lib/lvsd, as separate machines do
    expect(s).toContain("mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /var/lib/lvsd && mount -t tmpfs -o mode=0700 tmpfs /var/lib/lvsd");
    expect(s.trimEnd().split('\n').slice(-2)).toEqual(['bash "$A" /dev/ttyS0 -', 'off']);
  });

  it("powers off through the kernel, not poweroff(8), which would write this machine's wtmp", () => {
    expect(initScript(initOptions)).toContain('off() { echo o > /proc/sysrq-trigger');
  });
});

describe('agentScript', () => {
  it('gives every command its own process group and reports its exit status on the serial line', () => {
    const s = agentScript();
    expect(s).toMatch(/^set -m$/m);
    expect(s).toContain('echo "done $_lid $?" >&3');
    expect(s).toContain('kill -s "$_larg" -- "-$_lp"');
  });

  it('closes the serial line for the command and feeds it no input', () => {
    expect(agentScript()).toContain('</dev/null 3>&-');
  });
});

describe('nginxConfig', () => {
  const conf = nginxConfig('rs1', { body: 'rs1\n', port: 80 });

  it('keeps pid, logs and temp paths in the host folder of the guest /tmp', () => {
    const paths = [...conf.matchAll(/^\s*(?:pid|lock_file|error_log|access_log|\w+_temp_path) (\S+?)[ ;]/gm)].map((m) => m[1]);
    expect(paths).toHaveLength(9);
    for (const p of paths) expect(p).toMatch(/^\/tmp\/rs1\/nginx\//);
  });

  it('answers every request with the body on all addresses of the port', () => {
    expect(conf).toContain('listen 80 default_server;');
    expect(conf).toContain('listen [::]:80 default_server;');
    expect(conf).toContain('return 200 "rs1\\n";');
  });

  it('escapes quotes, backslashes and dollars of the body', () => {
    expect(nginxString('a "b" \\ $x\n')).toBe('a \\"b\\" \\\\ ${lab_dollar}x\\n');
  });

  it('balances over an upstream of web servers (layer 7) and names itself in a header', () => {
    const lb = nginxConfig('nginx1', { body: 'unused\n', port: 80, upstream: ['192.168.67.21:80', '192.168.67.22:80'] });
    expect(lb).toContain('upstream lab_upstream {\n        server 192.168.67.21:80;\n        server 192.168.67.22:80;\n    }');
    expect(lb).toContain('proxy_pass http://lab_upstream;');
    expect(lb).toContain('add_header X-Lab-Balancer nginx1 always;');
    expect(lb).not.toContain('return 200');
    expect(conf).not.toContain('upstream');
  });

  it('starts nginx with its startup error log in the guest /tmp, never the default one', () => {
    expect(nginxStartCommand('rs1', '/c/r/nginx/rs1.conf')).toContain('-e /tmp/rs1/nginx/error.log -c /c/r/nginx/rs1.conf');
  });
});

describe('LabError', () => {
  it('carries a stable code and quotes the tail of the guest console', () => {
    const console = `${'x'.repeat(CONSOLE_TAIL_CHARS)}\nKernel panic - not syncing`;
    const e = new LabError('LAB_BOOT_FAILED', 'the guest exited', console, '/c/.lab/runs/r1');
    expect(e.code).toBe('LAB_BOOT_FAILED');
    expect(e.message).toMatch(/^\[LAB_BOOT_FAILED\] the guest exited\n\(run folder kept: \/c\/.lab\/runs\/r1\)\n--- guest console/);
    expect(e.message).toContain('Kernel panic - not syncing');
    expect(e.message.length).toBeLessThan(CONSOLE_TAIL_CHARS + 200);
  });
});

describe('prerequisites', () => {
  it('reports LAB_NO_UML with the setup hint when linux.uml is not there', () => {
    expect(() => findUml('/nonexistent/linux.uml')).toThrow(/LAB_NO_UML.*npm run setup/);
  });

  it('names every missing tool in LAB_MISSING_TOOL', () => {
    expect(() => checkTools(['sh', 'no-such-tool-1', 'no-such-tool-2'])).toThrow(/LAB_MISSING_TOOL.*no-such-tool-1, no-such-tool-2/);
  });

  it('finds the checkout from the lab module without a hard-coded path', () => {
    expect(findCheckout()).toBe(process.cwd());
  });
});
