import pytest

import quiverdb


@pytest.fixture
def db(tmp_path):
    database = quiverdb.Database(tmp_path / "db")
    yield database
    database.close()


@pytest.fixture
def people(db):
    """A small social graph: five people, KNOWS relationships with a year."""
    db.execute(
        """
        UNWIND range(0, 4) AS i
        CREATE (:Person {id: i, name: 'p' + toString(i), age: 20 + i * 5})
        """
    )
    db.execute(
        """
        UNWIND [[0, 1, 2001], [1, 2, 2002], [2, 3, 2003], [0, 3, 2010], [3, 4, 2011]] AS e
        MATCH (a:Person {id: e[0]}), (b:Person {id: e[1]})
        CREATE (a)-[:KNOWS {since: e[2]}]->(b)
        """
    )
    return db
