"""What the metrics cost: req/s of /healthz and the month calendar from two identical
`hoa serve` processes, one with HOA_METRICS__ENABLED=true and one with false, measured in
alternation in the same run. Prints numbers; asserts nothing.

Needs ``python -m bench.seed`` first (it writes bench/.state.json).
"""

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from rich.table import Table

from bench.run import (
    HERE,
    STATE_FILE,
    Result,
    Server,
    Target,
    console,
    hoa_command,
    hoa_env,
    login,
    month_range,
    run_wrk,
    start,
    stop,
    wait_healthy,
)
from bench.seed import DEFAULT_URL


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="on/off alternations")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=8124, help="metrics on; off is port + 1")
    args = parser.parse_args()
    args.queue = "embedded"  # no Redis or worker needed: reads only
    return args


def serve(args: argparse.Namespace, port: int, metrics: bool, folder: Path) -> Server:
    """``hoa serve`` with the read cache on, as deployed."""
    env = hoa_env(args, cache=True) | {
        "HOA_METRICS__ENABLED": str(metrics).lower(),
        "HOA_METRICS__DIR": str(folder / f"metrics-{port}"),
        "HOA_JOBS__QUEUE_PATH": str(folder / f"jobs-{port}.db"),
        "HOA_LOG_LEVEL": "warning",
    }
    log = HERE / f".server-{port}.log"
    command = [hoa_command(), "serve", "--port", str(port), "--workers", str(args.workers)]
    return Server(
        f"metrics {'on' if metrics else 'off'}",
        start(command, env, log),
        f"http://127.0.0.1:{port}",
        log,
    )


def main() -> None:
    args = parse_args()
    state = json.loads(STATE_FILE.read_text())
    start_at, end_at = month_range(ZoneInfo(state["timezone"]))
    month = urlencode({"start": start_at.isoformat(), "end": end_at.isoformat()})
    calendar = f"/api/v1/communities/{state['community_id']}/calendar?{month}"
    ports = {"on": args.port, "off": args.port + 1}
    results: dict[tuple[str, str], list[Result]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        servers = {mode: serve(args, port, mode == "on", Path(tmp)) for mode, port in ports.items()}
        try:
            for server in servers.values():
                wait_healthy(server, "/healthz")
            token = login(servers["on"].base, state["reader_email"], state["password"])
            targets = {
                (name, mode): Target(name, "GET", path, token, server)
                for name, path in (("/healthz", "/healthz"), ("calendar", calendar))
                for mode, server in servers.items()
            }
            console.print(
                f"load average {os.getloadavg()[0]:.2f}; {args.rounds} rounds × {args.duration} s, "
                f"{args.connections} connections, {args.workers} workers per server"
            )
            for target in targets.values():
                run_wrk(args, target, args.warmup, Path(tmp))
            for number in range(args.rounds):
                console.print(f"round {number + 1}/{args.rounds} ...")
                for name in ("/healthz", "calendar"):
                    # Alternate which goes first, so a drift in background load hits both.
                    order = ["on", "off"] if number % 2 == 0 else ["off", "on"]
                    for mode in order:
                        result = run_wrk(args, targets[(name, mode)], args.duration, Path(tmp))
                        results.setdefault((name, mode), []).append(result)
        finally:
            for server in servers.values():
                stop(server.process)
    table = Table(title="metrics on vs off: medians over rounds")
    for column in (
        "endpoint",
        "req/s on",
        "req/s off",
        "on / off",
        "p99 ms on",
        "p99 ms off",
        "errors",
    ):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    median = statistics.median
    for name in ("/healthz", "calendar"):
        on, off = results[(name, "on")], results[(name, "off")]
        table.add_row(
            name,
            f"{median(r.rps for r in on):,.0f}",
            f"{median(r.rps for r in off):,.0f}",
            f"{median(a.rps / b.rps for a, b in zip(on, off, strict=True)):.1%}",
            f"{median(r.p99_ms for r in on):.1f}",
            f"{median(r.p99_ms for r in off):.1f}",
            str(sum(r.errors for r in on + off)),
        )
    console.print(table)


if __name__ == "__main__":
    main()
