"""A real Prometheus (Debian's) scrapes `hoa serve --workers 2` next to a `hoa worker` after a
short scenario: what it stored is read back through its HTTP API. The Grafana dashboard's
queries name only metrics the running app exports (or the recording rules define)."""

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped]

from hoa.core.settings import Settings
from tests.factories import PASSWORD, World, local
from tests.infra.support import App, free_port, local_env, need, stop, wait_for
from tests.observability.support import parse
from tests.reservations.test_reservations import booking

OPS = Path(__file__).resolve().parents[2] / "ops"
RESERVATIONS = "/api/v1/communities/{community_id}/reservations"
HEALTH_CHECKS = 20
RUM_REPORTS = 3  # the last one over the limit


class Prometheus:
    def __init__(self, folder: Path, target: str) -> None:
        binary = need("prometheus", "prometheus")
        self.url = f"http://127.0.0.1:{free_port()}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [
                str(OPS / "prometheus" / "recording.yml"),
                str(OPS / "prometheus" / "alerts.yml"),
            ],
            "scrape_configs": [
                {"job_name": "hoa", "static_configs": [{"targets": [target]}]},
            ],
        }
        (folder / "prometheus.yml").write_text(json.dumps(config))
        self.log = (folder / "prometheus.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - Debian's prometheus
            [
                binary,
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(f"{self.url}/-/ready", timeout=30)

    def query(self, expr: str) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        assert r.status_code == 200, r.text
        result: list[dict[str, Any]] = r.json()["data"]["result"]
        return result

    def scalar(self, expr: str) -> float:
        result = self.query(expr)
        assert len(result) == 1, (expr, result)
        return float(result[0]["value"][1])

    def wait_until(self, expr: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.query(expr):
                return
            time.sleep(0.5)
        raise AssertionError(f"Prometheus never had {expr}")

    def stop(self) -> None:
        stop(self.process, timeout=10)
        self.log.close()


@pytest.fixture
def running(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`hoa serve --workers 2` and `hoa worker` sharing a metrics folder and a queue file."""
    port = free_port()
    env = local_env(
        settings,
        tmp_path,
        HOA_JOBS__EMBEDDED_WORKER="false",
        HOA_LOG_LEVEL="warning",
        HOA_RATE_LIMIT__RUM=f"{RUM_REPORTS - 1}/minute",
        HOA_BACKUP__DAILY_AT="03:00",
        HOA_BACKUP__DIR=str(tmp_path / "backups"),
    )
    server = App(["serve", "--port", str(port), "--workers", "2"], env, tmp_path / "serve.log")
    worker = App(["worker", "--workers", "1"], env, tmp_path / "worker.log")
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", timeout=90)  # a busy machine starts slowly
        yield f"127.0.0.1:{port}", tmp_path / "outbox"
    finally:
        assert worker.stop() == 0
        assert server.stop() == 0


def _scenario(base: str, world: World, outbox: Path) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(HEALTH_CHECKS):
            assert client.get("/healthz").status_code == 200
        login = client.post(
            "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        path = RESERVATIONS.format(community_id=world.community.id)
        for start, status in ((local(2, 10), 201), (local(2, 12), 201), (local(2, 10), 409)):
            r = client.post(path, json=booking(world, "court", start), headers=headers)
            assert r.status_code == status, r.text
        report = {
            "route": "/c/:communityId/book",
            "lcp_ms": 1800,
            "inp_ms": 120,
            "cls": 0.02,
            "api": [{"route": RESERVATIONS, "ms": 85}],
        }
        statuses = [client.post("/api/v1/rum", json=report).status_code for _ in range(RUM_REPORTS)]
        assert statuses == [204] * (RUM_REPORTS - 1) + [429]
    deadline = time.monotonic() + 30
    while len(list(outbox.glob("*.eml"))) < 2:
        assert time.monotonic() < deadline, "the worker sent no email"
        time.sleep(0.2)


def test_prometheus_stores_what_the_processes_counted(
    running: tuple[str, Path], world: World, tmp_path: Path
) -> None:
    target, outbox = running
    prometheus = Prometheus(tmp_path, target)
    try:
        _scenario(f"http://{target}", world, outbox)
        prometheus.wait_until('hoa_email_deliveries_total{outcome="sent"} >= 2')
        prometheus.wait_until("hoa:http_requests:rate5m")
        _check(prometheus)
        exported = httpx.get(f"http://{target}/metrics", timeout=10).text
        rules = httpx.get(f"{prometheus.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    finally:
        prometheus.stop()
    assert {group["name"] for group in rules} == {"hoa.recording", "hoa.alerts"}
    broken = [r["name"] for g in rules for r in g["rules"] if r.get("health") == "err"]
    assert not broken, broken
    _dashboard_names_only_exported_metrics(exported)


def _check(prometheus: Prometheus) -> None:
    assert prometheus.scalar('up{job="hoa"}') == 1
    count = "hoa_http_request_duration_seconds_count"
    # Every request counted once, whichever of the two processes answered it.
    assert prometheus.scalar(f'sum({count}{{route="/healthz"}})') == HEALTH_CHECKS
    by_status = prometheus.query(f'sum by (status) ({count}{{route="{RESERVATIONS}"}})')
    assert {r["metric"]["status"]: float(r["value"][1]) for r in by_status} == {"2xx": 2, "4xx": 1}
    p50 = prometheus.scalar(
        "histogram_quantile(0.5, sum by (le) "
        f'(hoa_http_request_duration_seconds_bucket{{route="{RESERVATIONS}"}}))'
    )
    assert 0 < p50 < 10
    assert prometheus.scalar('sum(hoa_errors_total{code="reservation.slot_taken"})') == 1
    assert prometheus.scalar('sum(hoa_auth_sign_ins_total{outcome="ok"})') == 1
    assert prometheus.scalar('sum(hoa_reservations_total{action="create"})') == 2
    # The worker process's counts reach the app's /metrics through the shared folder.
    assert prometheus.scalar('sum(hoa_email_deliveries_total{outcome="sent"})') == 2
    assert prometheus.scalar('sum(hoa_job_runs_total{task="deliver", outcome="ok"})') >= 2
    assert prometheus.scalar("sum(hoa_email_delivery_latency_seconds_count)") == 2
    # Both app processes' pools are summed (and the jobs pools of all three processes).
    limits = prometheus.query("sum by (pool) (hoa_db_pool_limit)")
    assert {r["metric"]["pool"] for r in limits} == {"primary", "jobs"}
    assert prometheus.scalar('sum(hoa_rate_limit_refusals_total{limit="rum"})') == 1
    assert prometheus.scalar('sum(hoa_rum_lcp_seconds_count{route="/c/:communityId/book"})') == 2
    assert prometheus.scalar(f'sum(hoa_rum_api_seconds_count{{route="{RESERVATIONS}"}})') == 2
    assert prometheus.scalar("hoa_backup_newest_timestamp_seconds") == 0
    assert prometheus.scalar("hoa_database_up") == 1
    assert prometheus.scalar("hoa_queue_up") == 1


_NAME = re.compile(r"\b((?:[a-z_]+:)?hoa[a-z0-9_:]*)\b")


def _dashboard_names_only_exported_metrics(exported: str) -> None:
    names = {name for name, _ in parse(exported)}
    recorded = {
        rule["record"]
        for group in yaml.safe_load((OPS / "prometheus" / "recording.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    dashboard = json.loads((OPS / "grafana" / "hoa.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in _NAME.findall(target["expr"])
    }
    assert len(queried) >= 25
    missing = sorted(queried - names - recorded)
    assert not missing, f"the dashboard queries metrics the app does not export: {missing}"
