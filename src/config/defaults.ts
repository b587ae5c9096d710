// Config layer: constants the CLI needs without loading the parser.

/** DEFAULT_CONFIG_FILE is where keepalived (and lvsd) look for the configuration by default. */
export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';
