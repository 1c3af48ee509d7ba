"""The console script: `backprop-lens` runs the app, `backprop-lens grade PATH` grades a framework.

Installed with `pip install .` (or from git): the app's script and pages lie in
<prefix>/share/backprop-lens; from a clone they are the project root. The grader runs here, on
the learner's machine, and never inside the app's server.
"""
import subprocess
import sys
import sysconfig
from pathlib import Path

from i18n import domain, from_environment, use

_, ngettext = domain("ui")


def usage():
    """The script's help, in the shell's language (LANG=ru_RU.UTF-8 gives Russian)."""
    return _("""usage: backprop-lens [streamlit run options]   run the app (e.g. --server.port 8502)
       backprop-lens grade PATH [--json]          grade your framework (.py or .ipynb; --help for more)
       backprop-lens grade PATH --format gradescope|junit   one student's result in a course's format
       backprop-lens grade-class SUBMISSIONS --out OUT      grade a class's submissions, each sealed off""")


def app_dir():
    """The directory holding app.py, pages/ and .streamlit/: the installed copy, else the clone."""
    for root in (Path(sysconfig.get_path("data")) / "share" / "backprop-lens", Path(__file__).resolve().parents[1]):
        if (root / "app.py").is_file() and (root / "pages").is_dir():
            return root
    raise SystemExit(_("backprop-lens: app.py was not found; reinstall with `pip install .`"))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["-h"], ["--help"]):
        with use(from_environment()):
            print(usage())
        return 0
    if argv[:1] == ["grade"]:
        from backprop_lens import main as grade  # backprop-lens's own engine, whatever `engine` is here

        if any(item.split("=", 1)[0] in ("--format", "--rubric") for item in argv):
            from classgrade.single import main as single

            return single(argv, grade)
        return grade(argv, prog="backprop-lens")
    if argv[:1] == ["grade-class"]:
        from classgrade.batch import main as grade_class

        return grade_class(argv[1:])
    with use(from_environment()):
        root = app_dir()
    # Streamlit reads .streamlit/config.toml from the working directory: run from the app's own
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(root / "app.py"), *argv], cwd=root)


if __name__ == "__main__":
    sys.exit(main())
