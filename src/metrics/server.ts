// Metrics layer (I/O edge): the /metrics endpoint over node:http — GET /metrics scrapes, anything else is 404 or 405.
import { createServer, type Server } from 'node:http';
import { formatListenAddress, MetricsError, type ListenAddress } from './address.js';
import type { Scrape } from './registry.js';

/** MetricsServer is a listening endpoint. */
export interface MetricsServer {
  /** the address bound (the port the kernel chose when 0 was asked) */
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** ServeLog receives one event per failed scrape. */
export type ServeLog = (fields: Record<string, unknown>, message: string) => void;

/** serveMetrics listens on `at` and answers GET /metrics with `scrape()`; MetricsError METRICS_LISTEN when the address cannot be bound. */
export async function serveMetrics(at: ListenAddress, scrape: () => Promise<Scrape>, onError: ServeLog = () => {}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('lvsd: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('lvsd: /metrics answers GET\n');
      return;
    }
    scrape()
      .then((s) => void res.writeHead(200, { 'Content-Type': s.contentType }).end(req.method === 'HEAD' ? undefined : s.body))
      .catch((err: unknown) => {
        onError({ event: 'metrics-scrape-failed', err }, `metrics scrape failed: ${(err as Error).message}`);
        // a failure after the headers went out can only end the connection
        if (res.headersSent) res.destroy();
        else res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`lvsd: scrape failed: ${(err as Error).message}\n`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new MetricsError('METRICS_LISTEN', `cannot serve metrics on ${formatListenAddress(at)}: ${err.code ?? err.message}; choose another --metrics-address, or off`)),
    );
    server.listen({ host: at.host, port: at.port }, () => resolve());
  });
  const bound = server.address();
  const address = bound && typeof bound === 'object' ? { host: bound.address, port: bound.port } : at;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
