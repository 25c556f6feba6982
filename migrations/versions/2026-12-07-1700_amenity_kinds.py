"""amenity kinds

What an amenity is ("Tennis court"), shared by interchangeable amenities so that residents can
ask for the next free time of any of them. Nullable: an amenity without a kind stands alone, and
the previous release, which never sets it, keeps working on this schema.

Existing amenities whose names differ only by a trailing number ("Tennis Court 1" and "Tennis
Court 2" of one community) get the name without it as their kind, so "any court" works at once;
admins can change or clear it.

Revision ID: cf8dfddcf742
Revises: 7a3c9e1d5b20
Create Date: 2026-12-07 17:00:00.000000+00:00
"""

import re
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cf8dfddcf742"
down_revision: str | None = "7a3c9e1d5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NUMBERED = re.compile(r"^(.*\S)\s+#?\d+$")
_amenities = sa.table(
    "amenities",
    # Untyped ids: compared as the database returned them, whatever their storage.
    sa.column("id"),
    sa.column("community_id"),
    sa.column("name"),
    sa.column("kind"),
)


def upgrade() -> None:
    op.add_column("amenities", sa.Column("kind", sa.String(60), nullable=True))
    bind = op.get_bind()
    numbered: dict[tuple[object, str], list[tuple[object, str]]] = defaultdict(list)
    for row in bind.execute(
        sa.select(_amenities.c.id, _amenities.c.community_id, _amenities.c.name)
    ):
        if (match := _NUMBERED.match(row.name)) and len(match[1]) <= 60:
            numbered[(row.community_id, match[1].casefold())].append((row.id, match[1]))
    for members in numbered.values():
        if len(members) > 1:  # a lone "Studio 54" is not a series
            ids = [amenity_id for amenity_id, _ in members]
            bind.execute(
                sa.update(_amenities).where(_amenities.c.id.in_(ids)).values(kind=members[0][1])
            )


def downgrade() -> None:
    op.drop_column("amenities", "kind")
