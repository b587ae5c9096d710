// Control layer: constants the CLI needs without loading the control code (zod, node:net).

/** DEFAULT_CONTROL_SOCKET is where `lvsd run` listens for `lvsd status|drain|disable|enable` (systemd's RuntimeDirectory=lvsd). */
export const DEFAULT_CONTROL_SOCKET = '/run/lvsd/lvsd.sock';

/** DEFAULT_OVERRIDES_FILE is where the daemon keeps operator overrides across restarts (systemd's StateDirectory=lvsd). */
export const DEFAULT_OVERRIDES_FILE = '/var/lib/lvsd/overrides.json';
