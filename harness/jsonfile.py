"""Reading the JSON and YAML files a user gave us: the one reader of catalogue files.

Every schema, asyncapi.yaml, pact, states and flow file is read here, so every one gets the same
guards and the same one-line answer (UnusableInput, exit code 2, naming the file):
- only a regular file is read (a FIFO, a device such as /dev/zero, a socket is refused without being
  opened for a blocking read), and at most MAX_BYTES of it;
- JSON and YAML nest at most MAX_DEPTH deep (a 10,000-deep document is refused, not a RecursionError);
- an integer longer than Python's limit (4,300 digits) is refused, naming the file;
- YAML: a key given twice in one mapping is refused (the safe loader would silently keep the last),
  and aliases may expand to at most MAX_YAML_NODES nodes (a "billion laughs" document is refused
  before anything walks it); a recursive alias is refused too.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from harness.errors import UnusableInput

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 200
MAX_YAML_NODES = 1_000_000

# libyaml's loader is ten times faster on a catalogue-sized file and reports the same marks.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else is one UnusableInput line."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UnusableInput(f"{path}: no such file") from None
    except OSError as exc:
        raise UnusableInput(f"{path}: unreadable ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise UnusableInput(f"{path}: is a folder, expected a file")
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise UnusableInput(f"{path}: is {kind}, not a regular file; give a file")
    if info.st_size > limit:
        raise UnusableInput(f"{path}: {info.st_size} bytes, over the limit of {limit} bytes for a catalogue file")
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UnusableInput(f"{path}: unreadable ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnusableInput(f"{path}: not a regular file; give a file")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise UnusableInput(f"{path}: over the limit of {limit} bytes for a catalogue file")
            chunks.append(chunk)
    except OSError as exc:
        raise UnusableInput(f"{path}: unreadable ({exc.strerror})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text(path: Path) -> str:
    """A regular file of bounded size as UTF-8 text."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def check_depth(doc: Any, path: Path, limit: int = MAX_DEPTH) -> None:
    """Refuse a document nested deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(doc, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth >= limit:  # depth counts from 0: `limit` levels at most
            raise UnusableInput(f"{path}: nested more than {limit} levels deep; a catalogue file is never this deep")
        if isinstance(node, dict | list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)


def parse_json(text: str, path: Path) -> Any:
    """JSON text of a file; a syntax error names the file, line and column."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnusableInput(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise UnusableInput(f"{path}: nested too deep to read; a catalogue file is never this deep") from None
    except ValueError as exc:  # an integer over the interpreter's digit limit
        raise UnusableInput(f"{path}: invalid JSON: {_number_words(exc)}") from None
    check_depth(doc, path)
    return doc


def load_json(path: Path) -> Any:
    """Parse a JSON file; a syntax error names the file, line and column."""
    return parse_json(read_text(path), path)


def _number_words(exc: Exception) -> str:
    text = str(exc)
    if "digits" in text:
        return "a number with more than 4300 digits; no catalogue value is that long"
    return text.splitlines()[0] if text else type(exc).__name__


def _check_yaml_nodes(root: yaml.Node, path: Path) -> None:
    """Duplicate keys, nesting depth, recursive aliases and the size aliases expand to, on the node graph."""
    expanded: dict[int, int] = {}
    on_path: set[int] = set()
    # An explicit stack: (node, depth, children done?) so that a deep document is no RecursionError.
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size = 1
            if isinstance(node, yaml.MappingNode):
                size += sum(expanded[id(k)] + expanded[id(v)] for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                size += sum(expanded[id(item)] for item in node.value)
            if size > MAX_YAML_NODES:
                raise UnusableInput(
                    f"{path}: its aliases expand to more than {MAX_YAML_NODES} values; refused (an alias bomb?)"
                )
            expanded[key] = size
            continue
        if key in expanded:
            continue
        if key in on_path:
            line = node.start_mark.line + 1
            raise UnusableInput(f"{path}:{line}: a recursive alias (an anchor used inside itself); refused")
        if depth >= MAX_DEPTH:
            raise UnusableInput(
                f"{path}: nested more than {MAX_DEPTH} levels deep; a catalogue file is never this deep"
            )
        on_path.add(key)
        stack.append((node, depth, True))
        if isinstance(node, yaml.MappingNode):
            keys: dict[tuple[str, str], int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    ident = (k.tag, k.value)
                    if ident in keys:
                        raise UnusableInput(
                            f"{path}:{k.start_mark.line + 1}: key {k.value!r} given twice in one mapping "
                            f"(first on line {keys[ident]}); keep one"
                        )
                    keys[ident] = k.start_mark.line + 1
                stack.append((k, depth + 1, False))
                stack.append((v, depth + 1, False))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1, False) for item in node.value)


def parse_yaml(text: str, path: Path) -> Any:
    """YAML text of a file with the safe loader and the guards above; raises yaml.YAMLError on bad syntax."""
    loader = _SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise UnusableInput(f"{path}: nested too deep to read; a catalogue file is never this deep") from None
        if node is None:
            return None
        _check_yaml_nodes(node, path)
        try:
            return loader.construct_document(node)
        except RecursionError:
            raise UnusableInput(f"{path}: nested too deep to read; a catalogue file is never this deep") from None
        except ValueError as exc:  # an integer over the interpreter's digit limit
            raise UnusableInput(f"{path}: invalid YAML: {_number_words(exc)}") from None
    finally:
        loader.dispose()


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error names the file and line."""
    text = read_text(path)
    try:
        return parse_yaml(text, path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UnusableInput(f"{path}{where}: invalid YAML: {problem}") from None
