"""The multiprocess folder of `hoa serve` / `hoa worker`: set up before prometheus-client loads,
and cleaned of what no running process needs."""

import os
import subprocess
import sys
from pathlib import Path

from hoa.cli import _share_metrics_folder


def test_the_command_line_loads_no_metrics_library_before_choosing_the_mode() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, hoa.cli; print('prometheus_client' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"


def _files(folder: Path, pid: int) -> list[Path]:
    names = [f"counter_{pid}.db", f"histogram_{pid}.db", f"gauge_livesum_{pid}.db"]
    for name in names:
        (folder / name).write_bytes(b"\0" * 16)
    return [folder / name for name in names]


def test_cleaning_keeps_a_running_process_and_the_history_it_belongs_to(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = _files(tmp_path, os.getpid())
    gone = _files(tmp_path, dead.pid)
    try:
        _share_metrics_folder(tmp_path)
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path.resolve())
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    assert all(path.exists() for path in alive)
    # The dead process's counters stay while others run (totals must not drop); its live
    # gauge goes.
    assert [path.exists() for path in gone] == [True, True, False]


def test_a_fresh_start_empties_the_folder(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = _files(tmp_path, dead.pid)
    try:
        _share_metrics_folder(tmp_path)
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    assert not any(path.exists() for path in gone)
