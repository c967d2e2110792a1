"""What starts an execution, as accepted: built once where a start is taken (StartExecution, a
parent's task starting a child, ``stepline.run``) and carried unchanged from there into the
engine, the stored row and the interpreter's :class:`~stepline.interpreter.frames.Execution`.
"""

from __future__ import annotations

from typing import NamedTuple

from ..asl.values import JSON


class Start(NamedTuple):
    """One execution's start (immutable; a tuple, cheap to make for every ``stepline.run``).
    ``input`` is ``input_text`` read (once, where it was checked).

    ``name`` and ``arn`` may be None for an execution run in this process (``stepline.run``):
    it is named by a new id the first time its name is read, and its ARN is ``arn_prefix``
    and that name."""

    state_machine_arn: str
    state_machine_name: str
    name: str | None
    arn: str | None
    input: JSON
    input_text: str | None            # as the caller wrote it (None: written by stepline when needed)
    role_arn: str | None              # (None: run as no role, TestState without a roleArn)
    region: str
    account: str
    arn_prefix: str = ""              # ``…:execution:MACHINE:`` (for an ARN made with the name)
    definition: str | None = None     # the definition's text (the durable engine stores it)
    version_arn: str | None = None    # the version or alias it was started through
    alias_arn: str | None = None
    trace_header: str | None = None
    parent_arn: str | None = None     # started by a parent's task (states:startExecution)
    parent_token: str | None = None   # ... that waits for it (.sync): the task's token
    parent_wait: str | None = None    # ... and how: "sync" | "sync:2"
    test_case: str | None = None      # the mock test case its tasks answer from
    input_size: int | None = None     # the input's size as JSON, when the caller measured it
