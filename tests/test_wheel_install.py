"""A wheel built from the repository installs into a fresh venv and runs the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.skipif(os.environ.get("LVYUE_SKIP_WHEEL_TEST") == "1",
                    reason="LVYUE_SKIP_WHEEL_TEST=1")
def test_wheel_runs_demo_in_fresh_venv(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
         str(wheels), str(ROOT)], cwd=tmp_path)
    wheel = next(wheels.glob("lvyue-*.whl"))
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        cwd=tmp_path)
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LVYUE_")}

    output = run([str(target / "bin" / "lvyue"), "demo"], cwd=workdir, env=env)

    assert "Audit verify: OK" in output
    assert (workdir / "lvyue.db").exists()
