// What the tests against real services (sshd, Slurm) share: a missing service skips, or fails under CI=1 (CI
// installs it); and polling for a state of the service.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

/** True when the test may go on; otherwise it was skipped (or failed under CI) with `unavailable` as the reason. */
export function serviceReady(t: TestContext, unavailable: string | undefined): boolean {
  if (unavailable === undefined) return true;
  if (process.env.CI) assert.fail(unavailable);
  t.skip(unavailable);
  return false;
}

/** Polls `probe` until it gives a value, or throws after `ms`. */
export async function until<T>(probe: () => T | undefined, ms = 15_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('timed out waiting');
}
