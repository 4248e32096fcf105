// Nsight Compute's CSV exports, parsed with csv-parse (quoted fields hold commas: "(256, 1, 1)", "3,153,376"):
//   --page raw --csv --print-units base      header row, units row, one row per profiled launch
//   --page details --csv                     long format: a metric per row, or a guided-analysis rule result
//   --page source --csv --print-source cuda,sass
//                                            per file: "File Path", "Function Name", a header, then a row per source
//                                            line followed by a row per SASS instruction of it
// ncu prints its own `==PROF==`/`==WARNING==` lines into the same stream; they are dropped first.

import { parse } from 'csv-parse/sync';
import type { RuleResult, RuleType } from './report';

function records(text: string, what: string): string[][] {
  const csv = text
    .split(/\r?\n/)
    .filter((line) => !/^==[A-Z]+==/.test(line))
    .join('\n');
  try {
    return parse(csv, { relax_column_count: true, relax_quotes: true, skip_empty_lines: true }) as string[][];
  } catch (error) {
    throw new Error(`ncu ${what} export is not CSV: ${(error as Error).message}`, { cause: error });
  }
}

/** A number as ncu prints it ("3,153,376", "17.42"); undefined for "", "n/a", "no data", "-". */
export function ncuNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const plain = value.trim().replace(/,/g, '');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(plain)) return undefined;
  return Number(plain);
}

/** One profiled launch of the raw page: metric name → value as printed, and its unit. */
export interface RawLaunch {
  kernelName: string;
  values: Map<string, string>;
  units: Map<string, string>;
}

export function parseRawPage(text: string): RawLaunch[] {
  const rows = records(text, 'raw page');
  const [header, units, ...launches] = rows;
  if (!header?.includes('Kernel Name') || !units) throw new Error('ncu raw page: no header row with "Kernel Name" (was it exported with --page raw --csv?)');
  return launches.map((row) => {
    const values = new Map<string, string>();
    const unitOf = new Map<string, string>();
    header.forEach((name, i) => {
      values.set(name, row[i] ?? '');
      unitOf.set(name, units[i] ?? '');
    });
    return { kernelName: values.get('Kernel Name') ?? '', values, units: unitOf };
  });
}

export function rawNumber(launch: RawLaunch, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = ncuNumber(launch.values.get(name));
    if (value !== undefined) return value;
  }
  return undefined;
}

export interface DetailsPage {
  rules: RuleResult[];
  metrics: { section: string; name: string; unit: string; value: string }[];
}

const RULE_TYPES = new Set<RuleType>(['OPT', 'WRN', 'INF', 'ERR']);

/** The first launch's rule results and metrics (the profile runs one launch). */
export function parseDetailsPage(text: string): DetailsPage {
  const [header, ...rows] = records(text, 'details page');
  const col = (name: string): number => header?.indexOf(name) ?? -1;
  const at = { id: col('ID'), section: col('Section Name'), metric: col('Metric Name'), unit: col('Metric Unit'), value: col('Metric Value'), rule: col('Rule Name'), type: col('Rule Type'), text: col('Rule Description'), speedupType: col('Estimated Speedup Type'), speedup: col('Estimated Speedup') };
  if (at.section < 0 || at.rule < 0) throw new Error('ncu details page: no "Section Name"/"Rule Name" columns (was it exported with --page details --csv?)');
  const firstId = rows[0]?.[at.id];
  const page: DetailsPage = { rules: [], metrics: [] };
  for (const row of rows) {
    if (row[at.id] !== firstId) continue;
    const rule = row[at.rule] ?? '';
    if (rule) {
      const type = (row[at.type] ?? '') as RuleType;
      const speedup = ncuNumber(row[at.speedup]);
      const kind = row[at.speedupType];
      page.rules.push({
        rule,
        section: row[at.section] ?? '',
        type: RULE_TYPES.has(type) ? type : 'INF',
        text: row[at.text] ?? '',
        ...(speedup !== undefined ? { estimatedSpeedupPct: speedup } : {}),
        ...(kind === 'local' || kind === 'global' ? { speedupKind: kind } : {}),
      });
    } else if (row[at.metric]) {
      page.metrics.push({ section: row[at.section] ?? '', name: row[at.metric], unit: row[at.unit] ?? '', value: row[at.value] ?? '' });
    }
  }
  return page;
}

/** One source line (with its metrics) and the SASS instructions ncu attributes to it. */
export interface SourceRow {
  /** 1-based, as ncu prints it. */
  line: number;
  source: string;
  metrics: Map<string, string>;
  sass: { address: string; text: string; metrics: Map<string, string> }[];
}

export interface SourceFile {
  path: string;
  functionName: string;
  rows: SourceRow[];
}

export function parseSourcePage(text: string): SourceFile[] {
  const files: SourceFile[] = [];
  let current: SourceFile | undefined;
  let header: string[] = [];
  for (const record of records(text, 'source page')) {
    const first = record[0];
    if (first === 'File Path' || first === 'File Name') {
      current = { path: record[1] ?? '', functionName: '', rows: [] };
      files.push(current);
      header = [];
    } else if (first === 'Function Name' && current) {
      current.functionName = record[1] ?? '';
    } else if (first === 'Line No') {
      header = record;
    } else if (current && header.length) {
      // The header names "Source" twice (the line's text, then the SASS); metrics start after "Address".
      const metrics = new Map<string, string>();
      for (let i = 4; i < header.length; i++) metrics.set(header[i], record[i] ?? '');
      const line = ncuNumber(first);
      if (line !== undefined) current.rows.push({ line, source: record[1] ?? '', metrics, sass: [] });
      else current.rows[current.rows.length - 1]?.sass.push({ address: record[2] ?? '', text: (record[3] ?? '').trim(), metrics });
    }
  }
  return files;
}
