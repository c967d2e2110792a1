"""ARNs: reading those callers send (building them is :mod:`stepline.arns`'s).

Callers may send an ARN in any partition boto3 produces (``aws``, ``aws-cn``,
``aws-us-gov``, ...): it names the same resource as long as region and account are ours, so
an ARN is read into its parts and rebuilt in our partition before any lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import arns
from ..arns import partition
from .errors import ServiceError

_ARN = re.compile(r"arn:(aws(?:-[a-z]+)*):states:([a-z0-9-]+):(\d{12}):([A-Za-z]+):(.+)", re.DOTALL)
_VERSION = re.compile(r"[1-9]\d{0,9}")
# what AWS forbids in the names of state machines, executions and activities
_BAD_NAME = re.compile("[\\s<>{}\\[\\]?*\"#%\\\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Arn:
    """A states ARN, read: ``kind`` is the resource type (stateMachine, execution, express,
    activity, mapRun) and ``parts`` the ``:``-separated rest."""

    region: str
    account: str
    kind: str
    parts: tuple[str, ...]

    def __str__(self) -> str:
        return f"arn:{partition(self.region)}:states:{self.region}:{self.account}:{self.kind}:{':'.join(self.parts)}"


class Arns:
    """The ARNs of one region and account."""

    def __init__(self, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self.prefix = arns.prefix(region, account)

    def state_machine(self, name: str) -> str:
        return arns.state_machine(self.region, self.account, name)

    def activity(self, name: str) -> str:
        return arns.activity(self.region, self.account, name)

    def execution(self, machine_name: str, name: str) -> str:
        return arns.execution(self.region, self.account, machine_name, name)

    def express_execution(self, machine_name: str, name: str, run_id: str) -> str:
        return arns.express_execution(self.region, self.account, machine_name, name, run_id)

    def role(self, name: str = arns.DEFAULT_ROLE) -> str:
        return arns.role(self.region, self.account, name)

    def read(self, text: object, *kinds: str) -> Arn:
        """Read an ARN of one of ``kinds`` or raise InvalidArn as AWS does."""
        if not isinstance(text, str):
            raise ServiceError("InvalidArn", f"Invalid Arn: '{text}'")
        m = _ARN.fullmatch(text)
        if m is None:
            raise ServiceError("InvalidArn", f"Invalid Arn: '{text}'")
        _, region, account, kind, rest = m.groups()
        if kind not in kinds:
            raise ServiceError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {kind}'")
        return Arn(region, account, kind, tuple(rest.split(":")))

    def ours(self, arn: Arn) -> bool:
        return arn.region == self.region and arn.account == self.account


def is_version(qualifier: str) -> bool:
    return _VERSION.fullmatch(qualifier) is not None


def check_name(name: object, what: str = "Name") -> str:
    """A name of a state machine, execution or activity: 1 to 80 characters, none of those
    AWS forbids (white space, brackets, wildcards, special and control characters)."""
    if not isinstance(name, str) or not 1 <= len(name) <= 80 or _BAD_NAME.search(name):
        raise ServiceError("InvalidName", f"Invalid {what}: '{name}'")
    return name
