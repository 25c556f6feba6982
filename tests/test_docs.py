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
