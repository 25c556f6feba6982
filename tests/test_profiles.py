"""The settings profiles under ops/env load and pass production's checks once the secrets the
deployment provides are there."""

from pathlib import Path

import pytest

from hoa.core.settings import Env, Settings

PROFILES = sorted((Path(__file__).resolve().parents[1] / "ops" / "env").glob("*.env"))
SECRETS = {
    "secret_key": "a-deployment-secret-of-more-than-32-characters",
    "database_url": "postgresql+asyncpg://hoa@pgbouncer:6432/hoa",
}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda path: path.stem)
def test_profile_loads(profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [line.split("=", 1)[0] for line in profile.read_text().splitlines()]:
        if name.startswith("HOA_"):
            monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=profile, **SECRETS)  # type: ignore[arg-type, call-arg]
    assert settings.env is Env.PRODUCTION
    assert settings.db.pgbouncer and settings.backup.daily_at
    assert settings.server.unready_seconds > 0 and settings.jobs.queue_name != "hoa"
    names = [line.split("=", 1)[0] for line in profile.read_text().splitlines() if "=" in line]
    secret = ("SECRET_KEY", "SIGNING_KEYS", "PASSWORD", "API_KEY", "DATABASE_URL")
    assert not [name for name in names if name.endswith(secret)]  # from the secret store


def test_both_profiles_exist() -> None:
    assert [path.stem for path in PROFILES] == ["production", "staging"]
