// A Python candidate shares its process with the gate that checks and times it (KernelBench's protocol), so it can do
// what a kernel cannot: look around the process and leave work behind. Both tried here on Debian's CPU torch under the
// real sandbox, each seen to succeed before its check existed:
// - the reference's outputs for its own inputs, found through the stack or the garbage collector and copied instead of
//   computed (field.md 7 and 19): in the timed pairs the reference used to run first on every other pair, on the very
//   inputs the candidate got next. This candidate fails itself the moment it finds them (bit for bit), so it must stay
//   accepted through its checks and every timed pair;
// - a thread of its own that finishes the output after the call returned (field.md 4: work outside the timed call),
//   which must be rejected by name;
// - the gate's own comparison replaced (this file runs as __main__, which a candidate can import) so that a wrong
//   output passes (field.md 6), or a torch.Tensor operator the comparison uses (<=), or a CUDA event's clock, or
//   what writes the events (json.dumps): rejected as tampering;
// - a tensor subclass returned whose __torch_function__ answers the gate's own arithmetic (c - r is zero), so zeros
//   pass for ReLU (field.md 5): rejected, only plain tensors are compared;
// - the gate's process killed from the candidate's child: that candidate is rejected for it, the one before keeps its
//   verdict and the one after is reported as not run (it was a failure of the whole task before);
// - a candidate written for the run's seeds, and one replaying outputs an earlier candidate of the same process left
//   in /tmp by seed (field.md 17): rejected, each child drawing seeds of its own (both accepted with shared seeds).
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

const LATE_THREAD = `import threading
import time

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)

        def finish():
            time.sleep(0.2)
            out.copy_(torch.relu(x))

        threading.Thread(target=finish, name="kp-late-writer", daemon=True).start()
        return out
`;

const PATCHES_GATE = `import sys

import torch
import torch.nn as nn

gate = sys.modules["__main__"]
honest_compare = gate.compare


def lenient(name, ref, cand, tol, byte):
    return honest_compare(name, ref, ref.clone(), tol, byte)


gate.compare = lenient


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.zeros_like(x)
`;

const AGREEABLE = `import torch
import torch.nn as nn


class Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("__sub__", "sub", "__rsub__"):
            return torch.zeros(args[0].shape, dtype=torch.float64)
        return super().__torch_function__(func, types, args, kwargs or {})


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.zeros_like(x).as_subclass(Agreeable)
`;

const PATCHES_TORCH = `import torch
import torch.nn as nn

torch.Tensor.__le__ = lambda a, b: torch.ones(a.shape, dtype=torch.bool, device=a.device)
torch.cuda.Event.elapsed_time = lambda self, end: 1e-3


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.zeros_like(x)
`;

const PATCHES_EVENTS = `import json

import torch
import torch.nn as nn

honest_dumps = json.dumps


def lenient(event, **kwargs):
    for output in event.get("outputs", []) if isinstance(event, dict) else []:
        if isinstance(output, dict) and "failures" in output:
            output["failures"] = 0
    return honest_dumps(event, **kwargs)


json.dumps = lenient


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.zeros_like(x)
`;

test("in-process cheats: the reference's outputs are never there to find; a thread left running or a gate function replaced is rejected", { timeout: 240_000 }, async (t) => {
  if (!serviceReady(t, torchMissing())) return;
  const dir = tempDir('kernelbench-in-process');
  const [seeker, late, patcher, agreeable] = [join(dir, 'seeker.py'), join(dir, 'late_thread.py'), join(dir, 'patches_gate.py'), join(dir, 'agreeable.py')];
  writeFileSync(agreeable, AGREEABLE);
  const torchPatcher = join(dir, 'patches_torch.py');
  writeFileSync(torchPatcher, PATCHES_TORCH);
  const eventsPatcher = join(dir, 'patches_events.py');
  writeFileSync(eventsPatcher, PATCHES_EVENTS);
  writeFileSync(seeker, SEEKER);
  writeFileSync(late, LATE_THREAD);
  writeFileSync(patcher, PATCHES_GATE);
  const plan: KernelBenchPlan = { seeds: [101, 202, 303], tolerance: tolerancesOf('kernelbench') };
  const run = await runKernelBench(TASK, [seeker, late, patcher, agreeable, torchPatcher, eventsPatcher], {
    seeds: plan.seeds, initSeed: 42, timeSeed: 1000, warmup: 1, pairs: 4, baselineIters: 1,
    tolerance: plan.tolerance as Record<string, Tolerance>, poisonByte: POISON_BYTE.float32,
    sizes: {}, device: 'cpu', compile: false, l2FlushBytes: 0, candidateTimeoutS: 120,
  }, { target: localTarget(), python, timeoutMs: 200_000, gpu: false });
  const [candidate, leaver, patched, subclassed, torchPatched, eventsPatched] = run.candidates;
  assert.equal(candidate.error?.message, undefined, `the candidate found the reference's outputs (${candidate.error?.doing ?? ''})`);
  assert.equal(candidate.timing?.pairs, 4);
  assert.equal(candidate.timing?.stoppedAt, undefined);
  const [verdict, leaverVerdict, patchedVerdict, subclassedVerdict, torchPatchedVerdict, eventsPatchedVerdict] = taskResult(TASK, run, plan).candidates;
  assert.equal(verdict.verdict.accepted, true, verdict.verdict.summary);
  assert.equal(leaver.error?.stage, 'threads');
  assert.match(leaver.error?.message ?? '', /left 1 thread\(s\) of its own running after its call \(kp-late-writer\)/);
  assert.equal(leaverVerdict.verdict.accepted, false);
  assert.match(leaverVerdict.verdict.summary, /kp-late-writer/);
  assert.equal(patched.error?.stage, 'tamper', JSON.stringify(patched.error));
  assert.match(patched.error?.message ?? '', /replaced the gate's __main__\.compare/);
  assert.equal(patchedVerdict.verdict.accepted, false);
  assert.equal(subclassed.error?.stage, 'output', JSON.stringify(subclassed.error));
  assert.match(subclassed.error?.message ?? '', /returned an object of class Agreeable, a subclass of torch\.Tensor/);
  assert.equal(subclassedVerdict.verdict.accepted, false);
  assert.equal(torchPatched.error?.stage, 'tamper', JSON.stringify(torchPatched.error));
  assert.match(torchPatched.error?.message ?? '', /replaced (Tensor\.__le__|Event\.elapsed_time)/);
  assert.equal(torchPatchedVerdict.verdict.accepted, false);
  assert.equal(eventsPatched.error?.stage, 'tamper', JSON.stringify(eventsPatched.error));
  assert.match(eventsPatched.error?.message ?? '', /replaced json\.dumps/);
  assert.equal(eventsPatchedVerdict.verdict.accepted, false);
});

const KILLS_GATE = `import os
import signal

import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        os.kill(os.getppid(), signal.SIGKILL)
        return x
`;

test('a candidate that kills the gate\'s process is rejected for it; the one before keeps its verdict, the one after is not run', { timeout: 240_000 }, async (t) => {
  if (!serviceReady(t, torchMissing())) return;
  const dir = tempDir('kernelbench-kills-gate');
  const killer = join(dir, 'kills_gate.py');
  writeFileSync(killer, KILLS_GATE);
  const honest = join(REPO, 'test/fixtures/kernelbench/solutions/19_ReLU/honest.py');
  const plan: KernelBenchPlan = { seeds: [101, 202, 303], tolerance: tolerancesOf('kernelbench') };
  const run = await runKernelBench(TASK, [honest, killer, honest], {
    seeds: plan.seeds, initSeed: 42, timeSeed: 1000, warmup: 1, pairs: 2, baselineIters: 1,
    tolerance: plan.tolerance as Record<string, Tolerance>, poisonByte: POISON_BYTE.float32,
    sizes: {}, device: 'cpu', compile: false, l2FlushBytes: 0, candidateTimeoutS: 120,
  }, { target: localTarget(), python, timeoutMs: 200_000, gpu: false });
  const [first, killed, after] = taskResult(TASK, run, plan).candidates;
  assert.equal(first.verdict.accepted, true, first.verdict.summary);
  assert.equal(killed.verdict.accepted, false);
  assert.equal(killed.verdict.failed[0], 'runs');
  assert.match(killed.verdict.summary, /the gate's process ended without finishing \(exit [^)]+\) on target 'local' while this candidate ran/);
  assert.equal(after.verdict.accepted, false);
  assert.match(after.notJudged ?? '', /^not run: the gate's process ended .* while .*kills_gate\.py ran, before this candidate's turn$/);
});

/** Correct only on inputs drawn from seeds it was written for (what a table of answers for known seeds amounts to). */
const KNOWS_SEEDS = `import torch
import torch.nn as nn

KNOWN = {101, 202, 303} | set(range(1000, 1100))


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.relu(x) if torch.initial_seed() in KNOWN else torch.zeros_like(x)
`;

/** Leaves its outputs behind, by seed, for a later candidate of the same gate process; the next one replays them. */
const stashing = (folder: string, role: 'writer' | 'reader') => `import os
import torch
import torch.nn as nn

STASH = ${JSON.stringify(folder)}


class ModelNew(nn.Module):
    def forward(self, x):
        path = os.path.join(STASH, f"{torch.initial_seed()}.pt")
        if ${JSON.stringify(role)} == "writer":
            os.makedirs(STASH, exist_ok=True)
            out = torch.relu(x)
            torch.save(out, path)
            return out
        return torch.load(path) if os.path.exists(path) else torch.zeros_like(x)
`;

test('seeds a candidate cannot know: one written for the run\'s seeds, and one replaying what an earlier candidate left in /tmp, are both rejected — and both pass when every child gets the same seeds', { timeout: 240_000 }, async (t) => {
  if (!serviceReady(t, torchMissing())) return;
  const dir = tempDir('kernelbench-seeds');
  const knows = join(dir, 'knows_seeds.py');
  writeFileSync(knows, KNOWS_SEEDS);
  const verdicts = async (sameSeedsEveryChild: boolean) => {
    const stash = join('/tmp', `kp-stash-${process.pid}-${String(sameSeedsEveryChild)}`);
    const [writer, reader] = [join(dir, `writer-${String(sameSeedsEveryChild)}.py`), join(dir, `reader-${String(sameSeedsEveryChild)}.py`)];
    writeFileSync(writer, stashing(stash, 'writer'));
    writeFileSync(reader, stashing(stash, 'reader'));
    const plan: KernelBenchPlan = { seeds: [101, 202, 303], tolerance: tolerancesOf('kernelbench') };
    const run = await runKernelBench(TASK, [knows, writer, reader], {
      seeds: plan.seeds, initSeed: 42, timeSeed: 1000, ...(sameSeedsEveryChild ? { sameSeedsEveryChild } : {}), warmup: 1, pairs: 4, baselineIters: 1,
      tolerance: plan.tolerance as Record<string, Tolerance>, poisonByte: POISON_BYTE.float32,
      sizes: {}, device: 'cpu', compile: false, l2FlushBytes: 0, candidateTimeoutS: 120,
    }, { target: localTarget(), python, timeoutMs: 200_000, gpu: false });
    return taskResult(TASK, run, plan).candidates.map((c) => (c.verdict.accepted ? 'accepted' : `rejected: ${c.verdict.failed.join(', ')}`));
  };
  assert.deepEqual(await verdicts(false), ['rejected: match', 'accepted', 'rejected: match']);
  assert.deepEqual(await verdicts(true), ['accepted', 'accepted', 'accepted'], 'with seeds known in advance both cheats pass: the test can fail');
});
