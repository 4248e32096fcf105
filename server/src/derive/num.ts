// Number formatting shared by probe reasons and reports: three significant figures, no "0.00" for zero and
// no 0.0000994 walls of zeros for small errors.

export function sig(x: number, digits = 3): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs < 1e-3 || abs >= 1e6) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

export function quoteList(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

const SI = [
  { f: 1e15, p: 'P' },
  { f: 1e12, p: 'T' },
  { f: 1e9, p: 'G' },
  { f: 1e6, p: 'M' },
  { f: 1e3, p: 'k' },
];

/** 3.45e12, 'B/s' → "3.45 TB/s". */
export function siRate(value: number, unit: string): string {
  for (const { f, p } of SI) if (Math.abs(value) >= f) return `${(value / f).toFixed(2)} ${p}${unit}`;
  return `${value.toFixed(2)} ${unit}`;
}

/** Milliseconds for display: "0.93 ms", "12.4 µs", "153 ms"; `extra` more decimals where ranges need them. */
export function formatMs(ms: number, extra = 0): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  const fixed = (x: number): string => x.toFixed((x < 10 ? 2 : x < 100 ? 1 : 0) + extra);
  return ms < 0.1 ? `${fixed(ms * 1000)} µs` : `${fixed(ms)} ms`;
}

/** 0.803 → "80 %", 0.0031 → "0.3 %". */
export function percent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '– %';
  const p = fraction * 100;
  return `${Math.abs(p) < 10 ? p.toFixed(1) : p.toFixed(0)} %`;
}
