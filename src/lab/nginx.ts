// Lab layer (pure): nginx configuration and start/stop commands for a lab host; every path it writes is in the guest's /tmp.
import type { NginxSite } from './topology.js';
import { shellQuote } from './topology.js';

/** NGINX_BIN is Debian's nginx (package nginx-light), run unchanged inside the guest. */
export const NGINX_BIN = '/usr/sbin/nginx';

/** nginxStateDir is the guest-private folder (tmpfs) of a host's nginx: pid, logs and temp files. */
export function nginxStateDir(host: string): string {
  return `/tmp/${host}/nginx`;
}

/**
 * nginxConfig is the configuration of a host's nginx: one server on the site's port of every address,
 * answering every request with the site's body. Nothing outside nginxStateDir(host) is written:
 * the guest's root filesystem is the machine's own.
 */
export function nginxConfig(host: string, site: NginxSite): string {
  const d = nginxStateDir(host);
  return `# lvsd lab: nginx of host ${host} (generated)
daemon on;
master_process on;
worker_processes 1;
user root;
pid ${d}/nginx.pid;
lock_file ${d}/nginx.lock;
error_log ${d}/error.log notice;
events {
    worker_connections 512;
}
http {
    access_log ${d}/access.log;
    client_body_temp_path ${d}/body;
    proxy_temp_path ${d}/proxy;
    fastcgi_temp_path ${d}/fastcgi;
    uwsgi_temp_path ${d}/uwsgi;
    scgi_temp_path ${d}/scgi;
    keepalive_timeout 0;
    default_type text/plain;
    geo $lab_dollar {
        default "$";
    }
${site.upstream ? nginxUpstream(site.upstream) : ''}    server {
        listen ${site.port} default_server;
        listen [::]:${site.port} default_server;
        location / {
${site.upstream ? `            proxy_pass http://lab_upstream;\n            proxy_connect_timeout 1s;\n            add_header X-Lab-Balancer ${host} always;` : `            return 200 "${nginxString(site.body)}";`}
        }
    }
}
`;
}

/** nginxUpstream is the `upstream lab_upstream` block of a balancing nginx: its web servers, round robin. */
export function nginxUpstream(servers: readonly string[]): string {
  return `    upstream lab_upstream {\n${servers.map((s) => `        server ${s};\n`).join('')}    }\n`;
}

/** nginxString escapes text for a double-quoted nginx string whose variables are expanded. */
export function nginxString(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '${lab_dollar}')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t');
}

function nginxArgs(host: string, confPath: string): string {
  const d = nginxStateDir(host);
  return `-p ${d}/ -e ${d}/error.log -c ${shellQuote(confPath)}`;
}

/** nginxStartCommand starts a host's nginx as a daemon; it returns once nginx listens (or failed, with its error log). */
export function nginxStartCommand(host: string, confPath: string): string {
  const d = nginxStateDir(host);
  return `mkdir -p ${d} && ${NGINX_BIN} ${nginxArgs(host, confPath)} || { s=$?; cat ${d}/error.log >&2; exit $s; }`;
}

/** nginxStopCommand stops a host's nginx and waits until its master process is gone. */
export function nginxStopCommand(host: string): string {
  const d = nginxStateDir(host);
  return [
    `p=$(cat ${d}/nginx.pid 2>/dev/null) || { echo "nginx is not running on ${host}" >&2; exit 1; }`,
    'kill -TERM "$p" || exit 1',
    // the master may linger as a zombie of the guest's init: wait until it is gone or a zombie
    'while read -r _ _ s _ 2>/dev/null < "/proc/$p/stat" && [ "$s" != Z ]; do sleep 0.02; done',
  ].join('\n');
}
