"""The documentation site: it builds strictly, and the pages that must track the code do.

- `mkdocs build --strict` succeeds offline: no broken link, anchor or nav entry.
- The answers reference, generated from copier.yml by docs/hooks/answers.py, shows every
  question with its default, choices and rule.
- docs/troubleshooting.md lists every error message forgeml can print. Messages are read
  from the source: each `ForgemlError(...)` and `InvalidAnswerError(...)` call, and the
  message each other ForgemlError subclass builds, becomes a pattern whose interpolated
  values match the page's `<placeholders>` (or concrete example values).
- docs/architecture.md names every module of generator/.
"""

from __future__ import annotations

import ast
import html
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.support.docs import nav_pages

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GENERATOR = ROOT / "generator"
ERROR_PREFIX = "forgeml: error: "

# An interpolated value, as the troubleshooting page writes it: `<what>`, or an example
# value without spaces, or a comma-separated list of those (`text, json`).
_TOKEN = r"(?:<[^<>\n]+>|[^\s<>])"
PLACEHOLDER = rf"{_TOKEN}+(?:, {_TOKEN}+)*"
# TemplateLocation.explain() appends " (<note>)" to a message when there is a note.
EXPLAINED = r"(?: \(.+\))?"

# Calls whose message has no text of forgeml's own: they pass on a message made
# elsewhere. A new one fails the test until the messages it can print are documented and
# it is listed here, with the page's lines for the messages that do not come from
# forgeml's source.
RELAYED: dict[str, tuple[str, ...]] = {
    # copier's own validation and revision errors
    "ForgemlError(describe_copier_value_error(error))": (
        "invalid answer for <question>: '<answer>' is not in [<choices>]",
        "Unknown revision: '<ref>'",
    ),
    # a git failure (documented with backend/git.py run_git's message), plus a release-cache note
    "ForgemlError(location.explain(error.message))": (),
    # a remembered failure of listing a template's releases, raised again per project
    "ForgemlError(known.message)": (),
}


# --- The site --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(site_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"mkdocs build --strict failed:\n{output}"
    assert "WARNING" not in output, output
    return site_dir


def _mkdocs_config() -> dict[str, Any]:
    # mkdocs.yml uses mkdocs' `!relative` tag, which plain YAML loaders do not know.
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_constructor("!relative", lambda _loader, _node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=loader)


def test_every_nav_page_is_built(site: Path) -> None:
    for page in nav_pages(_mkdocs_config()["nav"]):
        built = "index.html" if page == "index.md" else f"{page.removesuffix('.md')}/index.html"
        assert (site / built).is_file(), f"{page} was not built"


def test_the_build_needs_no_network() -> None:
    theme = _mkdocs_config()["theme"]
    assert theme.get("font") is False, "theme.font must be false: web fonts are fetched"
    plugins = [next(iter(p)) if isinstance(p, dict) else p for p in _mkdocs_config()["plugins"]]
    assert not {"social", "privacy"} & set(plugins), "these plugins download at build time"


# --- The answers reference -------------------------------------------------------------


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hook_answers", DOCS / "hooks/answers.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as mkdocs does; dataclasses need it
    spec.loader.exec_module(module)
    return module


def _page_text(page: Path) -> str:
    """The visible text of a built page's article, whitespace collapsed."""
    source = page.read_text(encoding="utf-8")
    article = source[source.index("<article") : source.index("</article>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article)).split())


def _questions() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    return {name: value for name, value in data.items() if not name.startswith("_")}


def test_answers_reference_lists_every_question(site: Path) -> None:
    page = site / "answers/index.html"
    source = page.read_text(encoding="utf-8")
    text = _page_text(page)
    hook = _load_hook()
    questions = _questions()
    assert questions
    for name, question in questions.items():
        assert f'id="{name}"' in source, f"no section for question {name}"
        if question.get("help"):
            assert " ".join(question["help"].split()) in text, name
        default = " ".join(str(question.get("default", "")).split())
        assert default in text, f"default of {name} missing: {default}"
        for label, value in hook.choices(hook.Question(name, question)):
            assert f"{value} " in text, f"choice {value!r} of {name} missing"
            assert label in text, f"choice label {label!r} of {name} missing"
        if rule := hook.rule(hook.Question(name, question)):
            assert rule in text, f"rule of {name} missing: {rule}"


def test_answers_reference_shows_computed_defaults_and_usage() -> None:
    reference = _load_hook().render_reference(ROOT / "copier.yml")
    section = reference[reference.index("## `package_name`") :]
    section = section[: section.index("\n## ")]
    assert "`ml_project` with every other default" in section
    assert "file names `src/{{package_name}}/`" in section
    assert "`keyword`" not in section  # the standard-library rule is described, not listed
    assert "`mlflow`" in section  # forgeml's reserved names are listed


def test_answers_hook_reads_every_copier_question_form(tmp_path: Path) -> None:
    (tmp_path / "template").mkdir()
    (tmp_path / "template" / "{{ name }}.txt.jinja").write_text("{{ colour }}\n")
    conditional = tmp_path / "template" / "{% if colour == 'red' %}warm{% endif %}"
    conditional.mkdir()
    (conditional / "notes.txt.jinja").write_text("{{ name }}\n")
    (tmp_path / "copier.yml").write_text(
        """\
_subdirectory: template
name: demo
colour:
  type: str
  help: Favourite colour
  choices:
    - [Red (warm), red]
    - [Blue, {value: blue, validator: "{% if true %}not today{% endif %}"}]
  default: red
token:
  type: str
  secret: true
  when: "{{ name != 'demo' }}"
  placeholder: abc
""",
        encoding="utf-8",
    )
    reference = _load_hook().render_reference(tmp_path / "copier.yml")
    assert "## `name`" in reference
    assert "- **Default:** `demo`" in reference
    assert "file names `{{ name }}.txt`" in reference
    assert "| `red` (default) | Red (warm) |" in reference
    assert "| `blue` | Blue |" in reference
    assert "- **Used in:** file names `warm/` (only when `colour == 'red'`), `{{ name }}.txt`" in (
        reference
    )
    assert "`warm/notes.txt`" in reference
    assert "- **Secret:**" in reference
    assert "- **Asked only when:** `{{ name != 'demo' }}`" in reference
    assert "- **`placeholder`:** `abc`" in reference
    assert "- **Default:** none" in reference


# --- Troubleshooting: every error message, and only those --------------------------------


@dataclass(frozen=True)
class Message:
    """A message as the source builds it: a regex, and a readable form for reports."""

    regex: str
    shown: str
    # False when every part is interpolated: the call relays a message made elsewhere.
    literal: bool

    def __add__(self, other: Message) -> Message:
        return Message(
            self.regex + other.regex, self.shown + other.shown, self.literal or other.literal
        )


def _text(text: str) -> Message:
    return Message(re.escape(text), text, bool(text))


_VALUE = Message(PLACEHOLDER, "<...>", literal=False)


def _message(node: ast.expr) -> Message:
    """The message `node` evaluates to: its literal text, with placeholders for values."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _text(node.value)
    if isinstance(node, ast.JoinedStr):
        result = Message("", "", literal=False)
        for value in node.values:
            if isinstance(value, ast.Constant):
                result += _text(str(value.value))
            elif not result.regex.endswith(PLACEHOLDER):  # adjacent values: one placeholder
                result += _VALUE
        return result
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "explain"
    ):
        return _message(node.args[0]) + Message(EXPLAINED, "[ (<note>)]", literal=False)
    return _VALUE


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else None


def _modules() -> dict[str, ast.Module]:
    return {
        path.relative_to(ROOT).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(GENERATOR.rglob("*.py"))
    }


def _error_classes(modules: dict[str, ast.Module]) -> dict[str, ast.ClassDef]:
    """ForgemlError's subclasses in generator/, direct or not, by name."""
    classes = {
        node.name: node
        for tree in modules.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    found: dict[str, ast.ClassDef] = {}
    grew = True
    while grew:
        grew = False
        for name, node in classes.items():
            bases = {base.id for base in node.bases if isinstance(base, ast.Name)}
            if name not in found and bases & ({"ForgemlError"} | set(found)):
                found[name] = node
                grew = True
    return found


def _super_message(node: ast.ClassDef) -> ast.expr | None:
    """The message a ForgemlError subclass builds: the argument of its super().__init__."""
    for call in ast.walk(node):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "__init__"
            and isinstance(call.func.value, ast.Call)
            and _call_name(call.func.value) == "super"
            and call.args
        ):
            return call.args[0]
    return None


def _source_messages() -> tuple[dict[str, Message], set[str]]:
    """{where it is made: message}, and the relaying calls, from generator/."""
    modules = _modules()
    messages: dict[str, Message] = {}
    relays: set[str] = set()
    for name, node in _error_classes(modules).items():
        # InvalidAnswerError's calls are precise enough to document one by one (below);
        # another subclass builds its message from parts: its general form is documented.
        built = _super_message(node)
        if name != "InvalidAnswerError" and built is not None:
            messages[f"class {name}"] = _message(built)
    for module, tree in modules.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            if name == "ForgemlError":
                message = _message(node.args[0])
            elif name == "InvalidAnswerError":
                message = (
                    _text("invalid answer for ")
                    + _message(node.args[0])
                    + _text(": ")
                    + _message(node.args[1])
                )
            elif name == "TemplateLocation" and (
                note := next((k.value for k in node.keywords if k.arg == "note"), None)
            ):
                # A note explains a failure: "<error> (<note>)".
                message = _VALUE + _text(" (") + _message(note) + _text(")")
            else:
                continue
            if message.literal:
                messages[f"{module}:{node.lineno}"] = message
            else:
                relays.add(ast.unparse(node))
    return messages, relays


def _documented_messages() -> list[str]:
    page = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    return [
        line.removeprefix(ERROR_PREFIX)
        for line in page.splitlines()
        if line.startswith(ERROR_PREFIX)
    ]


def test_message_extraction_finds_the_known_forms() -> None:
    messages, relays = _source_messages()
    shown = {message.shown for message in messages.values()}
    assert len(shown) > 30
    assert "invalid answer for package_name: <...> is a Python keyword" in shown
    assert "DEST <...> exists and is not a directory" in shown
    assert "git <...> failed: <...>[ (<note>)]" in shown
    assert "<...> (no local release cache at <...>)" in shown
    assert "ForgemlError(describe_copier_value_error(error))" in relays


def test_relayed_messages_are_in_troubleshooting() -> None:
    documented = _documented_messages()
    for lines in RELAYED.values():
        for line in lines:
            assert line in documented, f"docs/troubleshooting.md lacks {ERROR_PREFIX}{line}"


def test_every_error_message_is_in_troubleshooting() -> None:
    messages, relays = _source_messages()
    documented = _documented_messages()
    missing = [
        f"{where}: {message.shown}"
        for where, message in messages.items()
        if not any(re.fullmatch(message.regex, line) for line in documented)
    ]
    assert not missing, (
        "docs/troubleshooting.md lacks these error messages; add each as a line "
        f"'{ERROR_PREFIX}<message>' (values as <placeholders>) with its fix:\n" + "\n".join(missing)
    )
    unknown = relays - set(RELAYED)
    assert not unknown, (
        "these calls relay a message made elsewhere: document the messages they can print "
        f"in docs/troubleshooting.md, then add the calls to RELAYED: {sorted(unknown)}"
    )


# --- Architecture ------------------------------------------------------------------------


def test_architecture_names_every_module() -> None:
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    missing = [
        path.relative_to(GENERATOR).as_posix()
        for path in sorted(GENERATOR.rglob("*.py"))
        if f"`{path.relative_to(GENERATOR).as_posix()}`" not in page
    ]
    assert not missing, f"docs/architecture.md's module map lacks {missing}"
