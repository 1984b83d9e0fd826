"""forgeml's command line: parses arguments, calls the commands, prints results.

No logic lives here: each command is a plain function in its own module that returns
a result or raises ForgemlError, which `reported` turns into one line on stderr and an
exit code. Choices (`--format`, `--conflict`) are enums, parsed with the same one-line
error; the modules behind a command are imported inside it so `--help` stays fast.
"""

from __future__ import annotations

import functools
import inspect
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

import generator
from generator import signals
from generator.backend.copier import ConflictStyle
from generator.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, ForgemlError, parse_choice
from generator.reports import CheckFormat, ReportFormat

if TYPE_CHECKING:
    from generator.templates.trust import Trust

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


Params = ParamSpec("Params")
Result = TypeVar("Result")
# What an interrupted command left behind, given its arguments by name.
Interrupted = Callable[[dict[str, Any]], str]
NOTHING_CHANGED = "nothing was changed"


def reported(
    interrupted: Interrupted = lambda _: NOTHING_CHANGED,
) -> Callable[[Callable[Params, Result]], Callable[Params, Result]]:
    """Run a command, turning ForgemlError into `forgeml: error: <message>` and its exit code.

    Ctrl-C and SIGTERM (`signals`) become `forgeml: interrupted; <what was left>`, where
    `interrupted` says what, and the exit code 128 + the signal number (130, 143), as
    for any program a signal stopped.
    """

    def decorate(command: Callable[Params, Result]) -> Callable[Params, Result]:
        signature = inspect.signature(command)

        @functools.wraps(command)
        def run(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            try:
                return command(*args, **kwargs)
            except ForgemlError as error:
                _print_error(f"forgeml: error: {error.message}")
                raise typer.Exit(error.exit_code) from None
            except KeyboardInterrupt as interrupt:
                arguments = signature.bind_partial(*args, **kwargs).arguments
                _print_error(f"forgeml: interrupted; {interrupted(arguments)}")
                raise typer.Exit(signals.exit_code(interrupt)) from None

        return run

    return decorate


def _print_error(line: str) -> None:
    err.print(line, markup=False, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"forgeml {generator.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """forgeml: ML project generator."""
    # A cancelled CI job sends SIGTERM: clean up exactly as on Ctrl-C.
    signals.install()


def _choices(choices: type[StrEnum]) -> str:
    return "|".join(choice.value for choice in choices)


# The options `new` and `adopt` share: which template, and the answers given to it.
TemplateOption = Annotated[
    str | None,
    typer.Option(help="Template path or git URL (default: the template bundled with forgeml)."),
]
VcsRefOption = Annotated[
    str | None,
    typer.Option("--vcs-ref", help="Template git ref to use (default: latest release)."),
]
DataOption = Annotated[
    list[str] | None,
    typer.Option("--data", "-d", help="Answer a question: KEY=VALUE (repeatable)."),
]
DataFileOption = Annotated[
    Path | None, typer.Option("--data-file", help="YAML file of answers; --data wins.")
]
# The report format of every command that reports (check has more formats: CheckFormat).
FormatOption = Annotated[
    str, typer.Option("--format", metavar=_choices(ReportFormat), help="Report format.")
]


TrustOption = Annotated[
    bool,
    typer.Option(
        "--trust",
        help=(
            "Let the template run its code (copier _tasks, _migrations) although its source "
            "is not on the trusted list (docs/cli.md#trust)."
        ),
    ),
]


@app.command()
@reported(lambda _: "nothing was written")
def new(
    dest: Annotated[Path, typer.Argument(help="Directory to create (must be new or empty).")],
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Use defaults for every unanswered question.")
    ] = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    git: Annotated[
        bool, typer.Option("--git/--no-git", help="Initialise a git repository and commit.")
    ] = True,
    trust: TrustOption = False,
) -> None:
    """Generate a new ML project in DEST."""
    from generator.commands.new import create_project
    from generator.project.answers import parse_data
    from generator.templates.trust import load_trust

    answers = parse_data(data or [], data_file)
    project = create_project(
        dest,
        data=answers,
        template=template,
        vcs_ref=vcs_ref,
        defaults=defaults,
        git=git,
        trust=load_trust(trust_all=trust),
    )

    if project.template_dirty:
        err.print(
            f"forgeml: warning: the template {project.template_src} has uncommitted changes; "
            "they were rendered, but the recorded _commit exists only in a temporary clone, "
            "so `forgeml update` and `forgeml diff` cannot replay it: commit the template "
            "first for a project you keep",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    version = project.template_version or "unversioned"
    out.print(
        f"[green]Created[/green] {escape(str(project.path))} ({project.file_count} files, "
        f"template {version}, {project.answers.get('ml_task', '')} project "
        f"[bold]{escape(str(project.answers.get('package_name', '')))}[/bold])"
    )
    if project.committed:
        out.print("Initialised a git repository with the generated files committed.")
    out.print("Next steps:")
    # DEST as typed (relative to where the user is), quoted for the shell: the
    # absolute path would carry any `..` along unresolved.
    out.print(f"  cd {shlex.quote(str(dest))}", markup=False, highlight=False)
    out.print("  make setup && make train")


@app.command()
@reported()
def adopt(
    path: Annotated[
        Path, typer.Argument(help="The git repository to adopt (default: here).")
    ] = Path(),
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    defaults: Annotated[
        bool,
        typer.Option(
            "--defaults", help="Ask nothing: inferred answers, else the template's defaults."
        ),
    ] = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the answers and the plan; change nothing.")
    ] = False,
    output_format: FormatOption = "text",
) -> None:
    """Bring an existing git repository under the template, on a new branch.

    Answers are read from the repository where it states them (pyproject.toml, LICENSE,
    src/...). The template is committed on `forgeml/adopt-<release>`; files the
    repository already has are merged or kept with conflict markers, never overwritten.
    Exit 0 when it merged cleanly, 1 when conflicts remain to resolve, 2 when refused.
    """
    import sys

    from generator.commands.adopt import adopt_repository
    from generator.project.answers import parse_data
    from generator.reports.adopt import adopt_json, adopt_text

    report_format = parse_choice(ReportFormat, output_format, "--format")
    result = adopt_repository(
        path,
        data=parse_data(data or [], data_file),
        template=template,
        vcs_ref=vcs_ref,
        # Prompts only at a terminal: an unattended run must never wait for input.
        defaults=defaults or not sys.stdin.isatty(),
        dry_run=dry_run,
    )
    rendered = adopt_json(result) if report_format is ReportFormat.JSON else adopt_text(result)
    typer.echo(rendered, nl=False)
    raise typer.Exit(result.exit_code)


@app.command()
@reported(
    lambda args: NOTHING_CHANGED if args.get("dry_run") else "see `git status` for a partial update"
)
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
            metavar=_choices(ConflictStyle),
            help="Conflicts as inline markers (default) or as .rej files.",
        ),
    ] = "inline",
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", metavar="KEY=VALUE", help="Change an answer (repeatable)."),
    ] = None,
    output_format: FormatOption = "text",
    trust: TrustOption = False,
) -> None:
    """Update a generated project to a newer template release, keeping local edits.

    Exit 0 when the update applied cleanly, 1 when conflicts remain to resolve,
    2 when refused (dirty tree, not a git repository, not a generated project, a
    template with code from a source not trusted).
    """
    from generator.commands.update import update_project
    from generator.project.answers import parse_data
    from generator.reports.maintenance import update_json, update_text
    from generator.templates.trust import load_trust

    report_format = parse_choice(ReportFormat, output_format, "--format")
    result = update_project(
        path,
        to=to,
        dry_run=dry_run,
        conflict=conflict,
        data=parse_data(data or []),
        trust=load_trust(trust_all=trust),
    )
    rendered = update_json(result) if report_format is ReportFormat.JSON else update_text(result)
    typer.echo(rendered, nl=False)
    raise typer.Exit(result.exit_code)


@app.command()
@reported()
def diff(
    path: Annotated[Path, typer.Argument(help="The generated project (default: here).")] = Path(),
) -> None:
    """Show drift: where template-managed files differ from their recorded release.

    Exit 0 when the project matches its template release, 1 when files drifted.
    """
    from generator.commands.diff import diff as find_drift
    from generator.reports.maintenance import drift_text

    result = find_drift(path)
    typer.echo(drift_text(result), nl=False)
    raise typer.Exit(EXIT_PROBLEMS if result.drifted else EXIT_OK)


@app.command("check-update")
@reported()
def check_update(
    path: Annotated[Path, typer.Argument(help="The generated project (default: here).")] = Path(),
    output_format: FormatOption = "text",
) -> None:
    """Tell whether a newer template release is available.

    Exit 0 when the project is at the latest release, 1 when a newer one exists.
    """
    from generator.commands.check_update import check_update as check
    from generator.reports.maintenance import check_json, check_text

    report_format = parse_choice(ReportFormat, output_format, "--format")
    result = check(path)
    typer.echo(
        check_json(result) if report_format is ReportFormat.JSON else check_text(result), nl=False
    )
    raise typer.Exit(result.exit_code)


@app.command()
@reported()
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
        str, typer.Option("--format", metavar=_choices(CheckFormat), help="Report format.")
    ] = "text",
) -> None:
    """Check projects against the organisation's policy (docs/policy.md).

    Exit 0 when every project conforms, 1 on violations, 2 on bad input or when a check
    could not run.
    """
    from generator.commands.check import check_projects
    from generator.reports.check import json_report, markdown_report, sarif_report, text_report

    report_format = parse_choice(CheckFormat, output_format, "--format")
    report = check_projects(list(paths or []), policy)
    if report_format is CheckFormat.TEXT:
        out.print(text_report(report))
    else:
        render = {
            CheckFormat.JSON: json_report,
            CheckFormat.SARIF: sarif_report,
            CheckFormat.MARKDOWN: markdown_report,
        }
        typer.echo(render[report_format](report), nl=False)
    raise typer.Exit(report.exit_code)


fleet_app = typer.Typer(
    name="fleet",
    help=(
        "Status, check or update many generated projects in parallel.\n\n"
        "ROOT is a repository, a directory of repositories, a file listing paths, or a\n"
        "fleet file (*.toml) of git URLs, cloned into a cache workspace."
    ),
    no_args_is_help=True,
)
app.add_typer(fleet_app)

RootsArgument = Annotated[
    list[Path],
    typer.Argument(
        metavar="ROOT...", help="Repositories, directories of them, or files listing paths."
    ),
]
JobsOption = Annotated[
    int | None,
    typer.Option("--jobs", "-j", metavar="N", help="Parallel workers (default: CPU count)."),
]
FleetPolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy", metavar="FILE", help="Policy for every repository (default: each its own)."
    ),
]
WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        metavar="DIR",
        help="Where a fleet file's repositories are cloned (default: the user cache).",
    ),
]


@fleet_app.command("status")
def fleet_status(
    roots: RootsArgument,
    jobs: JobsOption = None,
    policy: FleetPolicyOption = None,
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
) -> None:
    """Template release, releases behind, policy violations and drift, per repository.

    Exit 0 when every repository is current, conforming and without drift, else 1.
    """
    _fleet("status", roots, jobs, policy, output_format, _Remote(workspace))


@fleet_app.command("check")
def fleet_check(
    roots: RootsArgument,
    jobs: JobsOption = None,
    policy: FleetPolicyOption = None,
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
) -> None:
    """`forgeml check` every repository. Exit 0 when all conform, else 1."""
    _fleet("check", roots, jobs, policy, output_format, _Remote(workspace))


@fleet_app.command("update")
def fleet_update(
    roots: RootsArgument,
    jobs: JobsOption = None,
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
    push: Annotated[
        bool, typer.Option("--push", help="Fleet file: push each update branch to its remote.")
    ] = False,
    pull_requests: Annotated[
        bool,
        typer.Option(
            "--pull-requests",
            help="Fleet file: push, then open or refresh a pull request per repository "
            "(token from GITHUB_TOKEN or GH_TOKEN).",
        ),
    ] = False,
    label: Annotated[
        str, typer.Option("--label", metavar="NAME", help="Label of the pull requests.")
    ] = "forgeml",
    trust_source: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-source",
            metavar="PREFIX",
            help=(
                "Also trust template sources under this URL or path prefix for this run "
                "(repeatable; docs/cli.md#trust)."
            ),
        ),
    ] = None,
) -> None:
    """Update every repository to the latest release, on a new branch each.

    The update is committed on `forgeml/update-<version>`; the checked-out branch is
    never touched. A repository whose template runs code (tasks, migrations) from a
    source not trusted is reported, not updated. Exit 0 when every update applied
    cleanly (or none was needed), 1 when some have conflicts, failed or were refused.
    """
    remote = _Remote(workspace, push or pull_requests, pull_requests, label)
    _fleet("update", roots, jobs, None, output_format, remote, trust_source or [])


@fleet_app.command("discover")
def fleet_discover(
    org: Annotated[str, typer.Argument(metavar="ORG", help="A GitHub organisation.")],
) -> None:
    """Print a fleet file of ORG's repositories (archived ones left out).

    Token from GITHUB_TOKEN or GH_TOKEN; API from GITHUB_API_URL (default api.github.com).
    """
    _discover(org)


@reported(lambda _: "interrupted")
def _discover(org: str) -> None:
    from generator.backend.github import (
        GitHubClient,
        api_url_from_environment,
        token_from_environment,
    )
    from generator.commands.fleet.rollout import discovered_fleet

    client = GitHubClient(token_from_environment(), api_url_from_environment())
    typer.echo(discovered_fleet(client, org), nl=False)


@dataclass(frozen=True)
class _Remote:
    """What `fleet` does with a fleet file's repositories beyond the local operation."""

    workspace: Path | None = None
    push: bool = False
    pull_requests: bool = False
    label: str = "forgeml"


@reported(
    lambda args: (
        "unfinished updates were discarded (no branch, no worktree)"
        if args.get("operation") == "update"
        else NOTHING_CHANGED
    )
)
def _fleet(
    operation: Literal["status", "check", "update"],
    roots: list[Path],
    jobs: int | None,
    policy: Path | None,
    output_format: str,
    remote: _Remote,
    trust_sources: list[str] | None = None,
) -> None:
    from generator.checks import SELECTORS
    from generator.commands.fleet import default_jobs, discover, run_fleet
    from generator.commands.fleet.fleetfile import is_fleet_file
    from generator.policy.file import load_policy
    from generator.reports.fleet import fleet_json, fleet_text
    from generator.templates.trust import load_trust

    report_format = parse_choice(ReportFormat, output_format, "--format")
    trust = load_trust(extra=trust_sources or [], flag="--trust-source PREFIX")
    if any(is_fleet_file(root) for root in roots):
        _fleet_file(operation, roots, jobs, policy, report_format, remote, trust)
    if remote.push:
        raise ForgemlError("--push and --pull-requests need a fleet file (*.toml) as ROOT")
    repositories = discover(roots)
    loaded = load_policy(policy, SELECTORS) if policy is not None else None
    with _progress(len(repositories), f"fleet {operation}") as on_result:
        report = run_fleet(
            operation,
            repositories,
            jobs=jobs if jobs is not None else default_jobs(),
            policy=loaded,
            on_result=on_result,
            trust=trust,
        )
    if report_format is ReportFormat.JSON:
        typer.echo(fleet_json(report), nl=False)
    else:
        out.print(fleet_text(report))
    raise typer.Exit(report.exit_code)


def _fleet_file(
    operation: Literal["status", "check", "update"],
    roots: list[Path],
    jobs: int | None,
    policy: Path | None,
    report_format: ReportFormat,
    remote: _Remote,
    trust: Trust,
) -> None:
    from generator.backend.github import (
        GitHubClient,
        api_url_from_environment,
        token_from_environment,
    )
    from generator.checks import SELECTORS
    from generator.commands.fleet import default_jobs
    from generator.commands.fleet.fleetfile import load_fleet_file
    from generator.commands.fleet.rollout import run_rollout
    from generator.commands.fleet.workspace import default_workspace
    from generator.policy.file import load_policy
    from generator.reports.rollout import rollout_json, rollout_text

    if len(roots) != 1:
        raise ForgemlError("a fleet file (*.toml) must be the only ROOT")
    fleet = load_fleet_file(roots[0])
    loaded = load_policy(policy, SELECTORS) if policy is not None else None
    github = None
    if remote.pull_requests:  # before any clone: a missing token is bad input
        github = GitHubClient(token_from_environment(), api_url_from_environment())
    with _progress(len(fleet.repositories), f"fleet {operation}") as on_result:
        rollout = run_rollout(
            operation,
            fleet,
            remote.workspace or default_workspace(),
            jobs=jobs if jobs is not None else default_jobs(),
            policy=loaded,
            push=remote.push,
            github=github,
            label=remote.label or None,
            on_result=on_result,
            trust=trust,
        )
    if report_format is ReportFormat.JSON:
        typer.echo(rollout_json(rollout), nl=False)
    else:
        out.print(rollout_text(rollout))
    raise typer.Exit(rollout.exit_code)


@contextmanager
def _progress(total: int, description: str) -> Iterator[Callable[[Any], None] | None]:
    """A progress bar on standard error when it is a terminal; nothing in CI logs."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda _result: progress.advance(task)


__all__ = ["EXIT_REFUSED", "app"]
