"""What a lecture hall costs one app server: its CPU per student joining, per class refresh of an idle student, and
per answer, each measured as the server process's CPU time over a stretch of that alone (bench/class_bench.py
times the whole hall; this says where its CPU goes).

    python bench/class_cpu.py                 # 30 students, 20 s idle, on a throw-away PostgreSQL
    python bench/class_cpu.py --students 60 --idle 30

One `streamlit run app.py` (tests/e2e/server.py) on a throw-away PostgreSQL (tests/classroom/postgres.py), driven
by Streamlit sessions without a browser (bench/st_client.py): a teacher starts a class on Build and its projector's
session opens the teacher link; then, one stretch each, the students join one after another (their refresh held
back), refresh idle every 1.5 s for --idle seconds (a student's class refresh, ui/classroom.watch), and, once the
question is asked and shown, answer one after another with their refresh held back again (Send: a rerun of the
question's fragment). The projector's refresh runs throughout (one session: its cost is in every stretch).
"""
import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.class_bench import cpu_seconds, stored  # noqa: E402
from bench.st_client import Tab, class_started  # noqa: E402
from classroom.store import make_engine  # noqa: E402


class Stretch:
    """The server's CPU seconds and the wall time over a stretch of the run."""

    def __init__(self, pid):
        self.pid, self.cpu, self.wall = pid, cpu_seconds(pid), time.monotonic()

    def report(self, what, n):
        cpu, wall = cpu_seconds(self.pid) - self.cpu, time.monotonic() - self.wall
        return (f"{what:22} {n:>5} in {wall:5.1f} s: server CPU {cpu:6.2f} s, {1000 * cpu / max(n, 1):6.1f} ms each "
                f"({100 * cpu / wall:.0f}% of a core)")


async def hall(url, pid, students, idle):
    teacher, projector, code = await class_started(url)
    first = Tab(url, f"class={code}", polls=False)
    await first.open()  # the first student's run imports what the later ones find ready
    tabs = [Tab(url, f"class={code}", polls=False) for _ in range(students)]
    stretch = Stretch(pid)
    for tab in tabs:
        await tab.open()
    lines = [stretch.report("join", students)]
    for tab in tabs:
        tab.start_polls()
    runs, stretch = sum(t.fragment_runs for t in tabs), Stretch(pid)
    await asyncio.sleep(idle)
    lines.append(stretch.report("idle refresh", sum(t.fragment_runs for t in tabs) - runs))
    _sent, ran = await projector.click("class_ask")
    await projector.until(ran)
    await asyncio.gather(*(t.until(lambda t=t: t.labels.get("predict_submit") == "Send") for t in tabs))
    for tab in tabs:
        tab.stop_polls()
    await asyncio.sleep(2 * 1.5)  # the refreshes under way end
    stretch = Stretch(pid)
    for tab in tabs:
        tab.set_text("predict_answer", "0.5")
        _sent, ran = await tab.click("predict_submit")
        await tab.until(ran)
    lines.append(stretch.report("answer", students))
    for tab in [teacher, projector, first, *tabs]:
        await tab.close()
    return code, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle refreshes")
    args = parser.parse_args()
    from tests.classroom import postgres
    from tests.e2e import server as app_server
    database = postgres.start()
    os.environ["BACKPROP_LENS_DB"] = database.url  # the server inherits it
    server = app_server.start(Path(tempfile.gettempdir()) / "class_cpu_server.log")
    try:
        load = os.getloadavg()
        code, lines = asyncio.run(hall(server.url, server.pid, args.students, args.idle))
        engine = make_engine(database.url)
        counted = len(stored(engine, code))
        engine.dispose()
    finally:
        app_server.stop(server)
        database.stop()
    print(f"one app server, {args.students} students of a class on PostgreSQL; machine: {os.cpu_count()} CPUs, load "
          f"average {' '.join(f'{x:.2f}' for x in load)} before, {' '.join(f'{x:.2f}' for x in os.getloadavg())} after")
    for line in lines:
        print(line)
    print(f"answers counted: {counted} of {args.students}")


if __name__ == "__main__":
    main()
