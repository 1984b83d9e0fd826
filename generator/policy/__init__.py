"""The organisation policy that `check` and `fleet` enforce (`forgeml-policy.toml`)."""
