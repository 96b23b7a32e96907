"""The `arxivgpt` command."""
