"""The context object (``$$`` in JSONPath, ``$states.context`` in JSONata).

AWS docs (input-output-contextobject): ``Execution`` {Id, Input, Name, RoleArn, StartTime,
RedriveCount, RedriveTime}, ``State`` {EnteredTime, Name, RetryCount}, ``StateMachine``
{Id, Name}, ``Task`` {Token} for tasks that wait for a token, and ``Map.Item`` {Index, Value}
inside a Map's ItemSelector (plus ``Map.Item.Source`` for distributed readers).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..asl.values import JSON


def iso(ts: float) -> str:
    """Epoch seconds as AWS writes times in the context object: ``2024-01-02T03:04:05.678Z``."""
    dt = datetime.fromtimestamp(ts, UTC)
    return (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
            f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z")


def execution_part(*, arn: str, name: str, input: JSON, role_arn: str | None, start_time: float,
                   redrive_count: int = 0, redrive_time: float | None = None) -> dict[str, JSON]:
    part: dict[str, JSON] = {"Id": arn, "Input": input, "Name": name, "RoleArn": role_arn, "StartTime": iso(start_time)}
    if redrive_count:  # AWS shows the redrive fields only once an execution has been redriven
        part["RedriveCount"] = redrive_count
        if redrive_time is not None:
            part["RedriveTime"] = iso(redrive_time)
    return part


def build(execution: dict[str, JSON], state_machine: dict[str, JSON], state_name: str, entered_at: float,
          retry_count: int, token: str | None = None, map_item: tuple[int, JSON] | None = None) -> dict[str, JSON]:
    ctx: dict[str, JSON] = {"Execution": execution,
                            "State": {"EnteredTime": iso(entered_at), "Name": state_name, "RetryCount": retry_count},
                            "StateMachine": state_machine}
    if token is not None:
        ctx["Task"] = {"Token": token}
    if map_item is not None:
        ctx["Map"] = {"Item": {"Index": map_item[0], "Value": map_item[1]}}
    return ctx
