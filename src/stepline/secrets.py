"""Encryption at rest of the secrets stepline keeps (the credentials of connections).

The key is 32 random bytes, from one of two places:

- ``STEPLINE_SECRET_KEY``: the key as base64 text (standard or URL-safe alphabet, ``=``
  padding optional), e.g. the output of
  ``python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"``
  (or :func:`generate_key`). Anything else (not base64, not 32 bytes) is refused with
  :class:`InvalidKey`, never used as a passphrase.
- otherwise the key file ``secret.key`` in the data directory, in the same format, made on
  first start with mode 0600 and never overwritten afterwards (two processes starting at once
  agree on one key: the file appears whole, under its final name, or not at all).

Several engine processes on several machines sharing one PostgreSQL database must share the
key: set the same ``STEPLINE_SECRET_KEY`` everywhere, or copy the key file. Losing the key
loses the secrets (connections then have to be updated with their credentials again).

**Why AES-256-GCM rather than Fernet.** Both are authenticated encryption from the
``cryptography`` package, and either keeps a value secret and tamper-evident. GCM also
authenticates *associated data*: each value is bound to a ``context`` (a connection's ARN),
so a ciphertext copied from one row of the database into another does not decrypt there,
which Fernet cannot express. Nonces are 96 random bits per value; the number of values one
key encrypts here (connection updates) stays far below the 2**32 where random nonces would
start to matter.

A value encrypted is text: ``sl1:<key id>:<base64url(nonce | ciphertext | tag)>``. The key id
(8 bytes of a hash of the key, which tells nothing about the key itself) lets a value
encrypted under another key fail with :class:`WrongKey` naming both keys, rather than as an
unexplained decryption error.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import os
import stat
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["Secrets", "SecretsError", "InvalidKey", "WrongKey", "CorruptValue", "generate_key",
           "ENV_VAR", "KEY_FILE"]

logger = logging.getLogger("stepline.secrets")

ENV_VAR = "STEPLINE_SECRET_KEY"
KEY_FILE = "secret.key"
KEY_BYTES = 32
NONCE_BYTES = 12
_VERSION = "sl1"


class SecretsError(Exception):
    """A secret cannot be encrypted or decrypted."""


class InvalidKey(SecretsError):
    """The secret key is missing, unreadable or malformed."""


class WrongKey(SecretsError):
    """A value was encrypted with another secret key than this one."""


class CorruptValue(SecretsError):
    """An encrypted value is damaged, or does not belong where it was found."""


def generate_key() -> str:
    """A new random key, as the text ``STEPLINE_SECRET_KEY`` and the key file hold."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str, source: str = ENV_VAR) -> bytes:
    """The 32 bytes a key's text stands for; :class:`InvalidKey` (naming ``source``) if the
    text is not base64 of exactly 32 bytes."""
    cleaned = "".join(text.split())
    cleaned = cleaned.replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        raw = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise InvalidKey(f"{source} must be {KEY_BYTES} random bytes in base64 (44 characters, e.g. from "
                         f"stepline.secrets.generate_key()); the value given is not")
    return raw


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"stepline secret key id\0" + key).hexdigest()[:16]


class Secrets:
    """Encrypts and decrypts text with one key. ``key`` is the 32 raw bytes, or their text
    (see the module's doc)."""

    def __init__(self, key: bytes | str) -> None:
        raw = parse_key(key, "the secret key") if isinstance(key, str) else bytes(key)
        if len(raw) != KEY_BYTES:
            raise InvalidKey(f"a secret key must be {KEY_BYTES} bytes, not {len(raw)}")
        self._aead = AESGCM(raw)
        #: identifies the key (not secret): ``Secrets(k1).key_id == Secrets(k2).key_id`` iff k1 == k2
        self.key_id = _key_id(raw)

    def __repr__(self) -> str:
        return f"Secrets(key_id={self.key_id!r})"

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Secrets:
        """The key of this installation: ``STEPLINE_SECRET_KEY`` if set, else the key file in
        ``data_dir``, made (mode 0600) if it does not exist yet."""
        env = os.environ if environ is None else environ
        text = env.get(ENV_VAR)
        if text is not None:
            return cls(parse_key(text, ENV_VAR))
        return cls(_read_or_create(os.path.join(os.fspath(data_dir), KEY_FILE)))

    def encrypt(self, plaintext: str, context: str = "") -> str:
        """``plaintext`` encrypted, bound to ``context`` (which decrypting must name again)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{_VERSION}:{self.key_id}:{body}"

    def decrypt(self, token: str, context: str = "") -> str:
        """The text :meth:`encrypt` was given. :class:`WrongKey` if another key encrypted it;
        :class:`CorruptValue` if it was altered or belongs to another ``context``."""
        parts = token.split(":", 2) if isinstance(token, str) else []
        version, key_id, body = parts if len(parts) == 3 else ("", "", "")
        if version != _VERSION or not key_id or not body:
            raise CorruptValue("not a value encrypted by stepline")
        if key_id != self.key_id:
            raise WrongKey(f"this value was encrypted with another secret key (key id {key_id}); the key in use "
                           f"now has key id {self.key_id}. Use the key it was encrypted with "
                           f"({ENV_VAR} or the key file), or set the secret again")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            opened = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8"))
        except (InvalidTag, binascii.Error, ValueError):
            raise CorruptValue("an encrypted value failed its integrity check: it was altered, or "
                               "belongs to another record") from None
        return opened.decode("utf-8")


def _read_or_create(path: str) -> bytes:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        _create(path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    except OSError as e:
        raise InvalidKey(f"cannot create the secret key file {path}: {e.strerror or e}") from None
    try:
        return _read(path)
    except FileNotFoundError:
        raise InvalidKey(f"the secret key file {path} disappeared while it was being made") from None


def _read(path: str) -> bytes:
    try:
        with open(path, encoding="ascii") as f:
            text = f.read()
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise InvalidKey(f"cannot read the secret key file {path}: {reason}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("the secret key file %s can be read by other users (mode %o); chmod 600 it",
                       path, stat.S_IMODE(mode))
    return parse_key(text, f"the secret key file {path}")


def _create(path: str) -> None:
    """Write a new key under ``path`` without ever replacing an existing file: the key goes
    to a private temporary file first, which is then hard-linked to its name (``link`` fails
    if the name is taken, where ``rename`` would overwrite)."""
    temporary = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    _write_new(temporary, generate_key())
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # a file system without hard links: create the name exclusively and write it in place
        # (a process starting at that very moment could read it half-written, and say so)
        _write_new(path, generate_key())
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    with contextlib.suppress(OSError):  # make the new name durable too (POSIX only)
        dir_fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _write_new(path: str, key: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (key + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
