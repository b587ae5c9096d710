// Protocol layer: an rtnetlink client for links and addresses over a netlink Session (NETLINK_ROUTE socket).
import { decodeAddress, decodeLink, encodeDelAddr, encodeGetAddrDump, encodeGetLinkDump, encodeNewAddr, NETLINK_ROUTE, RTM_NEWADDR, RTM_NEWLINK, type RtAddress, type RtAddressSpec, type RtLink } from './rtnl.js';
import { Session } from './session.js';
import { openNetlink, type Transport } from './transport.js';

/** RtnlClient lists links and addresses and adds or deletes addresses; failures are RequestFailure with the kernel's errno. */
export class RtnlClient {
  private constructor(private readonly session: Session) {}

  /** open opens a NETLINK_ROUTE socket (or uses the given transport, e.g. a fake in tests). */
  static open(transport: Transport = openNetlink(NETLINK_ROUTE, 1 << 20), timeoutMs = 10_000): RtnlClient {
    return new RtnlClient(new Session(transport, timeoutMs));
  }

  /** links dumps every link of the network namespace. */
  async links(): Promise<RtLink[]> {
    const replies = await this.session.request((seq) => encodeGetLinkDump(seq), true);
    return replies.filter((r) => r.msg.type === RTM_NEWLINK).map((r) => decodeLink(r.buf, r.msg));
  }

  /** addresses dumps every address of every family. */
  async addresses(): Promise<RtAddress[]> {
    const replies = await this.session.request((seq) => encodeGetAddrDump(seq), true);
    return replies.filter((r) => r.msg.type === RTM_NEWADDR).map((r) => decodeAddress(r.buf, r.msg));
  }

  /** addAddress adds an address; EEXIST (17) when it is already there. */
  async addAddress(a: RtAddressSpec): Promise<void> {
    await this.session.request((seq) => encodeNewAddr(a, seq));
  }

  /** delAddress deletes an address; EADDRNOTAVAIL (99) when it is not there. */
  async delAddress(a: RtAddressSpec): Promise<void> {
    await this.session.request((seq) => encodeDelAddr(a, seq));
  }

  /** close releases the socket. */
  close(): void {
    this.session.close();
  }
}
