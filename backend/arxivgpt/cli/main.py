"""`arxivgpt` entry point: subcommands, logging, and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from arxivgpt import __version__
from arxivgpt.cli import ask, models, paper, summarize
from arxivgpt.errors import ArxivGPTError, InvalidInput, PaperNotFound, SourceUnavailable

EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_UNAVAILABLE = 1, 2, 3, 4
_EXIT_CODES: list[tuple[type[ArxivGPTError], int]] = [
    (InvalidInput, EXIT_USAGE),
    (PaperNotFound, EXIT_NOT_FOUND),
    (SourceUnavailable, EXIT_UNAVAILABLE),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arxivgpt",
        description="Read, summarise and ask about arXiv papers with a model on your own machine.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each request and step")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    paper.register(commands)
    models.register(commands)
    summarize.register(commands)
    ask.register(commands)
    return parser


class _Formatter(logging.Formatter):
    """Progress as plain lines on stderr; warnings and worse say what they are."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        return message if record.levelno == logging.INFO else f"{record.levelname.lower()}: {message}"


# Warnings some libraries log when imported that do not concern this process: transformers imports torchao
# whenever it is installed (the dev tools install it), which then misses its CUDA kernels and Triton on a CPU
# machine, and registers enums with torch.compile in a way torch 2.13 calls deprecated.
IMPORT_NOISE = ("torchao", "torch.utils._pytree")


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    logging.getLogger("arxivgpt").setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in IMPORT_NOISE:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.ERROR)


def exit_code(error: ArxivGPTError) -> int:
    for kind, code in _EXIT_CODES:
        if isinstance(error, kind):
            return code
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.run(args))
    except ArxivGPTError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_code(error)
    except ValidationError as error:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in error.errors())
        print(f"error: invalid setting: {details}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
