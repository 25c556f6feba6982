"""Passwords: argon2id hashing, and the policy for new passwords after NIST SP 800-63B (long
enough, not known from breaches, not built from the account's own name or email; no composition
rules)."""

import re
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from zxcvbn import zxcvbn  # type: ignore[import-untyped]
from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

from hoa.core.errors import AppError
from hoa.core.settings import Settings

MAX_LENGTH = 256
# zxcvbn refuses longer input; a password this long is past guessing anyway.
_ESTIMATE_MAX_LENGTH = 72
# zxcvbn's "safely unguessable" level: about 10^8 guesses or more.
_MIN_SCORE = 3
_MIN_PART = 4

_hasher = PasswordHash((Argon2Hasher(),))
# Verifying against this when the email is unknown keeps sign-in timing the same for both cases.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


class WeakPassword(AppError):
    code, status_code, message = "auth.weak_password", 422, "Choose a stronger password."


@cache
def _breached() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from public breach corpora.
    return frozenset(FREQUENCY_LISTS["passwords"])


def _personal_parts(email: str, name: str) -> set[str]:
    local = email.partition("@")[0].lower()
    parts = {local, *re.split(r"[\W_]+", f"{local} {name.lower()}")}
    return {part for part in parts if len(part) >= _MIN_PART}


def check_new_password(settings: Settings, password: str, *, email: str, name: str) -> None:
    """Raise WeakPassword with the reason (``too_short``, ``too_long``, ``personal``,
    ``breached`` or ``guessable``) in ``details``."""
    min_length = settings.auth.password_min_length
    lowered = password.lower()
    if len(password) < min_length:
        reason, message = "too_short", f"Use at least {min_length} characters."
    elif len(password) > MAX_LENGTH:
        reason, message = "too_long", f"Use at most {MAX_LENGTH} characters."
    elif any(part in lowered for part in _personal_parts(email, name)):
        reason, message = "personal", "Do not use your name or email address in the password."
    elif lowered in _breached():
        reason, message = "breached", "This password is known from data breaches; pick another."
    elif (
        len(password) <= _ESTIMATE_MAX_LENGTH
        and zxcvbn(password, user_inputs=[email, name])["score"] < _MIN_SCORE
    ):
        reason, message = (
            "guessable",
            "This password is easy to guess (common words, names, repeats or sequences); "
            "a few unrelated words make a strong one.",
        )
    else:
        return
    raise WeakPassword(message, details={"reason": reason, "min_length": min_length})
