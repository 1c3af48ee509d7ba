"""Engine vs PyTorch CPU: one full training step, each library timed in its own worker process.

Run from the repository root:  python bench/engine_bench.py [--quick] [--threads N]

Why two processes: torch (libgomp) and NumPy (OpenBLAS pthreads) in one process spin-wait
after their calls and steal the CPU from each other. So the engine runs in one spawned worker,
torch in another, with the same thread count; the parent alternates blocks of K steps
(engine, torch same work, torch no dL/dx, rotating the order each round) and takes medians.
Every block starts from the same weights and zero momentum, so all blocks compute the same thing.
After the MLPs, the small CNN of bench/cnn_step.py on 28x28 images, measured the same way.
"""
import argparse
import gc
import multiprocessing
import os
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path

import cnn_step  # this folder's small CNN and the step both networks share: like this file, they
import training_steps  # import only the standard library at their top

# Only the standard library at the top: spawned workers re-import this file, and each worker
# must set its thread limits before it imports numpy or torch.
ROOT = Path(__file__).resolve().parent.parent
LEARNING_RATE, MOMENTUM, SEED, BATCH = 1e-2, 0.9, 0, 128
CONFIGS = [((2, 100, 2), "float64", 0.4), ((784, 128, 128, 10), "float64", 0.8),
           ((784, 128, 128, 10), "float32", 0.8)]
TRACE_CONFIGS, TRACE_GOAL = [((784, 128, 128, 10), "float64"), ((784, 128, 128, 10), "float32")], 1.25
HOOK_CHECK_CONFIG = ((2, 100, 2), "float64")  # where per-call overhead shows most
LOSS_TOLERANCE = {"float64": 1e-6, "float32": 1e-3}  # relative, on the first CHECK_STEPS losses
CHECK_STEPS = 3  # step 1 checks the network, steps 2-3 the SGD momentum update too
SETTINGS = (LEARNING_RATE, MOMENTUM, SEED, CHECK_STEPS)  # what bench/cnn_step.py's small CNN shares


def limit_threads(threads):
    """Thread env vars for OpenBLAS, OpenMP and MKL; read only when the library is loaded."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)


def run_block(step, reset, k):
    """Reset to the initial weights, then time k steps one by one (seconds), with gc paused."""
    reset()
    gc.collect()
    gc.disable()
    clock, times = time.perf_counter, []
    try:
        for _ in range(k):
            start = clock()
            step()
            times.append(clock() - start)
    finally:
        gc.enable()
    return times


def run_warmup(step, reset, seconds):
    """Run steps for `seconds` (at least 10); return the median step time of the second half."""
    reset()
    times, deadline = [], time.perf_counter() + seconds
    while len(times) < 10 or time.perf_counter() < deadline:
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times[len(times) // 2:])


def serve(conn, facts, setup):
    """Worker loop: ("setup", cfg, payload) / ("warmup", kind, s) / ("block", kind, k) / ("stop",)."""
    conn.send(("ok", facts))
    steps = {}
    while True:
        message = conn.recv()
        if message[0] == "stop":
            return
        try:
            if message[0] == "setup":
                steps.clear()
                result = setup(steps, *message[1:])
            elif message[0] == "warmup":
                result = run_warmup(*steps[message[1]], message[2])
            else:
                result = run_block(*steps[message[1]], message[2])
            conn.send(("ok", result))
        except Exception:
            conn.send(("error", traceback.format_exc()))


def engine_worker(conn, threads):
    """The engine's side: NumPy/OpenBLAS limited to `threads`; kinds "plain" and "trace"."""
    limit_threads(threads)
    sys.path.insert(0, str(ROOT))
    import numpy as np
    facts = {"numpy": np.__version__, "blas": None}
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(threads)  # also covers a BLAS that ignores the env vars
        facts["blas"] = [{key: info.get(key) for key in ("internal_api", "version", "architecture",
                                                          "num_threads", "threading_layer")}
                         for info in threadpoolctl.threadpool_info()]
    except ImportError:
        pass
    import engine
    from engine.trace import trace_iteration
    hooked = (engine.Module.forward, engine.Module.backward)  # the real methods, before any patching

    def setup(steps, sizes, dtype):
        if sizes == "cnn":
            import cnn_step
            return cnn_step.engine_setup(steps, dtype, np, engine, SETTINGS)
        rng = np.random.default_rng(SEED)
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers += [engine.ReLU()] if i else []
            layers.append(engine.Linear(n_in, n_out, dtype=dtype, rng=rng))
        model = engine.Sequential(*layers, engine.LogSoftMax())
        x = rng.standard_normal((BATCH, sizes[0])).astype(dtype)
        y = rng.integers(0, sizes[-1], BATCH)
        crit, opt = engine.NLLCriterion(), engine.SGD(LEARNING_RATE, MOMENTUM)
        step, reset = training_steps.engine_step(model, crit, opt, x, y)

        first, g = model[0], np.ones((BATCH, sizes[1]), dtype)

        def products():  # the first layer's three products: x W, g^T x (= dW^T), g W^T (= dL/dx)
            np.dot(x, first.W), np.dot(g.T, x), np.dot(g, first.W.T)

        def bare_forward(self, input):  # Module.forward without its hook check
            return self.update_output(input)

        def bare_backward(self, input, grad_output):
            self.update_grad_input(input, grad_output)
            self.update_grad_params(input, grad_output)
            return self.grad_input

        def use(methods, then):
            def reset_with():
                engine.Module.forward, engine.Module.backward = methods
                then()
            return reset_with

        steps["plain"] = (step, use(hooked, reset))
        steps["nohookcheck"] = (step, use((bare_forward, bare_backward), reset))
        steps["trace"] = (lambda: trace_iteration(model, crit, opt, x, y), use(hooked, reset))
        steps["products"] = (products, lambda: None)
        weights = [(m.W.copy(), m.b.copy()) for m in model if isinstance(m, engine.Linear)]
        reset()
        losses = [float(step()) for _ in range(CHECK_STEPS)]  # then every block resets
        return {"losses": losses, "x": x, "y": y.astype(np.int64), "weights": weights}

    serve(conn, facts, setup)


def torch_worker(conn, threads):
    """Torch's side: set_num_threads(threads); kinds "same" (x requires grad) and "nodx"."""
    limit_threads(threads)
    try:
        import torch
    except ImportError as error:
        conn.send(("missing", str(error)))
        return
    torch.set_num_threads(threads)
    facts = {"torch": torch.__version__, "threads": torch.get_num_threads(),
             "blas": "MKL" if torch.backends.mkl.is_available() else "not MKL"}
    functional = torch.nn.functional

    def build(kind, payload, dtype):
        layers = []
        for i, (W, b) in enumerate(payload["weights"]):
            layers += [torch.nn.ReLU()] if i else []
            linear = torch.nn.Linear(*W.shape, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch weight = W.T
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
        model = torch.nn.Sequential(*layers, torch.nn.LogSoftmax(dim=1))
        return training_steps.torch_step(torch, model, payload, kind, LEARNING_RATE, MOMENTUM)

    def setup(steps, payload, dtype):
        if payload.get("cnn"):
            import cnn_step
            return cnn_step.torch_setup(steps, payload, dtype, torch, SETTINGS)
        losses = {}
        for kind in ("same", "nodx"):
            step, reset = steps[kind] = build(kind, payload, getattr(torch, dtype))
            reset()
            losses[kind] = [step().item() for _ in range(CHECK_STEPS)]
        x = torch.from_numpy(payload["x"])
        w = torch.from_numpy(payload["weights"][0][0].T.copy())  # (out, in), torch's layout
        g = torch.ones(x.shape[0], w.shape[0], dtype=getattr(torch, dtype))

        def products():  # the same three products as the engine's, in torch's own calls
            functional.linear(x, w), g.T @ x, g @ w

        steps["products"] = (products, lambda: None)
        return losses

    serve(conn, facts, setup)


class Worker:
    """A spawned worker process and its pipe; call() raises RuntimeError on a worker error."""

    def __init__(self, context, target, threads):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=target, args=(child, threads), daemon=True)
        self.process.start()
        self.status, self.facts = self.conn.recv()

    def call(self, *message):
        self.conn.send(message)
        status, result = self.conn.recv()
        if status != "ok":
            raise RuntimeError(result)
        return result

    def close(self):
        if self.process.is_alive() and self.status == "ok":
            self.conn.send(("stop",))
        self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()


def stats(times):
    """(median, p90) in microseconds."""
    return statistics.median(times) * 1e6, statistics.quantiles(times, n=10)[-1] * 1e6


def measure(blocks, args):
    """blocks: {label: (worker, kind)}; warm each up, then alternate rounds of blocks; label -> times."""
    block_seconds = 0.03 if args.quick else 0.075
    sizes = {}
    for label, (worker, kind) in blocks.items():
        median = worker.call("warmup", kind, 0.15 if args.quick else 0.5)
        sizes[label] = max(3, min(5000, round(block_seconds / median)))
    times = {label: [] for label in blocks}
    labels = list(blocks)
    for r in range(args.rounds):
        for label in labels[r % len(labels):] + labels[:r % len(labels)]:
            worker, kind = blocks[label]
            times[label] += worker.call("block", kind, sizes[label])
            time.sleep(args.settle)
    return times, sizes


def loss_check(engine_losses, torch_losses, dtype):
    worst = max(abs(e - t) / max(abs(t), 1e-300) for losses in torch_losses.values()
                for e, t in zip(engine_losses, losses))
    verdict = "OK" if worst <= LOSS_TOLERANCE[dtype] else "MISMATCH: not the same network!"
    return (f"loss check, first {CHECK_STEPS} steps: engine {engine_losses[0]:.10g}, torch "
            f"{torch_losses['same'][0]:.10g}, max relative difference {worst:.1e} "
            f"(tolerance {LOSS_TOLERANCE[dtype]:.0e}) {verdict}")


def print_facts(args, engine, torch):
    print(f"python {platform.python_version()}, {platform.machine()}, os.cpu_count() = {os.cpu_count()}, "
          f"usable CPUs = {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}")
    print(f"numpy {engine.facts['numpy']}; threads per library = {args.threads}; "
          f"rounds = {args.rounds}{' (--quick)' if args.quick else ''}; settle = {args.settle:g} s")
    for info in engine.facts["blas"] or [{"note": "threadpoolctl not installed; used env vars only"}]:
        print("numpy BLAS (threadpoolctl): " + ", ".join(f"{k}={v}" for k, v in info.items()))
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        print(f"{name} = {os.environ.get(name, '(unset)')}")
    if torch.status == "ok":
        facts = torch.facts
        print(f"torch {facts['torch']}, torch.get_num_threads() = {facts['threads']}, BLAS {facts['blas']}")
    else:
        print(f"torch is missing ({torch.facts}): engine timings only")
    print()


def cell(value, width, digits=1):
    return f"{'n/a' if value is None else f'{value:.{digits}f}':>{width}}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds of shorter blocks (smoke run)")
    parser.add_argument("--threads", type=int, default=1, help="threads for each library (default 1)")
    parser.add_argument("--rounds", type=int, default=None, help="alternation rounds (default 15, quick 5)")
    parser.add_argument("--settle", type=float, default=None,
                        help="pause after each block so idle BLAS/OpenMP threads stop spinning "
                             "(default 0 with 1 thread, else 0.2 s)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (5 if args.quick else 15)
    args.settle = args.settle if args.settle is not None else (0.0 if args.threads == 1 else 0.2)
    mu = "µs" if "µ".encode(sys.stdout.encoding or "ascii", "replace") != b"?" else "us"
    limit_threads(args.threads)  # the parent only unpickles arrays; the workers set this again
    context = multiprocessing.get_context("spawn")
    engine = torch = None
    try:
        engine = Worker(context, engine_worker, args.threads)
        torch = Worker(context, torch_worker, args.threads)
        print_facts(args, engine, torch)
        has_torch = torch.status == "ok"
        rows = []
        for sizes, dtype, goal in CONFIGS + cnn_step.CONFIGS:
            name = cnn_step.NAME if sizes == "cnn" else "-".join(map(str, sizes))
            batch = cnn_step.BATCH if sizes == "cnn" else BATCH
            print(f"{name} {dtype} batch {batch}: ", end="", flush=True)
            try:
                payload = engine.call("setup", sizes, dtype)
                blocks = {"engine": (engine, "plain")}
                if has_torch:
                    print(loss_check(payload["losses"], torch.call("setup", payload, dtype), dtype))
                    blocks.update({"same": (torch, "same"), "nodx": (torch, "nodx")})
                else:
                    print(f"engine loss {payload['losses'][0]:.10g} (no torch to compare)")
                times, k = measure(blocks, args)
                if sizes == "cnn":  # where its time goes: each layer alone
                    alone, _ = measure({i: (engine, f"layer.{i}") for i in range(len(payload["layers"]))}, args)
                    times.update((f"layer {i}: {layer}", alone[i]) for i, layer in enumerate(payload["layers"]))
                elif has_torch:
                    matmul, _ = measure({"engine": (engine, "products"), "torch": (torch, "products")}, args)
                    times.update({"engine products": matmul["engine"], "torch products": matmul["torch"]})
                rows.append((name, dtype, batch, goal, {label: stats(t) for label, t in times.items()}, k))
            except Exception as error:
                print(f"FAILED:\n{error}")

        print(f"\nTraining step (zero grads, forward, NLL, backward, SGD momentum), median {mu} per step."
              f"\nThe goal is checked on 'ratio same work' = engine / torch with x.requires_grad_(True),"
              f"\nbecause the engine's backward always computes dL/dx too; 'no dL/dx' is torch without it."
              f"\n{cnn_step.NAME}: {cnn_step.DESCRIPTION}.")
        header = (f"{'network':<16} {'dtype':<8} {'batch':>5} {'engine ' + mu:>11} {'torch ' + mu:>11} "
                  f"{'torch ' + mu:>11} {'ratio':>10} {'ratio':>10} {'goal':>6} {'met?':>5}")
        print(header + f"\n{'':<31} {'':>11} {'same work':>11} {'no dL/dx':>11} {'same work':>10} "
                       f"{'no dL/dx':>10}\n" + "-" * len(header))
        for name, dtype, batch, goal, s, _ in rows:
            e, same, nodx = s["engine"][0], s.get("same", (None,))[0], s.get("nodx", (None,))[0]
            r_same, r_nodx = (e / same, e / nodx) if has_torch else (None, None)
            met = "n/a" if r_same is None else ("yes" if r_same <= goal else "NO")
            print(f"{name:<16} {dtype:<8} {batch:>5} {cell(e, 11)} {cell(same, 11)} {cell(nodx, 11)} "
                  f"{cell(r_same, 10, 3)} {cell(r_nodx, 10, 3)} {goal:>6.2f} {met:>5}")
        print(f"\nSpread: p90 {mu} per step (engine / torch same work / torch no dL/dx); K = steps per block")
        for name, dtype, _, _, s, k in rows:
            p90 = " / ".join(cell(s[label][1], 1) if label in s else "n/a" for label in ("engine", "same", "nodx"))
            ks = " / ".join(str(k[label]) for label in k)
            print(f"{name:<16} {dtype:<8} p90 {p90:<30} K {ks}, {args.rounds} rounds")
        mlps = [row for row in rows if "engine products" in row[4]]
        if mlps:
            print(f"\nWhere the time goes: the first layer's three matrix products alone (x W, g^T x, g W^T),"
                  f"\nNumPy's BLAS against torch's, median {mu} for the three:")
            for name, dtype, _, _, s, _ in mlps:
                e, t = s["engine products"][0], s["torch products"][0]
                print(f"{name:<16} {dtype:<8} engine {cell(e, 9)}   torch {cell(t, 9)}   ratio {cell(e / t, 6, 3)}")
        cnn_step.print_layers([row for row in rows if row[0] == cnn_step.NAME], mu)

        sizes, dtype = HOOK_CHECK_CONFIG
        name = "-".join(map(str, sizes))
        try:
            engine.call("setup", sizes, dtype)
            times, _ = measure({"plain": (engine, "plain"), "bare": (engine, "nohookcheck")}, args)
            plain, bare = stats(times["plain"])[0], stats(times["bare"])[0]
            print(f"\nThe hook check with no hooks registered, {name} {dtype} batch {BATCH}: step {cell(plain, 1)} {mu}"
                  f", the same step with Module.forward/backward stripped of the check {cell(bare, 1)} {mu}"
                  f", ratio {cell(plain / bare, 1, 3)}")
        except Exception as error:
            print(f"hook check {name} {dtype} FAILED:\n{error}")

        print(f"\nengine.trace.trace_iteration vs a plain engine step, batch {BATCH}, "
              f"alternating blocks in the engine worker:")
        header = (f"{'network':<16} {'dtype':<8} {'batch':>5} {'plain ' + mu:>11} {'trace ' + mu:>11} "
                  f"{'ratio':>10} {'goal':>6} {'met?':>5}")
        print(header + "\n" + "-" * len(header))
        for sizes, dtype in TRACE_CONFIGS:
            name = "-".join(map(str, sizes))
            try:
                engine.call("setup", sizes, dtype)
                times, k = measure({"plain": (engine, "plain"), "trace": (engine, "trace")}, args)
                plain, trace = stats(times["plain"])[0], stats(times["trace"])[0]
                met = "yes" if trace / plain <= TRACE_GOAL else "NO"
                print(f"{name:<16} {dtype:<8} {BATCH:>5} {cell(plain, 11)} {cell(trace, 11)} "
                      f"{cell(trace / plain, 10, 3)} {TRACE_GOAL:>6.2f} {met:>5}"
                      f"   (K = {k['plain']} / {k['trace']} steps per block, {args.rounds} rounds)")
            except Exception as error:
                print(f"{name} {dtype} FAILED:\n{error}")
    except Exception:
        traceback.print_exc()
    finally:
        for worker in (engine, torch):
            if worker is not None:
                worker.close()
    return 0  # a benchmark: always exit 0


if __name__ == "__main__":
    sys.exit(main())
