"""Types of the native fast path of ``audit verify`` (``_native.c``)."""

from typing import Any

def connect(database: str, /) -> Any: ...
def check_chunk(
    reader: Any,
    start: int,
    count: int,
    entries_sql: str,
    refs_sql: str,
    nodes_sql: str,
    kinds: tuple[str, str],
    /,
) -> tuple[list[bytes], list[tuple[int, bytes]]] | None: ...
