"""stepline: AWS Step Functions that you run yourself.

    >>> import stepline
    >>> stepline.run({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}, {"x": 1}).output
    {'x': 1}
"""

from .asl.diagnostics import Diagnostic
from .asl.errors import DefinitionError
from .asl.model import StateMachine
from .asl.parser import parse, validate
from .engine.local import run
from .integrations.functions import function
from .interpreter.frames import Execution

__all__ = ["run", "parse", "validate", "function", "Execution", "StateMachine", "Diagnostic", "DefinitionError",
           "ActivityWorker"]


def __getattr__(name: str) -> object:
    if name == "ActivityWorker":  # imported on first use: it brings botocore, which `run` does not need
        from .activity import ActivityWorker
        return ActivityWorker
    raise AttributeError(f"module 'stepline' has no attribute {name!r}")
__version__ = "0.1.0"
