# KernelBench's own evaluation (its eval_kernel_against_ref, run in place from the folder given, never copied) on
# the candidates `kernelpilot kernelbench` gated, for bench/gpu-kernelbench.sh; and the side-by-side table.
#   python3 bench/kernelbench-eval.py run [--jobs N] [--skip DONE.jsonl] EVAL_DIR SOLUTIONS_DIR TASK.py...
#       one JSON line per candidate, each evaluated in a fresh process; --jobs N runs N of them at once (their CPU
#       input generation is most of their time on KernelBench's big tasks; their GPU timings then share the GPU);
#       --skip DONE.jsonl: the candidates it has a result for (a row without "error") are not run again, their rows
#       printed first as they are, so the output is the whole set
#   python3 bench/kernelbench-eval.py table OURS.json KERNELBENCH.jsonl       verdicts and seconds side by side
# Its generation-only imports (dotenv, openai, litellm, tqdm) get empty stand-ins; pydantic a minimal BaseModel
# where it is not installed (the GPU machine has no network).
import argparse
import concurrent.futures
import glob
import json
import multiprocessing
import os
import sys
import tempfile
import time
import types


def stand_in_attribute(attr):
    if attr.startswith("__"):
        raise AttributeError(attr)
    return lambda *a, **k: None


def stand_ins():
    for name in ("dotenv", "openai", "litellm", "tqdm"):
        try:
            __import__(name)
        except ImportError:
            module = types.ModuleType(name)
            # Module dunders (__file__, __path__, …) stay missing: inspect and importlib read them.
            module.__getattr__ = stand_in_attribute
            sys.modules[name] = module
    try:
        import pydantic  # noqa: F401
    except ImportError:
        module = types.ModuleType("pydantic")

        class BaseModel:
            def __init__(self, **fields):
                for klass in reversed(type(self).__mro__):
                    # The class's own annotations, read from its __dict__: getattr(klass, "__annotations__") creates
                    # an empty one on a class without any, which changed the dict iterated here (a RuntimeError that
                    # KernelBench's eval caught and reported as the candidate's runtime error).
                    annotated = vars(klass).get("__annotations__", {})
                    for key, value in list(vars(klass).items()):
                        if key in annotated:
                            setattr(self, key, value.copy() if isinstance(value, dict) else value)
                for key, value in fields.items():
                    setattr(self, key, value)

        module.BaseModel = BaseModel
        sys.modules["pydantic"] = module


def solutions(task, folder):
    name = os.path.basename(task)[:-3]
    single = os.path.join(folder, name + ".py")
    return ([single] if os.path.isfile(single) else []) + sorted(glob.glob(os.path.join(folder, name, "*.py")))


def evaluate(eval_dir, folder, task, candidate, jobs):
    """One eval_kernel_against_ref call, in a worker process of its own; its prints go to stderr, not the rows."""
    os.dup2(2, 1)
    sys.path.insert(0, eval_dir)
    stand_ins()
    import torch
    from kernelbench.eval import eval_kernel_against_ref

    # N evaluations at once share the cores their input generation runs on.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // jobs))
    src = open(candidate).read()
    backend = "triton" if "import triton" in src else "cuda"
    started = time.monotonic()
    row = {"task": os.path.basename(task), "candidate": os.path.relpath(candidate, folder), "backend": backend, "jobs": jobs}
    try:
        with tempfile.TemporaryDirectory() as build:
            result = eval_kernel_against_ref(open(task).read(), src, seed_num=42, num_correct_trials=5, num_perf_trials=100,
                                             measure_performance=True, backend=backend, build_dir=build, device=0)
        if result is None:
            row["error"] = "eval returned None (a lock-file error: retry)"
        else:
            row.update(compiled=result.compiled, correctness=result.correctness, runtimeUs=result.runtime,
                       refRuntimeUs=result.ref_runtime,
                       metadata={k: str(v)[:300] for k, v in result.metadata.items()})
    except Exception as e:  # noqa: BLE001 - a crash of their eval is a row too
        row["error"] = f"{type(e).__name__}: {str(e)[:300]}"
    row["seconds"] = round(time.monotonic() - started, 2)
    return row


def done_in(path):
    """A previous run's rows with a result, by (task, candidate)."""
    done = {}
    for line in (open(path) if path else []):
        if line.startswith("{"):
            row = json.loads(line)
            if "error" not in row:
                done[(row["task"], row["candidate"])] = row
    return done


def run(argv):
    parser = argparse.ArgumentParser(prog="kernelbench-eval.py run")
    parser.add_argument("--jobs", type=int, default=1, help="candidates evaluated at once, each in its own process")
    parser.add_argument("--skip", help="a previous run's jsonl: candidates with a result there are not run again")
    parser.add_argument("eval_dir")
    parser.add_argument("folder")
    parser.add_argument("tasks", nargs="+")
    a = parser.parse_args(argv)
    if a.jobs < 1:
        parser.error(f"--jobs {a.jobs}: give at least 1")
    done = done_in(a.skip)
    work = []
    for task, c in ((task, c) for task in a.tasks for c in solutions(task, a.folder)):
        kept = done.get((os.path.basename(task), os.path.relpath(c, a.folder)))
        if kept:
            print(json.dumps(kept), flush=True)
        else:
            work.append((task, c))
    if a.skip:
        print(f"kept the rows {a.skip} has a result for; {len(work)} candidate(s) to run", file=sys.stderr)
    # A fresh process per candidate (spawned: CUDA does not survive fork), so no evaluation inherits another's GPU
    # memory or CUDA state.
    options = {"max_tasks_per_child": 1} if sys.version_info >= (3, 11) else {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=a.jobs, mp_context=multiprocessing.get_context("spawn"), **options) as pool:
        futures = [pool.submit(evaluate, a.eval_dir, a.folder, task, c, a.jobs) for task, c in work]
        for future in concurrent.futures.as_completed(futures):
            print(json.dumps(future.result()), flush=True)


def table(ours_file, theirs_file):
    ours = json.load(open(ours_file))
    theirs = {}
    for line in (open(theirs_file) if os.path.exists(theirs_file) else []):
        if line.startswith("{"):
            row = json.loads(line)
            theirs[(row["task"], os.path.basename(row["candidate"]), row["candidate"])] = row
    rows = [("task", "candidate", "KernelPilot", "s", "speedup", "KernelBench", "s", "speedup")]
    for task in ours["tasks"]:
        r = task["result"]
        tname = os.path.basename(r["task"])
        if r.get("error") or not r["candidates"]:
            rows.append((tname, "-", f"task error: {r['error'][:80]}" if r.get("error") else "no candidate", "", "", "", "", ""))
        for c in r["candidates"]:
            verdict = "not judged (the gate ran out of memory)" if c.get("notJudged") else (
                "accepted" if c["verdict"]["accepted"] else "rejected: " + ", ".join(c["verdict"]["failed"]))
            speed = f"{c['eager']['speedup']:.3g}x" if c.get("eager") else ""
            key = next((k for k in theirs if k[0] == tname and c["file"].endswith("/" + k[2])), None)
            kb = theirs.get(key, {})
            if "error" in kb:
                kv = "error: " + kb["error"][:60]
            elif kb:
                kv = "correct" if kb.get("correctness") else ("incorrect" if kb.get("compiled") else "compile failed")
                meta = kb.get("metadata", {})
                if "correctness_trials" in meta:
                    kv += f" {meta['correctness_trials'].replace(' ', '')}"
                if "runtime_error" in meta:
                    kv += f"; runtime error: {meta['runtime_error'][:48]}"
            else:
                kv = "(not run)"
            ks = f"{kb['refRuntimeUs'] / kb['runtimeUs']:.3g}x" if kb.get("correctness") and kb.get("runtimeUs", -1) > 0 and kb.get("refRuntimeUs", -1) > 0 else ""
            rows.append((tname, os.path.basename(c["file"]), verdict, str(c.get("seconds", "")), speed, kv, str(kb.get("seconds", "")), ks))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print("KernelPilot s: the candidate's own process (fork to end: load/build, 5 checks, repeat, timed pairs); the task's torch import and reference run once per task. KernelBench s: one eval_kernel_against_ref call (build, 5 trials, 100 timed runs of each side).")
    shared = max([row.get("jobs", 1) for row in theirs.values()] or [1])
    if shared > 1:
        print(f"KernelBench rows were evaluated up to {shared} at a time (--jobs {shared}; each row's 'jobs'): their seconds overlap, and their timings (so their speedups) were measured on a GPU shared with the other evaluations.")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "run":
        run(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__ or "usage: kernelbench-eval.py run EVAL_DIR SOLUTIONS TASK... | table OURS.json KB.jsonl")
