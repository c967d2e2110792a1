"""``python -m stepline`` is the ``stepline`` command."""

import sys

from . import main

sys.exit(main())
