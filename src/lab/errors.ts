// Lab layer: the typed error every lab failure surfaces as, with a stable code and the guest's console tail.

/** LabErrorCode is the stable code of a lab failure. */
export type LabErrorCode =
  | 'LAB_NO_UML' // linux.uml is not installed or cannot be started
  | 'LAB_NO_IPVS' // the IPVS (or veth/bridge) kernel modules are missing or do not load
  | 'LAB_MISSING_TOOL' // a host tool the guest needs (ip, ipvsadm, nginx, bash, …) is missing
  | 'LAB_BAD_TOPOLOGY' // the topology description is invalid
  | 'LAB_BAD_PATH' // a path the lab was asked to use is unsafe or outside the guest's private folders
  | 'LAB_BOOT_FAILED' // the guest exited (or panicked) before it was ready
  | 'LAB_TIMEOUT' // the guest was not ready within the boot timeout
  | 'LAB_TOPOLOGY_FAILED' // a command that builds the namespaces failed
  | 'LAB_NGINX_FAILED' // nginx did not start on a host
  | 'LAB_EXEC_TIMEOUT' // a command in the guest did not finish in time (it was killed)
  | 'LAB_EXEC_FAILED' // a command run with `check` exited non-zero
  | 'LAB_WAIT_TIMEOUT' // waitFor's condition never held
  | 'LAB_GUEST_EXITED' // the guest went away while the lab was in use
  | 'LAB_UNKNOWN_HOST' // a host name that the topology does not have
  | 'LAB_STOPPED'; // the lab was used after stop()

/** LabError is a lab failure; its message ends with the tail of the guest console when there is one. */
export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
    readonly console: string = '',
    readonly runDir?: string,
  ) {
    super(formatMessage(code, message, console, runDir));
    this.name = 'LabError';
  }
}

/** CONSOLE_TAIL_CHARS is how much of the guest console a LabError message quotes. */
export const CONSOLE_TAIL_CHARS = 4000;

function formatMessage(code: LabErrorCode, message: string, console: string, runDir?: string): string {
  let text = `[${code}] ${message}`;
  if (runDir) text += `\n(run folder kept: ${runDir})`;
  if (console.trim() !== '') {
    const tail = console.length > CONSOLE_TAIL_CHARS ? `…${console.slice(-CONSOLE_TAIL_CHARS)}` : console;
    text += `\n--- guest console (tail) ---\n${tail.trimEnd()}\n--- end of guest console ---`;
  }
  return text;
}
