"""One module per forgeml command, named as the command.

Each returns a result or raises ForgemlError; the CLI prints it.
"""
