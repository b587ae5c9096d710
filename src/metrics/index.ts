// Metrics layer (entry point): Prometheus exposition of lvsd — ports, registry, series families and the HTTP endpoint.
export * from './address.js';
export * from './ports.js';
export { CHECK_BUCKETS, CheckMetrics, checkOutcome, VRRP_STATES } from './families.js';
export { endpoint, IPVS_FAMILY_NAMES, renderIpvs, serviceLabels } from './ipvs.js';
export { createMetrics, type LvsdMetrics, type MetricsOptions, type Scrape } from './registry.js';
export { serveMetrics, type MetricsServer, type ServeLog } from './server.js';
export { parseExposition, select, total, type Exposition, type Sample } from './exposition.js';
