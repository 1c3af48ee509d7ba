"""Server-side rerun time of a Step click: the AppTest run after clicking step_next, in milliseconds.

    python bench/step_bench.py [--rounds 5]

Walks every stage of the recorded iteration with Next (Reset between rounds, not timed) for
the handout's default network and for 64-128-128-10 on digits at batch 128, and prints the
median and worst click per network beside the goal (100 ms and 400 ms).
"""
import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from lab.presets import PRESETS  # noqa: E402

NETWORKS = [  # (name, config or None for the app's default, goal in ms)
    ("default: Linear(2,2)+LogSoftMax, blobs, batch 8", None, 100.0),
    ("64-128-128-10 on digits, batch 128", replace(PRESETS["digits"].config, batch_size=128), 400.0),
]


def click_times(config, rounds):
    """Seconds of each step_next rerun over `rounds` walks through every stage."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    if config is not None:
        at.session_state.lab.apply(config)
        at.run()
    times = []
    for _ in range(rounds):
        at.button(key="step_reset").click().run()
        for _ in range(len(at.session_state.lab.stages) - 1):
            button = at.button(key="step_next").click()
            start = time.perf_counter()
            button.run()
            times.append(time.perf_counter() - start)
            assert not at.exception, at.exception
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'network':<50} {'clicks':>6} {'median ms':>10} {'worst ms':>9} {'goal ms':>8}  met?")
    for name, config, goal in NETWORKS:
        times = [1000 * t for t in click_times(config, args.rounds)]
        median = statistics.median(times)
        print(f"{name:<50} {len(times):>6} {median:>10.1f} {max(times):>9.1f} {goal:>8.0f}  "
              f"{'yes' if median <= goal else 'NO'}")


if __name__ == "__main__":
    main()
