// Human output: colours (off unless the stream is a TTY, never with NO_COLOR), borderless aligned tables,
// and relative times.
import Table from 'cli-table3';
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Colour is on only when the stream is a terminal, or FORCE_COLOR asks for it, and never when NO_COLOR is
 * set to a non-empty value (https://no-color.org) or `--no-color` is given.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag: boolean): boolean {
  if (!flag) return false;
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

function render(table: Table.Table): string {
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Columns aligned by cli-table3, a bold header row, no borders. */
export function table(c: Colors, headers: string[], rows: string[][]): string {
  const t = new Table({
    head: headers.map((h) => c.bold(h)),
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  t.push(...rows);
  return render(t);
}

/** Label/value pairs, labels dimmed. */
export function fields(c: Colors, pairs: Array<[string, string]>): string {
  const t = new Table({ chars: BORDERLESS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  t.push(...pairs.map(([label, value]) => [c.dim(label), value]));
  return render(t);
}

/** `just now`, `3 min ago`, `5 h ago`, `2 days ago`, `in 3 days`; a date beyond 30 days. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const seconds = Math.round((now - t) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  let text: string;
  if (s < 45) return future ? 'in a few seconds' : 'just now';
  else if (s < 3600) text = `${Math.max(1, Math.round(s / 60))} min`;
  else if (s < 86_400) text = `${Math.round(s / 3600)} h`;
  else if (s < 30 * 86_400) {
    const days = Math.round(s / 86_400);
    text = `${days} ${days === 1 ? 'day' : 'days'}`;
  } else return iso.slice(0, 10);
  return future ? `in ${text}` : `${text} ago`;
}

/** A relative time followed by the exact instant, for detail views. */
export function when(c: Colors, iso: string | null | undefined, now?: number): string {
  if (!iso) return '-';
  return `${relativeTime(iso, now)} ${c.dim(`(${iso})`)}`;
}

/** One line, at most `max` characters. */
export function oneLine(text: string | null | undefined, max = 60): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function list(values: readonly string[]): string {
  return values.length ? values.join(', ') : '-';
}
