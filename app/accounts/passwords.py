"""argon2id password hashing and the password policy."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi defaults follow RFC 9106's second recommended option (argon2id, t=3, m=64 MiB,
# p=4). A stored hash made with other parameters is replaced at the next successful login.
_hasher = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 accepts more; a bound keeps one request from costing too much
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_EDGE = string.digits + string.punctuation + string.whitespace


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters (or another argon2 variant)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


# A dummy hash to spend the same time when the account does not exist (no user enumeration).
DUMMY_HASH = _hasher.hash("cotaflux-dummy-password-for-timing")


@cache
def common_passwords() -> frozenset[str]:
    """The refused common passwords, lower case (the file's # lines are comments)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why a new password is refused, in French (empty list: accepted).

    Policy: at least 12 characters; not a common password, even with digits or symbols
    added before or after it; not one short pattern repeated; not containing the part of
    the e-mail address before the @.
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères.")
    lowered = password.lower()
    core = lowered.strip(_EDGE)
    common = common_passwords()
    if lowered in common or (len(core) >= 4 and core in common):
        problems.append(
            "Ce mot de passe fait partie des mots de passe les plus courants : "
            "choisissez-en un autre, par exemple une phrase de plusieurs mots."
        )
    elif len(set(lowered)) <= 2 or (len(lowered) > 1 and lowered in (lowered * 2)[1:-1]):
        # "aaaaaaaaaaaa", "abababababab", "azeazeazeaze": one short pattern repeated.
        problems.append("Le mot de passe ne doit pas être la répétition d'un même motif.")
    local_part = (email or "").split("@", 1)[0].strip().lower()
    if len(local_part) >= 3 and local_part in lowered:
        problems.append("Le mot de passe ne doit pas contenir votre adresse électronique.")
    return problems
