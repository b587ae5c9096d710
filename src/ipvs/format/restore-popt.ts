// Format layer: ipvsadm's option table and the libpopt 1.19 rules it is read with, for one restore line.
//
// popt rules repeated here: "--name" and "--name=value" match long names exactly (no abbreviations); a single dash
// starts a cluster of short options ("-Ln"), where an option taking a value takes the rest of the word ("-srr",
// "-p=30") or else the next word, even one starting with "-"; the optional value of -p/--persistent is taken from
// the next word only when that word does not start with "-"; "--" makes every later word an argument; words
// that are not options ("-" included) are collected as arguments wherever they appear.

/** OptionDef is one entry of ipvsadm's popt table. */
export interface OptionDef {
  readonly long: string;
  readonly short?: string;
  readonly arg: 'none' | 'required' | 'optional';
  /** the value ipvsadm's switch sees; the short name, or the long name when there is none */
  readonly id: string;
}

const o = (long: string, short: string | undefined, arg: OptionDef['arg'], id = short ?? long): OptionDef => (short ? { long, short, arg, id } : { long, arg, id });

/** OPTIONS is ipvsadm 1.31's option table, in its order (the first of two "list" entries wins a long-name lookup). */
export const OPTIONS: readonly OptionDef[] = [
  o('add-service', 'A', 'none'), o('edit-service', 'E', 'none'), o('delete-service', 'D', 'none'), o('clear', 'C', 'none'),
  o('list', 'L', 'none'), o('list', 'l', 'none'), o('zero', 'Z', 'none'), o('add-server', 'a', 'none'),
  o('edit-server', 'e', 'none'), o('delete-server', 'd', 'none'), o('set', undefined, 'none'), o('help', 'h', 'none'),
  o('version', 'v', 'none'), o('restore', 'R', 'none'), o('save', 'S', 'none'), o('start-daemon', undefined, 'required'),
  o('stop-daemon', undefined, 'required'), o('tcp-service', 't', 'required'), o('udp-service', 'u', 'required'),
  o('sctp-service', undefined, 'required'), o('fwmark-service', 'f', 'required'), o('scheduler', 's', 'required'),
  o('persistent', 'p', 'optional'), o('netmask', 'M', 'required'), o('real-server', 'r', 'required'),
  o('masquerading', 'm', 'none'), o('ipip', 'i', 'none'), o('gatewaying', 'g', 'none'), o('weight', 'w', 'required'),
  o('u-threshold', 'x', 'required'), o('l-threshold', 'y', 'required'), o('numeric', 'n', 'none'),
  o('connection', 'c', 'none'), o('mcast-interface', undefined, 'required'), o('syncid', undefined, 'required'),
  o('timeout', undefined, 'none'), o('daemon', undefined, 'none'), o('stats', undefined, 'none'), o('rate', undefined, 'none'),
  o('thresholds', undefined, 'none'), o('persistent-conn', undefined, 'none'), o('nosort', undefined, 'none'),
  o('sort', undefined, 'none'), o('exact', 'X', 'none'), o('ipv6', '6', 'none'), o('ops', 'o', 'none'),
  o('pe', undefined, 'required'), o('sched-flags', 'b', 'required'), o('mcast-group', undefined, 'required'),
  o('mcast-port', undefined, 'required'), o('mcast-ttl', undefined, 'required'), o('sync-maxlen', undefined, 'required'),
  o('tun-info', undefined, 'none'), o('tun-type', undefined, 'required'), o('tun-port', undefined, 'required'),
  o('tun-nocsum', undefined, 'none'), o('tun-csum', undefined, 'none'), o('tun-remcsum', undefined, 'none'),
];

/** PoptErrorCode is a popt failure; poptMessage gives popt's own text for it. */
export type PoptErrorCode = 'unknown-option' | 'missing-argument' | 'unwanted-argument';

/** PoptEvent is what PoptReader.next returns: an option (with its value and word index), the end, or an error. */
export type PoptEvent =
  | { readonly kind: 'option'; readonly def: OptionDef; readonly value: string | undefined; readonly word: number; readonly valueWord: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly code: PoptErrorCode; readonly word: number };

/** poptMessage is popt's poptStrerror text for an error code. */
export function poptMessage(code: PoptErrorCode): string {
  return code === 'unknown-option' ? 'unknown option' : code === 'missing-argument' ? 'missing argument' : 'option does not take an argument';
}

/** PoptReader walks the words of one line as poptGetNextOpt does; arguments are collected in `args` (word indexes). */
export class PoptReader {
  private next = 0;
  private cluster: string | undefined;
  private clusterWord = -1;
  private rest = false;
  readonly args: number[] = [];

  constructor(private readonly words: readonly string[]) {}

  /** lastWord is the index of the last word read (popt's poptBadOption), -1 before any. */
  get lastWord(): number {
    return this.next - 1;
  }

  /** nextOption returns the next option, the end of the line, or a popt error. */
  nextOption(): PoptEvent {
    for (;;) {
      let def: OptionDef | undefined;
      let longValue: string | undefined;
      let word: number;
      if (this.cluster === undefined) {
        if (this.next === this.words.length) return { kind: 'end' };
        word = this.next;
        const w = this.words[this.next++] as string;
        if (this.rest || !w.startsWith('-') || w === '-') {
          this.args.push(word);
          continue;
        }
        if (w === '--') {
          this.rest = true;
          continue;
        }
        if (w.startsWith('--')) {
          const body = w.slice(2);
          const eq = body.indexOf('=');
          const name = eq >= 0 ? body.slice(0, eq) : body;
          longValue = eq >= 0 ? body.slice(eq + 1) : undefined;
          def = OPTIONS.find((x) => x.long === name);
          if (!def) return { kind: 'error', code: 'unknown-option', word };
        } else {
          this.cluster = w.slice(1);
          this.clusterWord = word;
        }
      } else word = this.clusterWord;
      if (this.cluster !== undefined) {
        const c = this.cluster[0] as string;
        def = OPTIONS.find((x) => x.short === c);
        if (!def) {
          this.cluster = undefined;
          return { kind: 'error', code: 'unknown-option', word: this.next - 1 };
        }
        this.cluster = this.cluster.length > 1 ? this.cluster.slice(1) : undefined;
      }
      const d = def as OptionDef;
      if (d.arg === 'none') {
        if (longValue !== undefined || this.cluster?.startsWith('=')) return { kind: 'error', code: 'unwanted-argument', word: this.next - 1 };
        return { kind: 'option', def: d, value: undefined, word, valueWord: word };
      }
      let value: string | undefined;
      let valueWord = word;
      if (longValue !== undefined) value = longValue;
      else if (this.cluster !== undefined) {
        value = this.cluster.startsWith('=') ? this.cluster.slice(1) : this.cluster;
        this.cluster = undefined;
      } else if (this.next === this.words.length) {
        if (d.arg === 'required') return { kind: 'error', code: 'missing-argument', word: this.next - 1 };
      } else if (!(d.arg === 'optional' && (this.words[this.next] as string).startsWith('-'))) {
        valueWord = this.next;
        value = this.words[this.next++];
      }
      return { kind: 'option', def: d, value, word, valueWord };
    }
  }
}
