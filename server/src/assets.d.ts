// Files shipped as text (the harness runtime's C++, the optimizer's prompt templates): esbuild's text loader in bundles, scripts/text-assets.cjs under tsx.
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
