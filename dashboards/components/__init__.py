"""Widgets shared by the pages: run picker, step slider, cards, run colours."""
