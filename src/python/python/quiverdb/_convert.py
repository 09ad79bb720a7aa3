"""Conversions of a QueryResult to other libraries' tables and graphs.

Each function imports its library when called, so none of them is needed
to import quiverdb.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ._quiverdb import Node, Path, QueryResult, Relationship


def _plain(value: Any) -> Any:
    """A value with nodes, relationships and paths as dicts (for Arrow and
    polars, which need structs)."""
    if isinstance(value, Node):
        return {"_id": value.id, "_labels": value.labels, **_plain_map(value.properties)}
    if isinstance(value, Relationship):
        return {
            "_id": value.id,
            "_start": value.start,
            "_end": value.end,
            "_type": value.type,
            **_plain_map(value.properties),
        }
    if isinstance(value, Path):
        return {
            "nodes": [_plain(n) for n in value.nodes],
            "relationships": [_plain(r) for r in value.relationships],
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return _plain_map(value)
    return value


def _plain_map(values: Dict[str, Any]) -> Dict[str, Any]:
    return {k: _plain(v) for k, v in values.items()}


def _columns(result: QueryResult, plain: bool) -> Dict[str, List[Any]]:
    columns = result.columns
    out: Dict[str, List[Any]] = {c: [] for c in columns}
    lists = [out[c] for c in columns]
    for row in result:
        for target, value in zip(lists, row):
            target.append(_plain(value) if plain else value)
    return out


def to_pandas(result: QueryResult) -> Any:
    import pandas as pd

    return pd.DataFrame(_columns(result, plain=False), columns=result.columns)


def to_polars(result: QueryResult) -> Any:
    import polars as pl

    return pl.DataFrame(_columns(result, plain=True), strict=False)


def to_arrow(result: QueryResult) -> Any:
    import pyarrow as pa

    columns = _columns(result, plain=True)
    return pa.table({name: pa.array(values) for name, values in columns.items()})


def to_networkx(result: QueryResult) -> Any:
    import networkx as nx

    graph = nx.MultiDiGraph()

    def add(value: Any) -> None:
        if isinstance(value, Node):
            graph.add_node(value.id, labels=value.labels, **value.properties)
        elif isinstance(value, Relationship):
            graph.add_edge(
                value.start, value.end, key=value.id, type=value.type, **value.properties
            )
        elif isinstance(value, Path):
            for n in value.nodes:
                add(n)
            for r in value.relationships:
                add(r)
        elif isinstance(value, list):
            for v in value:
                add(v)

    for row in result:
        for value in row:
            add(value)
    return graph
