// Control layer (socket edge): the client side of the control socket — one request, one validated reply.
import { createConnection } from 'node:net';
import { ControlError } from './errors.js';
import { encodeLine, MAX_LINE, parseReply, type ControlRequestInput, type ResultOf } from './protocol.js';

/** controlRequest sends one request to the daemon at `path` and resolves with its validated result; failures are ControlErrors. */
export async function controlRequest<Op extends keyof ResultOf>(path: string, req: ControlRequestInput & { op: Op }, timeoutMs = 60_000): Promise<ResultOf[Op]> {
  const line = await new Promise<string>((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const fail = (e: ControlError) => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new ControlError('CONTROL_TIMEOUT', `the daemon on ${path} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    s.setEncoding('utf8');
    s.once('connect', () => s.write(encodeLine(req)));
    s.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        s.end();
        resolve(buf.slice(0, nl));
      } else if (buf.length > MAX_LINE) fail(new ControlError('CONTROL_BAD_REPLY', `the daemon's reply is longer than ${MAX_LINE} bytes`));
    });
    s.once('end', () => fail(new ControlError('CONTROL_BAD_REPLY', `the daemon on ${path} closed the connection without a reply`)));
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') fail(new ControlError('CONTROL_NOT_RUNNING', `no lvsd is listening on ${path}: start it with \`lvsd run\`, or give its socket with --control-socket`));
      else if (err.code === 'EACCES' || err.code === 'EPERM') fail(new ControlError('CONTROL_PERMISSION', `permission denied on ${path}: the control socket is root-only, run this as root`));
      else fail(new ControlError('CONTROL_SOCKET', `cannot talk to the daemon on ${path}: ${err.message}`));
    });
  });
  return parseReply(line, req.op);
}
