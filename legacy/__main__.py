"""``python -m legacy``: run the node (bitcoind's main, in bitcoind.py)."""

from __future__ import annotations

import sys

from .bitcoind import main

raise SystemExit(main(sys.argv))
