// What a reviewer should know about a candidate that the gate allowed: it keeps device state across launches
// (counters, caches keyed by pointers, lazily built tables), it spreads one launch over several streams or
// kernels, or GPU work happened that the gate did not issue. None of these rejects by itself: every timed
// launch's outputs were verified, so state can only have been used in ways that stayed right. Pure, from the
// recorded events, so it re-derives with the record.

import type { TimingEvent } from '../harness/protocol';
import type { CandidateEvidence } from './probes';

export interface TrustReport {
  /** A writable device variable of the candidate changed between its checks or timed launches. */
  keepsDeviceState: boolean;
  variables: Array<{ name: string; bytes: number; changedDuring: Array<'checks' | 'timing'>; compared: boolean }>;
  /** Most streams and GPU activities one timed candidate launch used (cupti-activity only). */
  maxStreamsPerLaunch?: number;
  maxActivitiesPerLaunch?: number;
  /** GPU activities outside the timed windows that the gate did not issue (cupti-activity only). */
  unaccountedActivities?: number;
  /** One sentence each, for the hover and the CLI. */
  notes: string[];
}

function maxOf(xs: readonly number[] | undefined): number | undefined {
  return xs && xs.length ? Math.max(...xs) : undefined;
}

export function trustOf(candidate: CandidateEvidence): TrustReport {
  const byName = new Map<string, TrustReport['variables'][number]>();
  for (const event of candidate.state) {
    for (const v of event.variables) {
      const entry = byName.get(v.name) ?? { name: v.name, bytes: v.bytes, changedDuring: [], compared: false };
      entry.compared ||= v.compared;
      if (v.changed) entry.changedDuring.push(event.phase);
      byName.set(v.name, entry);
    }
  }
  const variables = [...byName.values()];
  const changed = variables.filter((v) => v.changedDuring.length > 0);
  const notes: string[] = [];
  if (changed.length) {
    notes.push(
      `keeps device state across launches: ${changed.map((v) => `'${v.name}' (${v.bytes} B, changed during ${v.changedDuring.join(' and ')})`).join(', ')}`,
    );
  }
  const unread = variables.filter((v) => !v.compared);
  if (unread.length) notes.push(`device variable(s) ${unread.map((v) => `'${v.name}'`).join(', ')} could not be read back to compare (managed, or too large)`);
  const timing: TimingEvent | undefined = candidate.timing;
  const report: TrustReport = { keepsDeviceState: changed.length > 0, variables, notes };
  const streams = timing?.method === 'cupti-activity' ? maxOf(timing.candidate?.streams) : undefined;
  const activities = timing?.method === 'cupti-activity' ? maxOf(timing.candidate?.activities) : undefined;
  if (streams !== undefined) report.maxStreamsPerLaunch = streams;
  if (activities !== undefined) report.maxActivitiesPerLaunch = activities;
  if (streams !== undefined && streams > 1) notes.push(`one launch runs on up to ${streams} streams; all of its GPU work is inside the measured time`);
  if (activities !== undefined && activities > 1) notes.push(`one launch is up to ${activities} GPU activities (kernels, copies, memsets); the time spans all of them`);
  if (timing?.unaccountedActivities !== undefined) {
    report.unaccountedActivities = timing.unaccountedActivities;
  }
  return report;
}
