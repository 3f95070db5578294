"""``python -m harness COMMAND ...``: the harness's command-line tools.

Each command is a module with ``main(argv) -> int``; adding one is one entry
in ``COMMANDS``."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "report": "harness.report_cli",  # report merge DIR... : one report from several runs' reports
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        given = f"unknown command {args[0]!r}; " if args and args[0] not in ("-h", "--help") else ""
        print(
            f"usage: python -m harness {{{','.join(COMMANDS)}}} ... ({given}commands: {', '.join(COMMANDS)})",
            file=sys.stderr,
        )
        return 2
    return int(importlib.import_module(COMMANDS[args[0]]).main(args[1:]))


if __name__ == "__main__":
    sys.exit(main())
