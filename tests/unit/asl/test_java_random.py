"""stepline's java.util.Random gives a JVM's numbers.

The expected values were printed by OpenJDK 17 running this program (``java R``)::

    import java.util.Random;
    public class R {
      public static void main(String[] a) {
        long[] seeds = {42, 0, -7, 123456789, 2147483647L, -2147483648L};
        int[] bounds = {10, 100, 1000, 7, 1 << 20, 2147483647, 999};
        for (long s : seeds) {
          StringBuilder sb = new StringBuilder();
          sb.append(s).append(" d=").append(new Random(s).nextDouble());
          for (int b : bounds) sb.append(" ").append(new Random(s).nextInt(b));
          Random r = new Random(s); sb.append(" seq=");
          for (int i = 0; i < 5; i++) sb.append(r.nextInt(1000)).append(",");
          System.out.println(sb);
        }
      }
    }
"""

from __future__ import annotations

import pytest

import stepline
from stepline.asl.java_random import JavaRandom

JVM = """\
42 d=0.7275636800328681 0 30 130 1 762905 1562431130 125 seq=130,763,248,884,970,
0 d=0.730967787376657 0 60 360 5 766475 1569741360 672 seq=360,948,29,447,515,
-7 d=0.2691218093260761 2 62 662 4 282194 577934662 175 seq=662,297,590,707,478,
123456789 d=0.664038103272266 5 65 965 1 696294 1426010965 403 seq=965,600,483,344,290,
2147483647 d=0.6201007799387834 1 81 281 4 650222 1331656281 270 seq=281,505,419,231,812,
-2147483648 d=0.37980963831837855 2 92 992 4 398259 815634992 443 seq=992,668,837,655,307,
"""
BOUNDS = [10, 100, 1000, 7, 1 << 20, 2147483647, 999]


@pytest.mark.parametrize("line", JVM.splitlines())
def test_the_numbers_are_a_jvms(line: str) -> None:
    seed, double, *ints, seq = line.split(" ")
    s = int(seed)
    assert repr(JavaRandom(s).next_double()) == double.removeprefix("d=")
    assert [JavaRandom(s).next_int(b) for b in BOUNDS] == [int(i) for i in ints]
    r = JavaRandom(s)
    assert [r.next_int(1000) for _ in range(5)] == [int(i) for i in seq.removeprefix("seq=").rstrip(",").split(",")]


def test_jsonata_random_with_a_seed_is_aws_number() -> None:
    """$random(42) answers 0.7275636800328681 on AWS (measured, floci-io/floci#2662)."""
    definition = {"QueryLanguage": "JSONata", "StartAt": "R",
                  "States": {"R": {"Type": "Pass", "Output": "{% $random(42) %}", "End": True}}}
    assert stepline.run(definition).output == 0.7275636800328681


def test_math_random_with_a_seed_draws_from_java_random() -> None:
    definition = {"StartAt": "R", "States": {"R": {"Type": "Pass", "End": True,
                                                   "Parameters": {"n.$": "States.MathRandom(5, 1005, 42)"}}}}
    assert stepline.run(definition).output == {"n": 5 + 130}  # start + nextInt(1000) of Random(42)


def test_a_bound_out_of_java_ints_is_refused() -> None:
    with pytest.raises(ValueError):
        JavaRandom(1).next_int(0)
