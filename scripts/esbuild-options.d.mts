import type { BuildOptions } from 'esbuild';
export declare const bundleOptions: BuildOptions;
export declare const WASM_FILES: string[];
