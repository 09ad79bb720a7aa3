"""Conversions of a QueryResult to other libraries' tables and graphs.

Each function imports its library when called, so none of them is needed
to import quiverdb.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ._quiverdb import Node, Path, QueryResult, Relationship


def _columns(result: QueryResult) -> Dict[str, List[Any]]:
    columns = result.columns
    out: Dict[str, List[Any]] = {c: [] for c in columns}
    lists = [out[c] for c in columns]
    for row in result:
        for target, value in zip(lists, row):
            target.append(value)
    return out


def to_pandas(result: QueryResult) -> Any:
    import pandas as pd

    return pd.DataFrame(_columns(result), columns=result.columns)


def to_polars(result: QueryResult) -> Any:
    import polars as pl

    return pl.DataFrame(result)


def to_arrow(result: QueryResult) -> Any:
    import pyarrow as pa

    return pa.table(result)


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


def columns_of(table: Any) -> List[Any]:
    """A table's columns as ``(name, values)`` pairs for the importer:
    NumPy arrays for number and bool columns without missing values,
    Python lists (None for a missing value) for the others."""
    module = type(table).__module__.split(".")[0]
    if isinstance(table, dict):
        return [(str(name), values) for name, values in table.items()]
    if module == "pandas":
        out = []
        for name in table.columns:
            series = table[name]
            if series.dtype.kind in "biuf":
                out.append((str(name), series.to_numpy()))
            else:
                values = series.astype(object)
                out.append((str(name), values.where(series.notna(), None).tolist()))
        return out
    if module == "polars":
        out = []
        for series in table.get_columns():
            if series.dtype.is_numeric() and series.null_count() == 0:
                out.append((series.name, series.to_numpy()))
            else:
                out.append((series.name, series.to_list()))
        return out
    if module == "pyarrow":
        import pyarrow as pa

        out = []
        for name, column in zip(table.column_names, table.columns):
            kind = column.type
            numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
            if numeric and column.null_count == 0:
                out.append((name, column.to_numpy()))
            else:
                out.append((name, column.to_pylist()))
        return out
    from .errors import InvalidInputError

    raise InvalidInputError(
        f"cannot import a {type(table).__name__}: give a path, a pandas or polars "
        "DataFrame, a pyarrow Table or a dict of columns"
    )


def progress_bars() -> Any:
    """A progress callback for ``import_graph`` that draws a tqdm bar per
    source and stage."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        from .errors import InvalidInputError

        raise InvalidInputError(
            "progress=True draws tqdm bars: pip install tqdm, or pass a callable"
        ) from None
    bars: Dict[Any, Any] = {}

    def update(p: Dict[str, Any]) -> None:
        key = (p["source"], p["stage"])
        bar = bars.get(key)
        if bar is None:
            bar = bars[key] = tqdm(total=p["total"] or None, desc=f"{p['source']}: {p['stage']}")
        bar.n = p["done"]
        bar.set_postfix(rows=p["rows"], refresh=False)
        bar.refresh()
        if p["total"] and p["done"] >= p["total"]:
            bar.close()

    return update
