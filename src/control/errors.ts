// Control layer: typed errors of the control socket, its protocol and the override state file, with stable codes.

/** CONTROL_ERROR_CODES are the stable codes a control error carries (on the wire and in CLI messages). */
export const CONTROL_ERROR_CODES = [
  'CONTROL_BAD_REQUEST',
  'CONTROL_BAD_REPLY',
  'CONTROL_UNKNOWN_VS',
  'CONTROL_UNKNOWN_RS',
  'CONTROL_AMBIGUOUS',
  'CONTROL_NOT_RUNNING',
  'CONTROL_PERMISSION',
  'CONTROL_ALREADY_RUNNING',
  'CONTROL_SOCKET',
  'CONTROL_STARTING',
  'CONTROL_STATE',
  'CONTROL_TIMEOUT',
  'CONTROL_INTERNAL',
] as const;

/** ControlErrorCode is one of CONTROL_ERROR_CODES. */
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

/** ControlError is a control failure: what is wrong and what to do, with a stable code. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
  }
}
