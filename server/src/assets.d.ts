// C++ sources shipped as text (the harness runtime): esbuild's text loader in bundles, scripts/text-assets.cjs under tsx.
declare module '*.cuh' {
  const text: string;
  export default text;
}
declare module '*.cu' {
  const text: string;
  export default text;
}
