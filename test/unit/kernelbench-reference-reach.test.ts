// A Python candidate shares its process with the reference (KernelBench's protocol), so it can look for the
// reference's outputs for its own inputs — through the stack or the garbage collector — and return a copy instead of
// computing (field.md 7 and 19). In the timed pairs the reference used to run first on every other pair, on the very
// inputs the candidate got next, so those outputs were there to find. This candidate fails itself the moment it finds
// them (bit for bit), on Debian's CPU torch under the real sandbox: it must stay accepted through its checks and every
// timed pair.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tolerancesOf } from '../../server/src/bench/kernelbench';
import type { Tolerance } from '../../server/src/benchspec/model';
import { taskResult, type KernelBenchPlan } from '../../server/src/derive/kernelbench';
import { POISON_BYTE } from '../../server/src/harness/poison';
import { runKernelBench } from '../../server/src/harness/python/run';
import { REPO, tempDir } from './harness-helpers';
import { TEST_PYTHON as python, torchMissing } from './kernelbench-task';
import { localTarget } from './local-target';
import { serviceReady } from './service-tests';

const TASK = join(REPO, 'test/fixtures/kernelbench/tiny_relu.py');

const SEEKER = `import gc
import sys

import torch
import torch.nn as nn


def reference_outputs_of(x):
    """A tensor of this process, not x and not made here, that holds relu(x): the reference's outputs for x."""
    want = torch.relu(x)
    found = []
    frame = sys._getframe(1)
    while frame is not None:
        found.extend(frame.f_locals.values())
        frame = frame.f_back
    found.extend(gc.get_objects())
    for value in found:
        for t in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(t, torch.Tensor) and t is not x and t is not want and t.shape == x.shape and t.dtype == x.dtype \\
                    and torch.equal(t.view(torch.int32), want.view(torch.int32)):
                return t
    return None


class ModelNew(nn.Module):
    def forward(self, x):
        if reference_outputs_of(x) is not None:
            raise RuntimeError("found the reference's outputs for its own inputs")
        # relu with -0.0 where the reference writes +0.0: equal values, other bits, so its own earlier outputs
        # (kept by the gate for the repeat check) are not taken for the reference's.
        return torch.where(x > 0, x, torch.full_like(x, -0.0))
`;

test("the reference's outputs for a candidate's inputs are never in its process while it runs", { timeout: 240_000 }, async (t) => {
  if (!serviceReady(t, torchMissing())) return;
  const dir = tempDir('kernelbench-reach');
  const seeker = join(dir, 'seeker.py');
  writeFileSync(seeker, SEEKER);
  const plan: KernelBenchPlan = { seeds: [101, 202, 303], tolerance: tolerancesOf('kernelbench') };
  const run = await runKernelBench(TASK, [seeker], {
    seeds: plan.seeds, initSeed: 42, timeSeed: 1000, warmup: 1, pairs: 4, baselineIters: 1,
    tolerance: plan.tolerance as Record<string, Tolerance>, poisonByte: POISON_BYTE.float32,
    sizes: {}, device: 'cpu', compile: false, l2FlushBytes: 0, candidateTimeoutS: 120,
  }, { target: localTarget(), python, timeoutMs: 200_000, gpu: false });
  const [candidate] = run.candidates;
  assert.equal(candidate.error?.message, undefined, `the candidate found the reference's outputs (${candidate.error?.doing ?? ''})`);
  assert.equal(candidate.timing?.pairs, 4);
  assert.equal(candidate.timing?.stoppedAt, undefined);
  const [verdict] = taskResult(TASK, run, plan).candidates;
  assert.equal(verdict.verdict.accepted, true, verdict.verdict.summary);
});
