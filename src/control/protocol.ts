// Control layer (pure): the control socket's protocol — newline-delimited JSON, one request line, one reply line,
// both validated with zod.
//
// Requests (`id` is optional and echoed in the reply):
//   { "op": "status" }
//   { "op": "drain" | "disable" | "enable" | "connections", "vs": "192.168.56.131:80", "protocol": "tcp", "rs": "192.168.56.101:80" }
//     vs: ADDR:PORT ([V6]:PORT), a fwmark number, a virtual_server_group name, or the virtual server's name;
//     protocol (tcp by default) applies to an address; rs: ADDR:PORT.
// Replies:
//   { "ok": true, "result": StatusReport | OverrideResult | ConnectionsResult }
//   { "ok": false, "error": { "code": "CONTROL_UNKNOWN_RS", "message": "no real server … it has: …" } }
//
// StatusReport (`lvsd status --json` prints it as it is):
//   { "version": 1, "at": ISO time,
//     "ipvs": { "version": "1.2.1", "connTableSize": 4096 } | null,
//     "services": [ {                                  // the IPVS table in `ipvsadm -Ln` order, then configured services the kernel lacks
//         "listing": "TCP  192.168.56.131:80 wrr",      // the service line of `ipvsadm -Ln`
//         "virtualServer": "[192.168.56.131]:tcp:80" | null,   // null: a service the configuration does not name
//         "inKernel": true, "protocol": "tcp" | "udp" | "sctp" | null, "family": "inet", "address": "…" | null,
//         "port": 80 | null, "fwmark": 5 | null, "scheduler": "wrr", "stats": Stats | null,
//         "destinations": [ {
//             "family", "address", "port", "inKernel": true,        // false: configured, not in the table (down or disabled)
//             "forward": "route" | … | null, "weight": 0 | null, "configuredWeight": 1 | null,
//             "activeConns": 0 | null, "inactiveConns": 0 | null, "persistConns": 0 | null, "stats": Stats | null,
//             "health": { "state": "up" | "down", "since": ISO, "reason": "success", "lastCheckAt": ISO | null,
//                         "latencyMs": 0.4 | null, "lastFailure": { "reason": "ECONNREFUSED", "at": ISO } | null } | null,
//             "override": { "mode": "drain" | "disable", "at": ISO } | null } ] } ],
//     "virtualServers": [ { "name", "label": "192.168.56.131:80 (tcp)", "quorumUp": true, "aliveWeight": 2 } ],
//     "overrides": [ { "vs": "tcp/inet/192.168.56.131/80", "vsName", "rs": "192.168.56.101:80", "family", "address",
//                      "port", "mode", "at", "stale": false } ],      // stale: the configuration no longer has that server
//     "vrrp": [ InstanceStatus, … ] }                   // VrrpManager.status() objects as they are
// Stats: the counters of `lvsd list --json` (decimal strings). OverrideResult and ConnectionsResult: see below.
import { z } from 'zod';
import { CONTROL_ERROR_CODES, ControlError } from './errors.js';

/** MAX_LINE is the longest request or reply line accepted, in bytes. */
export const MAX_LINE = 4 * 1024 * 1024;

const target = { vs: z.string().min(1).max(512), protocol: z.enum(['tcp', 'udp']).default('tcp'), rs: z.string().min(1).max(512) };
const id = z.number().int().optional();

/** requestSchema validates one request line's JSON. */
export const requestSchema = z.discriminatedUnion('op', [
  z.object({ id, op: z.literal('status') }).strict(),
  z.object({ id, op: z.literal('drain'), ...target }).strict(),
  z.object({ id, op: z.literal('disable'), ...target }).strict(),
  z.object({ id, op: z.literal('enable'), ...target }).strict(),
  z.object({ id, op: z.literal('connections'), ...target }).strict(),
]);

/** ControlRequest is a validated request. */
export type ControlRequest = z.output<typeof requestSchema>;
/** ControlRequestInput is a request before defaults (protocol) are filled in. */
export type ControlRequestInput = z.input<typeof requestSchema>;
/** OverrideOp is a request that sets or clears an override. */
export type OverrideOp = 'drain' | 'disable' | 'enable';

const iso = z.string();
const nullableNum = z.number().nullable();
const stats = z.record(z.string(), z.string()).nullable();
const mode = z.enum(['drain', 'disable']);

const healthSchema = z.object({
  state: z.enum(['up', 'down']),
  since: iso,
  reason: z.string(),
  lastCheckAt: iso.nullable(),
  latencyMs: nullableNum,
  lastFailure: z.object({ reason: z.string(), at: iso }).nullable(),
});

const destStatusSchema = z.object({
  family: z.enum(['inet', 'inet6']),
  address: z.string(),
  port: z.number().int(),
  inKernel: z.boolean(),
  forward: z.string().nullable(),
  weight: nullableNum,
  configuredWeight: nullableNum,
  activeConns: nullableNum,
  inactiveConns: nullableNum,
  persistConns: nullableNum,
  stats,
  health: healthSchema.nullable(),
  override: z.object({ mode, at: iso }).nullable(),
});

const serviceStatusSchema = z.object({
  listing: z.string(),
  virtualServer: z.string().nullable(),
  inKernel: z.boolean(),
  protocol: z.enum(['tcp', 'udp', 'sctp']).nullable(),
  family: z.enum(['inet', 'inet6']),
  address: z.string().nullable(),
  port: nullableNum,
  fwmark: nullableNum,
  scheduler: z.string(),
  stats,
  destinations: z.array(destStatusSchema),
});

const overrideStatusSchema = z.object({
  vs: z.string(),
  vsName: z.string(),
  rs: z.string(),
  family: z.enum(['inet', 'inet6']),
  address: z.string(),
  port: z.number().int(),
  mode,
  at: iso,
  stale: z.boolean(),
});

/** statusSchema validates a StatusReport (the `status` result). */
export const statusSchema = z.object({
  version: z.literal(1),
  at: iso,
  ipvs: z.object({ version: z.string(), connTableSize: z.number() }).nullable(),
  services: z.array(serviceStatusSchema),
  virtualServers: z.array(z.object({ name: z.string(), label: z.string(), quorumUp: z.boolean(), aliveWeight: z.number() })),
  overrides: z.array(overrideStatusSchema),
  vrrp: z.array(z.looseObject({ name: z.string(), state: z.string(), priority: z.number() })),
});

/** StatusReport is the daemon's whole status. */
export type StatusReport = z.infer<typeof statusSchema>;
/** ServiceStatus is one IPVS service of a StatusReport. */
export type ServiceStatus = StatusReport['services'][number];
/** DestStatus is one destination (or configured real server) of a ServiceStatus. */
export type DestStatus = ServiceStatus['destinations'][number];
/** OverrideStatus is one override of a StatusReport. */
export type OverrideStatus = StatusReport['overrides'][number];

/** destinationNowSchema is the kernel's view of a target in each of its virtual server's services. */
const destinationNowSchema = z.object({ service: z.string(), present: z.boolean(), weight: nullableNum, activeConns: nullableNum, inactiveConns: nullableNum });

/** DestinationNow is a target as the IPVS table holds it in one service (present false: not in the table). */
export type DestinationNow = z.infer<typeof destinationNowSchema>;

/** overrideResultSchema validates the result of drain, disable and enable. */
export const overrideResultSchema = z.object({
  op: z.enum(['drain', 'disable', 'enable']),
  vs: z.string(),
  rs: z.string(),
  /** the override in force now (null after enable) */
  mode: mode.nullable(),
  previous: mode.nullable(),
  changed: z.boolean(),
  stale: z.boolean(),
  destinations: z.array(destinationNowSchema),
});

/** OverrideResult is what drain, disable and enable report: the override now and the table after the pass. */
export type OverrideResult = z.infer<typeof overrideResultSchema>;

/** connectionsSchema validates the result of `connections` (drain --wait polls it). */
export const connectionsSchema = z.object({ vs: z.string(), rs: z.string(), active: z.number(), inactive: z.number(), destinations: z.array(destinationNowSchema) });

/** ConnectionsResult is a target's connection counts summed over its virtual server's services. */
export type ConnectionsResult = z.infer<typeof connectionsSchema>;

const errorReply = z.object({ id, ok: z.literal(false), error: z.object({ code: z.enum(CONTROL_ERROR_CODES), message: z.string() }) }).strict();
const okReply = z.object({ id, ok: z.literal(true), result: z.unknown() }).strict();

/** replySchema validates one reply line's envelope; the result is checked by the schema of the request's op. */
export const replySchema = z.union([okReply, errorReply]);

/** ControlReply is a reply envelope. */
export type ControlReply = z.infer<typeof replySchema>;

/** RESULT_SCHEMAS are the result schema of each request op. */
export const RESULT_SCHEMAS = { status: statusSchema, drain: overrideResultSchema, disable: overrideResultSchema, enable: overrideResultSchema, connections: connectionsSchema } as const;

const issueText = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; ');

/** parseRequest validates one request line; CONTROL_BAD_REQUEST says what is wrong. */
export function parseRequest(line: string): ControlRequest {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    throw new ControlError('CONTROL_BAD_REQUEST', `request is not JSON: ${(err as Error).message}`);
  }
  const r = requestSchema.safeParse(json);
  if (!r.success) throw new ControlError('CONTROL_BAD_REQUEST', `bad request (${issueText(r.error)}); ops are status, drain, disable, enable, connections`);
  return r.data;
}

/** ResultOf is the result type of each request op. */
export interface ResultOf {
  status: StatusReport;
  drain: OverrideResult;
  disable: OverrideResult;
  enable: OverrideResult;
  connections: ConnectionsResult;
}

/** parseReply validates one reply line and the result for the request's op; a failed reply becomes its ControlError. */
export function parseReply<Op extends keyof ResultOf>(line: string, op: Op): ResultOf[Op] {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    throw new ControlError('CONTROL_BAD_REPLY', `the daemon's reply is not JSON (${(err as Error).message}): are lvsd and the daemon the same version?`);
  }
  const env = replySchema.safeParse(json);
  if (!env.success) throw new ControlError('CONTROL_BAD_REPLY', `the daemon's reply is malformed (${issueText(env.error)}): are lvsd and the daemon the same version?`);
  if (!env.data.ok) throw new ControlError(env.data.error.code, env.data.error.message);
  const result = RESULT_SCHEMAS[op].safeParse(env.data.result);
  if (!result.success) throw new ControlError('CONTROL_BAD_REPLY', `the daemon's ${op} result is malformed (${issueText(result.error)}): are lvsd and the daemon the same version?`);
  return result.data as ResultOf[Op];
}

/** encodeLine is one message as a protocol line (JSON and a newline). */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

/** errorReplyOf is the reply for a failure: a ControlError keeps its code, anything else is CONTROL_INTERNAL. */
export function errorReplyOf(err: unknown, requestId?: number): ControlReply {
  const e = err instanceof ControlError ? err : new ControlError('CONTROL_INTERNAL', `internal error: ${(err as Error)?.message ?? String(err)}`);
  return { ...(requestId !== undefined ? { id: requestId } : {}), ok: false, error: { code: e.code, message: e.message } };
}
