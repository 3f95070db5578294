"""``python -m harness SUBCOMMAND ...``: one module per subcommand, each with
a ``main(argv) -> int``. Add a subcommand by adding a line to COMMANDS."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "article": ("harness.article.cli", "check the YAML of a Markdown article on a kind cluster"),
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        if args and args[0] not in ("-h", "--help"):
            print(f"harness: unknown command {args[0]!r}", file=sys.stderr)
        print("usage: python -m harness COMMAND [ARGS...]\n\ncommands:")
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:<10} {text}")
        return 0 if args and args[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    return int(module.main(args[1:]))


if __name__ == "__main__":
    sys.exit(main())
