"""``python -m scopeaudit.lab.persona SPEC.json``: run one persona until SIGTERM.

A standalone program started by the lab supervisor (not a user command), so it reports a bad
spec itself: one line on stderr, exit 3.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from scopeaudit.lab.persona.loader import SpecError, load_spec
from scopeaudit.lab.persona.runtime import Runtime


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m scopeaudit.lab.persona SPEC.json\n")
        return 2
    try:
        spec = load_spec(Path(argv[1]))
    except SpecError as error:
        sys.stderr.write(f"persona: {error}\n")
        return 3
    Path(spec.run_dir).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=str(Path(spec.run_dir) / "persona.log"),
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    return asyncio.run(Runtime(spec).run())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
