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

__all__ = ["run", "parse", "validate", "function", "Execution", "StateMachine", "Diagnostic", "DefinitionError"]
__version__ = "0.1.0"
