"""The exceptions QuiverDB raises.

Every one is a :class:`QuiverError`. Where a built-in exception says the
same thing, the class is also that built-in (``InvalidInputError`` is a
``ValueError``, ``NotFoundError`` a ``LookupError``, ``CypherSyntaxError``
a ``SyntaxError``, ``QueryTimeoutError`` a ``TimeoutError``), so code that
catches the built-in keeps working.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "QuiverError",
    "DatabaseClosedError",
    "ForkedProcessError",
    "TransactionClosedError",
    "LockedError",
    "NotADatabaseError",
    "NewerFormatError",
    "CorruptionError",
    "DiskFullError",
    "StorageError",
    "InvalidInputError",
    "NotFoundError",
    "ConstraintError",
    "EmbedderError",
    "CypherError",
    "CypherSyntaxError",
    "CypherTypeError",
    "CypherConstraintError",
    "QueryTimeoutError",
]


class QuiverError(Exception):
    """The base of every QuiverDB error."""


class DatabaseClosedError(QuiverError):
    """The database (or the transaction's database) was closed."""


class ForkedProcessError(QuiverError):
    """The database was opened in a parent process before ``fork``.

    A process must open the database itself: use the ``spawn`` (or
    ``forkserver``) start method of ``multiprocessing`` and open it in the
    child.
    """


class TransactionClosedError(QuiverError):
    """The transaction has committed or rolled back already."""


class LockedError(QuiverError):
    """Another process (or another open handle) holds the directory."""


class NotADatabaseError(QuiverError):
    """The directory holds something other than a QuiverDB database, or
    nothing when creation was disabled."""


class NewerFormatError(QuiverError):
    """The directory was written by a newer QuiverDB: upgrade to open it."""


class CorruptionError(QuiverError):
    """Stored data failed a check: the directory is damaged."""


class StorageError(QuiverError, OSError):
    """An I/O or storage failure: a file that cannot be read or written,
    an error from the storage engine."""


class DiskFullError(StorageError):
    """The disk is full; free space, then retry."""


class InvalidInputError(QuiverError, ValueError):
    """A bad argument: a wrong dimension, dtype or shape, NaN, a malformed
    file, an unsupported value."""


class NotFoundError(QuiverError, LookupError):
    """An unknown node, relationship or collection."""


class ConstraintError(QuiverError):
    """A write broke a rule: a unique key taken, a node with edges deleted,
    a collection that exists already."""


class EmbedderError(QuiverError):
    """A text collection's model is missing, different, or failed to load."""


class CypherError(QuiverError):
    """A Cypher statement failed.

    Attributes: ``code`` (Neo4j's status code, e.g.
    ``Neo.ClientError.Statement.SyntaxError``), ``kind`` (``SyntaxError``,
    ``TypeError``, ...), ``detail`` (the openCypher detail code, e.g.
    ``UndefinedVariable``), ``line`` and ``column`` (1-based, or ``None``).
    """

    code: str
    kind: str
    detail: str
    line: Optional[int]
    column: Optional[int]


class CypherSyntaxError(CypherError, SyntaxError):
    """The statement is not valid Cypher, or breaks the language's rules."""


class CypherTypeError(CypherError, TypeError):
    """A value of the wrong type met while the statement ran."""


class CypherConstraintError(CypherError, ConstraintError):
    """The statement's writes broke a unique key."""


class QueryTimeoutError(CypherError, TimeoutError):
    """The statement ran past its time limit; its writes were undone."""
