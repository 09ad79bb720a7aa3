"""The same statements give the same rows from Python as through the Rust
API (the `quiver` binary that tests/python.rs names in QUIVER_BIN)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import quiverdb

ROOT = Path(__file__).resolve().parents[3]
BIN = os.environ.get("QUIVER_BIN")

STATEMENTS = [
    "MATCH (p:Package) RETURN count(p), sum(p.installed_size)",
    "MATCH (p:Package {name: 'curl'})-[:DEPENDS]->(d) RETURN d.name ORDER BY d.name",
    "MATCH (p:Package)<-[:DEPENDS]-() RETURN p.name AS name, count(*) AS n ORDER BY n DESC, name LIMIT 10",
    "MATCH (a:Package)-[:DEPENDS]->(b:Package)-[:DEPENDS]->(a) RETURN count(*)",
    "MATCH (p:Package) WHERE p.section = 'libs' RETURN p.section, count(*), avg(p.installed_size)",
    "MATCH p = shortestPath((a:Package {name: 'git'})-[*]->(b:Package {name: 'libssl3'})) RETURN length(p)",
    "UNWIND [1, 2.5, 'x', null, [true]] AS v RETURN v",
]


@pytest.mark.skipif(not BIN, reason="QUIVER_BIN names no quiver binary (tests/python.rs sets it)")
def test_rows_equal_the_rust_apis(tmp_path):
    path = tmp_path / "db"
    with quiverdb.Database(path) as db:
        db.import_graph(
            nodes=str(ROOT / "data" / "packages.csv"),
            edges=str(ROOT / "data" / "dependencies.csv"),
            key_label="Package",
            key="name",
        )
        ours = [[list(r) for r in db.execute(s).rows()] for s in STATEMENTS]
    for statement, rows in zip(STATEMENTS, ours):
        out = subprocess.run(
            [BIN, "query", str(path), statement, "--json"], capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout)["rows"] == rows, statement
