"""Audit events in words: what happened and what changed, with names instead of ids and times
in the community's zone and locale."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hoa.audit.schemas import HistoryChange
from hoa.rules.wording import Wording

_ACTIONS = {
    "reservation.created": "Booked",
    "reservation.requested": "Requested",
    "reservation.changed": "Changed",
    "reservation.cancelled": "Cancelled",
    "reservation.approved": "Approved",
    "reservation.rejected": "Declined",
}


def summary(action: str) -> str:
    """ "Cancelled" for a booking, "Amenity updated" for anything else."""
    if action in _ACTIONS:
        return _ACTIONS[action]
    return action.replace(".", " ").replace("_", " ").capitalize()


def booking_changes(
    w: Wording, before: dict[str, Any], after: dict[str, Any]
) -> list[HistoryChange]:
    """What an audit event changed on a booking, in words: only what the booking's page shows."""

    def span(snap: dict[str, Any], start: str, end: str) -> str | None:
        if not snap.get(start) or not snap.get(end):
            return None
        return w.span(datetime.fromisoformat(snap[start]), datetime.fromisoformat(snap[end]))

    out = []
    for field, show in (
        ("time", lambda s: span(s, "starts_at", "ends_at")),
        ("party", lambda s: span(s, "party_starts_at", "party_ends_at")),
        ("people", lambda s: None if s.get("headcount") is None else str(s["headcount"])),
        ("status", lambda s: s.get("status")),
        ("reason", lambda s: s.get("cancel_reason") or s.get("decision_reason")),
    ):
        old, new = show(before), show(after)
        if old != new:
            out.append(HistoryChange(field=field, before=old, after=new))
    return out


def changes(
    w: Wording, before: dict[str, Any], after: dict[str, Any], names: Mapping[str, str]
) -> list[HistoryChange]:
    """Every changed field of any other event: an id by the name it has in ``names``, a time
    in the community's zone, a field by its name without the "_id"."""

    def show(key: str, value: Any) -> str | None:
        if value is None:
            return None
        if key.endswith("_id") and isinstance(value, str):
            return names.get(value, value)
        if key.endswith("_at") and isinstance(value, str):
            try:
                return w.when(datetime.fromisoformat(value))
            except ValueError:
                return value
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, dict | list):
            return "…"  # opening hours and the like: the change is named, not spelled out
        return str(value)

    out = []
    for key in dict.fromkeys([*before, *after]):
        if before.get(key) != after.get(key):
            label = key.removesuffix("_id").replace("_", " ")
            old, new = show(key, before.get(key)), show(key, after.get(key))
            out.append(HistoryChange(field=label, before=old, after=new))
    return out
