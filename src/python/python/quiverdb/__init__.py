"""QuiverDB: an embedded vector + property-graph database.

Open a directory with :class:`Database`; run Cypher with
:meth:`Database.execute`; read a snapshot with ``db.read()`` and write with
``with db.write() as tx:``; search vector collections with NumPy arrays.
Every call that touches the database releases the GIL. See docs/PYTHON.md.

A process must open the database itself: a database opened before
``fork()`` raises :class:`ForkedProcessError` in the child (use the
``spawn`` start method of ``multiprocessing``).
"""

from ._quiverdb import (
    FORMAT_VERSION,
    Database,
    Node,
    Path,
    QueryResult,
    ReadTransaction,
    Relationship,
    RowStream,
    WriteTransaction,
    __version__,
)
from .errors import (
    ConstraintError,
    CorruptionError,
    CypherConstraintError,
    CypherError,
    CypherSyntaxError,
    CypherTypeError,
    DatabaseClosedError,
    DiskFullError,
    EmbedderError,
    ForkedProcessError,
    InvalidInputError,
    LockedError,
    NewerFormatError,
    NotADatabaseError,
    NotFoundError,
    QueryTimeoutError,
    QuiverError,
    StorageError,
    TransactionClosedError,
)

#: The key that pads a row of ``search_many`` with fewer than k hits.
NO_KEY = 2**64 - 1

__all__ = [
    "FORMAT_VERSION",
    "NO_KEY",
    "ConstraintError",
    "CorruptionError",
    "CypherConstraintError",
    "CypherError",
    "CypherSyntaxError",
    "CypherTypeError",
    "Database",
    "DatabaseClosedError",
    "DiskFullError",
    "EmbedderError",
    "ForkedProcessError",
    "InvalidInputError",
    "LockedError",
    "NewerFormatError",
    "Node",
    "NotADatabaseError",
    "NotFoundError",
    "Path",
    "QueryResult",
    "QueryTimeoutError",
    "QuiverError",
    "ReadTransaction",
    "Relationship",
    "RowStream",
    "StorageError",
    "TransactionClosedError",
    "WriteTransaction",
    "__version__",
]
