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
