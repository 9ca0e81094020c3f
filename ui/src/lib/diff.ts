import { stringify } from 'yaml';

/** One line of a unified diff, classified for colouring. */
export interface DiffLine {
  kind: 'add' | 'del' | 'ctx' | 'hunk' | 'meta';
  text: string;
}

/** A manifest JSON string (Argo CD's targetState/liveState) as YAML; '' when absent ('null' or empty). */
export function manifestYaml(json: string | undefined): string {
  if (!json || json === 'null') return '';
  try {
    const obj = JSON.parse(json) as unknown;
    return obj === null ? '' : stringify(obj, { lineWidth: 0 });
  } catch {
    return json;
  }
}

/** Splits a unified diff's text into classified lines. */
export function parseUnifiedDiff(text: string): DiffLine[] {
  if (!text) return [];
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.map((line): DiffLine => {
    if (
      line.startsWith('+++') ||
      line.startsWith('---') ||
      line.startsWith('diff ') ||
      line.startsWith('Index:') ||
      line.startsWith('===')
    )
      return { kind: 'meta', text: line };
    if (line.startsWith('@@')) return { kind: 'hunk', text: line };
    if (line.startsWith('+')) return { kind: 'add', text: line };
    if (line.startsWith('-')) return { kind: 'del', text: line };
    return { kind: 'ctx', text: line };
  });
}

/**
 * A unified diff (3 lines of context) from `before` to `after`, by longest common subsequence of
 * lines; '' when they are equal. Manifests are small, so the quadratic table is fine.
 */
export function unifiedDiff(
  before: string,
  after: string,
  labels = { from: 'live', to: 'desired' },
  context = 3,
): string {
  if (before === after) return '';
  const a = before ? before.replace(/\n$/, '').split('\n') : [];
  const b = after ? after.replace(/\n$/, '').split('\n') : [];
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: LCS length of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  type Op = { t: ' ' | '-' | '+'; line: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ t: ' ', line: a[i]!, ai: i++, bi: j++ });
    // Deletions before insertions, as diff(1) prints a changed line.
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!))
      ops.push({ t: '-', line: a[i]!, ai: i++, bi: j });
    else ops.push({ t: '+', line: b[j]!, ai: i, bi: j++ });
  }
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.t === ' ') {
      k++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` after the last change within reach.
    const start = Math.max(0, k - context);
    let end = k;
    for (let x = k; x < ops.length; x++) {
      if (ops[x]!.t !== ' ') end = x;
      else if (x - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    const aStart = aLen ? hunk[0]!.ai + 1 : hunk[0]!.ai;
    const bStart = bLen ? hunk[0]!.bi + 1 : hunk[0]!.bi;
    out.push(`@@ -${aStart},${aLen} +${bStart},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    k = stop;
  }
  return out.join('\n') + '\n';
}
