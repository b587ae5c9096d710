// I/O edge: a datagram transport for netlink, over the `netlink` package's raw socket.
import { createRequire } from 'node:module';

/** Transport sends whole datagrams to the kernel and hands back each datagram it receives. */
export interface Transport {
  send(datagram: Buffer): Promise<void>;
  onDatagram(handler: (buf: Buffer) => void): void;
  onError(handler: (err: Error) => void): void;
  close(): void;
}

/** NETLINK_GENERIC is the netlink protocol of generic netlink families. */
export const NETLINK_GENERIC = 16;

interface RawSocket {
  send(msg: Uint8Array | Uint8Array[], options: { port: number }, cb: (err?: Error) => void): void;
  on(ev: 'message', h: (msg: Buffer) => void): void;
  on(ev: 'error', h: (err: Error) => void): void;
  close(): void;
  unref(): void;
  ref(): void;
}

/** openNetlink opens a raw netlink socket of a protocol with large buffers and no receive peeking. */
export function openNetlink(protocol = NETLINK_GENERIC, bufferSize = 4 << 20): Transport {
  const require = createRequire(import.meta.url);
  // the socket class alone: the package's index also loads its nl80211/rtnetlink/wireguard tables (~1 s in the guest)
  const { RawNetlinkSocket } = require('netlink/dist/raw.js') as { RawNetlinkSocket: new (p: number, o: object) => RawSocket };
  // each datagram is received into a buffer of its own size, learned by a MSG_PEEK first: with a fixed buffer the
  // package allocates and zero-fills that many bytes per datagram, kept until a garbage collection frees them; a
  // 22,000-line restore's 65 acknowledgements of ~40 bytes then cost 64 KiB of fresh memory each (~1,000 page faults,
  // ~0.4 s where a fault costs ~0.4 ms as in the lab's guest), for one recvmsg saved per datagram
  const sock = new RawNetlinkSocket(protocol, { messagePeeking: true, recvBufferSize: bufferSize, sendBufferSize: bufferSize });
  sock.unref();
  let pending = 0;
  return {
    send(datagram) {
      if (pending++ === 0) sock.ref();
      return new Promise((resolve, reject) =>
        sock.send(datagram, { port: 0 }, (err) => {
          if (--pending === 0) sock.unref();
          if (err) reject(err);
          else resolve();
        }),
      );
    },
    onDatagram(handler) {
      sock.on('message', handler);
    },
    onError(handler) {
      sock.on('error', handler);
    },
    close() {
      sock.close();
    },
  };
}
