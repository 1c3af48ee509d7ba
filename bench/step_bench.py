"""Server-side rerun time of a Step click: the AppTest run after clicking step_next, in milliseconds.

    python bench/step_bench.py [--rounds 5]
    python bench/step_bench.py --languages [--rounds 3]   # the translation layer's cost, in English and Russian

Walks every stage of the recorded iteration with Next (Reset between rounds, not timed) for
the handout's default network, for 64-128-128-10 on digits at batch 128 and for the small CNN
preset on digits (Conv2d 1->4 k3, ReLU, MaxPool2d 2, Flatten, Linear 64->10, batch 32), and prints
the median and worst click per network beside the goal (100 ms, 400 ms and 150 ms). Then the same walks with
Predict first on: each Next draws a stage's question over its inputs, and Skip reveals it (a New
iteration between rounds, not timed, so that every round asks afresh); both clicks against the goal.

With --languages: the same walks with Predict first on, in English and in Russian (?lang=), each Next's server
time beside the translation layer's share of it: the strings it translated (counted) times the cost of one
translation (timed alone, in the same language), against the goal of 5 %.
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
    ("small CNN on digits (cnn_digits preset), batch 32", PRESETS["cnn_digits"].config, 150.0),
]


def timed(at, button):
    """Seconds of the rerun a click on `button` starts."""
    button = at.button(key=button).click()
    start = time.perf_counter()
    button.run()
    assert not at.exception, at.exception
    return time.perf_counter() - start


def click_times(config, rounds, predict=False):
    """{click: seconds of each of its reruns} over `rounds` walks through every stage."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    if config is not None:
        at.session_state.lab.apply(config)
        at.run()
    if predict:
        at.toggle(key="step_predict").set_value(True).run()
    times = {"Next": [], "Skip": []} if predict else {"Next": []}
    for _ in range(rounds):
        at.button(key="step_new_iteration" if predict else "step_reset").click().run()
        for n in range(len(at.session_state.lab.stages)):
            if n:
                times["Next"].append(timed(at, "step_next"))
            if predict and at.button(key="predict_skip"):
                times["Skip"].append(timed(at, "predict_skip"))
    return times


def language_walk(config, rounds, language):
    """(each Next's seconds, how many strings each translated) over `rounds` walks with Predict first on."""
    import i18n.catalog as catalog

    calls, real = [0], catalog.translations

    def counted(name, lang):
        calls[0] += 1
        return real(name, lang)
    catalog.translations = counted  # every _() and ngettext() asks it for its catalogue once
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["lang"] = language
        at.run()
        if config is not None:
            at.session_state.lab.apply(config)
            at.run()
        at.toggle(key="step_predict").set_value(True).run()
        times, counts = [], []
        for _ in range(rounds):
            at.button(key="step_new_iteration").click().run()
            for n in range(1, len(at.session_state.lab.stages)):
                calls[0] = 0
                times.append(timed(at, "step_next"))
                counts.append(calls[0])
    finally:
        catalog.translations = real
    return times, counts


def one_translation(language, number=200_000):
    """Seconds of one _() of a sentence with its .format(), in language (the catalogues already loaded)."""
    import timeit

    from i18n import domain, use

    _, ngettext = domain("pages")
    sentence = "Your network: {layers} · {criterion} · {optimizer} · {dataset}, batch {batch}"
    with use(language):
        _(sentence)
        plain = timeit.timeit(lambda: sentence.format(layers=1, criterion=2, optimizer=3, dataset=4, batch=5),
                              number=number)
        translated = timeit.timeit(lambda: _(sentence).format(layers=1, criterion=2, optimizer=3, dataset=4,
                                                               batch=5), number=number)
    return max(0.0, translated - plain) / number


def languages(rounds):
    print(f"{'network':<50} {'lang':<4} {'nexts':>5} {'median ms':>9} {'strings/Next':>12} {'us/string':>9} "
          f"{'layer share':>11}  goal <= 5 %")
    for name, config, _goal in NETWORKS:
        for language in ("en", "ru"):
            times, counts = language_walk(config, rounds, language)
            median, strings, each = statistics.median(times), statistics.median(counts), one_translation(language)
            share = strings * each / median
            print(f"{name:<50} {language:<4} {len(times):>5} {1000 * median:>9.1f} {strings:>12.0f} "
                  f"{1e6 * each:>9.2f} {100 * share:>10.2f}%  {'met' if share <= 0.05 else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--languages", action="store_true", help="the translation layer's cost in en and ru")
    args = parser.parse_args()
    if args.languages:
        return languages(args.rounds)
    print(f"{'network':<50} {'click':<22} {'clicks':>6} {'median ms':>10} {'worst ms':>9} {'goal ms':>8}  met?")
    for predict in (False, True):
        for name, config, goal in NETWORKS:
            for click, times in click_times(config, args.rounds, predict).items():
                times = [1000 * t for t in times]
                median = statistics.median(times)
                what = f"{click} (Predict first)" if predict else click
                print(f"{name:<50} {what:<22} {len(times):>6} {median:>10.1f} {max(times):>9.1f} {goal:>8.0f}  "
                      f"{'yes' if median <= goal else 'NO'}")

if __name__ == "__main__":
    main()
