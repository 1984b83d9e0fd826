"""Renderings of command results for people and machines (text, JSON, SARIF, Markdown)."""
