// Unit tests: notify scripts — user/group resolution as keepalived does it, timeouts that kill the whole process group, errors as values.
import { afterAll, describe, expect, it } from 'vitest';
import { directLauncher, type Launcher } from '../../src/health/launcher.js';
import { parseGroup, parsePasswd, resolveIdentity, ScriptRunner, type UserDb } from '../../src/health/scripts.js';
import { HelperLauncher, SPAWN_HELPER_FILE } from '../../src/health/spawn-helper.js';
import { findNativeBuild } from '../../src/util/native.js';
import { alive } from '../support/proc.js';

const db: UserDb = {
  user: (n) => parsePasswd('root:x:0:0::/root:/bin/sh\nkeepalived_script:x:998:997::/:/usr/sbin/nologin\nweb:x:1000:1000::/home/web:/bin/sh\n').get(n),
  group: (n) => parseGroup('root:x:0:\nadm:x:4:\nweb:x:1000:\n').get(n),
};
const ROOT = { uid: 0, gid: 0 };
const node = process.execPath;
const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };


describe('health scripts: who runs them', () => {
  it("uses the script's user, else script_user, else keepalived_script, as root", () => {
    expect(resolveIdentity({ argv: ['/x'], user: 'web' }, { user: 'root' }, db, ROOT)).toEqual({ ok: true, identity: { user: 'web', uid: 1000, gid: 1000, switch: true } });
    expect(resolveIdentity({ argv: ['/x'] }, { user: 'web', group: 'adm' }, db, ROOT)).toEqual({ ok: true, identity: { user: 'web', uid: 1000, gid: 4, switch: true } });
    expect(resolveIdentity({ argv: ['/x'] }, undefined, db, ROOT)).toEqual({ ok: true, identity: { user: 'keepalived_script', uid: 998, gid: 997, switch: true } });
    expect(resolveIdentity({ argv: ['/x'], user: 'root' }, undefined, db, ROOT)).toEqual({ ok: true, identity: { user: 'root', uid: 0, gid: 0, switch: false } });
  });

  it("a script's own group applies only with its own user", () => {
    expect(resolveIdentity({ argv: ['/x'], user: 'web', group: 'adm' }, { user: 'root', group: 'root' }, db, ROOT)).toMatchObject({ identity: { gid: 4 } });
    expect(resolveIdentity({ argv: ['/x'], user: 'web' }, { user: 'root', group: 'root' }, db, ROOT)).toMatchObject({ identity: { gid: 1000 } });
  });

  it('a missing user or group is a clear error value', () => {
    expect(resolveIdentity({ argv: ['/x'], user: 'nobody-here' }, undefined, db, ROOT)).toEqual({ ok: false, error: "script user 'nobody-here' does not exist" });
    expect(resolveIdentity({ argv: ['/x'], user: 'web', group: 'nogroup-here' }, undefined, db, ROOT)).toEqual({ ok: false, error: "script group 'nogroup-here' does not exist" });
  });

  it('without root, another user is an error and the own user needs no switch', () => {
    expect(resolveIdentity({ argv: ['/x'], user: 'root' }, undefined, db, { uid: 1000, gid: 1000 })).toEqual({ ok: false, error: "cannot run scripts as user 'root': lvsd is not running as root" });
    expect(resolveIdentity({ argv: ['/x'], user: 'web' }, undefined, db, { uid: 1000, gid: 1000 })).toMatchObject({ ok: true, identity: { switch: false } });
    // no configured user and not root: keepalived_script is not tried, the script runs as lvsd's user
    expect(resolveIdentity({ argv: ['/x'] }, undefined, db, { uid: 1000, gid: 1000 })).toMatchObject({ ok: true, identity: { uid: 1000, switch: false } });
  });
});

const helperFile = findNativeBuild(SPAWN_HELPER_FILE);
if (!helperFile) throw new Error(`native/build/Release/${SPAWN_HELPER_FILE} is missing: run \`npm run setup\` (it builds native/)`);
const helper = new HelperLauncher(helperFile);
afterAll(() => helper.close());
const launchers: [string, Launcher][] = [
  ['forked by lvsd', directLauncher()],
  ['through the spawn helper', helper],
];

describe.each(launchers)('health scripts: running them, %s', (_name, launcher) => {
  const runner = (timeoutMs = 5000) => new ScriptRunner({ timeoutMs, self, launcher, db: { user: () => undefined, group: () => undefined } });

  it('captures output and the exit code', async () => {
    const r = await runner().run({ argv: [node, '-e', "process.stdout.write('hello'); process.stderr.write('oops'); process.exit(3)"] });
    expect(r).toMatchObject({ code: 3, signal: null, timedOut: false, stdout: 'hello', stderr: 'oops' });
    expect(r.error).toBeUndefined();
  });

  it('kills a hung script and its children on timeout', async () => {
    const t0 = performance.now();
    const r = await runner(300).run({ argv: ['/bin/sh', '-c', `${node} -e "setTimeout(() => {}, 60000)" & echo $!; wait`] });
    const elapsed = performance.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(elapsed).toBeLessThan(3000);
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it('a missing program is an error value, not a throw', async () => {
    const r = await runner().run({ argv: ['/nonexistent/notify.sh'] });
    expect(r.error).toBe('ENOENT: spawn /nonexistent/notify.sh ENOENT');
    expect(r.code).toBeNull();
  });

  it('a user that cannot be used is reported without running anything', async () => {
    const r = await new ScriptRunner({ self: { uid: 1000, gid: 1000 }, db, launcher }).run({ argv: ['/bin/true'], user: 'root' });
    expect(r.error).toBe("cannot run scripts as user 'root': lvsd is not running as root");
  });

  it('runs as the configured user when lvsd is root', async () => {
    if (self.uid !== 0) return; // switching users needs root
    const r = await new ScriptRunner({ self, db, launcher }).run({ argv: [node, '-e', 'process.stdout.write(String(process.getuid()) + ":" + String(process.getgid()))'], user: 'web', group: 'adm' });
    // the test's passwd says web is 1000 and adm is 4, whatever the host's files say
    expect(r.stdout).toBe('1000:4');
  });

  it('does not let more than maxConcurrent scripts run at once', async () => {
    const r = new ScriptRunner({ maxConcurrent: 2, self, launcher, db: { user: () => undefined, group: () => undefined } });
    const runs = [0, 1, 2].map(() => r.run({ argv: [node, '-e', 'setTimeout(() => {}, 300)'] }));
    await new Promise((res) => setTimeout(res, 50));
    expect(r.running).toBe(3);
    const t0 = performance.now();
    await Promise.all(runs);
    expect(performance.now() - t0).toBeGreaterThan(300); // the third waited for a slot
  });

  it('keeps only maxOutputBytes of each stream and says it cut the rest', async () => {
    const r = await new ScriptRunner({ maxOutputBytes: 10, self, launcher, db: { user: () => undefined, group: () => undefined } }).run({ argv: [node, '-e', "process.stdout.write('x'.repeat(100000)); process.stderr.write('short')"] });
    expect(r.stdout).toBe('x'.repeat(10) + '\n[output truncated]');
    expect(r.stderr).toBe('short');
    expect(r.code).toBe(0);
  });

  it('killAll kills the scripts this runner started and drops the queue', async () => {
    const r = new ScriptRunner({ maxConcurrent: 1, self, launcher, db: { user: () => undefined, group: () => undefined } });
    const first = r.run({ argv: ['/bin/sleep', '30'] });
    const queued = r.run({ argv: ['/bin/true'] });
    await new Promise((res) => setTimeout(res, 200));
    r.killAll();
    const [a, b] = await Promise.all([first, queued]);
    expect(a).toMatchObject({ signal: 'SIGKILL', timedOut: false });
    expect(b.error).toBe('not run: lvsd is stopping');
  });
});

describe('health scripts: user lookups', () => {
  it('looks a script user up once until the next reload, as keepalived resolves users when it reads its configuration', async () => {
    let lookups = 0;
    const counting: UserDb = { user: (n) => (lookups++, db.user(n)), group: (n) => db.group(n) };
    const r = new ScriptRunner({ self: { uid: 1000, gid: 1000 }, db: counting, launcher: directLauncher() });
    for (let i = 0; i < 3; i++) expect((await r.run({ argv: ['/bin/true'], user: 'web' })).code).toBe(0);
    expect(lookups).toBe(1);
    r.setDefaults(undefined);
    await r.run({ argv: ['/bin/true'], user: 'web' });
    expect(lookups).toBe(2);
  });
});
