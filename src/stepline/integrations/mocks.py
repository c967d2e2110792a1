"""Mocked task responses: Step Functions Local's mock configuration file (``MockConfigFile.json``).

The format is AWS's::

    {"StateMachines": {"MACHINE": {"TestCases": {"CASE": {"STATE": "RESPONSE", ...}}}},
     "MockedResponses": {"RESPONSE": {"0": {"Return": <any JSON>},
                                      "1-2": {"Throw": {"Error": "E", "Cause": "C"}}}}}

An execution started with a test case (``stepline run --test-case``, or ``StartExecution``
with ``stateMachineArn#CASE``) answers the Task states its test case names from their mocked
responses instead of calling the real target; its other states call the real target. What
Step Functions Local does, and so what :meth:`Mocks.interceptor` does:

- the state machine is looked up by name, the test case by name, the state by name;
- each call of a mocked state in an execution is one invocation, numbered from 0 in the order
  the calls happen, retries included (AWS: "0" is the first attempt, "1-2" the first and
  second retries); a state that runs again (a loop, Map iterations) goes on counting;
- ``Return`` is the task's result as it is (for ``lambda:invoke`` the whole Invoke response,
  ``{"StatusCode": 200, "Payload": ...}``; for a Lambda function ARN, the function's result);
  ``Throw`` fails the task with its ``Error`` and ``Cause``, which Retry and Catch then see;
- an invocation with no response fails the execution (``States.Runtime``, which no Retry or
  Catch handles): AWS asks for "a mocked response for every invocation";
- a mocked ``.waitForTaskToken`` task or activity gets its token and takes the ``Return`` as
  its result: no callback or worker is awaited.

Counters are per execution and state, kept in memory behind a lock (Map iterations and
Parallel branches call from several threads); :meth:`Mocks.forget` drops an ended execution's.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..asl import errors
from ..asl.values import JSON, NotJson, checked_copy, parse_json, type_name
from . import TaskFailure

__all__ = ["MockConfigError", "MockedResponse", "Mocks", "Answer"]

_NOT_MOCKED: tuple[bool, Any] = (False, None)
_INVOCATIONS = re.compile(r"(\d+)(?:-(\d+))?\Z")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class MockConfigError(ValueError):
    """The mock configuration is not valid (or does not have what was asked of it)."""

    def __init__(self, reason: str, *, source: str = "mock config", location: str | None = None) -> None:
        self.reason = reason
        self.source = source
        self.location = location
        super().__init__(f"{source}: {location}: {reason}" if location else f"{source}: {reason}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """One invocation's answer: ``Return`` (``result``) or ``Throw`` (``error``, ``cause``)."""

    result: JSON = None
    error: str | None = None
    cause: str | None = None

    @property
    def throws(self) -> bool:
        return self.error is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class MockedResponse:
    """A named entry of ``MockedResponses``: answers by invocation number, as inclusive spans."""

    name: str
    firsts: tuple[int, ...]                # the first invocation of each span, ascending
    spans: tuple[tuple[int, Answer], ...]  # (last invocation, answer), in the same order

    def at(self, invocation: int) -> Answer | None:
        i = bisect_right(self.firsts, invocation) - 1
        if i < 0:
            return None
        last, answer = self.spans[i]
        return answer if invocation <= last else None

    def describe(self) -> str:
        """The invocations it answers, as the file writes them: ``0, 1-2, 3``."""
        parts = []
        for first, (last, _) in zip(self.firsts, self.spans, strict=True):
            parts.append(str(first) if first == last else f"{first}-{last}")
        return ", ".join(parts) or "none"


class Mocks:
    """A loaded mock configuration and the invocation counters of the executions using it."""

    def __init__(self, state_machines: Mapping[str, Mapping[str, Mapping[str, str]]],
                 responses: Mapping[str, MockedResponse], *, source: str = "mock config") -> None:
        """``state_machines`` maps machine -> test case -> state -> response name. Prefer
        :meth:`load` or :meth:`from_json`, which validate."""
        self.state_machines = state_machines
        self.responses = responses
        self.source = source
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = {}  # execution ARN -> state name -> invocations so far

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Mocks:
        """Read and validate a mock configuration file; raises :class:`MockConfigError`."""
        source = f"mock config {os.fspath(path)}"
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise MockConfigError(f"cannot read it: {e.strerror}", source=source) from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise MockConfigError(f"it is not UTF-8 text ({e.reason})", source=source) from None
        return cls.from_text(text, source=source)

    @classmethod
    def from_text(cls, text: str, *, source: str = "mock config") -> Mocks:
        try:
            value = parse_json(text, object_pairs_hook=_Object.of)
        except ValueError as e:
            raise MockConfigError(f"it is not valid JSON: {e}", source=source) from None
        return _Validator(source).config(value)

    @classmethod
    def from_json(cls, value: Any, *, source: str = "mock config") -> Mocks:
        """Validate a parsed configuration (a dict) and build the mocks from it."""
        try:
            value, _ = checked_copy(value)
        except NotJson as e:
            raise MockConfigError(f"it is not JSON: {e}", source=source) from None
        return _Validator(source).config(value)

    # ------------------------------------------------------------------ choosing a test case

    def test_case(self, state_machine_name: str, test_case: str) -> Mapping[str, str]:
        """The test case's states (state -> mocked response name); raises MockConfigError."""
        cases = self.state_machines.get(state_machine_name)
        if cases is None:
            known = ", ".join(repr(n) for n in self.state_machines) or "none"
            raise MockConfigError(f"no state machine named '{state_machine_name}' (it defines {known})",
                                  source=self.source, location="StateMachines")
        states = cases.get(test_case)
        if states is None:
            known = ", ".join(repr(n) for n in cases) or "none"
            raise MockConfigError(f"state machine '{state_machine_name}' has no test case '{test_case}' "
                                  f"(its test cases: {known})", source=self.source,
                                  location=_location("StateMachines", state_machine_name, "TestCases"))
        return states

    def state_machine_for(self, test_case: str, name: str | None = None) -> str:
        """The state machine name an execution of ``test_case`` answers by: ``name`` when given
        (it must define the test case), else the one state machine defining it, else
        ``stepline-run`` if that one does. Raises MockConfigError when there is none or no
        single choice."""
        if name is not None:
            self.test_case(name, test_case)
            return name
        owners = [m for m, cases in self.state_machines.items() if test_case in cases]
        if len(owners) == 1:
            return owners[0]
        if "stepline-run" in owners:
            return "stepline-run"
        if not owners:
            raise MockConfigError(f"no state machine has a test case named '{test_case}'", source=self.source,
                                  location="StateMachines")
        raise MockConfigError(f"several state machines have a test case named '{test_case}' "
                              f"({', '.join(repr(o) for o in owners)}): name the one to use", source=self.source,
                              location="StateMachines")

    # ------------------------------------------------------------------ answering

    def interceptor(self, resource: Any, payload: JSON, *, token: str | None = None,
                    **context: Any) -> tuple[bool, Any]:
        """:attr:`Integrations.interceptor`: ``(True, result)`` for a mocked state, ``(False,
        None)`` for any other; a ``Throw`` raises :class:`TaskFailure`. ``context`` holds
        ``execution_arn``, ``state_machine_name``, ``state_name`` and ``test_case``."""
        test_case = context.get("test_case")
        if test_case is None:
            return _NOT_MOCKED
        machine = context.get("state_machine_name") or ""
        states = self.state_machines.get(machine, {}).get(test_case)
        if states is None:
            raise TaskFailure(errors.RUNTIME, f"The mock test case '{test_case}' is not defined for the state machine "
                                              f"'{machine}' in the {self.source}")
        state = context.get("state_name") or ""
        name = states.get(state)
        if name is None:
            return _NOT_MOCKED
        execution = context.get("execution_arn") or ""
        with self._lock:
            counts = self._counts.setdefault(execution, {})
            invocation = counts.get(state, 0)
            counts[state] = invocation + 1
        response = self.responses[name]
        answer = response.at(invocation)
        if answer is None:
            raise TaskFailure(errors.RUNTIME,
                              f"The mocked response '{name}' of the test case '{test_case}' has no response for "
                              f"invocation {invocation} of the state '{state}' (it answers invocations "
                              f"{response.describe()}); a mocked state needs a response for every invocation, "
                              "retries included")
        if answer.throws:
            raise TaskFailure(answer.error or "", answer.cause)
        result = answer.result
        return True, (copy.deepcopy(result) if isinstance(result, (dict, list)) else result)

    def invocations(self, execution_arn: str) -> dict[str, int]:
        """How many times each mocked state of an execution has been called so far."""
        with self._lock:
            return dict(self._counts.get(execution_arn, {}))

    def forget(self, execution_arn: str) -> None:
        """Drop an ended execution's counters (a long-lived server calls this)."""
        with self._lock:
            self._counts.pop(execution_arn, None)


# ---------------------------------------------------------------------- validation


class _Object(dict):
    """A JSON object that remembers the keys it had twice (json keeps only the last)."""

    duplicates: tuple[str, ...] = ()

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> _Object:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            twice = []
            for key, _ in pairs:
                if key in seen:
                    twice.append(key)
                seen.add(key)
            obj.duplicates = tuple(twice)
        return obj


def _location(*parts: str) -> str:
    out = ""
    for p in parts:
        if _IDENTIFIER.match(p):
            out += f".{p}" if out else p
        else:
            out += f"[{json.dumps(p, ensure_ascii=False)}]"
    return out


def _kind(value: Any) -> str:
    """The JSON type of ``value`` with its article: "a string", "an object", "null"."""
    name = type_name(value)
    return name if value is None else ("an " if name[0] in "aeiou" else "a ") + name


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, reason: str, *where: str) -> MockConfigError:
        return MockConfigError(reason, source=self.source, location=_location(*where) if where else None)

    def obj(self, value: Any, what: str, *where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a JSON object, not {_kind(value)}", *where)
        dup = getattr(value, "duplicates", ())
        if dup:
            raise self.fail(f"the field '{dup[0]}' appears more than once", *where)
        return value

    def fields(self, value: dict, allowed: tuple[str, ...], *where: str, hint: str = "") -> None:
        for key in value:
            if key not in allowed:
                expected = " and ".join(f"'{a}'" for a in allowed)
                close = [a for a in allowed if a.lower().rstrip("s") == key.lower().rstrip("s")]
                did_you_mean = f" (did you mean '{close[0]}'?)" if close else ""
                raise self.fail(f"unknown field '{key}'{did_you_mean}: {hint or 'the fields are ' + expected}", *where)

    def config(self, value: Any) -> Mocks:
        top = self.obj(value, "the mock configuration")
        self.fields(top, ("StateMachines", "MockedResponses"))
        for key in ("StateMachines", "MockedResponses"):
            if key not in top:
                raise self.fail(f"the field '{key}' is missing: a mock configuration has 'StateMachines' "
                                "(machine -> TestCases -> state -> mocked response) and 'MockedResponses' "
                                "(mocked response -> invocation -> Return or Throw)")
        responses = {name: self.response(name, entry)
                     for name, entry in self.obj(top["MockedResponses"], "MockedResponses", "MockedResponses").items()}
        machines: dict[str, dict[str, dict[str, str]]] = {}
        for machine, body in self.obj(top["StateMachines"], "StateMachines", "StateMachines").items():
            where = ("StateMachines", machine)
            body = self.obj(body, "a state machine's entry", *where)
            self.fields(body, ("TestCases",), *where, hint="a state machine's entry has only 'TestCases'")
            if "TestCases" not in body:
                raise self.fail("the field 'TestCases' is missing", *where)
            cases: dict[str, dict[str, str]] = {}
            for case, states in self.obj(body["TestCases"], "TestCases", *where, "TestCases").items():
                here = (*where, "TestCases", case)
                states = self.obj(states, "a test case (state name -> mocked response name)", *here)
                for state, ref in states.items():
                    if not isinstance(ref, str):
                        raise self.fail(f"a test case maps a state to the name of a mocked response (a string), "
                                        f"not {_kind(ref)}", *here, state)
                    if ref not in responses:
                        known = ", ".join(f"'{r}'" for r in responses) or "none"
                        raise self.fail(f"the mocked response '{ref}' is not defined in MockedResponses "
                                        f"(defined: {known})", *here, state)
                cases[case] = dict(states)
            machines[machine] = cases
        return Mocks(machines, responses, source=self.source)

    def response(self, name: str, entry: Any) -> MockedResponse:
        where = ("MockedResponses", name)
        entry = self.obj(entry, "a mocked response (invocation -> Return or Throw)", *where)
        spans: list[tuple[int, int, str, Answer]] = []
        for key, body in entry.items():
            m = _INVOCATIONS.match(key)
            if m is None:
                raise self.fail(f"'{key}' is not an invocation: write a number (\"0\") or an inclusive range "
                                "(\"1-3\"); invocations count from 0 and include retries", *where)
            first = int(m.group(1))
            last = int(m.group(2)) if m.group(2) is not None else first
            if last < first:
                raise self.fail(f"the range '{key}' ends before it starts", *where)
            spans.append((first, last, key, self.answer(body, *where, key)))
        spans.sort(key=lambda s: s[0])
        for (_, last, key, _), (first, _, next_key, _) in zip(spans, spans[1:], strict=False):  # each with the next
            if first <= last:
                raise self.fail(f"the invocations '{key}' and '{next_key}' overlap", *where)
        return MockedResponse(name=name, firsts=tuple(s[0] for s in spans),
                              spans=tuple((s[1], s[3]) for s in spans))

    def answer(self, body: Any, *where: str) -> Answer:
        body = self.obj(body, "an invocation's response ({\"Return\": ...} or {\"Throw\": ...})", *where)
        kinds = [k for k in body if k in ("Return", "Throw")]
        self.fields(body, ("Return", "Throw"), *where,
                    hint="a response has exactly one field, 'Return' (the result) or 'Throw' (an error)")
        if len(kinds) != 1:
            raise self.fail("a response has exactly one field, 'Return' (the result) or 'Throw' "
                            "({\"Error\": ..., \"Cause\": ...})", *where)
        if kinds[0] == "Return":
            return Answer(result=body["Return"])
        throw = self.obj(body["Throw"], "Throw", *where, "Throw")
        self.fields(throw, ("Error", "Cause"), *where, "Throw")
        error, cause = throw.get("Error"), throw.get("Cause")
        if not isinstance(error, str) or not error:
            problem = "is missing" if "Error" not in throw else f"must be a non-empty string, not {_kind(error)}"
            raise self.fail(f"'Error' {problem}: Throw names the error that Retry and Catch match", *where, "Throw")
        if cause is not None and not isinstance(cause, str):
            raise self.fail(f"'Cause' must be a string, not {_kind(cause)}", *where, "Throw")
        return Answer(error=error, cause=cause)
