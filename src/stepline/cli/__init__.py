"""The ``stepline`` command: ``run``, ``validate``, ``server`` and ``worker`` (see DESIGN.md for
the contracts; README.md for every option).

``stepline run DEFINITION [--input JSON | --input @FILE] [--history] [--virtual-time]
[--functions MODULE_OR_PATH]... [--mock-config FILE --test-case NAME [--state-machine-name NAME]]``
prints ``{"status", "output", "error", "cause"}`` (and ``"history"``) and exits 0 when the
execution succeeded, 1 for any other final status and 2 when the definition or the call is
invalid (the reason on stderr).

``stepline validate DEFINITION`` prints ``{"result": "OK"|"FAIL", "diagnostics": [...]}``
and exits 0 or 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..asl import parser
from ..asl.errors import DefinitionError
from ..asl.values import parse_json
from ..engine.local import LocalRunner, new_execution
from ..integrations import Integrations
from ..integrations.functions import Functions
from ..interpreter.core import HISTORY_LIMIT

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
    ap.add_argument("--version", action="version", version=f"stepline {__version__}")
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
    run.add_argument("--history-limit", type=int, default=HISTORY_LIMIT, metavar="N",
                     help=f"fail the execution when its history grows past N events, as AWS does (default "
                          f"{HISTORY_LIMIT}; 0: no limit)")
    run.add_argument("--mock-config", default=None, metavar="FILE",
                     help="a Step Functions Local mock configuration (MockConfigFile.json): the Task states of "
                          "--test-case answer from their mocked responses, the others call their real target")
    run.add_argument("--test-case", default=None, metavar="NAME",
                     help="the test case of --mock-config to run (as StartExecution with stateMachineArn#NAME)")
    run.add_argument("--state-machine-name", default=None, metavar="NAME",
                     help="the state machine's name, which selects its test cases in --mock-config and names "
                          "$$.StateMachine and the ARNs (default: the state machine of --mock-config that "
                          "defines --test-case when exactly one does, else stepline-run)")
    run.set_defaults(command=_run)

    validate = sub.add_parser("validate", help="validate a definition and print the diagnostics as JSON")
    validate.add_argument("definition", help="the state machine definition (a file, or - for stdin)")
    validate.set_defaults(command=_validate)

    server = sub.add_parser("server", help="serve the Step Functions API (and run an engine)")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    server.add_argument("--port", type=_port, default=8083, help="port to listen on (default 8083)")
    server.add_argument("--db", default="stepline.db",
                        help="postgresql://... or a SQLite file (default stepline.db in the working directory)")
    server.add_argument("--max-connections", type=int, default=1000, metavar="N",
                        help="connections served at once; past them a client is answered ServiceUnavailable "
                             "(default 1000)")
    _engine_options(server)
    server.add_argument("--no-engine", action="store_true",
                        help="serve the API alone: executions are run by `stepline worker` processes on the same "
                             "database (a fleet that keeps API and workers apart)")
    server.add_argument("--mock-config", default=os.environ.get("SFN_MOCK_CONFIG"), metavar="FILE",
                        help="a Step Functions Local mock configuration: StartExecution with "
                             "stateMachineArn#TestCase answers that test case's Task states from it "
                             "(default: $SFN_MOCK_CONFIG)")
    server.set_defaults(command=_server)

    worker = sub.add_parser("worker", help="run an engine on a database shared with other engines")
    worker.add_argument("--db", required=True, help="postgresql://... (or a SQLite file)")
    _engine_options(worker)
    worker.set_defaults(command=_worker)
    return ap


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--functions", action="append", default=[], metavar="MODULE_OR_PATH",
                   help="Python functions to serve Lambda ARNs (a module name or a .py file); repeatable")
    p.add_argument("--lease-seconds", type=float, default=30.0,
                   help="how long an engine holds an execution between renewals (default 30)")
    p.add_argument("--task-workers", type=int, default=32, help="tasks run at once by this process (default 32)")
    p.add_argument("--memory-budget", type=_bytes, default=None, metavar="BYTES",
                   help="what the executions held by this engine may cost in memory (e.g. 512M; default 256M): "
                        "past it, executions that only wait are kept in the database until they are due")
    p.add_argument("--retention-days", type=float, default=90.0,
                   help="delete closed executions after this many days (default 90, as AWS; 0: keep them)")


def _port(text: str) -> int:
    """A TCP port: 0 to 65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value} (a port is 0 to 65535)")
    return value


def _listening(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening, or a UsageError saying why not (a busy
    port, an address not of this machine)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as e:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    return sock


def _bytes(text: str) -> int:
    """``512M``, ``2G``, ``65536``: a size in bytes (K, M and G are powers of 1024)."""
    scale = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}.get(text[-1:].upper(), 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = int(float(number) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size in bytes: {text!r} (e.g. 512M)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not a size in bytes: {text!r} (it must be positive)")
    return value


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
    mocks = _mocks(args.mock_config, args.test_case)
    with contextlib.redirect_stdout(sys.stderr):  # what the functions print: stdout holds the result alone
        out = run_once(machine, input_text, functions=args.functions, history=args.history,
                       virtual_time=args.virtual_time, name=args.name, mocks=mocks, test_case=args.test_case,
                       state_machine_name=args.state_machine_name, history_limit=args.history_limit or None)
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return EXIT_OK if out["status"] == "SUCCEEDED" else EXIT_NOT_SUCCEEDED


def _mocks(path: str | None, test_case: str | None) -> Any:
    """The mocks of ``--mock-config`` (None without it); a bad file or a missing half is a UsageError."""
    if path is None and test_case is None:
        return None
    if path is None or test_case is None:
        raise UsageError("--mock-config and --test-case go together: the test case to run, from that mock "
                         "configuration")
    from ..integrations.mocks import MockConfigError, Mocks
    try:
        return Mocks.load(path)
    except MockConfigError as e:
        raise UsageError(f"invalid {e}") from None


def run_once(machine: parser.StateMachine, input_text: str, *, functions: Sequence[str] = (), history: bool = False,
             virtual_time: bool = False, name: str | None = None, mocks: Any = None, test_case: str | None = None,
             state_machine_name: str | None = None, history_limit: int | None = HISTORY_LIMIT) -> dict:
    """What ``stepline run`` prints, as a dict (raises UsageError for bad input or functions).
    ``mocks`` (a :class:`~stepline.integrations.mocks.Mocks`) answers the states of ``test_case``."""
    try:
        value = parse_json(input_text)
    except ValueError as e:
        raise UsageError(f"the input is not valid JSON: {e}") from None
    integrations = Integrations(_functions(functions))
    if mocks is not None and test_case is not None:
        from ..integrations.mocks import MockConfigError
        try:
            state_machine_name = mocks.state_machine_for(test_case, state_machine_name)
        except MockConfigError as e:
            raise UsageError(str(e)) from None
        integrations.interceptor = mocks.interceptor
    execution = new_execution(machine, value, input_text=input_text, name=name,
                              state_machine_name=state_machine_name or "stepline-run",
                              test_case=test_case if mocks is not None else None)
    LocalRunner(execution, integrations, virtual_time=virtual_time, history_limit=history_limit).run()
    out = {"status": execution.status, "output": execution.output, "error": execution.error,
           "cause": execution.cause}
    if history:
        out["history"] = execution.history
    return out


def _functions(specs: Sequence[str]) -> Functions:
    registry = Functions()
    for spec in specs:
        try:
            registry.load(spec)
        except Exception as e:  # an import error in user code is a bad call, not a crash
            raise UsageError(f"cannot load functions from {spec}: {type(e).__name__}: {e}") from None
    return registry


def _open_store(url: str) -> Any:
    from ..store import StoreError, open_store
    try:
        store = open_store(url)
        store.migrate()
    except StoreError as e:
        raise UsageError(str(e)) from None
    return store


def _engine_and_service(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """The store, an engine and the service over them, as ``--db``, ``--functions`` and the
    engine options of ``server`` and ``worker`` say."""
    from .. import config
    from ..engine.durable import Engine
    from ..secrets import Secrets, SecretsError
    from ..service import Service
    store = _open_store(args.db)
    try:
        secrets = Secrets.open(_data_dir(args.db))
    except SecretsError as e:
        raise UsageError(str(e)) from None
    integrations = Integrations(_functions(args.functions))
    budget = {} if args.memory_budget is None else {"memory_budget": args.memory_budget}
    engine = Engine(store, integrations, lease_seconds=args.lease_seconds, task_workers=args.task_workers,
                    retention_seconds=_retention(args), run_executions=not getattr(args, "no_engine", False),
                    **budget)
    service = Service(store, engine, integrations, region=config.region(), account=config.account(),
                      secrets=secrets)
    return store, engine, service


def _worker(args: argparse.Namespace) -> int:
    """An engine only: claims due executions from the database and runs them until SIGTERM."""
    # the whole service, though no API is served: HTTP Tasks read connections, nested executions
    # start children
    store, engine, service = _engine_and_service(args)
    thread = engine.run_in_thread()
    print(f"stepline worker {engine.owner} running executions from {args.db}", file=sys.stderr, flush=True)
    _until_signalled(thread)
    engine.shutdown()
    service.close()
    store.close()
    return EXIT_OK


def _server(args: argparse.Namespace) -> int:
    """The API on one port and an engine, until SIGTERM/SIGINT."""
    import ipaddress

    from ..api.app import create_app
    from ..api.server import Limits, server

    credentials = os.environ.get("STEPLINE_CREDENTIALS")
    verifier = None
    if credentials:
        from ..api.auth import Verifier
        try:
            verifier = Verifier(credentials)
        except ValueError as e:
            raise UsageError(f"STEPLINE_CREDENTIALS: {e}") from None
    elif not _loopback(args.host, ipaddress):
        raise UsageError(f"refusing to listen on {args.host} without authentication: set STEPLINE_CREDENTIALS="
                         f"\"AKID:SECRET\" (or listen on 127.0.0.1)")
    sock = _listening(args.host, args.port)  # first: a busy port is said before anything starts
    try:
        store, engine, service = _engine_and_service(args)
    except BaseException:
        sock.close()
        raise
    try:
        if args.mock_config:
            _serve_mocks(service, service.integrations, args.mock_config)
        app = create_app(service, verifier=verifier)
        engine.run_in_thread()
        port = sock.getsockname()[1]
        runs = "no executions: its workers run them" if args.no_engine else "running executions"
        print(f"stepline server on http://{args.host}:{port} (database {args.db}, {runs})", file=sys.stderr,
              flush=True)
        server(app, args.host, port, limits=Limits(max_connections=args.max_connections)).run(sockets=[sock])
    finally:
        engine.shutdown()
        service.close()
        store.close()
        sock.close()
    return EXIT_OK


def _serve_mocks(service: Any, integrations: Integrations, path: str) -> None:
    """Executions started with ``stateMachineArn#TestCase`` answer from this mock configuration."""
    from ..integrations.mocks import MockConfigError, Mocks
    try:
        mocks = Mocks.load(path)
    except MockConfigError as e:
        raise UsageError(str(e)) from None

    def known(machine: str, test_case: str) -> bool:
        try:
            mocks.test_case(machine, test_case)
            return True
        except MockConfigError:
            return False

    integrations.interceptor = mocks.interceptor
    service.executions.test_cases = known


def _retention(args: argparse.Namespace) -> float | None:
    return args.retention_days * 86400 if args.retention_days > 0 else None


def _data_dir(db: str) -> str:
    """Where the installation keeps its files (the secret key): beside a SQLite database, else
    ``STEPLINE_DATA_DIR`` or the working directory."""
    if db.startswith(("postgresql://", "postgres://")):
        return os.environ.get("STEPLINE_DATA_DIR") or os.getcwd()
    path = db.split("://", 1)[1].lstrip("/") if db.startswith("sqlite://") else db
    path = "/" + path if db.startswith("sqlite:///") else path
    return os.path.dirname(os.path.abspath(path))


def _loopback(host: str, ipaddress: Any) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _until_signalled(thread: Any) -> None:
    """Block until SIGTERM/SIGINT (or the thread ends)."""
    import signal
    import threading
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set() and thread.is_alive():
        stop.wait(0.5)


def _validate(args: argparse.Namespace) -> int:
    diagnostics = parser.validate(_read_bytes(args.definition, "definition"))
    failed = any(d.severity == "ERROR" for d in diagnostics)
    print(json.dumps({"result": "FAIL" if failed else "OK", "diagnostics": [d.to_json() for d in diagnostics]},
                     ensure_ascii=False))
    return 1 if failed else 0
