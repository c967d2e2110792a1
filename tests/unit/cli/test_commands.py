"""The command as a new user meets it: --version, bad server options, what functions print,
functions a module imports."""

from __future__ import annotations

import json
import pathlib
import socket
import subprocess
import sys

from .test_run_command import stepline

PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def test_version() -> None:
    from stepline import __version__
    proc = stepline("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"stepline {__version__}"


def test_a_port_out_of_range_is_one_line_and_no_traceback() -> None:
    proc = stepline("server", "--port", "99999")
    assert proc.returncode == 2
    assert "not a port number: 99999" in proc.stderr and "Traceback" not in proc.stderr


def test_a_busy_port_is_said_before_anything_starts(tmp_path: pathlib.Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "stepline", "server", "--port", str(port), "--db",
                               str(tmp_path / "s.db")], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"stepline: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert not (tmp_path / "s.db").exists(), "nothing started: no database made"


def test_what_a_function_prints_goes_to_stderr_and_stdout_holds_the_result(tmp_path: pathlib.Path) -> None:
    (tmp_path / "noisy.py").write_text("print('loading')\n\ndef shout(event, context):\n"
                                       "    print('hello from the function')\n    return {'ok': True}\n")
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:shout", "End": True}}}
    (tmp_path / "m.json").write_text(json.dumps(definition))
    proc = stepline("run", str(tmp_path / "m.json"), "--functions", str(tmp_path / "noisy.py"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["output"] == {"ok": True}
    assert "hello from the function" in proc.stderr and "loading" in proc.stderr


def test_functions_a_module_imports_are_served(tmp_path: pathlib.Path) -> None:
    (tmp_path / "handlers.py").write_text("def double(event, context):\n    return event['n'] * 2\n")
    (tmp_path / "app.py").write_text("from handlers import *  # noqa\n")
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double", "End": True}}}
    (tmp_path / "m.json").write_text(json.dumps(definition))
    proc = stepline("run", str(tmp_path / "m.json"), "--input", '{"n": 21}', "--functions", str(tmp_path / "app.py"),
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["output"] == 42


def test_an_unknown_function_is_named_with_those_served(tmp_path: pathlib.Path) -> None:
    (tmp_path / "fns.py").write_text("def known(event, context):\n    return 1\n")
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:unknown", "End": True}}}
    (tmp_path / "m.json").write_text(json.dumps(definition))
    proc = stepline("run", str(tmp_path / "m.json"), "--functions", str(tmp_path / "fns.py"))
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"] == "Lambda.ResourceNotFoundException"  # AWS's error, as on AWS
    assert "no Python function is named 'unknown'; the functions served are known" in proc.stderr

