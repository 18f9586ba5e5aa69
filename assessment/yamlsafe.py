"""Safe YAML loading that remembers where every value came from.

Validation messages must say ``file:line:column``; PyYAML's plain loaders throw
positions away. We compose the node graph with the safe loader (no arbitrary
tags), then build Python objects ourselves, recording the mark of each path and
counting nodes so an alias bomb ("billion laughs") is refused instead of
expanding exponentially.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

#: Largest number of nodes a document may expand to (aliases counted each time).
MAX_NODES = 200_000
#: Largest file we read at all; questionnaires are a few hundred KB at most.
MAX_BYTES = 10 * 1024 * 1024

_PLAIN_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map", "tag:yaml.org,2002:omap"}

Positions = dict[tuple, tuple[int, int]]


# libyaml's parser when present (about 5x faster); same safe constructor either way.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLoadError(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.count = 0
        self.positions: Positions = {}

    def fail(self, node: yaml.Node, message: str) -> YamlLoadError:
        mark = node.start_mark
        return YamlLoadError(Problem(message, self.file, mark.line + 1, mark.column + 1))

    def build(self, node: yaml.Node, path: tuple, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"document expands to more than {MAX_NODES:,} values "
                                  "(alias bomb?); refusing to load it")
        if depth > 200:
            raise self.fail(node, "document is nested too deeply")
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise self.fail(node, f"invalid YAML: tag {node.tag} is not allowed (plain data only)")
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self.fail(key_node, "mapping keys must be plain values")
                key = self.loader.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise self.fail(key_node, "mapping keys must be plain values") from None
                if key in result:
                    raise self.fail(key_node, f"duplicate key {key!r}")
                self.positions[path + (key,)] = (key_node.start_mark.line + 1,
                                                 key_node.start_mark.column + 1)
                result[key] = self.build(value_node, path + (key,), depth + 1)
            return result
        raise self.fail(node, "unsupported YAML node")


def load_yaml(source: str | Path, *, text: str | None = None) -> tuple[Any, Positions]:
    """Load one YAML document safely; return the data and a path -> (line, column) map.

    Raises :class:`YamlLoadError` with a located :class:`Problem` on any failure.
    """
    file = str(source)
    if text is None:
        path = Path(source)
        try:
            st = path.stat()
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(st.st_mode):
                # /dev/zero, a FIFO, a socket: reading could block or never end
                raise YamlLoadError(Problem("not a regular file", file))
            if st.st_size > MAX_BYTES:
                raise YamlLoadError(Problem(f"file is {st.st_size:,} bytes; larger than {MAX_BYTES:,}", file))
            with path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                raise YamlLoadError(Problem(f"file is larger than {MAX_BYTES:,} bytes", file))
        except FileNotFoundError:
            raise YamlLoadError(Problem("file not found", file)) from None
        except IsADirectoryError:
            raise YamlLoadError(Problem("is a directory, not a YAML file", file)) from None
        except OSError as exc:
            raise YamlLoadError(Problem(f"cannot read file: {exc.strerror}", file)) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise YamlLoadError(Problem(f"not UTF-8 text (byte {exc.start})", file)) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlLoadError(Problem("file is empty", file))
        builder = _Builder(loader, file)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise YamlLoadError(Problem(f"invalid YAML: {msg}", file)) from None
        raise YamlLoadError(Problem(f"invalid YAML: {msg}", file, mark.line + 1, mark.column + 1)) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(Problem(f"invalid YAML: {exc}", file)) from None
    finally:
        loader.dispose()
    return data, builder.positions


def locate(positions: Positions, path: tuple) -> tuple[int, int] | None:
    """Position of ``path`` or of its nearest ancestor that exists in the file."""
    path = tuple(path)
    while True:
        if path in positions:
            return positions[path]
        if not path:
            return None
        path = path[:-1]
