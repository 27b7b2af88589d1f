"""Serves the lake's champion model over HTTP."""

__version__ = "0.1.0"
