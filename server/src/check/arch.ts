// The check compiles for one real architecture (`-cubin` needs an SASS target). Users and settings
// write it many ways: `sm_90`, `sm_90a`, `90`, `9.0`, `compute_90`; this makes them one.

/** `sm_90` style, or undefined when `input` names no GPU architecture. */
export function normalizeArch(input: string): string | undefined {
  const s = input.trim().toLowerCase();
  let m: RegExpExecArray | null;
  // `compute_90` is a virtual (PTX) arch; its real counterpart is what ptxas reports resources for.
  if ((m = /^(?:sm|compute)_?(\d{2,3})([af]?)$/.exec(s))) return `sm_${m[1]}${m[2]}`;
  if ((m = /^(\d{2,3})([af]?)$/.exec(s))) return `sm_${m[1]}${m[2]}`;
  if ((m = /^(\d{1,2})\.(\d)$/.exec(s))) return `sm_${m[1]}${m[2]}`;
  return undefined;
}
