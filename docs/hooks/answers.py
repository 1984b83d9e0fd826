"""mkdocs hook: render the answers reference (docs/answers.md) from copier.yml.

The page holds a marker line; at build time the marker is replaced by one section per
question of `copier.yml`: its help, type, default, choices, validation rule, forgeml's
own checks, and the template files that use the answer (read from the template's Jinja
sources). The reference is therefore rebuilt from the questionnaire on every build and
cannot drift from it. Registered in mkdocs.yml under `hooks:`.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import yaml
from jinja2.sandbox import SandboxedEnvironment
from mkdocs.exceptions import PluginError

PAGE = "answers.md"
MARKER = "<!-- answers-reference -->"

_JINJA_TAG = re.compile(r"{%-?.*?-?%}|{#.*?#}", re.DOTALL)
# copier's conditional file or directory name: `{% if cloud == 'aws' %}infra{% endif %}`.
_CONDITIONAL_NAME = re.compile(r"{%-?\s*if\s+(.+?)\s*-?%}(.*?){%-?\s*endif\s*-?%}")
# Question settings rendered in a line of their own; any other key is listed as is.
_KNOWN_KEYS = {"type", "help", "default", "choices", "validator", "when", "multiselect", "secret"}


@dataclass
class Question:
    name: str
    settings: dict[str, Any]
    # Example value when every question takes its default.
    example: Any = None
    # Questions whose default is computed from this one.
    feeds: list[str] = field(default_factory=list)
    # Template paths that use the answer, in file names and in file contents.
    in_names: list[str] = field(default_factory=list)
    in_contents: list[str] = field(default_factory=list)


def on_page_markdown(markdown: str, page: Any, config: Any, **_: Any) -> str:
    """mkdocs event: fill the marker of the answers page."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise PluginError(f"docs/{PAGE} must contain the line {MARKER}")
    root = Path(config.config_file_path).parent
    return markdown.replace(MARKER, render_reference(root / "copier.yml"))


def render_reference(copier_yml: Path) -> str:
    """The Markdown reference of every question in `copier_yml`."""
    data = yaml.safe_load(copier_yml.read_text(encoding="utf-8")) or {}
    settings = {key: value for key, value in data.items() if str(key).startswith("_")}
    questions = load_questions(data)
    env = _jinja_env(settings.get("_envops") or {})
    _fill_examples(questions, env)
    _fill_usage(
        questions,
        copier_yml.parent / str(settings.get("_subdirectory", "")),
        str(settings.get("_templates_suffix", ".jinja")),
        env,
    )
    return "\n".join(_section(question) for question in questions.values())


def load_questions(data: Mapping[str, Any]) -> dict[str, Question]:
    """The questions of a loaded copier.yml, in order (keys without a leading `_`)."""
    questions: dict[str, Question] = {}
    for name, value in data.items():
        if str(name).startswith("_"):
            continue
        # `name: value` is copier's shorthand for a question with that default.
        question_settings = dict(value) if isinstance(value, Mapping) else {"default": value}
        questions[str(name)] = Question(str(name), question_settings)
    return questions


def choices(question: Question) -> list[tuple[str, Any]]:
    """(label shown in the prompt, answer recorded) for each choice, in order."""
    raw = question.settings.get("choices")
    if raw is None:
        return []
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(raw, Mapping):
        pairs = raw.items()
    else:
        pairs = (
            (item[0], item[1])
            if isinstance(item, list | tuple) and len(item) == 2
            else (item, item)
            for item in raw
        )
    result = []
    for label, value in pairs:
        # A choice may be a mapping with its own `value` (and a validator disabling it).
        answer = value.get("value") if isinstance(value, Mapping) else value
        result.append((str(label), answer))
    return result


def rule(question: Question) -> str | None:
    """The validator's message, without its Jinja condition and field-name prefix."""
    validator = question.settings.get("validator")
    if not validator:
        return None
    message = " ".join(_JINJA_TAG.sub(" ", str(validator)).split())
    return message.removeprefix(f"{question.name} ") or None


def _jinja_env(envops: Mapping[str, Any]) -> jinja2.Environment:
    """A Jinja environment like copier's: sandboxed, with the Ansible filters it bundles."""
    options = {key: value for key, value in envops.items() if key != "undefined"}
    return SandboxedEnvironment(
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"], **options
    )


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _fill_examples(questions: dict[str, Question], env: jinja2.Environment) -> None:
    """Each question's value when every answer takes its default, as with `--defaults`."""
    context: dict[str, Any] = {}
    for question in questions.values():
        default = question.settings.get("default")
        if _is_template(default):
            for source in sorted(jinja2.meta.find_undeclared_variables(env.parse(default))):
                if source in questions:
                    questions[source].feeds.append(question.name)
            default = env.from_string(default).render(**context)
        question.example = default
        context[question.name] = default


def _fill_usage(
    questions: dict[str, Question], template_dir: Path, suffix: str, env: jinja2.Environment
) -> None:
    if not template_dir.is_dir():
        raise PluginError(f"no template directory at {template_dir}")
    for path in sorted(template_dir.rglob("*")):
        if not path.is_file():
            continue
        relpath = path.relative_to(template_dir).as_posix()
        parts = (relpath.removesuffix(suffix) if suffix else relpath).split("/")
        shown = "/".join(_CONDITIONAL_NAME.sub(r"\2", part) for part in parts)
        for depth, part in enumerate(parts, start=1):
            for name in _variables(env, part):
                if name in questions:
                    where = _name_usage(parts[:depth], depth < len(parts))
                    _append_once(questions[name].in_names, where)
        if not suffix or relpath.endswith(suffix):
            try:
                source = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            for name in _variables(env, source):
                if name in questions:
                    _append_once(questions[name].in_contents, shown)


def _name_usage(parts: list[str], directory: bool) -> str:
    """`parts` as a path for the reference, a conditional last name with its condition."""
    path = "/".join(_CONDITIONAL_NAME.sub(r"\2", part) for part in parts)
    shown = _code(path + ("/" if directory else ""))
    if condition := _CONDITIONAL_NAME.search(parts[-1]):
        shown += f" (only when {_code(condition.group(1))})"
    return shown


def _variables(env: jinja2.Environment, source: str) -> set[str]:
    if "{" not in source:
        return set()
    try:
        return set(jinja2.meta.find_undeclared_variables(env.parse(source)))
    except jinja2.TemplateSyntaxError as error:
        raise PluginError(f"cannot parse a template file: {error}") from error


def _append_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _text(text: str) -> str:
    """Prose from copier.yml as literal Markdown text (one line, specials escaped)."""
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)


def _code(value: Any) -> str:
    text = "" if value is None else str(value)
    if text == "":
        return "(empty)"
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def _section(question: Question) -> str:
    settings = question.settings
    lines = [f"## `{question.name}`", ""]
    if settings.get("help"):
        lines += [_text(str(settings["help"])), ""]
    lines += _facts(question)
    if pairs := choices(question):
        lines += ["", "| Answer | Shown in the prompt as |", "| --- | --- |"]
        for label, value in pairs:
            mark = " (default)" if value == settings.get("default") else ""
            label_text = _text(label).replace("|", "&#124;")
            lines.append(f"| {_code(value)}{mark} | {label_text} |")
    return "\n".join(lines) + "\n"


def _facts(question: Question) -> list[str]:
    """The bullet list of a question: type, default, rules, usage, other settings."""
    settings = question.settings
    facts = [f"- **Type:** `{settings.get('type', 'yaml')}`", _default(question)]
    if settings.get("when") is not None:
        facts.append(f"- **Asked only when:** {_code(settings['when'])}")
    if settings.get("multiselect"):
        facts.append("- **Several choices** may be selected.")
    if settings.get("secret"):
        facts.append("- **Secret:** not recorded in `.copier-answers.yml`.")
    if message := rule(question):
        facts.append(f"- **Rule:** {_text(message)}")
    if extra := forgeml_checks(question.name):
        facts.append(f"- **Also checked by forgeml:** {extra}")
    if question.feeds:
        facts.append(f"- **Default of:** {', '.join(f'`{name}`' for name in question.feeds)}")
    used = [f"file names {where}" for where in question.in_names]
    used += [_code(path) for path in question.in_contents]
    facts.append(f"- **Used in:** {', '.join(used) if used else 'no template file'}")
    facts += [
        f"- **`{key}`:** {_code(settings[key])}" for key in sorted(set(settings) - _KNOWN_KEYS)
    ]
    return facts


def _default(question: Question) -> str:
    settings = question.settings
    default = settings.get("default")
    if _is_template(default):
        return (
            f"- **Default:** {_code(question.example)} with every other default; "
            f"computed as {_code(' '.join(default.split()))}"
        )
    if "default" in settings:
        return f"- **Default:** {_code(default)}"
    return "- **Default:** none: the question must be answered"


def forgeml_checks(name: str) -> str | None:
    """What forgeml checks beyond copier.yml for `name` (see generator/project/answers.py)."""
    if name != "package_name":
        return None
    root = Path(__file__).resolve().parents[2]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from generator.project.answers import RESERVED_PACKAGE_NAMES

    reserved = ", ".join(f"`{item}`" for item in sorted(RESERVED_PACKAGE_NAMES))
    return (
        "not a Python keyword, not a standard-library module name (`json`, `io`, ...), "
        f"and none of the import names generated projects use or reserve: {reserved}"
    )
