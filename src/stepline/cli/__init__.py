"""The ``stepline`` command: ``run`` and ``validate`` (see DESIGN.md for the contracts).

``stepline run DEFINITION [--input JSON | --input @FILE] [--history] [--virtual-time]
[--functions MODULE_OR_PATH]...`` prints ``{"status", "output", "error", "cause"}`` (and
``"history"``) and exits 0 when the execution succeeded, 1 for any other final status and 2
when the definition or the call is invalid (the reason on stderr).

``stepline validate DEFINITION`` prints ``{"result": "OK"|"FAIL", "diagnostics": [...]}``
and exits 0 or 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from ..asl import parser
from ..asl.errors import DefinitionError
from ..engine.local import LocalRunner, new_execution
from ..integrations import Integrations
from ..integrations.functions import Functions

EXIT_OK, EXIT_NOT_SUCCEEDED, EXIT_INVALID = 0, 1, 2


class UsageError(Exception):
    """The call itself is wrong (a missing file, bad JSON input, ...)."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    try:
        return args.command(args)
    except UsageError as e:
        print(f"stepline: {e}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130


def _arguments() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="stepline", description="AWS Step Functions that you run yourself.")
    sub = ap.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run one execution in this process and print its outcome as JSON")
    run.add_argument("definition", help="the state machine definition (a file, or - for stdin)")
    run.add_argument("--input", default=None, help="execution input: JSON text, or @FILE")
    run.add_argument("--history", action="store_true", help="include the execution history events")
    run.add_argument("--virtual-time", action="store_true",
                     help="waits, retry intervals and timeouts take no real time")
    run.add_argument("--functions", action="append", default=[], metavar="MODULE_OR_PATH",
                     help="Python functions to serve Lambda ARNs (a module name or a .py file); repeatable")
    run.add_argument("--name", default=None, help="execution name (default: a new UUID)")
    run.set_defaults(command=_run)

    validate = sub.add_parser("validate", help="validate a definition and print the diagnostics as JSON")
    validate.add_argument("definition", help="the state machine definition (a file, or - for stdin)")
    validate.set_defaults(command=_validate)
    return ap


def _read_bytes(spec: str, what: str) -> bytes:
    """A definition, as bytes: whether it is UTF-8 JSON is the validator's to say."""
    try:
        if spec == "-":
            return sys.stdin.buffer.read()
        with open(spec, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError(f"cannot read {what} {spec}: {e.strerror}") from None


def _read(spec: str, what: str) -> str:
    data = _read_bytes(spec, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"cannot read {what} {spec}: it is not UTF-8 text ({e.reason})") from None


def _run(args: argparse.Namespace) -> int:
    text = _read_bytes(args.definition, "definition")
    try:
        machine = parser.parse(text)
    except DefinitionError as e:
        for d in e.diagnostics:
            print(f"stepline: invalid definition: {d.code}: {d.message}" + (f" at {d.location}" if d.location else ""),
                  file=sys.stderr)
        return EXIT_INVALID
    input_text = "{}" if args.input is None else (_read(args.input[1:], "input") if args.input.startswith("@")
                                                  else args.input)
    out = run_once(machine, input_text, functions=args.functions, history=args.history,
                   virtual_time=args.virtual_time, name=args.name)
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return EXIT_OK if out["status"] == "SUCCEEDED" else EXIT_NOT_SUCCEEDED


def run_once(machine: parser.StateMachine, input_text: str, *, functions: Sequence[str] = (), history: bool = False,
             virtual_time: bool = False, name: str | None = None) -> dict:
    """What ``stepline run`` prints, as a dict (raises UsageError for bad input or functions)."""
    try:
        value = json.loads(input_text)
    except ValueError as e:
        raise UsageError(f"the input is not valid JSON: {e}") from None
    registry = Functions()
    for spec in functions:
        try:
            registry.load(spec)
        except Exception as e:  # an import error in user code is a bad call, not a crash
            raise UsageError(f"cannot load functions from {spec}: {type(e).__name__}: {e}") from None
    execution = new_execution(machine, value, input_text=input_text, name=name)
    LocalRunner(execution, Integrations(registry), virtual_time=virtual_time).run()
    out = {"status": execution.status, "output": execution.output, "error": execution.error,
           "cause": execution.cause}
    if history:
        out["history"] = execution.history
    return out


def _validate(args: argparse.Namespace) -> int:
    diagnostics = parser.validate(_read_bytes(args.definition, "definition"))
    failed = any(d.severity == "ERROR" for d in diagnostics)
    print(json.dumps({"result": "FAIL" if failed else "OK", "diagnostics": [d.to_json() for d in diagnostics]},
                     ensure_ascii=False))
    return 1 if failed else 0
