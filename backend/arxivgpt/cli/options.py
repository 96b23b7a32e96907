"""What the subcommands share: command-line options that override settings."""

from __future__ import annotations

import argparse

from arxivgpt.settings import Settings


def settings_from(args: argparse.Namespace, *names: str) -> Settings:
    """Settings from the environment, with the options `names` overriding them where they were given."""
    overrides = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    return Settings(**overrides)
