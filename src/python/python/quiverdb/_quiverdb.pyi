"""Type stubs of the extension module (checked with mypy.stubtest)."""

from os import PathLike
from types import TracebackType
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, Union

import numpy as np
from typing_extensions import final
import numpy.typing as npt

FORMAT_VERSION: int
__all__ = [
    "Database",
    "FORMAT_VERSION",
    "Node",
    "Path",
    "QueryResult",
    "ReadTransaction",
    "Relationship",
    "Batches",
    "RowStream",
    "Rows",
    "WriteTransaction",
    "__version__",
]
__version__: str

_Params = Optional[Mapping[str, Any]]
_Keys = Union[Sequence[int], npt.NDArray[np.uint64], npt.NDArray[np.int64]]
_Filter = Optional[Mapping[str, Any]]

@final
class Node:
    @property
    def id(self) -> int: ...
    @property
    def labels(self) -> List[str]: ...
    @property
    def properties(self) -> Dict[str, Any]: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def __contains__(self, key: str, /) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Relationship:
    @property
    def id(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def properties(self) -> Dict[str, Any]: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def __contains__(self, key: str, /) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Path:
    @property
    def nodes(self) -> Tuple[Node, ...]: ...
    @property
    def relationships(self) -> Tuple[Relationship, ...]: ...
    @property
    def start(self) -> Node: ...
    @property
    def end(self) -> Node: ...
    def __len__(self) -> int: ...

@final
class Rows:
    def __iter__(self) -> Rows: ...
    def __next__(self) -> Any: ...

@final
class RowStream:
    @property
    def columns(self) -> List[str]: ...
    def __iter__(self) -> RowStream: ...
    def __next__(self) -> Tuple[Any, ...]: ...
    def fetch(self, size: int = 2048) -> List[Tuple[Any, ...]]: ...
    def batches(self, size: int = 2048) -> Batches: ...
    def close(self) -> None: ...
    def __enter__(self) -> RowStream: ...
    def __exit__(self, *_exc: object) -> bool: ...

@final
class Batches:
    def __iter__(self) -> Batches: ...
    def __next__(self) -> List[Tuple[Any, ...]]: ...

@final
class QueryResult:
    @property
    def columns(self) -> List[str]: ...
    @property
    def plan(self) -> Optional[List[Dict[str, Any]]]: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> Tuple[Any, ...]: ...
    def __iter__(self) -> Rows: ...
    def rows(self) -> List[Tuple[Any, ...]]: ...
    def dicts(self) -> List[Dict[str, Any]]: ...
    def column(self, column: Union[int, str]) -> List[Any]: ...
    def scalar(self) -> Any: ...
    def iter_batches(self, size: int = 2048) -> Rows: ...
    def to_pandas(self) -> Any: ...
    def to_polars(self) -> Any: ...
    def to_arrow(self) -> Any: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def to_networkx(self) -> Any: ...

class _Searches:
    def search(
        self,
        name: str,
        query: npt.ArrayLike,
        k: int = 10,
        *,
        ef: Optional[int] = None,
        recall: Optional[float] = None,
        exact: bool = False,
        keys: Optional[Sequence[int]] = None,
        label: Optional[str] = None,
        filter: _Filter = None,
        threshold: Optional[float] = None,
        with_payload: bool = False,
    ) -> Tuple[Any, ...]: ...
    def search_many(
        self,
        name: str,
        queries: npt.ArrayLike,
        k: int = 10,
        *,
        ef: Optional[int] = None,
        recall: Optional[float] = None,
        exact: bool = False,
        label: Optional[str] = None,
        filter: _Filter = None,
        threads: Optional[int] = None,
    ) -> Tuple[npt.NDArray[np.uint64], npt.NDArray[np.float32]]: ...
    def search_text(
        self,
        name: str,
        text: str,
        k: int = 10,
        *,
        ef: Optional[int] = None,
        recall: Optional[float] = None,
        exact: bool = False,
        label: Optional[str] = None,
        filter: _Filter = None,
    ) -> Tuple[npt.NDArray[np.uint64], npt.NDArray[np.float32], List[Optional[str]]]: ...
    def collections(self) -> List[Dict[str, Any]]: ...
    def get_vector(
        self, name: str, key: int
    ) -> Optional[Tuple[npt.NDArray[np.float32], Dict[str, Any]]]: ...

@final
class Database(_Searches):
    def __new__(
        cls,
        path: Union[str, PathLike[str]],
        *,
        create: bool = True,
        durability: str = "immediate",
        cache_mb: Optional[int] = None,
        import_dir: Optional[Union[str, PathLike[str]]] = None,
    ) -> Database: ...
    @property
    def path(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Database: ...
    def __exit__(self, *_exc: object) -> bool: ...
    def execute(
        self, cypher: str, parameters: _Params = None, *, timeout: Optional[float] = None
    ) -> QueryResult: ...
    def read(self) -> ReadTransaction: ...
    def write(self) -> WriteTransaction: ...
    def sync(self) -> None: ...
    def checkpoint(self) -> None: ...
    def disk_usage(self) -> int: ...
    def check(self) -> Dict[str, Any]: ...
    def attach_model(self, name: str, model: Optional[Union[str, PathLike[str]]] = None) -> None: ...
    def stream(
        self, cypher: str, parameters: _Params = None, *, timeout: Optional[float] = None
    ) -> RowStream: ...
    def import_graph(
        self,
        nodes: Any = None,
        edges: Any = None,
        *,
        key_label: str = "Node",
        key: str = "id",
        edge_type: str = "EDGE",
        skip_bad: bool = False,
        create_missing_nodes: bool = False,
        undirected: bool = False,
        progress: Union[bool, None, Callable[[Dict[str, Any]], Any]] = None,
    ) -> Dict[str, Any]: ...
    def shortest_path(
        self,
        start: int,
        end: int,
        *,
        direction: str = "out",
        types: Optional[Sequence[str]] = None,
        weight: Optional[str] = None,
        default_weight: Optional[float] = None,
        max_depth: Optional[int] = None,
    ) -> Optional[Dict[str, Any]]: ...
    def components(
        self,
        kind: str = "weak",
        *,
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Dict[str, npt.NDArray[np.uint64]]: ...
    def pagerank(
        self,
        *,
        damping: float = 0.85,
        iterations: int = 20,
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
        direction: str = "out",
    ) -> Dict[str, npt.NDArray[Any]]: ...
    def bfs(
        self,
        source: int,
        *,
        direction: str = "out",
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Dict[str, npt.NDArray[Any]]: ...
    def sssp(
        self,
        source: int,
        weight: str,
        *,
        direction: str = "out",
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Dict[str, npt.NDArray[Any]]: ...
    def cdlp(
        self,
        *,
        iterations: int = 10,
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Dict[str, npt.NDArray[np.uint64]]: ...
    def kcore(
        self,
        *,
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Dict[str, npt.NDArray[Any]]: ...
    def personalized_pagerank(
        self,
        seeds: Union[Sequence[int], Mapping[int, float]],
        *,
        damping: float = 0.85,
        weight: Optional[str] = None,
        direction: str = "out",
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Dict[str, npt.NDArray[Any]]: ...
    def leiden(
        self,
        *,
        resolution: float = 1.0,
        objective: str = "modularity",
        seed: int = 0,
        iterations: int = 3,
        randomness: float = 0.01,
        weight: Optional[str] = None,
        levels: bool = False,
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
        write_property: Optional[str] = None,
    ) -> Dict[str, npt.NDArray[Any]]: ...
    def louvain(
        self,
        *,
        resolution: float = 1.0,
        objective: str = "modularity",
        seed: int = 0,
        iterations: int = 3,
        weight: Optional[str] = None,
        levels: bool = False,
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
        write_property: Optional[str] = None,
    ) -> Dict[str, npt.NDArray[Any]]: ...
    def lcc(
        self,
        *,
        directed: bool = True,
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Dict[str, npt.NDArray[Any]]: ...

@final
class ReadTransaction(_Searches):
    def execute(
        self, cypher: str, parameters: _Params = None, *, timeout: Optional[float] = None
    ) -> QueryResult: ...
    def node(self, id: int) -> Optional[Tuple[List[str], Dict[str, Any]]]: ...
    def close(self) -> None: ...
    def __enter__(self) -> ReadTransaction: ...
    def __exit__(self, *_exc: object) -> bool: ...

@final
class WriteTransaction:
    @property
    def active(self) -> bool: ...
    def execute(
        self, cypher: str, parameters: _Params = None, *, timeout: Optional[float] = None
    ) -> QueryResult: ...
    def add_node(self, labels: Sequence[str], properties: Optional[Mapping[str, Any]] = None) -> int: ...
    def add_edge(
        self, start: int, end: int, type: str, properties: Optional[Mapping[str, Any]] = None
    ) -> int: ...
    def add_nodes(
        self, labels: Sequence[str], properties: Sequence[Optional[Mapping[str, Any]]]
    ) -> npt.NDArray[np.uint64]: ...
    def add_edges(
        self,
        starts: Union[Sequence[int], npt.NDArray[np.uint64]],
        ends: Union[Sequence[int], npt.NDArray[np.uint64]],
        type: str,
        properties: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    ) -> npt.NDArray[np.uint64]: ...
    def node(self, id: int) -> Optional[Tuple[List[str], Dict[str, Any]]]: ...
    def set_node_property(self, id: int, key: str, value: Any) -> None: ...
    def delete_node(self, id: int, *, detach: bool = False) -> None: ...
    def create_index(self, label: str, key: str, *, unique: bool = False) -> None: ...
    def create_collection(
        self,
        name: str,
        dim: int,
        *,
        metric: str = "cosine",
        m: int = 16,
        ef_construction: int = 200,
        quantization: Optional[str] = None,
        bound_to_nodes: bool = False,
    ) -> None: ...
    def create_text_collection(
        self, name: str, *, model: Optional[Union[str, PathLike[str]]] = None, metric: str = "cosine"
    ) -> None: ...
    def drop_collection(self, name: str) -> None: ...
    def upsert_vectors(
        self,
        name: str,
        keys: _Keys,
        vectors: npt.ArrayLike,
        payloads: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    ) -> Dict[str, Any]: ...
    def upsert_texts(
        self,
        name: str,
        keys: _Keys,
        texts: Sequence[str],
        payloads: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    ) -> Dict[str, Any]: ...
    def delete_vector(self, name: str, key: int) -> bool: ...
    def create_payload_index(self, name: str, field: str) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> WriteTransaction: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        _exc_value: Optional[BaseException],
        _traceback: Optional[TracebackType],
    ) -> bool: ...
