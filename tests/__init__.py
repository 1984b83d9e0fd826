"""forgeml's tests: generator/ (the tool, fast), template/ (generated projects), docs/."""
