"""Every notification kind has a payload model, a subject and both templates, and renders."""

import types
import uuid
from datetime import UTC, datetime
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from hoa.core.settings import Settings
from hoa.email.render import build_message
from hoa.notifications.kinds import PAYLOADS, NotificationKind, Payload

WHEN = datetime(2026, 6, 1, 14, tzinfo=UTC)
SAMPLES: dict[Any, Any] = {
    str: "Sample",
    int: 2,
    bool: True,
    datetime: WHEN,
    uuid.UUID: uuid.UUID(int=1),
}


def sample(annotation: Any) -> Any:
    """A value of the annotation: the first non-None member of a union, one item of a list."""
    if get_origin(annotation) in (Union, types.UnionType):
        return sample(next(a for a in get_args(annotation) if a is not type(None)))
    if get_origin(annotation) is list:
        return [sample(get_args(annotation)[0])]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation(**{n: sample(f.annotation) for n, f in annotation.model_fields.items()})
    return SAMPLES[annotation]


def test_every_kind_has_its_payload() -> None:
    assert set(PAYLOADS) == set(NotificationKind)
    assert all(kind is payload.kind for kind, payload in PAYLOADS.items())


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_each_kind_renders_its_subject_and_both_templates(kind: NotificationKind) -> None:
    model: type[Payload] = PAYLOADS[kind]
    fields = {n: sample(f.annotation) for n, f in model.model_fields.items()}
    if "timezone" in fields:
        fields["timezone"] = "America/New_York"
    if "locale" in fields:
        fields["locale"] = "en-GB"
    payload = model.model_validate(model(**fields).model_dump(mode="json"))  # as stored
    sent_links = {"accept_url": "https://hoa.example/a", "link": "https://hoa.example/b"}
    variables = payload.variables() | sent_links
    message = build_message(
        uuid.uuid4(),
        payload.kind,
        payload.subject,
        variables,
        payload.attachment(uuid.uuid4(), Settings(), "someone@example.com"),
        "someone@example.com",
        "HOA <no-reply@example.com>",
    )
    assert message["Subject"] and "{" not in message["Subject"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert str(text.get_content()).strip() and "<" in str(html.get_content())
