import { stringify } from 'yaml';
import { usageError } from './cli-error.js';

/** Output formats accepted by -o. */
export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

/** Parses -o; table when absent. */
export function parseOutput(
  value: string | undefined,
  allowed: OutputFormat[] = ['table', 'wide', 'json', 'yaml'],
): OutputFormat {
  const v = (value ?? 'table') as OutputFormat;
  if (!allowed.includes(v)) throw usageError(`invalid -o "${value}": use ${allowed.join(', ')}`);
  return v;
}

/** Where commands write; tests and the terminal check swap it. */
export interface Out {
  write(text: string): void;
  /** True when writing to a terminal: tables get colour. */
  isTTY: boolean;
}

/** stdout, with colour only on a terminal (and never with NO_COLOR set). */
export const stdout: Out = {
  write: (t) => void process.stdout.write(t),
  get isTTY() {
    return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  },
};

const COLORS: Record<string, number> = {
  Synced: 32,
  Healthy: 32,
  Succeeded: 32,
  OutOfSync: 33,
  Progressing: 36,
  Running: 36,
  Suspended: 35,
  Degraded: 31,
  Failed: 31,
  Error: 31,
  Missing: 33,
  Unknown: 90,
};

/** Colours a status word on a terminal (green healthy, yellow out of sync, red degraded…). */
export function colorStatus(word: string, out: Out): string {
  const c = COLORS[word];
  return c && out.isTTY ? `\x1b[${c}m${word}\x1b[0m` : word;
}

// ANSI colour codes take no width on screen.
const ANSI = new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m', 'g');

/** Renders rows under headers with columns padded to their widest cell (ANSI colours ignored for width). */
export function table(headers: string[], rows: string[][]): string {
  const visible = (s: string) => s.replace(ANSI, '').length;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c))))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Writes a value as JSON or YAML. */
export function printData(value: unknown, format: 'json' | 'yaml', out: Out): void {
  out.write(format === 'json' ? JSON.stringify(value, null, 2) + '\n' : stringify(value));
}
