"""Loading schemas to compare: one file, a message's version folder, and every `$ref` they reach.

A schema under comparison is a `SchemaSource`: its root document plus every document its `$ref`s
reach. References are followed the way validators follow them (the `referencing` library), with a
retriever that never goes to the network: a reference is found

- by relative URI next to the referring file (`../common/v1.json` from `schemas/x/v1.json`), also when
  the referring document has an `$id` (its `$id` is mapped back onto the folder it was read from), or
- by `$id`, among the schema files beside the root file and in the sibling message folders
  (`schemas/*/*.json`), the catalogue's layout.

Dialect: each document is read in the JSON Schema dialect its `$schema` names. A document without
`$schema` is read in the dialect of the schema under comparison (its root's `$schema`), and a root
without one in 2020-12; the result says which dialect was assumed (`SchemaSource.dialect`).

Everything that makes a schema unusable (no such file, invalid JSON, not a schema, a `$ref` that
resolves nowhere) is found when loading, so a comparison never stops half-way: it raises
`UnusableInput`, which the command line turns into one line and exit code 2.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema
from jsonschema.exceptions import SchemaError

from harness.errors import UnusableInput
from harness.jsonfile import load_json

# Schemas already checked against their meta-schema (by content), so a folder of versions that all
# reference the same shared files checks each one once.
_VALID_SCHEMAS: set[str] = set()

VERSION_FILE = re.compile(r"^v(\d+)\.json$")

# Keywords whose values are data, not subschemas: a "$ref" key inside them is not a reference.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "example"})


def escape(part: str | int) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return str(part).replace("~", "~0").replace("/", "~1")


@dataclass
class Document:
    """One JSON document the comparison reads: the root schema or a file a `$ref` reached."""

    uri: str
    contents: Any
    path: Path | None
    specification: referencing.Specification
    pointers: dict[int, str] = field(default_factory=dict)

    def index(self) -> None:
        """Remember the JSON pointer of every object and array, to name where a resolved `$ref` landed."""

        def walk(value: Any, pointer: str) -> None:
            if isinstance(value, dict):
                self.pointers.setdefault(id(value), pointer)
                for key, sub in value.items():
                    walk(sub, f"{pointer}/{escape(key)}")
            elif isinstance(value, list):
                self.pointers.setdefault(id(value), pointer)
                for i, sub in enumerate(value):
                    walk(sub, f"{pointer}/{i}")

        walk(self.contents, "")


DIALECT_NAMES = {
    "draft2020-12": "JSON Schema 2020-12",
    "draft2019-09": "JSON Schema 2019-09",
    "draft-07": "JSON Schema draft-07",
    "draft-06": "JSON Schema draft-06",
    "draft-04": "JSON Schema draft-04",
    "draft-03": "JSON Schema draft-03",
}

_VALIDATORS = {
    "draft2020-12": jsonschema.Draft202012Validator,
    "draft2019-09": jsonschema.Draft201909Validator,
    "draft-07": jsonschema.Draft7Validator,
    "draft-06": jsonschema.Draft6Validator,
    "draft-04": jsonschema.Draft4Validator,
    "draft-03": jsonschema.Draft3Validator,
}


def _spec_of(
    contents: Any, default: referencing.Specification = referencing.jsonschema.DRAFT202012
) -> referencing.Specification:
    """The dialect a document is read in: its own `$schema`, else `default`."""
    if isinstance(contents, dict) and isinstance(contents.get("$schema"), str):
        return referencing.jsonschema.specification_with(contents["$schema"], default=default)
    return default


def dialect_name(spec: referencing.Specification) -> str:
    """A dialect as people name it ("JSON Schema draft-07")."""
    return DIALECT_NAMES.get(spec.name, spec.name)


class SchemaSource:
    """A schema to compare, with the documents its `$ref`s reach and a way to name places in them.

    `side` ("old" or "new") labels the JSON pointers a comparison reports. `label` is how the user
    named it (a path as typed, or "<old>"/"<new>" for an in-memory schema).
    """

    def __init__(
        self,
        contents: Any,
        *,
        path: Path | None = None,
        base: str | os.PathLike[str] | None = None,
        side: str = "new",
        label: str | None = None,
    ) -> None:
        self.side = side
        self.label = label or (str(path) if path is not None else f"<{side}>")
        self.path: Path | None = None
        if path is not None:
            self.path = Path(path).resolve()
        elif isinstance(base, str) and "://" in base:
            retrieval_uri = base
        elif base is not None:
            base_path = Path(base).resolve()
            self.path = base_path / "schema.json" if base_path.is_dir() else base_path
        else:
            retrieval_uri = f"https://em-harness.invalid/{side}/schema.json"
        if self.path is not None:
            retrieval_uri = self.path.as_uri()
        self.documents: dict[str, Document] = {}
        self._by_object: dict[int, Document] = {}
        self._id_paths: list[tuple[str, Path]] = []
        self._scanned = False
        self.dialect_declared = isinstance(contents, dict) and isinstance(contents.get("$schema"), str)
        self.specification = _spec_of(contents)
        self._check_schema(contents, self.label, self.specification)
        self.root = self._add(retrieval_uri, contents, self.path)
        self.registry = referencing.Registry(retrieve=self._retrieve).with_resource(
            retrieval_uri, self._resource(self.root)
        )
        own_id = contents.get("$id") if isinstance(contents, dict) else None
        if isinstance(own_id, str):
            absolute = urljoin(retrieval_uri, urldefrag(own_id).url)
            self.registry = self.registry.with_resource(absolute, self._resource(self.root))
            self.documents.setdefault(absolute, self.root)
            if self.path is not None:
                self._id_paths.append((absolute, self.path))
        self.registry = self.registry.crawl()
        self.root_resolver = self.registry.resolver(base_uri=retrieval_uri)
        if isinstance(contents, dict):
            self.root_resolver = self.root_resolver.in_subresource(self._resource(self.root))
        self._check_references()

    # -- documents ------------------------------------------------------------------------------
    @property
    def dialect(self) -> str:
        """The dialect the root is read in, and whether it was declared or assumed."""
        how = "$schema" if self.dialect_declared else "assumed: no $schema"
        return f"{dialect_name(self.specification)} ({how})"

    @staticmethod
    def _check_schema(contents: Any, where: str, spec: referencing.Specification) -> None:
        if not isinstance(contents, dict | bool):
            raise UnusableInput(f"{where}: not a JSON Schema (expected an object or true/false)")
        if isinstance(contents, bool):
            return
        key = spec.name + hashlib.sha256(json.dumps(contents, sort_keys=True).encode("utf-8")).hexdigest()
        if key in _VALID_SCHEMAS:
            return
        default = _VALIDATORS.get(spec.name, jsonschema.Draft202012Validator)
        try:
            jsonschema.validators.validator_for(contents, default=default).check_schema(contents)
        except SchemaError as exc:
            at = "/" + "/".join(escape(p) for p in exc.absolute_path) if exc.absolute_path else "the root"
            how = "its $schema" if isinstance(contents.get("$schema"), str) else "assumed: no $schema"
            raise UnusableInput(
                f"{where}: not a valid JSON Schema at {at} (read as {dialect_name(spec)}, {how}): {exc.message}"
            ) from None
        except referencing.exceptions.Unresolvable:  # pragma: no cover - meta-schemas are bundled
            raise UnusableInput(f"{where}: its $schema meta-schema is unknown") from None
        _VALID_SCHEMAS.add(key)

    def _add(self, uri: str, contents: Any, path: Path | None) -> Document:
        doc = Document(uri=uri, contents=contents, path=path, specification=_spec_of(contents, self.specification))
        doc.index()
        self.documents[uri] = doc
        for oid in doc.pointers:
            self._by_object.setdefault(oid, doc)
        return doc

    @staticmethod
    def _resource(doc: Document) -> referencing.Resource:
        return doc.specification.create_resource(doc.contents)

    def _retrieve(self, uri: str) -> referencing.Resource:
        """Find a referenced document on disk only: by file URI, by relative place, or by `$id`."""
        uri = urldefrag(uri).url
        if uri in self.documents:
            return self._resource(self.documents[uri])
        path = self._path_for(uri)
        if path is None:
            raise referencing.exceptions.NoSuchResource(ref=uri)
        contents = load_json(path)
        self._check_schema(contents, str(path), _spec_of(contents, self.specification))
        doc = self._add(uri, contents, path)
        own_id = contents.get("$id") if isinstance(contents, dict) else None
        if isinstance(own_id, str):
            self._id_paths.append((urljoin(uri, urldefrag(own_id).url), path))
        return self._resource(doc)

    def _path_for(self, uri: str) -> Path | None:
        parts = urlsplit(uri)
        if parts.scheme == "file":
            path = Path(url2pathname(parts.path))
            return path if path.is_file() else None
        # By place: an $id seen before, mapped back onto the folder its file lives in.
        for known_id, known_path in list(self._id_paths):
            known = urlsplit(known_id)
            if (known.scheme, known.netloc) != (parts.scheme, parts.netloc):
                continue
            rel = posixpath.relpath(parts.path, posixpath.dirname(known.path) or "/")
            candidate = (known_path.parent / url2pathname(rel)).resolve()
            if candidate.is_file() and self._id_matches(candidate, uri):
                return candidate
        # By $id: the files beside the root and in sibling folders (schemas/<message>/vN.json).
        return self._scan_for(uri)

    @staticmethod
    def _id_matches(path: Path, uri: str) -> bool:
        try:
            contents = load_json(path)
        except UnusableInput:
            return True  # let the real load report it
        own_id = contents.get("$id") if isinstance(contents, dict) else None
        return not isinstance(own_id, str) or urldefrag(own_id).url == uri

    def _scan_for(self, uri: str) -> Path | None:
        if self.path is None:
            return None
        folder = self.path.parent
        candidates = [*sorted(folder.glob("*.json")), *sorted(folder.parent.glob("*/*.json"))]
        for candidate in candidates:
            try:
                contents = load_json(candidate)
            except UnusableInput:
                continue
            own_id = contents.get("$id") if isinstance(contents, dict) else None
            if isinstance(own_id, str) and urldefrag(own_id).url == uri:
                return candidate.resolve()
        return None

    def _check_references(self) -> None:
        """Resolve every `$ref` reachable from the root now, so a bad one is an input error up front."""
        seen: set[str] = set()
        pending: list[tuple[Any, Any, str, str]] = [(self.root.contents, self.root_resolver, self.root.uri, "")]
        while pending:
            contents, resolver, doc_uri, start = pending.pop()
            if doc_uri in seen:
                continue
            seen.add(doc_uri)
            spec = self.documents[doc_uri].specification
            for ref, ref_resolver, pointer in _references(contents, resolver, start, spec):
                try:
                    resolved = ref_resolver.lookup(ref)
                except referencing.exceptions.Unresolvable as exc:
                    where = self.documents[doc_uri].path or doc_uri
                    raise UnusableInput(
                        f"{where}: $ref {ref!r} at {pointer or '/'} cannot be resolved ({_why(exc)}); "
                        "put the referenced schema file where the reference points, or fix the reference"
                    ) from None
                target = self.document_of(resolved.contents)
                if target is not None and target.uri not in seen:
                    pending.append((target.contents, self.registry.resolver(base_uri=target.uri), target.uri, ""))

    # -- places ---------------------------------------------------------------------------------
    def document_of(self, obj: Any) -> Document | None:
        """The loaded document an object (dict or list) belongs to."""
        return self._by_object.get(id(obj))

    def locate(self, obj: Any, fallback_uri: str, fallback_pointer: str) -> tuple[str, str]:
        """(document uri, JSON pointer) of an object a reference resolved to."""
        doc = self._by_object.get(id(obj))
        if doc is not None and (isinstance(obj, dict | list)):
            return doc.uri, doc.pointers[id(obj)]
        return fallback_uri, fallback_pointer

    def display(self, uri: str, pointer: str) -> str:
        """`#/json/pointer` in the root document, `relative/file.json#/json/pointer` in another one."""
        doc = self.documents.get(uri)
        if doc is None or doc is self.root:
            return f"#{pointer}"
        if doc.path is not None and self.path is not None:
            rel = os.path.relpath(doc.path, self.path.parent).replace(os.sep, "/")
            return f"{rel}#{pointer}"
        return f"{doc.uri}#{pointer}"


def _why(exc: Exception) -> str:
    if isinstance(exc, referencing.exceptions.PointerToNowhere):
        return f"nothing at {exc.ref!r}"
    if isinstance(exc, referencing.exceptions.NoSuchAnchor):
        return f"no anchor {exc.anchor!r}"
    if isinstance(exc, referencing.exceptions.NoSuchResource | referencing.exceptions.Unretrievable):
        return f"no schema file with that address: {getattr(exc, 'ref', '')}"
    return str(exc) or type(exc).__name__


def _references(
    contents: Any, resolver: Any, start: str, spec: referencing.Specification
) -> Iterator[tuple[str, Any, str]]:
    """Every ($ref value, resolver in scope, pointer) in a document, honouring embedded `$id`s
    (an embedded resource without `$schema` is in its document's dialect)."""
    stack: list[tuple[Any, Any, str]] = [(contents, resolver, start)]
    while stack:
        value, scope, pointer = stack.pop()
        if isinstance(value, dict):
            if pointer and isinstance(value.get("$id"), str):
                scope = scope.in_subresource(_spec_of(value, spec).create_resource(value))
            for key in ("$ref", "$dynamicRef", "$recursiveRef"):
                if isinstance(value.get(key), str):
                    yield value[key], scope, f"{pointer}/{escape(key)}"
            for key, sub in value.items():
                if key in _DATA_KEYWORDS or key.startswith("x-"):
                    continue
                stack.append((sub, scope, f"{pointer}/{escape(key)}"))
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                stack.append((sub, scope, f"{pointer}/{i}"))


# -- files and folders -------------------------------------------------------------------------
def load_file(path: str | os.PathLike[str], *, side: str = "new") -> SchemaSource:
    """Load one schema file and everything its `$ref`s reach."""
    given = Path(path)
    if given.is_dir():
        raise UnusableInput(f"{given}: is a folder; give a schema file here")
    contents = load_json(given)
    return SchemaSource(contents, path=given, side=side, label=str(path))


def versions_in(folder: str | os.PathLike[str]) -> list[Path]:
    """The version files of a message folder (v1.json, v2.json, ...), oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UnusableInput(f"{folder}: no such folder")
    found = []
    for child in folder.iterdir():
        match = VERSION_FILE.match(child.name)
        if match and child.is_file():
            found.append((int(match.group(1)), child))
    if not found:
        raise UnusableInput(f"{folder}: no version files (v1.json, v2.json, ...) in this folder")
    return [p for _, p in sorted(found)]
