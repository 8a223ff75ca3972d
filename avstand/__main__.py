"""``python -m avstand``: the same as the ``avstand`` program."""

import sys

from avstand.cli import main

sys.exit(main())
