"""ArxivGPT Local: summarise arXiv papers with a model on your own hardware."""

__version__ = "0.1.0"
