"""`python -m generator.checks.schema`: print the policy file's JSON Schema, check codes included.

docs/policy.schema.json is this output, committed, so editors can validate and complete
`forgeml-policy.toml` (taplo and VS Code's Even Better TOML read a `#:schema` comment).
A test fails when the committed file is stale.
"""

from __future__ import annotations

import json

from generator.checks import SELECTORS
from generator.policy.file import policy_schema

if __name__ == "__main__":
    print(json.dumps(policy_schema(SELECTORS), indent=2))
