# KernelBench's own evaluation (its eval_kernel_against_ref, run in place from the folder given, never copied) on
# the candidates `kernelpilot kernelbench` gated, for bench/gpu-kernelbench.sh; and the side-by-side table.
#   python3 bench/kernelbench-eval.py run EVAL_DIR SOLUTIONS_DIR TASK.py...   one JSON line per candidate
#   python3 bench/kernelbench-eval.py table OURS.json KERNELBENCH.jsonl       verdicts and seconds side by side
# Its generation-only imports (dotenv, openai, litellm, tqdm) get empty stand-ins; pydantic a minimal BaseModel
# where it is not installed (the GPU machine has no network).
import glob
import json
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
                    for key, value in vars(klass).items():
                        if key in getattr(klass, "__annotations__", {}):
                            setattr(self, key, value.copy() if isinstance(value, dict) else value)
                for key, value in fields.items():
                    setattr(self, key, value)

        module.BaseModel = BaseModel
        sys.modules["pydantic"] = module


def solutions(task, folder):
    name = os.path.basename(task)[:-3]
    single = os.path.join(folder, name + ".py")
    return ([single] if os.path.isfile(single) else []) + sorted(glob.glob(os.path.join(folder, name, "*.py")))


def run(eval_dir, folder, tasks):
    sys.path.insert(0, eval_dir)
    stand_ins()
    from kernelbench.eval import eval_kernel_against_ref

    for task in tasks:
        ref = open(task).read()
        for candidate in solutions(task, folder):
            src = open(candidate).read()
            backend = "triton" if "import triton" in src else "cuda"
            started = time.monotonic()
            row = {"task": os.path.basename(task), "candidate": os.path.relpath(candidate, folder), "backend": backend}
            try:
                with tempfile.TemporaryDirectory() as build:
                    result = eval_kernel_against_ref(ref, src, seed_num=42, num_correct_trials=5, num_perf_trials=100,
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
            print(json.dumps(row), flush=True)


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
            verdict = "accepted" if c["verdict"]["accepted"] else "rejected: " + ", ".join(c["verdict"]["failed"])
            speed = f"{c['eager']['speedup']:.3g}x" if c.get("eager") else ""
            key = next((k for k in theirs if k[0] == tname and c["file"].endswith("/" + k[2])), None)
            kb = theirs.get(key, {})
            if "error" in kb:
                kv = "error: " + kb["error"][:60]
            elif kb:
                kv = "correct" if kb.get("correctness") else ("incorrect" if kb.get("compiled") else "compile failed")
            else:
                kv = "(not run)"
            ks = f"{kb['refRuntimeUs'] / kb['runtimeUs']:.3g}x" if kb.get("correctness") and kb.get("runtimeUs", -1) > 0 and kb.get("refRuntimeUs", -1) > 0 else ""
            rows.append((tname, os.path.basename(c["file"]), verdict, str(c.get("seconds", "")), speed, kv, str(kb.get("seconds", "")), ks))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print("KernelPilot s: the candidate's own process (fork to end: load/build, 5 checks, repeat, timed pairs); the task's torch import and reference run once per task. KernelBench s: one eval_kernel_against_ref call (build, 5 trials, 100 timed runs of each side).")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__ or "usage: kernelbench-eval.py run EVAL_DIR SOLUTIONS TASK... | table OURS.json KB.jsonl")
