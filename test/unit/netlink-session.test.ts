// Unit tests: the netlink session when the kernel answers before the send has completed.
import { describe, expect, it } from 'vitest';
import { NLMSG_ERROR, NLMSG_HDRLEN } from '../../src/netlink/message.js';
import { RequestFailure, Session } from '../../src/netlink/session.js';
import type { Transport } from '../../src/netlink/transport.js';

/** refusingTransport answers every datagram with an error for its sequence number before the send resolves. */
function refusingTransport(errno: number): Transport {
  let handler: (b: Buffer) => void = () => {};
  return {
    async send(d) {
      const b = Buffer.alloc(NLMSG_HDRLEN + 4 + NLMSG_HDRLEN);
      b.writeUInt32LE(b.length, 0);
      b.writeUInt16LE(NLMSG_ERROR, 4);
      b.writeUInt32LE(d.readUInt32LE(8), 8);
      b.writeInt32LE(-errno, 16);
      handler(b);
      // the send completes only after the answer was handled, as the netlink addon's callback can
      await new Promise((r) => setTimeout(r, 20));
    },
    onDatagram(h) {
      handler = h;
    },
    onError() {},
    close() {},
  };
}

describe('Session', () => {
  it('a refusal that arrives before the send completes rejects the request and is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const s = new Session(refusingTransport(99), 1000, 1);
      const req = Buffer.alloc(NLMSG_HDRLEN);
      await expect(s.request((seq) => (req.writeUInt32LE(NLMSG_HDRLEN, 0), req.writeUInt32LE(seq, 8), req))).rejects.toEqual(new RequestFailure(99, 2));
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
