"""Pure, deterministic evaluation of states: no I/O, no clock, no sleeping."""

from .core import Interpreter
from .frames import Execution, Frame

__all__ = ["Interpreter", "Execution", "Frame"]
