/**
 * `npx tsx test/bench/ranges.ts run1.json run2.json ...`: the figures of several
 * `npm run -s bench -- --json` outputs as one markdown table, each with its range over the
 * runs, its target and how many runs passed it. PERFORMANCE.md's tables are made with it.
 */
import { readFile } from 'node:fs/promises';

interface Figure {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly pass?: boolean;
}

function figuresOf(value: unknown, file: string): { figures: Figure[]; seconds: number } {
  if (typeof value !== 'object' || value === null || !('figures' in value) || !Array.isArray(value.figures))
    throw new Error(`${file}: not the JSON of npm run -s bench -- --json`);
  const seconds =
    'durationSeconds' in value && typeof value.durationSeconds === 'number' ? value.durationSeconds : 0;
  const figures: Figure[] = [];
  for (const f of value.figures) {
    if (typeof f !== 'object' || f === null) continue;
    const { id, label, value: v, unit, target, pass } = f;
    if (
      typeof id !== 'string' ||
      typeof label !== 'string' ||
      typeof v !== 'number' ||
      typeof unit !== 'string'
    )
      continue;
    figures.push({
      id,
      label,
      value: v,
      unit,
      ...(typeof target === 'string' ? { target } : {}),
      ...(typeof pass === 'boolean' ? { pass } : {}),
    });
  }
  return { figures, seconds };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: tsx test/bench/ranges.ts run1.json [run2.json ...]\n');
  process.exit(2);
}
const runs = await Promise.all(
  files.map(async (file) => figuresOf(JSON.parse(await readFile(file, 'utf8')), file)),
);
const ids = [...new Set(runs.flatMap((r) => r.figures.map((f) => f.id)))];
const rows = ids.map((id) => {
  const found = runs.map((r) => r.figures.find((f) => f.id === id)).filter((f) => f !== undefined);
  const values = found.map((f) => f.value);
  const [first] = found;
  const low = Math.min(...values);
  const high = Math.max(...values);
  const range = low === high ? `${low}` : `${low}–${high}`;
  const judged = found.filter((f) => f.pass !== undefined);
  const passed = judged.filter((f) => f.pass).length;
  return `| ${id} | ${first?.label ?? ''} | ${range} ${first?.unit ?? ''} | ${first?.target ?? '–'} | ${judged.length === 0 ? '–' : `${passed}/${judged.length}`} |`;
});
process.stdout.write(
  [
    `Runs: ${runs.length}, ${runs.map((r) => `${Math.round(r.seconds)} s`).join(', ')}`,
    '',
    '| id | figure (first run) | range | target | passed |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
