// nvcc options a candidate may bring. Only these reach the build, each as one argv token matched whole, so
// nothing from a model answer or a search variant can add an option, a file or a shell word.

const EXACT = new Set(['-Xptxas=-O3', '-Xptxas=-O2', '--use_fast_math', '--extra-device-vectorization', '-Xptxas=-dlcm=ca', '-Xptxas=-dlcm=cg']);
/** Register caps ptxas accepts and that leave a kernel launchable at 1024 threads (64 K registers per SM). */
const REGISTER_CAP = /^--maxrregcount=(\d{2,3})$/;

export function isAllowedFlag(flag: string): boolean {
  if (EXACT.has(flag)) return true;
  const cap = REGISTER_CAP.exec(flag);
  return cap !== null && Number(cap[1]) >= 16 && Number(cap[1]) <= 255;
}

/** The flags, or an error naming the first one not allowed and what is. */
export function checkFlags(flags: readonly string[]): string[] {
  const bad = flags.find((f) => !isAllowedFlag(f));
  if (bad !== undefined) throw new Error(`nvcc option ${JSON.stringify(bad)} is not allowed for a candidate; allowed: ${[...EXACT].join(' ')} --maxrregcount=N (16..255)`);
  return [...new Set(flags)];
}
