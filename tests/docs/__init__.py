"""Tests of forgeml's documentation site and of the generated projects' docs."""
