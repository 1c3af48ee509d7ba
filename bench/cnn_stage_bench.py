"""Server-side rerun time of Next at every stage of both CNN presets (AppTest), in milliseconds.

    python bench/cnn_stage_bench.py [--rounds 3]

The small CNN on digits and the CNN on an uploaded 28 x 28 CSV (tests/uploaded.py's digits scaled to
28 x 28, the preset's Conv2d(8 -> 16) on 14 x 14 maps): each stage's median Next over the rounds, then
the median and the worst stage per preset, and the worst stage's ratio to the median stage.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.uploaded import digits_csv  # noqa: E402


def stage_times(preset, rounds):
    """{stage name: [seconds of the Next that reached it]} over `rounds` walks (Reset between, not timed)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    lab = at.session_state.lab
    if preset == "cnn_csv":
        lab.upload("digits28.csv", digits_csv())
    lab.load_preset(preset)
    at.run()
    times = {}
    for _ in range(rounds):
        at.button(key="step_reset").click().run()
        for stage in lab.stages[1:]:
            button = at.button(key="step_next").click()
            start = time.perf_counter()
            button.run()
            assert not at.exception, at.exception
            times.setdefault(str(stage), []).append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for preset in ("cnn_digits", "cnn_csv"):
        per_stage = {name: 1000 * statistics.median(t) for name, t in stage_times(preset, args.rounds).items()}
        for name, ms in per_stage.items():
            print(f"{preset:<11} Next to {name:<12} {ms:8.1f} ms")
        median = statistics.median(per_stage.values())
        worst = max(per_stage, key=per_stage.get)
        print(f"{preset:<11} median stage {median:.1f} ms, slowest {worst} {per_stage[worst]:.1f} ms "
              f"({per_stage[worst] / median:.1f}x the median)\n")


if __name__ == "__main__":
    main()
