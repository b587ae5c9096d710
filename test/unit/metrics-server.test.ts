// Unit tests: the /metrics endpoint over node:http on loopback, and `lvsd run --metrics-address` refusing a bad value before anything starts.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MetricsError, serveMetrics, type MetricsServer } from '../../src/metrics/index.js';

const open: MetricsServer[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  vi.restoreAllMocks();
});

async function serve(scrape: () => Promise<{ body: string; contentType: string }>, onError?: (f: Record<string, unknown>, m: string) => void): Promise<string> {
  const s = await serveMetrics({ host: '127.0.0.1', port: 0 }, scrape, onError);
  open.push(s);
  return `http://127.0.0.1:${s.address.port}`;
}

describe('metrics endpoint', () => {
  it('GET /metrics answers the scrape with its content type; every request scrapes anew', async () => {
    let n = 0;
    const base = await serve(async () => ({ body: `lvsd_x ${++n}\n`, contentType: 'text/plain; version=0.0.4; charset=utf-8' }));
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await r.text()).toBe('lvsd_x 1\n');
    expect(await (await fetch(`${base}/metrics?x=1`)).text()).toBe('lvsd_x 2\n');
  });

  it('other paths are 404 and other methods 405', async () => {
    const base = await serve(async () => ({ body: '', contentType: 'text/plain' }));
    const r = await fetch(`${base}/`);
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('/metrics');
    const p = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(p.status).toBe(405);
    expect(p.headers.get('allow')).toBe('GET, HEAD');
  });

  it('a scrape that fails is a 500 with the reason, logged once', async () => {
    const logged: string[] = [];
    const base = await serve(async () => Promise.reject(new Error('netlink timeout')), (f, m) => logged.push(`${String(f.event)} ${m}`));
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(500);
    expect(await r.text()).toContain('netlink timeout');
    expect(logged).toEqual(['metrics-scrape-failed metrics scrape failed: netlink timeout']);
  });

  it('an address in use is METRICS_LISTEN naming the address and what to do', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const err = await serveMetrics({ host: '127.0.0.1', port }, async () => ({ body: '', contentType: '' })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MetricsError);
      expect((err as MetricsError).code).toBe('METRICS_LISTEN');
      expect((err as MetricsError).message).toBe(`cannot serve metrics on 127.0.0.1:${port}: EADDRINUSE; choose another --metrics-address, or off`);
    } finally {
      taken.close();
    }
  });

  it('listens on IPv6 loopback when given [::1]', async () => {
    const s = await serveMetrics({ host: '::1', port: 0 }, async () => ({ body: 'lvsd_v6 1\n', contentType: 'text/plain' })).catch((e: unknown) => e as Error);
    // a machine without IPv6 on lo cannot bind ::1: that is the error, with its code, and nothing more to test
    if (s instanceof Error) {
      expect(s.message).toMatch(/cannot serve metrics on \[::1\]:0: EADDRNOTAVAIL/);
      return;
    }
    open.push(s);
    expect(s.address.host).toBe('::1');
    expect(await (await fetch(`http://[::1]:${s.address.port}/metrics`)).text()).toBe('lvsd_v6 1\n');
  });

  it('lvsd run with a bad --metrics-address exits 2 with the reason, before reading the configuration', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
    const code = await main(['run', '-f', '/nonexistent/lvsd.conf', '--metrics-address', '127.0.0.1:99999']);
    expect(code).toBe(2);
    expect(err.join('')).toBe('lvsd: --metrics-address "127.0.0.1:99999": port 99999 is out of range 1-65535; give HOST:PORT (e.g. 127.0.0.1:9469 or [::1]:9469), or off to disable metrics [METRICS_BAD_ADDRESS]\n');
  });
});
