"""PyTorch side of `npm run bench:compare` (bench/compare.ts): the same training steps as the
reglab cases, timed in blocks on request.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
  {"cmd": "hello"}                       → versions, threads, BLAS, device
  {"cmd": "setup", "case": {...}}        → builds model, data, optimizer, method ("id" names it)
  {"cmd": "run", "id": ..., "seconds": s, "minSteps": n, "warmup": w}
                                         → {"steps", "seconds"} of a timed block of steps
  {"cmd": "teardown", "id": ...}, {"cmd": "quit"}

A case: {"id", "model": "mlp"|"cnn"|"resnet", "method": "std"|"rr"|"per"|"dr"|"srip"|"circle"|"orthogonal",
"batch", "lr", "momentum", "params": {...}, "device": "cpu"|"cuda"}. One step is what reglab's
Trainer.trainStep does: forward, task loss + λ·term, backward, optimizer step, and reading the
loss and the accuracy back (`.item()`).

Standalone: /usr/bin/python3 bench/pytorch/worker.py --case mlp:std [--seconds 3] [--device cuda]

Run it with Debian's python3 (python3-torch, OpenBLAS): OMP_NUM_THREADS/OPENBLAS_NUM_THREADS and
torch.set_num_threads pin it to `--threads` (default 1) threads.
"""
import argparse
import json
import os
import platform
import re
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import methods  # noqa: E402
from models import build, input_shape  # noqa: E402


class Case:
    def __init__(self, spec):
        self.spec = spec
        self.device = torch.device(spec.get("device", "cpu"))
        gen = torch.Generator().manual_seed(int(spec.get("seed", 1)))
        self.gen = gen
        self.model = build(spec["model"], gen)
        batch = int(spec["batch"])
        self.x = torch.rand(input_shape(spec["model"], batch), generator=gen)
        self.labels = torch.arange(batch) % 10
        self.onehot = F_one_hot(self.labels)
        if self.device.type != "cpu":
            self.model.to(self.device)
            self.x, self.labels, self.onehot = (t.to(self.device) for t in (self.x, self.labels, self.onehot))
        self.method = spec["method"]
        self.params = spec.get("params", {})
        lr, mom = float(spec["lr"]), float(spec["momentum"])
        if self.method in ("circle", "orthogonal"):
            self.opt = methods.Langevin(
                self.model,
                self.method,
                lr,
                mom,
                radius=float(self.params.get("radius", 0.1)),
                tol=float(self.params.get("shakeTol", 1e-6)),
                max_iter=int(self.params.get("shakeMaxIter", 20)),
            )
        else:
            self.opt = torch.optim.SGD(self.model.params(), lr=lr, momentum=mom)

    def term(self, trace):
        p = self.params
        if self.method == "rr":
            return float(p["lambda"]) * methods.racecar(self.model, trace)
        if self.method == "srip":
            return float(p["factor"]) * methods.srip(self.model, self.gen)
        if self.method == "per":
            return float(p["lambda"]) * methods.per(trace, self.gen, int(p.get("slices", 256)))
        if self.method == "dr":
            return float(p["lambda"]) * methods.dr_cosine(trace, self.onehot)
        return None

    def step(self):
        self.opt.zero_grad()
        logits, trace = self.model.forward(self.x)
        loss = methods.task_loss(logits, self.labels)
        extra = self.term(trace)
        total = loss if extra is None else loss + extra
        total.backward()
        self.opt.step()
        return total.item(), methods.accuracy(logits.detach(), self.labels).item()

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def run(self, seconds, min_steps, warmup):
        for _ in range(warmup):
            self.step()
        self.sync()
        start = time.perf_counter()
        steps = 0
        while steps < min_steps or time.perf_counter() - start < seconds:
            self.step()
            steps += 1
        self.sync()
        return {"steps": steps, "seconds": time.perf_counter() - start}


def F_one_hot(labels):
    return torch.nn.functional.one_hot(labels, 10).float()


def blas_library():
    """The BLAS shared library this process loaded (Debian's torch links the generic libblas.so.3,
    which the alternatives system points at OpenBLAS, BLIS or the reference BLAS)."""
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(os.path.realpath(lib) for lib in libs)) or "none found"
    except OSError:
        return "unknown"


def hello(threads):
    info = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "threads": torch.get_num_threads(),
        "requestedThreads": threads,
        "cuda": torch.cuda.is_available(),
    }
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    match = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    info["blas"] = match.group(1) if match else "unknown"
    info["blasLibrary"] = blas_library()
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cudaVersion"] = torch.version.cuda
    return info


def serve(threads):
    cases = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
            cmd = msg["cmd"]
            if cmd == "hello":
                reply = hello(threads)
            elif cmd == "setup":
                case = msg["case"]
                cases[case["id"]] = Case(case)
                reply = {}
            elif cmd == "run":
                reply = cases[msg["id"]].run(float(msg["seconds"]), int(msg.get("minSteps", 3)), int(msg.get("warmup", 0)))
            elif cmd == "teardown":
                cases.pop(msg["id"], None)
                reply = {}
            elif cmd == "quit":
                print(json.dumps({"ok": True}), flush=True)
                return
            else:
                raise ValueError(f"unknown command {cmd}")
            reply["ok"] = True
        except Exception as err:  # reported to the runner, which says which case failed
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--case", help="model:method, e.g. mlp:std; without it, serve the JSON protocol")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.case is None:
        serve(args.threads)
        return
    model, method = args.case.split(":")
    defaults = {"rr": {"lambda": 1e-5}, "srip": {"factor": 0.1}, "per": {"lambda": 1e-4, "slices": 256}, "dr": {"lambda": 1e-2}}
    case = Case({"id": args.case, "model": model, "method": method, "batch": args.batch, "lr": 0.01, "momentum": 0.9,
                 "params": defaults.get(method, {}), "device": args.device})
    result = case.run(args.seconds, 3, 3)
    print(json.dumps({**hello(args.threads), "case": args.case, "samplesPerSec": args.batch * result["steps"] / result["seconds"], **result}))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
