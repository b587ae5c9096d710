// VRRP layer (pure): split-brain detection — a Master that keeps hearing another Master for its VRID; time is an argument (ms).
import type { InboundPacket } from './ip.js';
import { checksumValid, messageLength } from './packet.js';
import type { ValidationResult } from './validate.js';
import type { VrrpState } from './fsm-types.js';

/** SPLIT_BRAIN_ADVERTS: another Master heard for longer than this many advert intervals is a split brain. */
export const SPLIT_BRAIN_ADVERTS = 3;

/** PeerAdvert is an advert from another router claiming Mastership for our VRID: accepted, or dropped for a setting that differs from ours. */
export interface PeerAdvert {
  readonly address: string;
  readonly priority: number;
  /** false: dropped (different password, interval, address list, version) — it cannot make us step down */
  readonly accepted: boolean;
  readonly reason?: string | undefined;
}

/** SplitBrainState is what the detector remembers: the other Master heard while we are Master, and whether it is reported. */
export interface SplitBrainState {
  readonly peer?: (PeerAdvert & { readonly firstAt: number; readonly lastAt: number }) | undefined;
  readonly active: boolean;
  readonly since?: number | undefined;
}

/** SplitBrainEvent is what the caller logs: once when a split brain starts, once when it ends. */
export type SplitBrainEvent = { readonly kind: 'split-brain'; readonly peer: PeerAdvert } | { readonly kind: 'split-brain-cleared'; readonly peer: PeerAdvert | undefined; readonly durationMs: number };

/** NO_SPLIT_BRAIN is the detector's initial state. */
export const NO_SPLIT_BRAIN: SplitBrainState = Object.freeze({ active: false });

/** MISCONFIGURED_REASONS are drops of a well-formed advert that mean a peer's settings differ from ours, not a broken packet. */
const MISCONFIGURED_REASONS = new Set(['auth', 'interval', 'addr-count', 'addr-list', 'version']);

/**
 * peerAdvert tells whether a received packet is another router advertising as Master for our VRID (priority > 0):
 * an accepted advert, or one dropped only because its settings differ from ours (password, interval, addresses,
 * version) while its TTL is 255 and its checksum right — so a corrupt or forged-looking packet never counts.
 */
export function peerAdvert(packet: InboundPacket, result: ValidationResult, ownAddress: string): PeerAdvert | undefined {
  if (packet.source === ownAddress) return undefined;
  if (result.ok) return result.advert.priority > 0 ? { address: packet.source, priority: result.advert.priority, accepted: true } : undefined;
  const a = result.advert;
  if (!a || a.priority === 0 || !MISCONFIGURED_REASONS.has(result.reason)) return undefined;
  if (packet.ttl !== undefined && packet.ttl !== 255) return undefined;
  const size = messageLength(a.version, packet.family, a.addresses.length);
  if (packet.end - packet.offset !== size) return undefined;
  if (!checksumValid(packet.data, packet.offset, size, a.version, packet.family, { source: packet.source, destination: packet.destination })) return undefined;
  return { address: packet.source, priority: a.priority, accepted: false, reason: result.reason };
}

/**
 * splitBrainStep updates the detector at time `now`: `heard` is a peer's advert just received (absent on a plain
 * tick), `state` ours, `intervalMs` our advert interval. Two Masters for longer than SPLIT_BRAIN_ADVERTS intervals
 * start a split brain; it ends when we are no longer Master or the other has been silent that long.
 */
export function splitBrainStep(s: SplitBrainState, state: VrrpState, intervalMs: number, now: number, heard?: PeerAdvert): { state: SplitBrainState; event?: SplitBrainEvent } {
  const window = SPLIT_BRAIN_ADVERTS * intervalMs;
  let peer = s.peer;
  if (state !== 'MASTER') peer = undefined;
  else if (heard) peer = peer && peer.address === heard.address && now - peer.lastAt <= window ? { ...heard, firstAt: peer.firstAt, lastAt: now } : { ...heard, firstAt: now, lastAt: now };
  else if (peer && now - peer.lastAt > window) peer = undefined;
  const active = peer !== undefined && now - peer.firstAt > window;
  if (active && !s.active) return { state: { peer, active, since: now }, event: { kind: 'split-brain', peer: strip(peer!) } };
  if (!active && s.active) return { state: { peer, active: false }, event: { kind: 'split-brain-cleared', peer: s.peer && strip(s.peer), durationMs: now - (s.since ?? now) } };
  return { state: { peer, active, since: active ? s.since : undefined } };
}

/** splitBrainLog is the log line of a split-brain event: a warning when it starts, info when it ends, the peer as fields. */
export function splitBrainLog(instance: string, vrid: number, e: SplitBrainEvent): { level: 'warn' | 'info'; fields: Record<string, unknown>; message: string } {
  const fields = { event: e.kind, instance, vrid, peer: e.peer?.address, peerPriority: e.peer?.priority, peerAccepted: e.peer?.accepted, peerDropReason: e.peer?.reason };
  if (e.kind === 'split-brain-cleared') return { level: 'info', fields: { ...fields, durationMs: Math.round(e.durationMs) }, message: `${instance}: split brain over after ${Math.round(e.durationMs)} ms` };
  const why = e.peer.accepted ? 'it does not step down' : `its adverts are dropped here (${e.peer.reason ?? 'mismatch'}): check that both sides have the same settings`;
  return { level: 'warn', fields, message: `${instance}: split brain: ${e.peer.address} (priority ${e.peer.priority}) is Master for VRID ${vrid} too; ${why}` };
}

function strip(p: PeerAdvert): PeerAdvert {
  return { address: p.address, priority: p.priority, accepted: p.accepted, ...(p.reason !== undefined ? { reason: p.reason } : {}) };
}
