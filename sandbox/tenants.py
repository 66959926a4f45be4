"""Stub: filled in by its own commit."""

ROUTES: list = []
