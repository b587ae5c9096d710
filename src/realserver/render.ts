// Realserver layer (pure): the text `up`, `down` and `status` print.
import type { StatusReport } from './checks.js';
import type { Action, Danger, Step } from './model.js';
import { sysctlDisplayName } from './sysctl.js';

/** StepOutcome is what became of one step when it ran. */
export type StepOutcome = 'changed' | 'unchanged' | 'failed' | 'skipped' | 'planned';

/** renderSteps prints one line per action (prefixed "would" in a dry run, with its outcome when it did not simply work) and every note. */
export function renderSteps(steps: readonly Step[], outcomes: readonly StepOutcome[]): string[] {
  const lines: string[] = [];
  steps.forEach((s, i) => {
    const o = outcomes[i];
    if (s.action) {
      const what = describeAction(s.action);
      if (o === 'planned') lines.push(`would ${what}`);
      else if (o === 'unchanged') lines.push(`${what} (already done by someone else)`);
      else if (o === 'failed') lines.push(`${what}: FAILED`);
      else if (o === 'skipped') lines.push(`${what}: not done (an earlier step failed)`);
      else lines.push(what);
    }
    if (s.note) lines.push(`note: ${s.note}`);
  });
  return lines;
}

/** renderDanger prints one danger. */
export function renderDanger(d: Danger): string {
  return `${d.severity}: [${d.code}] ${d.message}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

/** renderStatus prints the status report for people: VIPs, settings, IPv6 notes, dangers and a verdict. */
export function renderStatus(r: StatusReport): string[] {
  const lines: string[] = ['VIPs:'];
  if (r.vips.length === 0) lines.push('  (none)');
  for (const v of r.vips) {
    const bits = [v.onLoopback ? `on lo${v.label ? ` (${v.label})` : ''}` : 'NOT on lo'];
    if (v.alsoOn.length) bits.push(`also on ${v.alsoOn.join(', ')}`);
    if (v.deprecated !== undefined) bits.push(v.deprecated ? 'deprecated (not a source address)' : 'preferred (may be a source address)');
    bits.push(v.addedByLvsd ? 'added by lvsd' : 'not added by lvsd');
    lines.push(`  ${pad(`${v.address}/${v.family === 'inet' ? 32 : 128}`, 24)}${bits.join(', ')}`);
  }
  lines.push(`interfaces facing the directors: ${r.interfaces.join(', ') || '(none)'}`);
  if (r.settings.length) {
    lines.push('settings (effective = what the kernel uses for the interface, from all and the interface):');
    const width = Math.max(...r.settings.map((s) => s.name.length)) + 2;
    for (const s of r.settings) {
      const eff = s.effective !== undefined ? `  effective ${s.effective}` : '';
      const prev = s.previous !== undefined ? `  (was ${s.previous} before lvsd)` : '';
      lines.push(`  ${pad(s.name, width)}${s.value ?? 'absent'}${eff}${prev}`);
    }
  }
  for (const n of r.ipv6) lines.push(`ipv6: ${n}`);
  lines.push(`state file: ${r.stateFile} (${r.recorded.addresses} address${r.recorded.addresses === 1 ? '' : 'es'}, ${r.recorded.sysctls} setting${r.recorded.sysctls === 1 ? '' : 's'} to undo)`);
  for (const d of r.dangers) lines.push(renderDanger(d));
  const errors = r.dangers.filter((d) => d.severity === 'error').length;
  lines.push(r.ok ? 'ready: this host can serve DR traffic for these VIPs' : `NOT ready: ${errors} error${errors === 1 ? '' : 's'}; this host cannot serve DR traffic safely`);
  return lines;
}

/** describeAction is one line saying what an action does, as the ip and sysctl commands would say it. */
export function describeAction(a: Action): string {
  if (a.kind === 'set-sysctl') return `set ${sysctlDisplayName(a.name)} ${a.from} -> ${a.to}`;
  const addr = `${a.address}/${a.prefix} dev ${a.interface}`;
  if (a.kind === 'del-address') return `del ${addr}`;
  const extra = a.family === 'inet6' ? ' nodad noprefixroute preferred_lft 0' : a.label ? ` label ${a.label}` : '';
  return `add ${addr}${extra}`;
}
