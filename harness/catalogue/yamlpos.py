"""YAML files of the catalogue: loading with one-line errors, and JSON pointers mapped to line numbers.

Validators speak in JSON pointers (`/channels/caseCreated/messages/x`); people read files by line.
`yaml_line_map` composes the YAML node graph (which keeps positions) once and records the line of
every pointer, so a linter can print `file:line: pointer: problem` without a second parser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.errors import UnusableInput

# libyaml's loader is ten times faster on a catalogue-sized file and reports the same marks.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def escape_token(token: str) -> str:
    """One JSON pointer reference token (RFC 6901): `~` and `/` escaped."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """The inverse of escape_token."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer_of(parts: Any) -> str:
    """A JSON pointer from path parts (strings and list indexes), e.g. jsonschema's `absolute_path`."""
    return "".join("/" + escape_token(str(part)) for part in parts)


def split_pointer(pointer: str) -> list[str]:
    """The unescaped reference tokens of a JSON pointer ('' is the whole document)."""
    if pointer in ("", "#"):
        return []
    pointer = pointer.removeprefix("#")
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [unescape_token(token) for token in pointer[1:].split("/")]


def yaml_line_map(text: str) -> dict[str, int]:
    """Map every JSON pointer in a YAML document to its 1-based line.

    A mapping entry maps to the line of its key (where a reader looks for it), a sequence item to
    the line where the item starts, the root to the line where the document starts. A node reached
    again through an alias is recorded but not walked twice, so alias bombs and recursive anchors stay
    cheap. Raises yaml.YAMLError for text that is not YAML; an empty document gives {"": 1}.
    """
    root = yaml.compose(text, Loader=_SafeLoader)
    lines: dict[str, int] = {"": 1}
    if root is None:
        return lines
    lines[""] = root.start_mark.line + 1
    seen: set[int] = set()

    def walk(node: yaml.Node, pointer: str) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
                child = f"{pointer}/{escape_token(str(key))}"
                lines.setdefault(child, key_node.start_mark.line + 1)
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{pointer}/{index}"
                lines.setdefault(child, item.start_mark.line + 1)
                walk(item, child)

    walk(root, "")
    return lines


def line_of(line_map: dict[str, int], pointer: str) -> int:
    """The line of a pointer, or of its nearest ancestor that the map knows (a missing property's parent)."""
    while True:
        if pointer in line_map:
            return line_map[pointer]
        if not pointer:
            return 1
        pointer = pointer.rsplit("/", 1)[0]


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file with the safe loader; a missing file or a syntax error is one UnusableInput line."""
    from harness.jsonfile import parse_yaml, read_text

    path = Path(path)
    text = read_text(path)  # a regular file of bounded size only
    try:
        return parse_yaml(text, path)  # no duplicate keys, bounded alias expansion and depth
    except yaml.YAMLError as exc:
        raise UnusableInput(_yaml_error_line(path, exc)) from None


def _yaml_error_line(path: Path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"{path}:{mark.line + 1}: not valid YAML ({problem}, column {mark.column + 1}); fix the syntax"
    return f"{path}: not valid YAML ({problem}); fix the syntax"
