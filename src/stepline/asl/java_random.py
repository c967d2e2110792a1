"""``java.util.Random``, for the seeded random numbers Step Functions gives.

Step Functions runs on Java: JSONata's ``$random(42)`` answers 0.7275636800328681 on AWS, which
is ``new java.util.Random(42).nextDouble()`` bit for bit (measured on AWS, floci-io/floci#2662).
This is the linear congruential generator the ``java.util.Random`` documentation specifies
(multiplier 0x5DEECE66D, increment 0xB, 48 bits of state), checked against a JVM's output in
``tests/unit/asl/test_java_random.py``.
"""

from __future__ import annotations

_MULTIPLIER = 0x5DEECE66D
_MASK = (1 << 48) - 1


class JavaRandom:
    """The numbers ``new java.util.Random(seed)`` gives."""

    __slots__ = ("_seed",)

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ _MULTIPLIER) & _MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * _MULTIPLIER + 0xB) & _MASK
        value = self._seed >> (48 - bits)
        return value - (1 << 32) if value >= 1 << 31 else value  # Java's (int) cast

    def next_double(self) -> float:
        """``nextDouble()``: uniform in [0, 1), 53 random bits."""
        return ((self._next(26) << 27) + self._next(27)) / (1 << 53)

    def next_int(self, bound: int) -> int:
        """``nextInt(bound)``: uniform in [0, bound), for 0 < bound < 2**31."""
        if not 0 < bound < 1 << 31:
            raise ValueError(f"bound must be a positive int, got {bound}")
        r = self._next(31)
        m = bound - 1
        if bound & m == 0:  # a power of two: the high bits
            return (bound * r) >> 31
        u = r
        while True:  # reject the values that would bias the remainder (Java's int overflow test)
            r = u % bound
            if u - r + m < 1 << 31:
                return r
            u = self._next(31)
