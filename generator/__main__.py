"""forgeml's entry point: the `forgeml` console script and `python -m generator`.

Importing the command line (typer, rich) takes about 0.3 s, and the handlers that
turn Ctrl-C and SIGTERM into one line (`generator.cli.reported`) exist only once it
has been imported. An interrupt in that window must not end in a traceback either:
nothing has been read or written yet, so saying so is all there is to do.
"""

from __future__ import annotations

import sys

from generator import signals


def main() -> None:
    """Run forgeml; an interrupt while it starts exits 130 (143 for SIGTERM), one line."""
    signals.install()
    try:
        from generator.cli import app
    except KeyboardInterrupt as interrupt:
        sys.stderr.write("forgeml: interrupted; nothing was changed\n")
        sys.exit(signals.exit_code(interrupt))
    app(prog_name="forgeml")


if __name__ == "__main__":
    main()
