"""Collect, validate, merge and report municipal answers to recurring social-sector surveys."""

__version__ = "0.1.0"
