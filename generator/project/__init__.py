"""A generated project as forgeml maintains it.

Its answers, its git state, what an update changed, and its drift from the template.
"""
