# KernelPilot's Python gate for KernelBench tasks (server/src/harness/python/protocol.ts is the contract).
#
# One process per prepared evaluation: it reads the job (JSON) from stdin, imports torch once, then forks one child
# for the reference (the task's Model alone: output shapes, the weak-spec checks, the eager and torch.compile
# baselines timed) and one child per candidate (ModelNew: the checks, a repeat, then timed pairs against Model with
# every timed call verified). The parent never touches CUDA (a CUDA context does not survive fork); each child is
# killed when it passes its time limit, and its death is reported, never taken for a verdict.
#
# Events go to the original stdout, one JSON object per line starting with {"kind":; a child moves its own fd 1 to
# stderr first, so what a candidate prints does not pass for an event. One that looks for the events' descriptor can
# still write there: a candidate runs in the child that checks and times it (as in KernelBench's own eval), so the
# checks hold against code that games the measurement, not against code that forges the gate's own output.
#
# Isolation between children (a candidate is an adversary, and a later one must be judged on its own code): the
# inputs (this file, the task, the candidates, their support files) are in a folder the sandbox binds read-only. A
# child can write only its own work folder, made fresh by the parent just before its fork (its cwd and home, its
# TMPDIR and TRITON_CACHE_DIR), and the load_inline build folders. The parent, which never runs task or candidate
# code and which no child may ptrace, checks the rest after every child: it ends whatever the child left running,
# and empties any build folder that changed while a child that does not own it ran, and that child is rejected for
# it (`build-tamper`).
import gc
import hashlib
import inspect
import importlib.util
import json
import math
import os
import secrets
import signal
import stat
import sys
import tempfile
import threading
import time
import traceback

import torch

_fds = {"events": 1}


def emit(event):
    line = (json.dumps(event, allow_nan=False) + "\n").encode()
    fd = _fds["events"]
    while line:
        line = line[os.write(fd, line):]


def finite_or_text(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


# What a candidate must not replace: the gate's comparisons, arithmetic, copies, clocks, events and synchronization —
# every method and operator of torch.Tensor and of CUDA events and streams (with their base classes), every function
# and class of torch and torch.cuda, the clocks, and what writes the events and digests (json, os, hashlib, math).
# Read from the owners' own dicts (a lazily loaded attribute is not loaded for it) at import, before any task
# or candidate code runs; compared after every candidate call. The tensor factories the Poisoner swaps during checks
# are left out.
POISONED_FACTORIES = ("empty", "empty_like", "empty_strided")
TENSOR_CLASSES = [c for c in torch.Tensor.__mro__ if c is not object]
CUDA_CLASSES = [c for name in ("Event", "Stream") if hasattr(torch, "cuda") and isinstance(getattr(torch.cuda, name, None), type)
                for c in getattr(torch.cuda, name).__mro__ if c is not object]


def _guarded():
    items = [(time, "perf_counter"), (time, "perf_counter_ns"), (time, "monotonic")]
    classes = TENSOR_CLASSES + CUDA_CLASSES
    owners = classes + [torch, json, os, hashlib, math] + ([torch.cuda] if hasattr(torch, "cuda") else [])
    for owner in owners:
        for name, value in list(vars(owner).items()):
            if owner is torch and name in POISONED_FACTORIES:
                continue
            if owner in classes or callable(value):
                items.append((owner, name))
    return [(owner, name, vars(owner)[name]) for owner, name in items if name in vars(owner)]


GUARDED = _guarded()
# A method of a base class can also be shadowed by a new attribute of torch.Tensor of the same name.
TENSOR_METHODS = {name for c in TENSOR_CLASSES for name in vars(c)}
TENSOR_OWN = {c: set(vars(c)) for c in TENSOR_CLASSES}


def tampered():
    for owner, name, original in GUARDED:
        if vars(owner).get(name) is not original:
            return f"{getattr(owner, '__name__', owner)}.{name}"
    for owner, own in TENSOR_OWN.items():
        shadowing = (set(vars(owner)) - own) & TENSOR_METHODS
        if shadowing:
            return f"{owner.__name__}.{sorted(shadowing)[0]}"
    # The gate's own functions and methods (this file runs as __main__, which a candidate can import): each still
    # itself and still running its own code.
    for owner, name, original, code in OWN:
        if getattr(owner, name, None) is not original or original.__code__ is not code:
            return f"the gate's {getattr(owner, '__name__', 'module')}.{name}"
    return None


def untampered(doing):
    touched = tampered()
    if touched:
        raise CandidateError("tamper", f"the candidate replaced {touched}, which the gate uses to check and time it", doing)


class CandidateError(Exception):
    def __init__(self, stage, message, doing=None):
        super().__init__(message)
        self.stage = stage
        self.doing = doing


# ---------------------------------------------------------------- tensors
#
# KernelBench tensors run to gigabytes (19_ReLU's input is 4096×393216 fp32, 6 GiB), so nothing here makes a
# whole-tensor temporary: comparisons, digests and bit checks walk flat slices of CHUNK["elements"] elements
# (float64 temporaries of 128 MiB by default; the job's chunkElements lowers it so tests take several slices).

CHUNK = {"elements": 1 << 24}

FLOAT_BITS = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16, torch.float64: torch.int64}
DTYPE_NAMES = {
    torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16", torch.float64: "float64",
    torch.int8: "int8", torch.uint8: "uint8", torch.int16: "int16", torch.int32: "int32", torch.int64: "int64",
    torch.bool: "bool",
}


def dtype_name(t):
    return DTYPE_NAMES.get(t.dtype, str(t.dtype).replace("torch.", ""))


def as_list(value):
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def output_names(n):
    return ["output"] if n == 1 else [f"output{i}" for i in range(n)]


def storage_span(t):
    storage = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
    nbytes = storage.nbytes()
    return storage.data_ptr(), nbytes


def slices(n, scale=1):
    step = CHUNK["elements"] * scale
    for start in range(0, n, step):
        yield start, min(n, start + step)


def flat(t):
    """The tensor's elements in one dimension: a view when it is contiguous, else one copy."""
    return t.detach().reshape(-1)


def raw_bytes(t):
    """The tensor's elements as uint8, contiguous (a view when it already is)."""
    f = t.detach().contiguous().reshape(-1)
    return f.view(torch.uint8) if f.dtype != torch.bool else f.to(torch.uint8)


def digest(t):
    """A content digest computed where the tensor lives: a position-weighted sum of its 32-bit words, slice by slice."""
    b = raw_bytes(t)
    try:
        units = b.view(torch.int32)
    except RuntimeError:  # a byte count or offset that is no multiple of 4: its bytes one by one
        units = b
    total = 0
    weighted = 0
    for start, end in slices(units.numel()):
        w = units[start:end].to(torch.int64)
        idx = torch.arange(start, end, device=w.device, dtype=torch.int64) % 1000003 + 1
        total += int(w.sum().item())
        weighted += int((w * idx).sum().item())
    return hashlib.sha256(f"{b.numel()}:{total}:{weighted}".encode()).hexdigest()[:16]


INT_OF_SIZE = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def bits_of(t):
    """The tensor's elements as integers of their width, one per element (rows of bytes for other widths)."""
    f = flat(t).contiguous()
    size = t.element_size()
    return f.view(INT_OF_SIZE[size]) if size in INT_OF_SIZE else f.view(torch.uint8).view(-1, size)


def bit_differences(a, b):
    """Elements of b whose bits differ from a's, and the first one's index; all of them when shapes or dtypes differ."""
    if not isinstance(b, torch.Tensor) or a.shape != b.shape or a.dtype != b.dtype:
        return a.numel(), 0
    ba, bb = bits_of(a), bits_of(b)
    count, first = 0, None
    for start, end in slices(ba.shape[0]):
        bad = ba[start:end] != bb[start:end].to(ba.device)
        if bad.dim() > 1:
            bad = bad.any(dim=1)
        n = int(bad.sum().item())
        if n and first is None:
            first = start + int(bad.nonzero()[0].item())
        count += n
    return count, first


def poison_bits(dtype, byte):
    width = torch.tensor([], dtype=dtype).element_size()
    value = int.from_bytes(bytes([byte]) * width, "little", signed=True)
    return value


class Constant:
    """An output of ref's shape and dtype holding one value everywhere (the weak-spec checks), never materialized."""

    def __init__(self, value):
        self.value = value


def candidate_slicer(cand, ref):
    """Slices of what is compared with ref: a tensor's (moved to ref's device slice by slice) or a Constant's."""
    if isinstance(cand, Constant):
        value = torch.tensor(cand.value, dtype=ref.dtype).item()
        return lambda start, end: torch.full((end - start,), value, dtype=ref.dtype, device=ref.device)
    c = flat(cand)
    return lambda start, end: c[start:end].to(ref.device)


def compare(name, ref, cand, tol, byte):
    """One output compared as bench/elementwise.ts does: |c - r| <= atol + rtol * |r|, non-finite fails."""
    out = {"name": name, "elements": ref.numel(), "failures": 0, "nonFiniteBaseline": 0, "nonFiniteCandidate": 0,
           "maxAbsErr": None, "maxRelErr": None}
    if not isinstance(cand, (torch.Tensor, Constant)):
        out["failures"] = ref.numel()
        out["mismatch"] = f"returned {type(cand).__name__}, the reference a tensor"
        return out
    if isinstance(cand, torch.Tensor) and (cand.shape != ref.shape or cand.dtype != ref.dtype):
        out["failures"] = ref.numel()
        out["mismatch"] = f"shape {list(cand.shape)} {dtype_name(cand)}, the reference's {list(ref.shape)} {dtype_name(ref)}"
        return out
    r_all = flat(ref)
    c_of = candidate_slicer(cand, ref)
    is_float = ref.dtype in FLOAT_BITS
    bits = FLOAT_BITS.get(ref.dtype)
    poison = poison_bits(bits, byte) if is_float else None
    failures = unwritten = baseline_unwritten = 0
    max_abs = max_rel = None
    first = first_unwritten = None
    for start, end in slices(ref.numel()):
        rs, cs = r_all[start:end], c_of(start, end)
        if is_float:
            r, c = rs.to(torch.float64), cs.to(torch.float64)
            fr, fc = torch.isfinite(r), torch.isfinite(c)
            both = fr & fc
            diff = (c - r).abs()
            ok = both & (diff <= tol["atol"] + tol["rtol"] * r.abs())
            out["nonFiniteBaseline"] += int((~fr).sum().item())
            out["nonFiniteCandidate"] += int((~fc).sum().item())
            if bool(both.any().item()):
                a = float(diff[both].max().item())
                rel = float((diff[both] / r[both].abs().clamp_min(1e-30)).max().item())
                max_abs = a if max_abs is None else max(max_abs, a)
                max_rel = rel if max_rel is None else max(max_rel, rel)
            del r, c, fr, fc, both, diff
            ref_poison = rs.contiguous().view(bits) == poison
            cand_poison = cs.contiguous().view(bits) == poison
            fresh = cand_poison & ~ref_poison
            baseline_unwritten += int(ref_poison.sum().item())
            n = int(fresh.sum().item())
            if n and first_unwritten is None:
                first_unwritten = start + int(fresh.nonzero()[0].item())
            unwritten += n
            del ref_poison, cand_poison, fresh
        else:
            ok = cs == rs
        bad = ~ok
        n = int(bad.sum().item())
        if n and first is None:
            i = int(bad.nonzero()[0].item())
            first = {"index": start + i, "baseline": finite_or_text(rs[i].item()), "candidate": finite_or_text(cs[i].item())}
        failures += n
        del ok, bad, rs, cs
    out["failures"] = failures
    if is_float:
        out["maxAbsErr"], out["maxRelErr"] = max_abs, max_rel
        out["unwritten"] = unwritten
        out["baselineUnwritten"] = baseline_unwritten
        if first_unwritten is not None:
            out["firstUnwritten"] = first_unwritten
    if first is not None:
        out["first"] = first
    return out


def mean_of(t):
    """The float64 mean, summed slice by slice (no float64 copy of the whole tensor)."""
    f = flat(t)
    total = 0.0
    for start, end in slices(f.numel()):
        total += float(f[start:end].to(torch.float64).sum().item())
    return total / max(1, f.numel())


def release():
    """Returns what the allocator caches but nothing holds, so the next step (or the candidate) finds it free."""
    gc.collect()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


# ---------------------------------------------------------------- loading

def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def apply_sizes(task, sizes):
    for name, value in sizes.items():
        current = getattr(task, name, None)
        if not isinstance(current, int) or isinstance(current, bool):
            raise CandidateError("args", f"--size {name}={value}: the task file has no module-level integer '{name}'")
        setattr(task, name, value)


def task_sizes(task):
    return {k: v for k, v in vars(task).items() if not k.startswith("_") and isinstance(v, int) and not isinstance(v, bool)}


def seed_all(seed):
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


# The longest host part a cover grows to hide. A call that takes longer on the host is a compile or an autotune
# (seconds, once per kernel): growing the cover for it would make every later call sleep that long.
COVER_GROWS_UP_TO_MS = 10.0


def grown_cover(cycles, cover_ms, launch_ms):
    """The cover (cycles, ms) after a call whose host part (launch_ms) outlasted most of it: twice that host part,
    unless the call was a one-off compile (COVER_GROWS_UP_TO_MS), which leaves it as it was."""
    if launch_ms > COVER_GROWS_UP_TO_MS:
        return cycles, cover_ms
    grow = max(2.0, 2 * launch_ms / max(cover_ms, 1e-3))
    return int(cycles * grow), cover_ms * grow


class Side:
    """What both children share: the device, the task, its inputs on fresh seeds, the reference model."""

    def __init__(self, job):
        self.job = job
        want = job.get("device", "auto")
        if want == "cuda" or (want == "auto" and torch.cuda.is_available()):
            if not torch.cuda.is_available():
                raise CandidateError("device", "no CUDA device is visible to torch (torch.cuda.is_available() is False)")
            self.device = torch.device("cuda", 0)
        else:
            self.device = torch.device("cpu")
        self.cuda = self.device.type == "cuda"
        try:
            self.task = load_module(job["task"], "kp_task")
        except Exception as e:
            raise CandidateError("task", f"the task file could not be loaded: {type(e).__name__}: {e}")
        apply_sizes(self.task, job.get("sizes", {}))
        for fn in ("get_inputs", "Model"):
            if not hasattr(self.task, fn):
                raise CandidateError("task", f"the task file defines no {fn}")
        seed_all(job["initSeed"])
        init = getattr(self.task, "get_init_inputs", lambda: [])()
        self.init_inputs = [x.to(self.device) if isinstance(x, torch.Tensor) else x for x in init]
        with torch.no_grad():
            seed_all(job["initSeed"])
            self.model = self.task.Model(*self.init_inputs).to(self.device)
        # The reference's autotuner, when it has one, runs once per run: every later child (and every later process of
        # an optimize run) times Model with the config it picked then, not with a pick of its own.
        if job.get("modelPin") and callable(getattr(self.model, "kp_pin", None)):
            try:
                self.model.kp_pin(job["modelPin"])
            except Exception as e:
                raise CandidateError("task", f"the reference's autotune pick could not be pinned: {e}")
        # A Triton job covers the host's part of a call (Python, allocation, launch) with a GPU sleep queued before the
        # start event, so the events time the GPU work alone; KernelBench tasks are timed as KernelBench times them.
        self.cover = int(job.get("coverCycles", 0)) if self.cuda else 0
        # How long the cover sleeps, measured once: a call whose host part outlasts it is timed with host time in it,
        # so the cover grows (timed_call) and such calls are counted (the timing event's uncoveredCalls).
        self.cover_ms = self.sleep_ms(self.cover) if self.cover else 0.0
        self.uncovered = 0
        self.flush = None
        if self.cuda and job.get("l2FlushBytes", 0) > 0:
            self.flush = torch.empty(job["l2FlushBytes"] // 4, dtype=torch.int32, device=self.device)
        self.headroom = None
        if self.cuda:
            free, _ = torch.cuda.mem_get_info()
            # What this process could still allocate: the device's free memory and what our allocator caches unused.
            self.headroom = free + torch.cuda.memory_reserved() - torch.cuda.memory_allocated()

    def inputs(self, seed):
        seed_all(seed)
        try:
            # On a GPU the inputs are drawn there (torch 2's device context): drawing GPU-sized tasks on the host
            # (KernelBench's 6 GB tensors) would take seconds per call, and every timed call draws fresh ones.
            if self.cuda and hasattr(torch.device, "__enter__"):
                with self.device:
                    made = self.task.get_inputs()
            else:
                made = self.task.get_inputs()
        except Exception as e:
            raise CandidateError("task", f"get_inputs() raised {type(e).__name__}: {e}")
        return [x.to(self.device) if isinstance(x, torch.Tensor) else x for x in made]

    def names(self, args):
        """The model's kp_input_names, or forward's parameter names (input0, input1, ... where they do not line up)."""
        given = getattr(self.model, "kp_input_names", None)
        if isinstance(given, list) and len(given) == len(args):
            return [str(n) for n in given]
        try:
            params = [p.name for p in inspect.signature(self.model.forward).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            params = []
        return params if len(params) == len(args) else [f"input{i}" for i in range(len(args))]

    def output_names(self, n):
        given = getattr(self.model, "kp_output_names", None)
        return [str(x) for x in given] if isinstance(given, list) and len(given) == n else output_names(n)

    def report(self, model, whose=None):
        """What the model says about itself after running (a Triton kernel's autotune pick), as a report event; the
        report itself, for the parent to pin the pick (kp_pin) in the children after this one."""
        describe = getattr(model, "kp_report", None)
        if not callable(describe):
            return {}
        said = {k: str(v) for k, v in describe().items()}
        emit({"kind": "report", **said, **({"side": whose} if whose else {})})
        return said

    def tensors(self, args):
        return [(n, x) for n, x in zip(self.names(args), args) if isinstance(x, torch.Tensor)]

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def flush_l2(self):
        # Written, then read, so the next call finds only this buffer's clean lines in L2 (as kp_timing.cu does).
        if self.flush is not None:
            self.flush.fill_(1)
            self.flush.sum()

    def sleep_ms(self, cycles):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch.cuda._sleep(cycles)
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end)

    def timed_call(self, fn, args):
        """kernelMs (CUDA events, or the host clock on CPU), launchMs (host time of the call), wallMs (to the sync),
        tailMs (how long the GPU stayed busy after the end event: work left on another stream shows here).

        Both sides are timed alike: the call alone between the events, the synchronization after the end event (a
        sync inside the call would time its wake-up as kernel time, and only for the side that made it)."""
        self.flush_l2()
        self.sync()
        if self.cuda:
            start, end, done = (torch.cuda.Event(enable_timing=True) for _ in range(3))
            if self.cover:
                torch.cuda._sleep(self.cover)
            t0 = time.perf_counter()
            start.record()
            out = fn(*args)
            t1 = time.perf_counter()
            end.record()
            torch.cuda.synchronize()
            t2 = time.perf_counter()
            done.record()
            torch.cuda.synchronize()
            launch_ms = (t1 - t0) * 1e3
            if self.cover and launch_ms > 0.8 * self.cover_ms:
                self.uncovered += 1
                self.cover, self.cover_ms = grown_cover(self.cover, self.cover_ms, launch_ms)
            return out, {"kernelMs": start.elapsed_time(end), "launchMs": launch_ms, "wallMs": (t2 - t0) * 1e3, "tailMs": end.elapsed_time(done)}
        t0 = time.perf_counter()
        out = fn(*args)
        t1 = time.perf_counter()
        return out, {"kernelMs": (t1 - t0) * 1e3, "launchMs": (t1 - t0) * 1e3, "wallMs": (t1 - t0) * 1e3, "tailMs": 0.0}

    def device_info(self):
        if self.cuda:
            p = torch.cuda.get_device_properties(0)
            return {"type": "cuda", "name": p.name, "computeCapability": f"{p.major}.{p.minor}", "memoryBytes": p.total_memory}
        return {"type": "cpu", "name": "cpu", "threads": torch.get_num_threads()}

    def timing_method(self):
        return "cuda-events" if self.cuda else "cpu-wall"


def clone_args(args):
    return [x.clone() if isinstance(x, torch.Tensor) else x for x in args]


def series():
    return {"kernelMs": [], "launchMs": [], "wallMs": [], "tailMs": [], "activities": [], "streams": []}


def add_sample(s, span):
    for key in ("kernelMs", "launchMs", "wallMs", "tailMs"):
        s[key].append(span[key])
    s["activities"].append(0)
    s["streams"].append(0)


# ---------------------------------------------------------------- the reference child

def tensor_bytes(values):
    return sum(x.numel() * x.element_size() for x in values if isinstance(x, torch.Tensor))


def gib(n):
    return f"{n / 2**30:.1f} GiB"


def memory_plan(side, args, outs, working):
    """What a candidate's child will need on the GPU beyond what Model and the flush buffer hold, from the reference's
    first call: ModelNew's parameters (taken as Model's), the previous call's outputs and the first ones (aliasing and
    repeat probes), then the larger of (inputs and their copy for the candidate, the candidate's working set) and
    (inputs, its outputs, the reference's working set), and the comparison's float64 slices. The working sets are
    the reference's measured peak over its inputs (outputs included)."""
    inputs, outputs = tensor_bytes(args), tensor_bytes(outs)
    model = tensor_bytes(list(side.model.parameters()) + list(side.model.buffers()))
    need = model + 2 * outputs + max(2 * inputs + working, inputs + outputs + working) + 8 * 8 * CHUNK["elements"]
    return {"inputBytes": inputs, "outputBytes": outputs, "workingBytes": working, "needBytes": need, "availableBytes": side.headroom}


def too_big(plan, sizes):
    names = ", ".join(f"{k}={v}" for k, v in sizes.items()) or "none"
    return (f"the task does not fit this GPU: a candidate's check needs about {gib(plan['needBytes'])} (inputs {gib(plan['inputBytes'])} twice, "
            f"outputs {gib(plan['outputBytes'])} three times, the reference's working set {gib(plan['workingBytes'])}) and "
            f"{gib(plan['availableBytes'])} is free; scale it down with --size (its integers: {names})")


OUT_OF_MEMORY = tuple(e for e in (getattr(torch.cuda, "OutOfMemoryError", None),) if e is not None)


def run_reference(job):
    side = Side(job)
    try:
        check_reference(side, job)
    except OUT_OF_MEMORY as e:
        first = str(e).splitlines()[0] if str(e) else ""
        raise CandidateError("memory", f"the task's Model ran out of GPU memory on its own ({first}); scale it down with --size "
                                       f"(its integers: {', '.join(f'{k}={v}' for k, v in task_sizes(side.task).items()) or 'none'})")


def check_reference(side, job):
    tol = job["tolerance"]
    byte = job["poisonByte"]
    emit({"kind": "start", "mode": "reference", "device": side.device_info(), "torch": torch.__version__,
          "timing": {"method": side.timing_method()}, "sizes": task_sizes(side.task)})
    described = None
    with torch.no_grad():
        for seed in job["seeds"]:
            args = side.inputs(seed)
            before = {n: digest(x) for n, x in side.tensors(args)}
            if side.cuda:
                torch.cuda.reset_peak_memory_stats()
                held = torch.cuda.memory_allocated()
            outs, span = side.timed_call(side.model, args)
            outs = as_list(outs)
            if described is None:
                plan = memory_plan(side, args, outs, torch.cuda.max_memory_allocated() - held) if side.cuda else None
                described = {
                    "kind": "reference",
                    "inputs": [{"name": n, "dtype": dtype_name(x), "shape": list(x.shape)} if isinstance(x, torch.Tensor)
                               else {"name": n, "value": repr(x)} for n, x in zip(side.names(args), args)],
                    "outputs": [{"name": n, "dtype": dtype_name(o), "shape": list(o.shape)} if isinstance(o, torch.Tensor)
                                else {"name": n, "value": repr(o)} for n, o in zip(side.output_names(len(outs)), outs)],
                    **({"memory": plan} if plan else {}),
                }
                emit(described)
                if plan and plan["needBytes"] > plan["availableBytes"]:
                    raise CandidateError("memory", too_big(plan, task_sizes(side.task)))
            checks = []
            for n, o in zip(side.output_names(len(outs)), outs):
                if not isinstance(o, torch.Tensor):
                    continue
                o_tol = tol.get(dtype_name(o), {"atol": 0, "rtol": 0})
                mean = mean_of(o) if o.dtype in FLOAT_BITS else None
                zeros = compare(n, o, Constant(0), o_tol, byte)
                const = compare(n, o, Constant(mean), o_tol, byte) if mean is not None else None
                same = [{"name": iname, "failures": compare(n, o, x, o_tol, byte)["failures"]}
                        for iname, x in side.tensors(args) if x.shape == o.shape and x.dtype == o.dtype]
                checks.append({"name": n, "elements": o.numel(), "unwritten": 0, "zerosFailures": zeros["failures"],
                               "mean": finite_or_text(mean) if mean is not None else None,
                               "meanFailures": const["failures"] if const else o.numel(), "inputs": same})
            emit({"kind": "baseline-check", "seed": seed, "sizes": {}, "launch": {**span, "activities": 0, "streams": 0},
                  "inputs": [{"name": n, "before": before[n], "after": digest(x)} for n, x in side.tensors(args)],
                  "outputs": checks})
            del args, outs
            release()
        time_baselines(side, job)
    said = side.report(side.model)
    if "autotuneIndex" in said and job.get("pinTo") is not None:
        os.write(job["pinTo"], json.dumps({"index": int(said["autotuneIndex"]), "config": said["autotune"]}).encode())
    emit({"kind": "end"})


def compiled_model(side, job):
    """torch.compile(Model) where this torch has it and it works; else None and why."""
    if not job.get("compile", True):
        return None, "not asked for (--no-compile)"
    if not hasattr(torch, "compile"):
        return None, f"torch {torch.__version__} has no torch.compile (it came with torch 2.0)"
    try:
        model = torch.compile(side.model)
        model(*side.inputs(job["timeSeed"]))
        side.sync()
        return model, None
    except Exception as e:
        return None, f"torch.compile failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def time_baselines(side, job):
    """Eager and compiled Model, interleaved on fresh inputs per round: the baselines of the task's report."""
    compiled, why = compiled_model(side, job)
    eager = series()
    comp = series() if compiled is not None else None
    n = job["baselineIters"]
    for i in range(job["warmup"] + n):
        args = side.inputs(job["timeSeed"] + i)
        sides = [("eager", side.model)] + ([("compiled", compiled)] if compiled is not None else [])
        if i % 2:
            sides.reverse()
        for name, fn in sides:
            out, span = side.timed_call(fn, clone_args(args))
            del out
            if i >= job["warmup"]:
                add_sample(eager if name == "eager" else comp, span)
        del args
    emit({"kind": "baselines", "method": side.timing_method(), "warmup": job["warmup"], "iters": n,
          "l2FlushBytes": job.get("l2FlushBytes", 0) if side.cuda else 0, "eager": eager, **({"coverCycles": side.cover} if side.cover else {}),
          **({"compiled": comp} if comp is not None else {"compiledUnavailable": why})})


# ---------------------------------------------------------------- a candidate's child

class Poisoner:
    """Uninitialized memory may hold anything, so the gate makes it hold the poison: during checks the tensor
    factories that return uninitialized memory return it poisoned, and before every call (checks and timed pairs)
    blocks the size of each expected output are poisoned and freed, so an allocator that hands them out again hands
    out poison (what a stale-memory cheat would otherwise read as the reference's old result)."""

    FACTORIES = POISONED_FACTORIES

    def __init__(self, byte, shapes, device):
        self.byte = byte
        self.shapes = shapes
        self.device = device
        self.originals = {name: getattr(torch, name) for name in self.FACTORIES}

    def fill(self, t):
        if isinstance(t, torch.Tensor) and t.dtype in FLOAT_BITS and t.numel() > 0:
            with torch.no_grad():
                raw_bytes(t).fill_(self.byte) if t.is_contiguous() else t.fill_(float("nan"))
        return t

    def pre_poison(self):
        blocks = [self.fill(self.originals["empty"](shape, dtype=dtype, device=self.device)) for shape, dtype in self.shapes]
        del blocks

    def __enter__(self):
        for name, original in self.originals.items():
            setattr(torch, name, (lambda original: lambda *a, **k: self.fill(original(*a, **k)))(original))
        return self

    def __exit__(self, *exc):
        for name, original in self.originals.items():
            setattr(torch, name, original)


def prepare_builds(side, build_dir):
    """load_inline as fast as the toolchain allows: ninja's jobs on every core, the device's architecture alone, and
    a build folder that outlives the run (the driver's, keyed by the candidate's source), where ninja finds an
    unchanged extension already built."""
    if build_dir:
        os.environ["TORCH_EXTENSIONS_DIR"] = build_dir
    os.environ.setdefault("MAX_JOBS", str(os.cpu_count() or 1))
    if side.cuda and "TORCH_CUDA_ARCH_LIST" not in os.environ:
        major, minor = torch.cuda.get_device_capability(0)
        os.environ["TORCH_CUDA_ARCH_LIST"] = f"{major}.{minor}"


def run_candidate(job, candidate, build_dir=None):
    side = Side(job)
    try:
        check_candidate(side, job, candidate, build_dir)
    except OUT_OF_MEMORY as e:
        # The candidate's own calls report their out-of-memory as theirs (stage forward); this one came from the
        # gate's own steps (inputs, copies, comparisons), so it says nothing about the candidate.
        first = str(e).splitlines()[0] if str(e) else ""
        raise CandidateError("memory", f"the gate itself ran out of GPU memory while checking this candidate ({first}); "
                                       f"the candidate is not judged: scale the task down with --size")


def check_candidate(side, job, candidate, build_dir):
    tol = job["tolerance"]
    byte = job["poisonByte"]
    emit({"kind": "start", "mode": "candidate", "device": side.device_info(), "torch": torch.__version__,
          "timing": {"method": side.timing_method()}})
    prepare_builds(side, build_dir)
    # The gate's own threads: any other still running after a candidate call is the candidate's, working outside it.
    gate_threads = set(threading.enumerate())
    try:
        module = load_module(candidate, "kp_candidate")
    except Exception as e:
        raise CandidateError("load", f"{type(e).__name__}: {e}")
    if not hasattr(module, "ModelNew"):
        raise CandidateError("load", "the candidate file defines no ModelNew")
    try:
        with torch.no_grad():
            seed_all(job["initSeed"])
            model_new = module.ModelNew(*side.init_inputs).to(side.device)
    except Exception as e:
        raise CandidateError("init", f"ModelNew(*get_init_inputs()) raised {type(e).__name__}: {e}")
    emit({"kind": "loaded", "kernel": "ModelNew", "variables": []})

    def call(args, doing):
        """One candidate call, timed as the reference's are (its asynchronous errors surface at timed_call's sync)."""
        try:
            out, span = side.timed_call(model_new, args)
        except Exception as e:
            raise CandidateError("forward", f"{type(e).__name__}: {e}", doing)
        # A tensor subclass brings its own __torch_function__, which would answer the gate's comparisons for it.
        subclassed = next((o for o in as_list(out) if isinstance(o, torch.Tensor) and type(o) is not torch.Tensor), None)
        if subclassed is not None:
            raise CandidateError("output", f"the candidate returned an object of class {type(subclassed).__name__}, a subclass of torch.Tensor: "
                                           f"its methods would answer the gate's own comparisons, so only plain tensors are compared "
                                           f"(return .as_subclass(torch.Tensor) of it)", doing)
        running = [t.name for t in threading.enumerate() if t not in gate_threads and t.is_alive()]
        if running:
            raise CandidateError("threads", f"the candidate left {len(running)} thread(s) of its own running after its call "
                                            f"({', '.join(running[:3])}): work done after a call returns is not measured", doing)
        # After the threads (none of the candidate's left to patch anything later), and again after each comparison
        # (a finalizer of the candidate's can run whenever the gate frees something).
        untampered(doing)
        return as_list(out), span

    # What stays alive between steps is what a probe needs: the previous call's outputs (aliasing), a copy of the
    # first ones (repeat), and during a check the inputs, the candidate's copy of them and both sides' outputs. The
    # reference runs on the drawn inputs themselves (the candidate's copy was made before either call), and every
    # step drops its tensors and hands the allocator's cache back before the next.
    with torch.no_grad():
        ref_shapes = [(tuple(o.shape), o.dtype) for o in as_list(side.model(*side.inputs(job["initSeed"]))) if isinstance(o, torch.Tensor)]
        release()
        poison = Poisoner(byte, ref_shapes, side.device)
        previous = []
        first_outputs = None
        for seed in job["seeds"]:
            args = side.inputs(seed)
            cand_args = clone_args(args)
            names = side.tensors(cand_args)
            before = {n: digest(x) for n, x in names}
            poison.pre_poison()
            with poison:
                outs, cspan = call(cand_args, f"checking seed {seed}")
            after = {n: digest(x) for n, x in names}
            spans = {n: storage_span(x) for n, x in names}
            del cand_args, names
            refs, rspan = side.timed_call(side.model, args)
            refs = as_list(refs)
            del args
            comparisons = []
            for i, (n, r) in enumerate(zip(side.output_names(len(refs)), refs)):
                if isinstance(r, torch.Tensor):
                    comparisons.append(compare(n, r, outs[i] if i < len(outs) else None, tol.get(dtype_name(r), {"atol": 0, "rtol": 0}), byte))
            untampered(f"comparing seed {seed}")
            if len(outs) != len(refs):
                comparisons.append({"name": "outputs", "elements": len(refs), "failures": len(refs), "nonFiniteBaseline": 0, "nonFiniteCandidate": 0,
                                    "maxAbsErr": None, "maxRelErr": None, "mismatch": f"returned {len(outs)} output(s), the reference {len(refs)}"})
            for n, o in zip(side.output_names(len(outs)), outs):
                if isinstance(o, torch.Tensor):
                    spans[n] = storage_span(o)
            for j, o in enumerate(previous):
                spans[f"previous-call:{side.output_names(len(previous))[j]}"] = storage_span(o)
            emit({"kind": "check", "seed": seed, "sizes": {},
                  "candidateLaunch": {**cspan, "activities": 0, "streams": 0}, "baselineLaunch": {**rspan, "activities": 0, "streams": 0},
                  "inputs": [{"name": n, "before": before[n], "after": after[n]} for n in before],
                  "outputs": comparisons,
                  "pointers": {n: hex(s[0]) for n, s in spans.items()},
                  "storageBytes": {n: s[1] for n, s in spans.items()}})
            del refs
            if first_outputs is None:
                first_outputs = [o.clone() if isinstance(o, torch.Tensor) else o for o in outs]
            # Held through the next call: a live tensor cannot be handed out again by any allocator, so an output
            # that shares its storage was kept by the candidate and returned again.
            previous = [o for o in outs if isinstance(o, torch.Tensor)]
            del outs
            release()
            if any(c["failures"] or c.get("unwritten") for c in comparisons) or before != after:
                emit({"kind": "end", "stopped": "check"})
                return
        previous = []
        release()
        seed = job["seeds"][0]
        poison.pre_poison()
        with poison:
            again, _ = call(side.inputs(seed), f"repeating seed {seed}")
        emit({"kind": "repeat", "seed": seed, "outputs": [repeated(n, a, b)
              for n, a, b in zip(side.output_names(len(first_outputs)), first_outputs, again) if isinstance(a, torch.Tensor)]})
        del first_outputs, again
        release()
        if job["pairs"] > 0:
            time_pairs(side, job, model_new, call, poison)
    side.report(model_new)
    side.report(side.model, "reference")
    emit({"kind": "end"})


def repeated(name, a, b):
    count, first = bit_differences(a, b)
    return {"name": name, "differing": count, **({"firstIndex": first} if first is not None else {})}


def time_pairs(side, job, model_new, call, poison):
    """Interleaved pairs (candidate, eager Model; the order alternates) on fresh inputs every pair, every candidate
    call verified against the reference computed for the same inputs; the first problem stops the timing.

    The reference's outputs for the candidate's inputs never exist while the candidate runs: it shares this process
    and could find them (through the stack or the garbage collector) and return a copy. When the reference goes
    first, it is timed on inputs of its own (drawn from seeds no candidate call gets), and the candidate's call is
    verified by a reference call made after it, untimed."""
    tol = job["tolerance"]
    byte = job["poisonByte"]
    base, cand = series(), series()
    verification = None
    warmup, pairs = job["warmup"], job["pairs"]
    inputs_changed = []
    event = {"kind": "timing", "method": side.timing_method(), "sizes": {}, "seed": job["timeSeed"], "warmup": warmup, "sets": 1,
             "l2FlushBytes": job.get("l2FlushBytes", 0) if side.cuda else 0, "l2Flush": "write-then-read" if side.cuda else "none",
             "pairs": 0, "baseline": base, "candidate": cand}
    for i in range(warmup + pairs):
        seed = job["timeSeed"] + i
        spans = {}
        if i % 2 == 1:
            # The reference first, on its own inputs; its outputs are gone before the candidate's inputs are drawn.
            own = side.inputs(job["timeSeed"] + warmup + pairs + i)
            _, spans["baseline"] = side.timed_call(side.model, own)
            del own, _
        args = side.inputs(seed)
        # The candidate gets a copy made before its call, the reference the drawn inputs: two input sets alive, not
        # three; the candidate's copy is checked against its own digests from before its call.
        cand_args = clone_args(args)
        before = [digest(x) for _, x in side.tensors(cand_args)]
        poison.pre_poison()
        outs, spans["candidate"] = call(cand_args, f"timed call {i}")
        if i % 2 == 1:
            refs, _ = side.timed_call(side.model, args)
        else:
            refs, spans["baseline"] = side.timed_call(side.model, args)
        refs = as_list(refs)
        changed = sum(0 if b == digest(x) else 1 for b, (_, x) in zip(before, side.tensors(cand_args)))
        del args, cand_args
        comparisons = [compare(n, r, outs[k] if k < len(outs) else None, tol.get(dtype_name(r), {"atol": 0, "rtol": 0}), byte)
                       for k, (n, r) in enumerate(zip(side.output_names(len(refs)), refs)) if isinstance(r, torch.Tensor)]
        untampered(f"comparing timed call {i}")
        del outs, refs
        if verification is None:
            verification = {"outputs": [{"name": c["name"], "failures": [], "unwritten": []} for c in comparisons], "inputsChanged": []}
        bad = changed > 0 or any(c["failures"] or c.get("unwritten") for c in comparisons)
        if bad:
            event["stoppedAt"] = {"pair": max(0, i - warmup), "warmup": i < warmup, "seed": seed, "inputsChanged": changed, "outputs": comparisons}
            break
        if i >= warmup:
            add_sample(cand, spans["candidate"])
            add_sample(base, spans["baseline"])
            for v, c in zip(verification["outputs"], comparisons):
                v["failures"].append(c["failures"])
                v["unwritten"].append(c.get("unwritten", 0))
            inputs_changed.append(changed)
            event["pairs"] += 1
    verification["inputsChanged"] = inputs_changed
    event["pairs"] = pairs
    event["verifiedLaunches"] = warmup + len(inputs_changed) if "stoppedAt" not in event else None
    if event["verifiedLaunches"] is None:
        del event["verifiedLaunches"]
    event["verification"] = verification
    if side.cover:
        event.update({"coverCycles": side.cover, "uncoveredCalls": side.uncovered})
    emit(event)
    if "stoppedAt" in event:
        emit({"kind": "end", "stopped": "timing"})
        sys.exit(0)


# ---------------------------------------------------------------- the parent

def child(work, label):
    """Runs work() in a forked child with its own stdout moved to stderr; reports how it ended."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _fds["events"] = os.dup(1)
            os.dup2(2, 1)
            work()
        except CandidateError as e:
            emit({"kind": "error", "stage": e.stage, "message": str(e), **({"doing": e.doing} if e.doing else {})})
            code = 1
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0
        except BaseException as e:  # noqa: BLE001 - everything a candidate raises is a report, not a crash
            tail = traceback.format_exc().strip().splitlines()[-3:]
            emit({"kind": "error", "stage": "harness", "message": f"{type(e).__name__}: {e} ({' | '.join(tail)})"})
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


def wait_for(pid, limit_s, label):
    """Waits for a child (killing it past limit_s), reports how it ended, and how long it took from its fork; True
    when it exited cleanly."""
    started = time.monotonic()
    try:
        return ended(pid, started + limit_s, limit_s, label)
    finally:
        emit({"kind": "finished", "seconds": round(time.monotonic() - started, 3)})


def ended(pid, deadline, limit_s, label):
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            # The child shares our process group, so a cancel (the target kills the group) reaches it too.
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            emit({"kind": "error", "stage": "timeout", "message": f"{label} did not finish within {limit_s} s and was killed"})
            return False
        time.sleep(0.02)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        emit({"kind": "error", "stage": "crash", "message": f"{label} was killed by signal {sig} ({signal.Signals(sig).name})"})
        return False
    return os.WEXITSTATUS(status) == 0


# ---------------------------------------------------------------- isolation between children

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
# The reference's Triton cache (its compiled kernels) is copied into each candidate's when it is at most this big.
SEED_BYTES = 64 << 20


def prctl(option, value, why):
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {value}) failed: {why}")


def guard_parent():
    """Orphans of our children (a daemon a candidate forked, in a session of its own) become our children, so
    end_leftovers finds them; and no child (same uid) may ptrace us or open our /proc/<pid>/mem."""
    prctl(PR_SET_CHILD_SUBREAPER, 1, "the gate cannot end what a candidate leaves running")
    prctl(PR_SET_DUMPABLE, 0, "the gate's memory would be open to its children")


def children_of(pid):
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                # pid (comm) state ppid ...: comm may hold anything, ")" included.
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(name))
    return found


def end_leftovers():
    """Kills and reaps what the last child left running, until nothing is left (one may fork before it dies)."""
    me = os.getpid()
    while True:
        left = children_of(me)
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in left:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def tree(folder):
    """Every entry under folder as (relative name, path, lstat), a folder before its contents; links never
    followed; a folder that cannot be listed shows as an entry without contents."""
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            names = sorted(os.listdir(os.path.join(folder, rel)))
        except OSError:
            continue
        for name in names:
            entry = os.path.join(rel, name) if rel else name
            path = os.path.join(folder, entry)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            yield entry, path, st
            if stat.S_ISDIR(st.st_mode):
                stack.append(entry)


def file_sha(path):
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        return f"unreadable: {e.strerror}"
    with os.fdopen(fd, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def listing(folder):
    """What a build folder holds, by relative name ("" the folder itself): kind and mode; a file's mtime (ninja's
    clock), size and content hash; a link's target (never followed). A folder's mtime is left out: it moves with
    its entries, which are named."""
    try:
        top = os.lstat(folder)
    except FileNotFoundError:
        return {"": ("missing",)}
    if not stat.S_ISDIR(top.st_mode):
        return {"": ("not a folder", stat.S_IFMT(top.st_mode))}
    out = {"": ("folder", top.st_mode)}
    for entry, path, st in tree(folder):
        if stat.S_ISREG(st.st_mode):
            out[entry] = ("file", st.st_mode, st.st_mtime_ns, st.st_size, file_sha(path))
        elif stat.S_ISLNK(st.st_mode):
            out[entry] = ("link", os.readlink(path))
        else:
            out[entry] = ("other", st.st_mode)
    return out


def differences(before, now, most=5):
    said = [f"added {n}" for n in sorted(set(now) - set(before))]
    said += [f"removed {n}" for n in sorted(set(before) - set(now))]
    said += [f"changed {n or 'the folder itself'}" for n in sorted(set(before) & set(now)) if before[n] != now[n]]
    return ", ".join(said[:most]) + (f" and {len(said) - most} more" if len(said) > most else "")


def empty_folder(folder):
    """Leaves folder an empty folder of ours: a link or file in its place is removed, every entry under it too
    (folders made unreadable are opened up first). It stays the same folder: in the sandbox it is a mount point."""
    try:
        top = os.lstat(folder)
    except FileNotFoundError:
        top = None
    if top is not None and not stat.S_ISDIR(top.st_mode):
        os.unlink(folder)
        top = None
    if top is None:
        os.mkdir(folder, 0o700)
        return
    folders, stack = [], [folder]
    while stack:
        current = stack.pop()
        os.chmod(current, 0o700)
        folders.append(current)
        for name in os.listdir(current):
            path = os.path.join(current, name)
            if stat.S_ISDIR(os.lstat(path).st_mode):
                stack.append(path)
            else:
                os.unlink(path)
    for current in reversed(folders[1:]):
        os.rmdir(current)


class BuildGuard:
    """The load_inline build folders stay writable for the whole run (ninja finds an unchanged candidate built), so
    after every child those it does not own are compared with how they were; one that changed is emptied (its
    candidate rebuilds from scratch) and named."""

    def __init__(self, builds, names):
        self.owners = {}
        for folder, name in zip(builds, names):
            if folder:
                self.owners.setdefault(folder, []).append(name)
        self.seen = {folder: listing(folder) for folder in self.owners}

    def check(self, own):
        """What changed in folders other than `own` (each emptied); `own` is taken as the child left it."""
        changed = []
        for folder, before in self.seen.items():
            if folder == own:
                continue
            now = listing(folder)
            if now != before:
                changed.append(f"{' and '.join(self.owners[folder])}'s: {differences(before, now)}")
                empty_folder(folder)
                self.seen[folder] = listing(folder)
        if own in self.seen:
            self.seen[own] = listing(own)
        return changed


def snapshot(folder):
    """The regular files under folder as (relative name, bytes); none when they pass SEED_BYTES."""
    files, total = [], 0
    for entry, path, st in tree(folder):
        if stat.S_ISREG(st.st_mode):
            total += st.st_size
            if total > SEED_BYTES:
                return []
            with open(path, "rb") as f:
                files.append((entry, f.read()))
    return files


def remove_quietly(folder):
    try:
        empty_folder(folder)
        os.rmdir(folder)
    except OSError:
        pass  # the driver removes the whole scratch folder after the run


def enter(folder):
    """In the child, before any task or candidate code: its own cwd, home, temporary files and Triton cache."""
    os.environ.update({"HOME": folder, "XDG_CACHE_HOME": os.path.join(folder, ".cache"), "TMPDIR": os.path.join(folder, "tmp"),
                       "TRITON_CACHE_DIR": os.path.join(folder, "triton")})
    tempfile.tempdir = None  # gettempdir() caches what it found first
    os.chdir(folder)
    prctl(PR_SET_DUMPABLE, 1, "a child inherits the parent's 0, which hides its own /proc files from it")


class Children:
    """Runs the reference, then each candidate, one child at a time, each in a work folder of its own, and checks
    what each left behind."""

    def __init__(self, job, limit):
        self.limit = limit
        self.root = job.get("workDir") or os.getcwd()
        names = [os.path.basename(c) for c in job["candidates"]]
        self.builds = job.get("buildDirs") or [None] * len(names)
        self.guard = BuildGuard(self.builds, names)
        self.seed = []

    def fresh(self, name):
        """A work folder under a new name (mkdtemp: never one an earlier child could have made), with the
        reference's Triton cache copied in."""
        folder = tempfile.mkdtemp(prefix=f"{name}-", dir=self.root)
        for sub in ("tmp", "triton"):
            os.mkdir(os.path.join(folder, sub), 0o700)
        for entry, data in self.seed:
            path = os.path.join(folder, "triton", entry)
            os.makedirs(os.path.dirname(path), 0o700, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        return folder

    def run(self, work, label, index=None):
        """True when the child ended cleanly and changed no build folder but its own."""
        folder = self.fresh("reference" if index is None else f"candidate-{index}")

        def inside():
            enter(folder)
            work()

        ok = wait_for(child(inside, label), self.limit, label)
        end_leftovers()
        changed = "; ".join(self.guard.check(None if index is None else self.builds[index]))
        if changed:
            who = "the task's Model changed files of a candidate's build" if index is None else "it changed files of another candidate's build"
            emit({"kind": "error", "stage": "build-tamper", "message": f"{who} ({changed})"})
            ok = False
        if index is None and ok:
            self.seed = snapshot(os.path.join(folder, "triton"))
        remove_quietly(folder)
        return ok


def fresh_seeds(job):
    """A candidate child's own check and time seeds, drawn as it is forked (field.md 17): an earlier child, which
    could leave outputs behind (in /tmp, which they share) for inputs it knew of, never saw these; a task or candidate
    written for known seeds meets unknown ones. Check seeds below 2**30, time seeds above it: the two never meet."""
    seeds = []
    while len(seeds) < len(job["seeds"]):
        seed = 1 + secrets.randbelow((1 << 30) - 1)
        if seed not in seeds:
            seeds.append(seed)
    return {**job, "seeds": seeds, "timeSeed": (1 << 30) + secrets.randbelow(1 << 29)}


def main():
    job = json.loads(sys.stdin.read())
    CHUNK["elements"] = max(1, int(job.get("chunkElements", CHUNK["elements"])))
    guard_parent()
    children = Children(job, job.get("candidateTimeoutS", 600))
    emit({"kind": "harness", "torch": torch.__version__, "python": sys.version.split()[0], "pid": os.getpid()})
    # The reference child tells its autotuner's pick through a pipe no candidate child inherits (both ends are closed
    # before the first candidate forks); a job that brings a pick (a later attempt of an optimize run) keeps it.
    pin_read, pin_write = os.pipe()
    reference_ok = children.run(lambda: run_reference({**job, "pinTo": None if job.get("modelPin") else pin_write}), "the reference (Model)")
    os.close(pin_write)
    picked = os.read(pin_read, 1 << 16)
    os.close(pin_read)
    if picked and not job.get("modelPin"):
        job = {**job, "modelPin": json.loads(picked)}
    # Without the reference's outputs (it failed, or the task does not fit) no candidate can be judged.
    if reference_ok:
        for index, candidate in enumerate(job["candidates"]):
            emit({"kind": "candidate", "index": index, "file": candidate})
            own = job if job.get("sameSeedsEveryChild") else fresh_seeds(job)
            children.run(lambda: run_candidate(own, candidate, children.builds[index]), f"the candidate {os.path.basename(candidate)}", index)
    emit({"kind": "done"})


def _own():
    """This file's functions and its classes' methods, with their code objects, as they are before any task or
    candidate code runs."""
    module = sys.modules[__name__]
    owners = [module] + [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == __name__]
    return [(owner, name, f, f.__code__) for owner in owners for name, f in list(vars(owner).items())
            if inspect.isfunction(f) and f.__module__ == __name__]


OWN = _own()

if __name__ == "__main__":
    main()
