// Test support: reads the netlink messages out of `strace -xx` capture files.
import { readFileSync } from 'node:fs';

/** CapturedMessage is one netlink message sent by a captured process. */
export interface CapturedMessage {
  readonly len: number;
  readonly type: string;
  readonly flags: string;
  /** everything after struct nlmsghdr: the genl header and attributes */
  readonly payload: Buffer;
}

/** readCapture returns the messages of a capture file, with the command line and output it recorded. */
export function readCapture(path: string): { command: string; messages: CapturedMessage[]; output: string } {
  const text = readFileSync(path, 'utf8');
  const command = /^# (.*)$/m.exec(text)?.[1] ?? '';
  const output = text.split('# output:\n')[1] ?? '';
  const messages: CapturedMessage[] = [];
  const re = /\{nlmsg_len=(\d+), nlmsg_type=([^,]+), nlmsg_flags=([^,]+), nlmsg_seq=-?\d+, nlmsg_pid=-?\d+\}, "((?:\\x[0-9a-f]{2})*)"/g;
  for (const m of text.matchAll(re)) {
    const hex = (m[4] ?? '').replace(/\\x/g, '');
    messages.push({ len: Number(m[1]), type: m[2]!, flags: m[3]!, payload: Buffer.from(hex, 'hex') });
  }
  return { command, messages, output };
}
