// Files shipped as text (the harness runtime's C++ and the KernelBench harness's Python, the optimizer's prompt templates): esbuild's text loader in bundles, scripts/text-assets.cjs under tsx.
declare module '*.cuh' {
  const text: string;
  export default text;
}
declare module '*.cu' {
  const text: string;
  export default text;
}
declare module '*.md' {
  const text: string;
  export default text;
}
declare module '*.py' {
  const text: string;
  export default text;
}
