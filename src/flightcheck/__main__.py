"""Allow ``python -m flightcheck``."""

from __future__ import annotations

from flightcheck.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
