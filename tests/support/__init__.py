"""Code the tests share: the fixture template, generated-project helpers, validators."""
