// Reading a stored profile report back: a report may come from a repository's `.kernelpilot/` folder, so it is checked
// against the shape the editor renders (JSON schema, ajv) before anything reads a field. Errors name the file and
// the first bad field.

import Ajv from 'ajv';
import { PROFILE_REPORT_VERSION, type ProfileReport } from './report';

const num = { type: 'number' } as const;
const str = { type: 'string' } as const;
const nonNegative = { type: 'number', minimum: 0 } as const;
const line = { type: 'integer', minimum: 0 } as const;
const dims = { type: 'array', items: nonNegative, minItems: 3, maxItems: 3 } as const;
const launch = { type: 'object', required: ['grid', 'block', 'dynamicSharedBytes'], properties: { grid: dims, block: dims, dynamicSharedBytes: nonNegative } } as const;
const counts = { type: 'object', additionalProperties: nonNegative } as const;
const limiter = { enum: ['registers', 'shared-memory', 'warps', 'blocks', 'barriers'] } as const;

const schema = {
  type: 'object',
  required: ['version', 'createdAt', 'kernel', 'static', 'live', 'hints', 'lines', 'notes'],
  properties: {
    version: { const: PROFILE_REPORT_VERSION },
    createdAt: str,
    kernel: {
      type: 'object',
      required: ['name', 'qualifiedName', 'file', 'kernelHash', 'fileHash', 'line', 'target', 'arch'],
      properties: { name: str, qualifiedName: str, file: str, kernelHash: str, fileHash: str, line, target: str, arch: str, spec: str, launch },
    },
    static: {
      type: 'object',
      properties: {
        resources: {
          type: 'object',
          required: ['registersPerThread', 'staticSharedBytes', 'stackFrameBytes', 'spillStoreBytes', 'spillLoadBytes', 'barriers'],
          properties: { registersPerThread: nonNegative, staticSharedBytes: nonNegative, stackFrameBytes: nonNegative, spillStoreBytes: nonNegative, spillLoadBytes: nonNegative, barriers: nonNegative },
        },
        occupancy: { type: 'object', required: ['theoreticalPct', 'limiter'], properties: { theoreticalPct: nonNegative, limiter } },
        occupancyByBlockSize: { type: 'array', items: { type: 'object', required: ['blockSize', 'theoreticalPct', 'limiter'], properties: { blockSize: nonNegative, theoreticalPct: nonNegative, limiter } } },
        sass: {
          type: 'object',
          required: ['globalLoadsByWidth', 'globalStoresByWidth', 'tensorCore', 'localLoads', 'localStores', 'instructions'],
          properties: { globalLoadsByWidth: counts, globalStoresByWidth: counts, tensorCore: counts, localLoads: nonNegative, localStores: nonNegative, instructions: nonNegative },
        },
      },
    },
    live: {
      oneOf: [
        { type: 'object', required: ['status', 'reason', 'message'], properties: { status: { const: 'absent' }, reason: str, message: str } },
        {
          type: 'object',
          required: ['status', 'tool', 'device', 'launch', 'durationNs', 'computePct', 'memoryPct', 'dramPct', 'achievedOccupancyPct', 'theoreticalOccupancyPct', 'occupancyLimiter', 'wavesPerSm', 'registersPerThread', 'sharedBytesPerBlock', 'localSpillingRequests', 'stalls', 'rules'],
          properties: {
            status: { const: 'measured' },
            tool: { type: 'object', required: ['clockControl'], properties: { clockControl: { enum: ['none', 'base'] }, ncuVersion: str } },
            device: { type: 'object', required: ['computeCapability', 'smCount'], properties: { name: str, computeCapability: str, smCount: nonNegative } },
            launch,
            durationNs: nonNegative, computePct: nonNegative, memoryPct: nonNegative, dramPct: nonNegative, l1Pct: nonNegative, l2Pct: nonNegative,
            achievedOccupancyPct: nonNegative, theoreticalOccupancyPct: nonNegative, occupancyLimiter: limiter, wavesPerSm: nonNegative,
            registersPerThread: nonNegative, sharedBytesPerBlock: nonNegative, localSpillingRequests: nonNegative,
            stalls: { type: 'array', items: { type: 'object', required: ['reason', 'cyclesPerIssue'], properties: { reason: str, cyclesPerIssue: num } } },
            rules: { type: 'array', items: { type: 'object', required: ['rule', 'section', 'type', 'text'], properties: { rule: str, section: str, type: { enum: ['OPT', 'WRN', 'INF', 'ERR'] }, text: str, estimatedSpeedupPct: num } } },
          },
        },
      ],
    },
    classification: { type: 'object', required: ['bound', 'summary'], properties: { bound: { enum: ['memory', 'compute', 'latency'] }, summary: str } },
    hints: {
      type: 'array',
      items: { type: 'object', required: ['kind', 'origin', 'severity', 'title', 'text', 'basis'], properties: { severity: { enum: ['warning', 'info'] }, title: str, text: str, estimatedSpeedupPct: num, line, stallReason: str } },
    },
    lines: {
      type: 'array',
      items: { type: 'object', required: ['line'], properties: { line, stallSamples: nonNegative, stallShare: { type: 'number', minimum: 0, maximum: 1 }, stalls: { type: 'array', items: { type: 'object', required: ['reason', 'samples'], properties: { reason: str, samples: nonNegative } } }, l2SectorsGlobal: nonNegative, l2SectorsGlobalIdeal: nonNegative, sassMix: counts } },
    },
    notes: { type: 'array', items: str },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: false }).compile(schema);

/** Parses and checks a stored report; throws with the file and the first problem. */
export function parseProfileReport(text: string, file: string): ProfileReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`profile report ${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!validate(data)) {
    const e = validate.errors?.[0];
    throw new Error(`profile report ${file} is malformed at ${e?.instancePath || '/'}: ${e?.message ?? 'unknown problem'} (profile the kernel again to replace it)`);
  }
  return data as unknown as ProfileReport;
}
