// Realserver layer: typed errors with stable codes, each saying what the person can do about it.

/** RealserverErrorCode is the stable code of a real-server setup failure. */
export type RealserverErrorCode =
  | 'RS_NOT_ROOT'
  | 'RS_BAD_ADDRESS'
  | 'RS_NO_INTERFACE'
  | 'RS_NO_LOOPBACK'
  | 'RS_NO_VIPS'
  | 'RS_CONFIG'
  | 'RS_STATE'
  | 'RS_KERNEL'
  /** `status` found a danger that stops the host serving DR traffic (exit status 2) */
  | 'RS_NOT_READY';

/** RealserverError is a failure of `lvsd realserver`; the CLI prints `[code] message` and exits with exitCode. */
export class RealserverError extends Error {
  override readonly name = 'RealserverError';
  constructor(
    readonly code: RealserverErrorCode,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
