"""Schemathesis against the app's own OpenAPI spec, as a resident and as an admin.

Every operation gets generated requests with real ids in its path (so they reach the handlers,
not just 404s) and each response must be no 5xx, a documented status, the documented content
type and headers, and a body matching the documented schema. The test suite runs a short pass
(tests/hardening/test_schemathesis.py); this runs a longer one on a fresh SQLite database with
the demo data and prints the number of cases and failures:

    uv run python -m bench.fuzz_api --max-examples 200
"""

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from schemathesis import checks
from schemathesis.errors import FailureGroup

from hoa.core import migrate
from hoa.core.settings import Env, Settings
from hoa.demo.builder import seed
from hoa.main import create_app

SCHEMA_PATH = "/api/openapi.json"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
# Signing out everywhere would end the fuzzing token for the rest of the run.
SKIPPED = frozenset({"POST /api/v1/auth/logout"})
NO_LIMITS = {"api": "1000000/minute", "auth_per_ip": "1000000/minute"}
NO_LIMITS |= {"auth_per_account": "1000000/minute"}


@dataclass
class Report:
    cases: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)


def fuzz_settings(settings: Settings, log_level: str = "warning") -> Settings:
    """The same app with rate limits out of the way (thousands of requests come from one client)
    and no access log for each of them."""
    return Settings(**{**settings.model_dump(), "rate_limit": NO_LIMITS, "log_level": log_level})


def load_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi(SCHEMA_PATH, app)


def _call(schema: Any, label: str, token: str | None = None, **case: Any) -> Any:
    method, path = label.split(" ", 1)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    response = schema[path][method].Case(headers=headers, **case).call()
    assert response.status_code < 300, (label, response.status_code, response.text)
    return response.json()


def sign_in(schema: Any, email: str, password: str) -> str:
    body = {"email": email, "password": password}
    return str(_call(schema, "POST /api/v1/auth/login", body=body)["access_token"])


def known_ids(schema: Any, admin_token: str, target_email: str) -> dict[str, str]:
    """Path parameter values that exist in the admin's first community. Member and household
    operations aim at ``target_email``, not at the callers, whose access must survive the run."""
    community = _call(schema, "GET /api/v1/me", admin_token)["memberships"][0]["community_id"]
    base = "/api/v1/communities/{community_id}"

    def listed(path: str, **query: str) -> Any:
        return _call(schema, f"GET {base}{path}", admin_token, path_parameters=ids, query=query)

    ids = {"community_id": community}
    [target] = listed("/members", q=target_email)["items"]
    ids |= {"member_id": target["id"], "household_id": target["household_id"]}
    ids["amenity_id"] = listed("/amenities")[0]["id"]
    for name, path in (("reservation_id", "/reservations"), ("blackout_id", "/blackouts")):
        found = listed(path)
        items = found["items"] if isinstance(found, dict) else found
        if items:
            ids[name] = items[0]["id"]
    return {name: str(value) for name, value in ids.items() if value}


def fuzz(
    schema: Any,
    tokens: dict[str, str],
    ids: dict[str, str],
    *,
    max_examples: int,
    derandomize: bool = False,
) -> Report:
    """Every operation as every role; failures are counted, not raised, so a run reports them
    all (no shrinking)."""
    report = Report()
    config = hypothesis.settings(
        max_examples=max_examples,
        derandomize=derandomize,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    for role, token in tokens.items():
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.label not in SKIPPED:
                _fuzz_operation(operation, f"{role} {operation.label}", token, ids, config, report)
    return report


def _fuzz_operation(
    operation: Any,
    name: str,
    token: str,
    ids: dict[str, str],
    config: hypothesis.settings,
    report: Report,
) -> None:
    fixed = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
    strategy = operation.as_strategy(
        path_parameters=fixed, headers={"Authorization": f"Bearer {token}"}
    )

    @config
    @hypothesis.given(strategy)
    def run(case: Any) -> None:
        report.cases += 1
        try:
            response = case.call_and_validate(checks=CHECKS)
        except FailureGroup as failures:
            for failure in failures.exceptions:
                report.failures[f"{name}: {failure.title}"] += 1
        except Exception as exc:
            report.failures[f"{name}: {exc!r}"] += 1
        else:
            report.by_status[response.status_code] += 1

    run()


async def _prepare(settings: Settings) -> None:
    await asyncio.to_thread(migrate.upgrade, settings.database_url)
    await seed(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=200, help="per operation and role")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'fuzz.db'}"
        # Failures are summed up below; the log would repeat each one with its traceback.
        settings = fuzz_settings(Settings(env=Env.TEST, database_url=url), log_level="critical")
        asyncio.run(_prepare(settings))
        schema = load_schema(create_app(settings))
        password = settings.demo_password.get_secret_value()
        tokens = {
            "resident": sign_in(schema, "resident@maple-grove.example", password),
            "admin": sign_in(schema, "admin@maple-grove.example", password),
        }
        ids = known_ids(schema, tokens["admin"], "neighbor@maple-grove.example")
        started = time.perf_counter()
        report = fuzz(schema, tokens, ids, max_examples=args.max_examples)
        elapsed = time.perf_counter() - started

    operations = len(list(schema.get_all_operations())) - len(SKIPPED)
    print(f"operations: {operations} x {len(tokens)} roles, path ids: {sorted(ids)}")
    print(f"cases: {report.cases} in {elapsed:.0f} s")
    print("responses: " + ", ".join(f"{s}: {n}" for s, n in sorted(report.by_status.items())))
    print(f"failures: {sum(report.failures.values())}")
    for failure, count in report.failures.most_common():
        print(f"  {count:5}  {failure}")


if __name__ == "__main__":
    main()
