"""Local folders the app writes to (the SQLite database, the job queue, the email outbox).

A fresh checkout has none of them, so whatever opens one creates its folder first, through
``ensure_folder``; a folder that cannot be created fails with one line naming it.
"""

import os
from pathlib import Path

import sqlalchemy as sa


class FolderError(Exception):
    """A local folder the app needs cannot be created or written."""


def ensure_folder(folder: Path, purpose: str) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FolderError(
            f"cannot create the folder {folder} for {purpose}: {exc.strerror or exc}"
        ) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FolderError(f"the folder {folder} for {purpose} is not writable")
    return folder


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file; other URLs need nothing."""
    if (path := sqlite_file(url)) is not None:
        ensure_folder(path.parent, "the SQLite database")
