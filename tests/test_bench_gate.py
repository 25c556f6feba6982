"""The cost gate's own decisions (bench/gate.py): what fails, what passes, what is reported,
how callgrind's dumps are read, and that its client requests reach a real valgrind."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bench.gate import (
    Callgrind,
    check,
    compare,
    gate_failed,
    per_request,
    read_dumps,
    write_baseline,
)

BASELINE = {"healthz": 1_000_000.0, "calendar_uncached": 30_000_000.0}


def test_an_endpoint_above_115_percent_of_its_baseline_fails() -> None:
    verdicts = compare(BASELINE, {"healthz": 1_160_000.0, "calendar_uncached": 30_000_000.0})
    [healthz, calendar] = verdicts
    assert healthz.failed and healthz.ratio == pytest.approx(1.16)
    assert not calendar.failed
    assert gate_failed(verdicts)
    assert "FAIL" in healthz.line() and "1,000,000" in healthz.line()


def test_up_to_115_percent_passes_and_below_85_percent_is_reported_without_failing() -> None:
    verdicts = compare(BASELINE, {"healthz": 1_150_000.0, "calendar_uncached": 25_000_000.0})
    assert not gate_failed(verdicts)
    [healthz, calendar] = verdicts
    assert not healthz.cheaper
    assert calendar.cheaper and "much cheaper" in calendar.line()


def test_an_endpoint_missing_from_either_side_fails() -> None:
    assert gate_failed(compare(BASELINE, {"healthz": 1_000_000.0}))  # calendar not measured
    extra = {**BASELINE, "create": 60_000_000.0}
    assert gate_failed(compare(BASELINE, extra))  # create has no baseline


def dump(folder: Path, name: str, trigger: str, summary: int) -> None:
    (folder / name).write_text(
        "version: 1\ncreator: callgrind-3.19.0\npid: 7\ncmd: python\npart: 1\n"
        f"desc: Timerange: Basic block 0 - 99\ndesc: Trigger: {trigger}\n"
        f"events: Ir\nsummary: {summary}\n\nfn=(1) f\n0 {summary}\n\ntotals: {summary * 3}\n"
    )


def test_dumps_are_read_per_endpoint_from_their_summary(tmp_path: Path) -> None:
    dump(tmp_path, "callgrind.out.7.1", "Client Request: healthz", 100)
    dump(tmp_path, "callgrind.out.7.2", "Client Request: healthz", 300)
    dump(tmp_path, "callgrind.out.7.3", "Client Request: create", 5000)
    dump(tmp_path, "callgrind.out.7", "Program termination", 10**9)
    found = read_dumps(tmp_path)
    assert found == {"healthz": [100, 300], "create": [5000]}
    assert per_request(found) == {"healthz": 200.0, "create": 5000.0}


def test_the_check_fails_on_a_dearer_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"baselines": {"here": BASELINE}}))
    dumps = {"healthz": [1_200_000, 1_200_000], "calendar_uncached": [30_000_000]}
    assert not check(baseline, "here", dumps)
    out = capsys.readouterr().out
    assert "FAILED" in out and "1.200" in out
    assert check(baseline, "here", {"healthz": [1_000_000], "calendar_uncached": [31_000_000]})


def test_the_check_fails_without_a_baseline_of_this_interpreter(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    write_baseline(baseline, "there", {"healthz": [900, 1100], "calendar_uncached": [5]})
    write_baseline(baseline, "here", {"healthz": [2000], "calendar_uncached": [9]})
    assert json.loads(baseline.read_text())["baselines"] == {
        "here": {"healthz": 2000, "calendar_uncached": 9},
        "there": {"healthz": 1000, "calendar_uncached": 5},
    }
    assert not check(baseline, "elsewhere", {"healthz": [2000], "calendar_uncached": [9]})


def test_client_requests_do_nothing_outside_valgrind() -> None:
    callgrind = Callgrind()
    assert not callgrind.running
    callgrind.zero()
    callgrind.dump("nothing")


COUNT = """
from bench.gate import Callgrind

def work(n):
    return sum(i * i for i in range(n))

callgrind = Callgrind()
assert callgrind.running
callgrind.start()
for label, n in (("warm", 10_000), ("small", 10_000), ("large", 40_000)):
    callgrind.zero()
    work(n)
    callgrind.dump(label)
"""


def test_valgrind_counts_what_the_client_requests_delimit(tmp_path: Path) -> None:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        if os.environ.get("CI") == "true":
            pytest.fail("valgrind is missing: tools/system-packages.sh installs it")
        pytest.skip("valgrind is missing")
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            valgrind,
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={tmp_path}/callgrind.out.%p",
            sys.executable,
            "-c",
            COUNT,
        ],
        check=True,
        capture_output=True,
        cwd=Path(__file__).parent.parent,
    )
    found = per_request(read_dumps(tmp_path))
    assert set(found) == {"warm", "small", "large"}
    # Four times the loop, about four times the instructions (not the whole program's).
    assert 3.5 < found["large"] / found["small"] < 4.5, found
    assert found["small"] < 15_000_000, found  # startup (imports) is not counted
