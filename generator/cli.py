"""forgeml's command line: parses arguments, calls the commands, prints results.

No logic lives here: each command is a plain function in its own module that returns
a result or raises ForgemlError, which becomes one line on stderr and an exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from generator import __version__
from generator.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, ForgemlError

app = typer.Typer(
    name="forgeml",
    help=(
        "Generate production-grade ML project repositories and keep them up to date.\n\n"
        "Exit codes: 0 ok, 1 a check or merge found problems, 2 bad input or refused."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"forgeml {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """forgeml: ML project generator."""


@app.command()
def new(
    dest: Annotated[Path, typer.Argument(help="Directory to create (must be new or empty).")],
    template: Annotated[
        str | None,
        typer.Option(help="Template path or git URL (default: the template bundled with forgeml)."),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option("--vcs-ref", help="Template git ref to use (default: latest release)."),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Use defaults for every unanswered question.")
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Answer a question: KEY=VALUE (repeatable)."),
    ] = None,
    data_file: Annotated[
        Path | None, typer.Option("--data-file", help="YAML file of answers; --data wins.")
    ] = None,
    git: Annotated[
        bool, typer.Option("--git/--no-git", help="Initialise a git repository and commit.")
    ] = True,
) -> None:
    """Generate a new ML project in DEST."""
    from generator.answers import parse_data
    from generator.create import create_project

    try:
        answers = parse_data(data or [], data_file)
        project = create_project(
            dest, data=answers, template=template, vcs_ref=vcs_ref, defaults=defaults, git=git
        )
    except ForgemlError as error:
        _fail(error)
    except KeyboardInterrupt:
        err.print("forgeml: interrupted; nothing was written")
        raise typer.Exit(130) from None

    version = project.template_version or "unversioned"
    out.print(
        f"[green]Created[/green] {project.path} ({project.file_count} files, "
        f"template {version}, {project.answers.get('ml_task', '')} project "
        f"[bold]{project.answers.get('package_name', '')}[/bold])"
    )
    if project.committed:
        out.print("Initialised a git repository with the generated files committed.")
    out.print("Next steps:")
    out.print(f"  cd {project.path}")
    out.print("  make setup && make train")


OUTPUT_FORMATS = ("text", "json")


@app.command()
def update(
    path: Annotated[Path, typer.Argument(help="The generated project (default: here).")] = Path(),
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="VERSION", help="Template release (default: the latest)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the diff and summary; change nothing."),
    ] = False,
    conflict: Annotated[
        str,
        typer.Option(
            "--conflict",
            metavar="inline|rej",
            help="Conflicts as inline markers (default) or as .rej files.",
        ),
    ] = "inline",
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", metavar="KEY=VALUE", help="Change an answer (repeatable)."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", metavar="text|json", help="Report format.")
    ] = "text",
) -> None:
    """Update a generated project to a newer template release, keeping local edits.

    Exit 0 when the update applied cleanly, 1 when conflicts remain to resolve,
    2 when refused (dirty tree, not a git repository, not a generated project).
    """
    from generator.answers import parse_data
    from generator.report import update_json, update_text
    from generator.update import update_project

    try:
        _check_format(output_format)
        result = update_project(
            path, to=to, dry_run=dry_run, conflict=conflict, data=parse_data(data or [])
        )
    except ForgemlError as error:
        _fail(error)
    except KeyboardInterrupt:
        where = "nothing was changed" if dry_run else "see `git status` for a partial update"
        err.print(f"forgeml: interrupted; {where}", markup=False, highlight=False)
        raise typer.Exit(130) from None
    typer.echo(update_json(result) if output_format == "json" else update_text(result), nl=False)
    raise typer.Exit(result.exit_code)


@app.command()
def diff(
    path: Annotated[Path, typer.Argument(help="The generated project (default: here).")] = Path(),
) -> None:
    """Show drift: where template-managed files differ from their recorded release.

    Exit 0 when the project matches its template release, 1 when files drifted.
    """
    from generator.drift import find_drift
    from generator.report import drift_text

    try:
        result = find_drift(path)
    except ForgemlError as error:
        _fail(error)
    typer.echo(drift_text(result), nl=False)
    raise typer.Exit(EXIT_PROBLEMS if result.drifted else EXIT_OK)


@app.command("check-update")
def check_update(
    path: Annotated[Path, typer.Argument(help="The generated project (default: here).")] = Path(),
    output_format: Annotated[
        str, typer.Option("--format", metavar="text|json", help="Report format.")
    ] = "text",
) -> None:
    """Tell whether a newer template release is available.

    Exit 0 when the project is at the latest release, 1 when a newer one exists.
    """
    from generator.check_update import check_update as check
    from generator.report import check_json, check_text

    try:
        _check_format(output_format)
        result = check(path)
    except ForgemlError as error:
        _fail(error)
    typer.echo(check_json(result) if output_format == "json" else check_text(result), nl=False)
    raise typer.Exit(result.exit_code)


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Generated projects to check (default: here).", show_default=False),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            metavar="FILE",
            help="Policy file (default: the project's forgeml-policy.toml, else the template's).",
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", metavar="text|json|sarif|markdown", help="Report format.")
    ] = "text",
) -> None:
    """Check projects against the organisation's policy (docs/policy.md).

    Exit 0 when every project conforms, 1 on violations, 2 on bad input or when a check
    could not run.
    """
    from generator.check_runner import check_projects
    from generator.formats import FORMATS, json_report, markdown_report, sarif_report, text_report

    try:
        _check_format(output_format, FORMATS)
        report = check_projects(list(paths or []), policy)
    except ForgemlError as error:
        _fail(error)
    if output_format == "text":
        out.print(text_report(report))
    else:
        render = {"json": json_report, "sarif": sarif_report, "markdown": markdown_report}
        typer.echo(render[output_format](report), nl=False)
    raise typer.Exit(report.exit_code)


def _check_format(output_format: str, formats: tuple[str, ...] = OUTPUT_FORMATS) -> None:
    if output_format not in formats:
        raise ForgemlError(f"--format must be one of {', '.join(formats)}")


def _fail(error: ForgemlError) -> None:
    err.print(f"forgeml: error: {error.message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(error.exit_code)


__all__ = ["EXIT_REFUSED", "app"]
