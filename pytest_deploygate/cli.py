"""The ``deploygate`` console script: ``deploygate import CHECKLIST.md [-o FILE]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_USAGE = 4  # the gate's exit code for usage and config errors


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="deploygate", description="Tools around pytest-deploygate's config."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser(
        "import",
        help="draft a deploygate.toml from a Markdown deployment checklist",
        description="Read a Markdown deployment checklist and write a draft deploygate.toml: "
        "each item it recognises becomes a check or a decision rule; every other item stays "
        "in the draft as a quoted comment with the reason. Offline and deterministic.",
    )
    imp.add_argument("checklist", type=Path, help="the checklist (Markdown)")
    imp.add_argument(
        "-o", "--output", type=Path, default=None,
        help="where to write the draft (default: deploygate.toml; '-' prints it)",
    )  # fmt: skip
    imp.add_argument("--target", default="production", help="name of the drafted target")
    imp.add_argument("--force", action="store_true", help="overwrite an existing output file")
    args = parser.parse_args(argv)
    return _import(args.checklist, args.output, args.target, args.force)


def _import(checklist: Path, output: Path | None, target: str, force: bool) -> int:
    from pytest_deploygate.importer import import_checklist

    try:
        text = checklist.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        print(f"deploygate import: cannot read {checklist}: {exc.strerror}.", file=sys.stderr)
        return EXIT_USAGE
    out = output or Path("deploygate.toml")
    if str(out) != "-" and out.exists() and not force:
        print(
            f"deploygate import: {out} exists; pass -o to write elsewhere, or --force.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    result = import_checklist(text, checklist.name, target)
    if str(out) == "-":
        sys.stdout.write(result.text)
        print(result.summary, file=sys.stderr)
        return EXIT_OK
    out.write_text(result.text, encoding="utf-8")
    print(f"Wrote {out}. {result.summary}")
    if result.variables:
        print(
            "Set "
            + ", ".join(result.variables)
            + f", then: pytest --collect-only --target {target}"
        )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
