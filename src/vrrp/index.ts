// VRRP layer (pure): entry point — packet codec, IP framing, receive validation, the instance state machine, sync groups and script tracking.
export * as packet from './packet.js';
export * as ip from './ip.js';
export * from './checksum.js';
export * from './validate.js';
export * from './timing.js';
export * from './fsm.js';
export * from './sync-group.js';
export * from './script-tracker.js';
