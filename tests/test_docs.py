import re
from pathlib import Path

from pydantic import BaseModel

from hoa.core.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_lists_every_setting() -> None:
    names = []
    for name, field in Settings.model_fields.items():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            names += [f"HOA_{name.upper()}__{sub.upper()}" for sub in group.model_fields]
        else:
            names.append(f"HOA_{name.upper()}")
    missing = [name for name in names if f"`{name}`" not in README]
    assert not missing, missing


def test_readme_states_the_demo_password_default() -> None:
    default = Settings.model_fields["demo_password"].default.get_secret_value()
    assert f"`{default}`" in README


OPERATIONS = (Path(__file__).parents[1] / "docs" / "operations.md").read_text()
OPS = Path(__file__).parents[1] / "ops"


def test_every_alert_has_its_runbook_section() -> None:
    import yaml  # type: ignore[import-untyped]

    alerts = yaml.safe_load((OPS / "prometheus" / "alerts.yml").read_text())
    rules = [rule for group in alerts["groups"] for rule in group["rules"]]
    assert len(rules) >= 12
    headings = {
        line.lstrip("#").strip().lower() for line in OPERATIONS.splitlines() if line.startswith("#")
    }
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        anchor = rule["annotations"]["runbook_url"].removeprefix("docs/operations.md#")
        assert anchor == rule["alert"].lower() and anchor in headings, rule["alert"]


def test_every_metric_is_documented() -> None:
    from prometheus_client import REGISTRY

    import hoa.main

    names = {metric.name for metric in REGISTRY.collect() if metric.name.startswith("hoa_")}
    names |= set(re.findall(r'values\["(hoa_[a-z_]+)"\]', Path(hoa.main.__file__).read_text()))
    assert len(names) >= 30
    missing = sorted(name for name in names if f"`{name}" not in OPERATIONS)
    assert not missing, missing


def test_readme_states_the_database_default() -> None:
    default = Settings.model_fields["database_url"].default
    assert default == "sqlite+aiosqlite:///var/hoa.db"
    assert f"| `HOA_DATABASE_URL` | `{default}` |" in README
