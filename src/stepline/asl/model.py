"""The compiled, immutable model of a state machine: one dataclass per state type.

Every field that is evaluated at run time is already compiled: paths are getters, payload
templates and JSONata fields are builders, Choice rules are predicates. The interpreter only
calls them. Fields of the other query language are simply absent (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .jsonpath_select import Keys
from .values import JSON

Getter = Callable[[JSON, Any], JSON]          # (data, scope) -> value
Builder = Callable[[JSON, Any], JSON]         # payload template: (data, scope) -> value
JsonataBuilder = Callable[[dict[str, JSON], Any], JSON]  # (bindings, now) -> value
Predicate = Callable[[JSON, Any], bool]

JSONPATH = "JSONPath"
JSONATA = "JSONata"

#: ResultPath/OutputPath/InputPath given as JSON null
DISCARD: Any = type("Discard", (), {"__repr__": lambda self: "DISCARD"})()


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter: str = "NONE"  # "NONE" | "FULL"


@dataclass(frozen=True, slots=True, kw_only=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: Keys | None | Any = ()    # JSONPath: keys to set, () = "$", DISCARD = null
    result_path_text: str | None = "$"
    output: JsonataBuilder | None = None   # JSONata
    assign: Any = None                     # Assign (builder for the language of the state)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A Task's ``Resource`` ARN, taken apart once."""

    arn: str
    kind: str                 # "lambda" (function ARN) | "service" | "activity"
    service: str | None = None  # "lambda", "http", "states", "aws-sdk:s3", ...
    action: str | None = None   # "invoke", "startExecution", ...
    pattern: str = "request-response"  # | "sync" | "sync:2" | "waitForTaskToken"
    region: str | None = None
    account: str | None = None
    name: str | None = None     # function or activity name


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    name: str
    type: str
    query_language: str = JSONPATH
    comment: str | None = None
    next: str | None = None
    end: bool = False
    # JSONPath I/O: None means "$" (identity), DISCARD means the field was null
    input_path: Getter | None | Any = None
    output_path: Getter | None | Any = None
    input_path_text: str | None = None
    output_path_text: str | None = None
    # JSONata I/O
    output: JsonataBuilder | None = None
    # variables
    assign: Any = None  # Builder (JSONPath) | JsonataBuilder (JSONata), returning {name: value}
    #: bound of the output size from the input and result sizes (asl.sizes.Growth), or None
    growth: Any = None
    #: the history event types of entering and leaving, e.g. "PassStateEntered"
    entered: str = ""
    exited: str = ""
    #: query_language == JSONATA (a field, not a property: it is read on every transition)
    jsonata: bool = False
    #: what evaluates it: its type, and its query language when that is JSONata ("Pass",
    #: "Pass:JSONata"): the interpreter's handler of the state, chosen once, when it is loaded
    handler: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PassState(State):
    result: JSON = None
    has_result: bool = False
    parameters: Builder | None = None
    result_path: Keys | Any = ()
    result_path_text: str | None = "$"


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState(State):
    resource: Resource
    parameters: Builder | None = None        # JSONPath
    arguments: JsonataBuilder | None = None  # JSONata
    result_selector: Builder | None = None
    result_path: Keys | Any = ()
    result_path_text: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    timeout_seconds: int | None = None
    timeout_seconds_path: Getter | None = None
    timeout_seconds_expr: JsonataBuilder | None = None
    heartbeat_seconds: int | None = None
    heartbeat_seconds_path: Getter | None = None
    heartbeat_seconds_expr: JsonataBuilder | None = None
    credentials: JSON = None
    #: bound of the size of the task's input (after Parameters) from the state input's size
    input_growth: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceRule:
    predicate: Predicate | None = None      # JSONPath rule
    condition: JsonataBuilder | None = None  # JSONata rule
    next: str
    assign: Any = None
    output: JsonataBuilder | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceState(State):
    choices: tuple[ChoiceRule, ...]
    default: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitState(State):
    seconds: int | None = None
    timestamp: str | None = None
    seconds_path: Getter | None = None
    timestamp_path: Getter | None = None
    seconds_path_text: str | None = None
    timestamp_path_text: str | None = None
    seconds_expr: JsonataBuilder | None = None
    timestamp_expr: JsonataBuilder | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SucceedState(State):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class FailState(State):
    error: str | None = None
    cause: str | None = None
    error_path: Getter | None = None
    cause_path: Getter | None = None
    error_path_text: str | None = None
    cause_path_text: str | None = None
    error_expr: JsonataBuilder | None = None
    cause_expr: JsonataBuilder | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelState(State):
    branches: tuple[Program, ...]
    parameters: Builder | None = None
    arguments: JsonataBuilder | None = None
    result_selector: Builder | None = None
    result_path: Keys | Any = ()
    result_path_text: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Batcher:
    """A Map's ItemBatcher: items are handed to iterations in batches
    ``{"BatchInput": ..., "Items": [...]}`` of at most so many items and so many bytes."""

    max_items_per_batch: int | None = None
    max_items_per_batch_path: Getter | None = None
    max_items_per_batch_expr: JsonataBuilder | None = None
    max_input_bytes_per_batch: int | None = None
    max_input_bytes_per_batch_path: Getter | None = None
    max_input_bytes_per_batch_expr: JsonataBuilder | None = None
    batch_input: Any = None  # Builder (JSONPath) or JsonataBuilder (JSONata)


@dataclass(frozen=True, slots=True, kw_only=True)
class MapState(State):
    processor: Program
    mode: str = "INLINE"               # | "DISTRIBUTED"
    execution_type: str | None = None  # STANDARD | EXPRESS (distributed)
    items_path: Getter | None = None   # JSONPath; None = "$"
    items_path_text: str = "$"
    items: JsonataBuilder | None = None   # JSONata ``Items``
    items_text: str | None = None          # the ``Items`` expression, for messages
    item_selector: Builder | JsonataBuilder | None = None
    legacy_parameters: bool = False    # ``Parameters`` (deprecated) instead of ItemSelector
    item_reader: JSON = None
    item_batcher: Batcher | None = None
    result_writer: JSON = None
    flatten_results: bool = False      # ResultWriter.WriterConfig.Transformation FLATTEN
    #: (error, cause) the state fails with: a part stepline cannot run (reading items from S3,
    #: writing results to S3)
    unsupported: tuple[str, str] | None = None
    max_concurrency: int | None = None
    max_concurrency_path: Getter | None = None
    max_concurrency_expr: JsonataBuilder | None = None
    tolerated_failure_percentage: float | None = None
    tolerated_failure_percentage_path: Getter | None = None
    tolerated_failure_percentage_expr: JsonataBuilder | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_count_path: Getter | None = None
    tolerated_failure_count_expr: JsonataBuilder | None = None
    path_texts: dict[str, str] = field(default_factory=dict)  # "MaxConcurrencyPath" -> "$.x", for messages
    label: str | None = None
    item_growth: Any = None  # bound of an iteration's input from the Map's input size
    result_selector: Builder | None = None
    result_path: Keys | Any = ()
    result_path_text: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Program:
    """A set of states with a start: the machine itself, a Parallel branch, a Map processor."""

    start_at: str
    states: dict[str, State]
    query_language: str = JSONPATH
    #: where it is in the definition ("" for the machine, "/States/P/Branches[0]", ...): a
    #: stable name for it, for saving a running execution
    path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StateMachine:
    program: Program
    comment: str | None = None
    version: str | None = None
    timeout_seconds: int | None = None
    query_language: str = JSONPATH
    definition: JSON = field(default=None, compare=False, repr=False)

    @property
    def start_at(self) -> str:
        return self.program.start_at

    @property
    def states(self) -> dict[str, State]:
        return self.program.states


def inner_programs(st: State) -> tuple[Program, ...]:
    """The programs a state holds: a Parallel's branches, a Map's processor (none for others)."""
    if isinstance(st, ParallelState):
        return st.branches
    if isinstance(st, MapState):
        return (st.processor,)
    return ()


def programs_within(program: Program) -> Iterator[Program]:
    """``program`` and every program inside it, at any depth (each before those it holds)."""
    todo = [program]
    while todo:
        current = todo.pop()
        yield current
        for st in current.states.values():
            todo.extend(inner_programs(st))
