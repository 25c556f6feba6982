"""The one table from constraints to domain errors covers every constraint input can violate."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint

import hoa.main  # noqa: F401 - every domain's errors declare their constraints on import
from hoa.core.database import Base
from hoa.core.errors import errors_by_constraint

# Unique values the server draws at random: a clash is a bug, not something to tell a client.
RANDOM = {
    "uq_communities_join_code",
    "uq_invitations_token_hash",
    "uq_refresh_tokens_token_hash",
    "uq_calendar_feeds_token_hash",
}


def _guarding_constraints() -> set[str]:
    names = set()
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint | ExcludeConstraint):
                names.add(str(constraint.name))
    return names


def test_every_unique_and_exclusion_constraint_has_its_error() -> None:
    table = errors_by_constraint()
    assert set(table) == _guarding_constraints() - RANDOM
    for name, error in table.items():
        columns = error.sqlite_columns
        assert error.code and (columns is None or all("." in c for c in columns.split(", "))), name
