"""Tests that generate projects from the real template and validate or run them."""
