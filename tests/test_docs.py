from pathlib import Path

from hoa.settings import DatabaseSettings, Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_lists_every_setting() -> None:
    names = [f"HOA_{name.upper()}" for name in Settings.model_fields if name != "db"]
    names += [f"HOA_DB__{name.upper()}" for name in DatabaseSettings.model_fields]
    missing = [name for name in names if f"`{name}`" not in README]
    assert not missing, missing


def test_readme_states_the_demo_password_default() -> None:
    default = Settings.model_fields["demo_password"].default.get_secret_value()
    assert f"`{default}`" in README
