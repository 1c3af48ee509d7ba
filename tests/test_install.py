"""`pip install .` installs the engine, the grader and the app; the console script runs both."""
import shutil
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".git", "artifacts", "__pycache__", "*.egg-info", "build", ".pytest_cache",
                                ".hypothesis")


def installed(tmp_path, name="clone"):
    """A venv in tmp_path/venv with a copy of the project (tmp_path/name) pip-installed in it."""
    source = tmp_path / name
    shutil.copytree(ROOT, source, ignore=IGNORE)
    env_dir = tmp_path / "venv"
    # the system's packages stand in for the dependencies (no download); the project itself is installed
    venv.create(env_dir, system_site_packages=True, with_pip=False)  # the system's pip
    # built in isolation: pip fetches pyproject.toml's build requirements (setuptools, and wheel where that
    # setuptools needs it for bdist_wheel) from the package index, whatever the base interpreter happens to hold
    built = subprocess.run([env_dir / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps", str(source)],
                           capture_output=True, text=True, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    return env_dir


def test_pip_install_gives_an_importable_engine_and_a_backprop_lens_script(tmp_path):
    env_dir = installed(tmp_path)
    python, script = env_dir / "bin" / "python", env_dir / "bin" / "backprop-lens"
    elsewhere = tmp_path / "notebook_dir"
    elsewhere.mkdir()
    where = subprocess.run([python, "-c", "import engine, engine.grade; print(engine.__file__)"], check=True,
                           capture_output=True, text=True, cwd=elsewhere).stdout
    assert str(env_dir) in where  # the installed copy, not the clone
    app = env_dir / "share" / "backprop-lens"
    assert (app / "app.py").is_file() and (app / "pages" / "step.py").is_file()
    assert (app / ".streamlit" / "config.toml").is_file()
    homework = elsewhere / "homework.py"
    homework.write_text("\n\n".join((ROOT / "tests" / "grade" / name).read_text()
                                     for name in ("homework_ok.py", "homework_cnn.py")))
    graded = subprocess.run([script, "grade", str(homework)], capture_output=True, text=True, cwd=elsewhere)
    assert graded.returncode == 0 and "0 failed, 0 missing" in graded.stdout, graded.stderr
    homework.write_text(homework.read_text().replace("current_var -= old_grad", "current_var += old_grad"))
    graded = subprocess.run([script, "grade", str(homework), "--json"], capture_output=True, text=True, cwd=elsewhere)
    assert graded.returncode == 1 and '"ascent"' in graded.stdout
    usage = subprocess.run([script, "--help"], capture_output=True, text=True, check=True).stdout
    assert "backprop-lens grade PATH" in usage
    found = subprocess.run([python, "-c", "from ui.cli import app_dir; print(app_dir())"], capture_output=True,
                           text=True, check=True, cwd=elsewhere).stdout.strip()
    assert found == str(app)
    serve_the_app(script, elsewhere)


def serve_the_app(script, cwd):
    """`backprop-lens` starts the app's server from any directory; it answers its health check."""
    import os
    import signal
    import time

    from tests.e2e.server import free_port, healthy

    port = free_port()
    process = subprocess.Popen([script, "--server.headless", "true", "--server.port", str(port),
                                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                               cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not healthy(port):
            assert process.poll() is None and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.25)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
