"""The ARNs stepline makes: of state machines, executions, activities, Map Runs and roles.

One place builds them all: the service, the engines, ``stepline.run``, and the interpreter for
the ARNs it records (a Map Run's, its child executions'), which follow from the execution's.
Reading the ARNs callers send is :mod:`stepline.service.arns`'s job.
"""

from __future__ import annotations

DEFAULT_ROLE = "stepline-execution-role"


def partition(region: str) -> str:
    """The partition of a region (``aws``, ``aws-cn``, ``aws-us-gov`` ...)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


def prefix(region: str, account: str) -> str:
    """``arn:PARTITION:states:REGION:ACCOUNT``: what every states ARN of a region begins with."""
    return f"arn:{partition(region)}:states:{region}:{account}"


def state_machine(region: str, account: str, name: str) -> str:
    return f"{prefix(region, account)}:stateMachine:{name}"


def activity(region: str, account: str, name: str) -> str:
    return f"{prefix(region, account)}:activity:{name}"


def execution(region: str, account: str, machine_name: str, name: str) -> str:
    return f"{prefix(region, account)}:execution:{machine_name}:{name}"


def execution_of(state_machine_arn: str, machine_name: str, name: str) -> str:
    """An execution of the state machine ``state_machine_arn`` (a version's or an alias's too)."""
    return ":".join(state_machine_arn.split(":")[:5]) + f":execution:{machine_name}:{name}"


def express_execution(region: str, account: str, machine_name: str, name: str, run_id: str) -> str:
    return f"{prefix(region, account)}:express:{machine_name}:{name}:{run_id}"


def test_state_execution(region: str, account: str, machine_name: str, name: str) -> str:
    """The execution TestState runs a state in (AWS's answers: an Express execution's ARN with
    the machine and the execution's name, no run id)."""
    return f"{prefix(region, account)}:express:{machine_name}:{name}"


def role(region: str, account: str, name: str = DEFAULT_ROLE) -> str:
    return f"arn:{partition(region)}:iam::{account}:role/{name}"


def map_run(region: str, account: str, machine_name: str, label: str, run_id: str) -> str:
    """A Distributed Map's run: ``…:mapRun:MACHINE/LABEL:ID``."""
    return f"{prefix(region, account)}:mapRun:{machine_name}/{label}:{run_id}"


def map_run_path(map_run_arn: str) -> str:
    """``MACHINE/LABEL`` of a Map Run's ARN: what names its child executions, and (after the
    slash) its label."""
    return map_run_arn.split(":mapRun:", 1)[1].rsplit(":", 1)[0]


def map_run_child(map_run_arn: str, name: str) -> tuple[str, str, str]:
    """A child workflow execution of a Map Run ``…:mapRun:MACHINE/LABEL:ID``: its ARN
    ``…:execution:MACHINE/LABEL:NAME``, and the ARN and name of the state machine it runs
    (``…:stateMachine:MACHINE/LABEL``)."""
    head = map_run_arn.split(":mapRun:", 1)[0]
    path = map_run_path(map_run_arn)
    return f"{head}:execution:{path}:{name}", f"{head}:stateMachine:{path}", path
