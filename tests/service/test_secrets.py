"""Encryption at rest of secrets: the key's sources, the key file, and values that fail
clearly under another key or in another place."""

from __future__ import annotations

import base64
import logging
import os
import stat
import threading
from pathlib import Path

import pytest

import stepline.secrets as secrets_module
from stepline.secrets import (
    ENV_VAR,
    KEY_FILE,
    CorruptValue,
    InvalidKey,
    Secrets,
    WrongKey,
    generate_key,
    parse_key,
)


def test_a_value_round_trips_and_its_text_shows_nothing_of_it() -> None:
    secrets = Secrets(generate_key())
    token = secrets.encrypt("hunter2-plaintext", "arn:a")
    assert "hunter2" not in token
    assert token.startswith(f"sl1:{secrets.key_id}:")
    assert secrets.decrypt(token, "arn:a") == "hunter2-plaintext"
    assert secrets.encrypt("hunter2-plaintext", "arn:a") != token  # a fresh nonce each time


def test_unicode_and_empty_values_round_trip() -> None:
    secrets = Secrets(generate_key())
    for text in ("", "pâss wörd ✓", "x" * 10_000):
        assert secrets.decrypt(secrets.encrypt(text)) == text


def test_a_value_encrypted_with_another_key_fails_clearly() -> None:
    one, other = Secrets(generate_key()), Secrets(generate_key())
    token = one.encrypt("distinctive-plaintext", "ctx")
    with pytest.raises(WrongKey) as e:
        other.decrypt(token, "ctx")
    message = str(e.value)
    assert one.key_id in message and other.key_id in message and ENV_VAR in message
    assert "distinctive" not in message


def test_a_value_moved_to_another_context_or_altered_fails() -> None:
    secrets = Secrets(generate_key())
    token = secrets.encrypt("secret", "arn:connection/a")
    with pytest.raises(CorruptValue, match="integrity"):
        secrets.decrypt(token, "arn:connection/b")
    head, body = token.rsplit(":", 1)
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(CorruptValue):
        secrets.decrypt(f"{head}:{flipped}", "arn:connection/a")
    for garbage in ("", "plain text", "sl1::", f"sl0:{secrets.key_id}:abc", f"sl1:{secrets.key_id}:!!!"):
        with pytest.raises(CorruptValue):
            secrets.decrypt(garbage, "arn:connection/a")


def test_the_same_key_in_another_process_decrypts() -> None:
    key = generate_key()
    token = Secrets(key).encrypt("secret")
    assert Secrets(key).decrypt(token) == "secret"
    assert Secrets(base64.urlsafe_b64decode(key)).decrypt(token) == "secret"  # raw bytes work too
    assert Secrets(key).key_id == Secrets(base64.urlsafe_b64decode(key)).key_id


@pytest.mark.parametrize("spelling", [
    lambda raw: base64.urlsafe_b64encode(raw).decode(),
    lambda raw: base64.b64encode(raw).decode(),
    lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("="),
    lambda raw: "  " + base64.b64encode(raw).decode() + "\n",
])
def test_the_key_may_be_written_in_either_base64_alphabet(spelling) -> None:
    raw = bytes(range(32))
    assert parse_key(spelling(raw)) == raw


@pytest.mark.parametrize("text", ["", "not base64 at all!", base64.b64encode(b"x" * 16).decode(),
                                  base64.b64encode(b"x" * 33).decode(), "a" * 44 + "$"])
def test_a_malformed_environment_key_is_refused_clearly(tmp_path: Path, text: str) -> None:
    with pytest.raises(InvalidKey) as e:
        Secrets.open(tmp_path, environ={ENV_VAR: text})
    assert ENV_VAR in str(e.value) and "32" in str(e.value)
    assert not (tmp_path / KEY_FILE).exists()


def test_a_raw_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(InvalidKey):
        Secrets(b"short")


def test_the_environment_key_wins_and_no_key_file_is_made(tmp_path: Path) -> None:
    key = generate_key()
    secrets = Secrets.open(tmp_path, environ={ENV_VAR: key})
    assert secrets.key_id == Secrets(key).key_id
    assert not (tmp_path / KEY_FILE).exists()


def test_without_the_variable_a_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "there" / "yet"
    old_umask = os.umask(0)  # the most permissive umask: the file must still be private
    try:
        first = Secrets.open(data_dir, environ={})
    finally:
        os.umask(old_umask)
    path = data_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert Secrets(text).key_id == first.key_id
    before = path.stat()

    again = Secrets.open(data_dir, environ={})
    assert again.key_id == first.key_id
    assert path.read_text() == text
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert again.decrypt(first.encrypt("secret")) == "secret"
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE]  # no temporary file left behind


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    ids: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def open_it() -> None:
        start.wait()
        try:
            ids.append(Secrets.open(tmp_path, environ={}).key_id)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(ids)) == 1 and len(ids) == 16
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]


def test_a_malformed_key_file_is_refused_naming_it_and_kept(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.write_text("garbage\n")
    path.chmod(0o600)
    with pytest.raises(InvalidKey) as e:
        Secrets.open(tmp_path, environ={})
    assert str(path) in str(e.value)
    assert path.read_text() == "garbage\n"  # never overwritten


def test_an_unreadable_key_file_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).mkdir()  # unreadable as a file, even for root
    with pytest.raises(InvalidKey, match="cannot read the secret key file"):
        Secrets.open(tmp_path, environ={})


def test_a_data_directory_that_is_not_one_is_refused_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InvalidKey, match="secret key file .*/file/data/secret.key: Not a directory"):
        Secrets.open(blocker / "data", environ={})


def test_a_key_file_that_cannot_be_written_is_refused_clearly(tmp_path: Path, monkeypatch) -> None:
    def refuse(path: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(secrets_module, "_create", refuse)
    with pytest.raises(InvalidKey, match="cannot create the secret key file .*: Permission denied"):
        Secrets.open(tmp_path, environ={})


def test_a_key_file_others_can_read_is_used_with_a_warning(tmp_path: Path, caplog) -> None:
    path = tmp_path / KEY_FILE
    key = generate_key()
    path.write_text(key + "\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="stepline.secrets"):
        secrets = Secrets.open(tmp_path, environ={})
    assert secrets.key_id == Secrets(key).key_id
    assert "chmod 600" in caplog.text


def test_the_key_file_and_a_wrong_environment_key_disagree_clearly(tmp_path: Path) -> None:
    from_file = Secrets.open(tmp_path, environ={})
    token = from_file.encrypt("secret", "ctx")
    with pytest.raises(WrongKey):
        Secrets.open(tmp_path, environ={ENV_VAR: generate_key()}).decrypt(token, "ctx")


def test_repr_shows_the_key_id_only() -> None:
    key = generate_key()
    assert key not in repr(Secrets(key)) and Secrets(key).key_id in repr(Secrets(key))
