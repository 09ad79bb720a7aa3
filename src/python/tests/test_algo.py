import math
from pathlib import Path

import numpy as np
import pytest

import quiverdb

nx = pytest.importorskip("networkx")


@pytest.fixture
def graph(db):
    """A random directed graph (no parallel edges) with weights, in the
    database and in networkx under the same node ids."""
    rng = np.random.default_rng(11)
    n = 300
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n, (900, 2)) if a != b}
    pairs = sorted(pairs)
    weights = rng.integers(1, 10, len(pairs))
    db.import_graph(
        nodes={"id": np.arange(n)},
        edges={"src": [a for a, _ in pairs], "dst": [b for _, b in pairs], "w": weights},
        edge_type="L",
    )
    ids = dict(db.execute("MATCH (n:Node) RETURN n.id, id(n)").rows())
    g = nx.DiGraph()
    g.add_nodes_from(ids.values())
    for (a, b), w in zip(pairs, weights):
        g.add_edge(ids[a], ids[b], w=int(w))
    return db, g


def as_map(result, column):
    return dict(zip(result["node"].tolist(), result[column].tolist()))


def partition(mapping):
    groups = {}
    for node, c in mapping.items():
        groups.setdefault(c, set()).add(node)
    return sorted(sorted(s) for s in groups.values())


def test_components_match_networkx(graph):
    db, g = graph
    weak = as_map(db.components(), "component")
    assert partition(weak) == sorted(sorted(c) for c in nx.weakly_connected_components(g))
    assert all(c == min(n for n, k in weak.items() if k == c) for c in weak.values())
    strong = as_map(db.components("strong"), "component")
    assert partition(strong) == sorted(sorted(c) for c in nx.strongly_connected_components(g))
    with pytest.raises(quiverdb.InvalidInputError):
        db.components("medium")


def test_pagerank_matches_networkx(graph):
    db, g = graph
    ours = as_map(db.pagerank(iterations=60), "rank")
    # Power iteration, dangling nodes' rank spread over every node (the
    # Graphalytics definition, and networkx's).
    nodes = list(g)
    n = len(nodes)
    rank = {v: 1.0 / n for v in nodes}
    for _ in range(60):
        dangling = sum(rank[v] for v in nodes if g.out_degree(v) == 0)
        rank = {
            v: (1 - 0.85) / n
            + 0.85 * (dangling / n + sum(rank[u] / g.out_degree(u) for u in g.predecessors(v)))
            for v in nodes
        }
    assert max(abs(ours[v] - rank[v]) for v in nodes) < 1e-12
    assert math.isclose(sum(ours.values()), 1.0, abs_tol=1e-9)


def test_bfs_sssp_and_paths_match_networkx(graph):
    db, g = graph
    source = next(iter(g))
    depths = as_map(db.bfs(source), "depth")
    want = nx.single_source_shortest_path_length(g, source)
    assert depths == {n: want.get(n, -1) for n in g}
    dist = as_map(db.sssp(source, "w"), "distance")
    want = nx.single_source_dijkstra_path_length(g, source, weight="w")
    assert dist == {n: float(want.get(n, math.inf)) for n in g}
    for target in list(g)[1:40]:
        p = db.shortest_path(source, target)
        if not nx.has_path(g, source, target):
            assert p is None
            continue
        assert len(p["edges"]) == nx.shortest_path_length(g, source, target)
        assert p["nodes"][0] == source and p["nodes"][-1] == target
        w = db.shortest_path(source, target, weight="w")
        assert w["cost"] == nx.dijkstra_path_length(g, source, target, weight="w")


def test_lcc_matches_networkx_undirected(graph):
    db, g = graph
    ours = as_map(db.lcc(directed=False), "coefficient")
    theirs = nx.clustering(g.to_undirected())
    assert max(abs(ours[n] - theirs[n]) for n in g) < 1e-12


def test_cdlp_finds_separate_cliques(db):
    edges = [(a, b) for base in (0, 10) for a in range(base, base + 5) for b in range(base, base + 5) if a != b]
    db.import_graph(
        nodes={"id": list(range(5)) + list(range(10, 15))},
        edges={"src": [a for a, _ in edges], "dst": [b for _, b in edges]},
    )
    c = as_map(db.cdlp(iterations=5), "community")
    assert len(set(c.values())) == 2
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(db.cdlp())
    assert list(frame.columns) == ["node", "community"] and len(frame) == 10


def test_algorithm_errors(graph):
    db, _ = graph
    with pytest.raises(quiverdb.InvalidInputError, match="direction"):
        db.bfs(0, direction="up")
    with pytest.raises(quiverdb.NotFoundError):
        db.bfs(10**9)
    with pytest.raises(quiverdb.InvalidInputError, match="damping"):
        db.pagerank(damping=1.5)


def test_kcore_and_personalized_pagerank_match_igraph(graph):
    ig = pytest.importorskip("igraph")
    db, g = graph
    nodes = list(g)
    pos = {v: i for i, v in enumerate(nodes)}
    h = ig.Graph(n=len(nodes), edges=[(pos[a], pos[b]) for a, b in g.edges()], directed=True)
    h.es["w"] = [d["w"] for _, _, d in g.edges(data=True)]
    core = as_map(db.kcore(), "coreness")
    assert [core[v] for v in nodes] == h.coreness(mode="all")
    seeds = {nodes[0]: 2.0, nodes[5]: 1.0}
    for weight in (None, "w"):
        ours = as_map(db.personalized_pagerank(seeds, weight=weight), "rank")
        theirs = h.personalized_pagerank(
            directed=True, damping=0.85, reset=[seeds.get(v, 0.0) for v in nodes],
            weights="w" if weight else None,
        )
        assert max(abs(ours[v] - theirs[pos[v]]) for v in nodes) < 1e-9
    uniform = as_map(db.personalized_pagerank([nodes[1]]), "rank")
    assert uniform[nodes[1]] == max(uniform.values())
    with pytest.raises(quiverdb.NotFoundError):
        db.personalized_pagerank([10**9])
    with pytest.raises(quiverdb.InvalidInputError):
        db.personalized_pagerank({nodes[0]: -1.0})


def planted_partition(seed, groups=6, size=40, p_in=0.25, p_out=0.01):
    rng = np.random.default_rng(seed)
    n = groups * size
    a, b = np.triu_indices(n, 1)
    same = (a // size) == (b // size)
    keep = rng.random(len(a)) < np.where(same, p_in, p_out)
    return n, a[keep], b[keep], (np.arange(n) // size)


def test_leiden_and_louvain_recover_planted_partitions_and_match_igraph(db):
    ig = pytest.importorskip("igraph")
    n, src, dst, truth = planted_partition(5)
    db.import_graph(nodes={"id": np.arange(n)}, edges={"src": src, "dst": dst}, edge_type="L")
    key = dict(db.execute("MATCH (n:Node) RETURN id(n), n.id").rows())
    g = ig.Graph(n=n, edges=list(zip(src.tolist(), dst.tolist())), directed=False)
    ours = {"leiden": [], "louvain": []}
    for seed in range(5):
        for name in ours:
            result = getattr(db, name)(seed=seed)
            membership = [0] * n
            for node, c in zip(result["node"].tolist(), result["community"].tolist()):
                membership[key[node]] = c
            assert ig.compare_communities(membership, truth.tolist(), method="nmi") >= 0.95
            ours[name].append(g.modularity(membership))
    theirs_leiden = [
        g.community_leiden(objective_function="modularity", n_iterations=2).modularity for _ in range(5)
    ]
    theirs_louvain = g.community_multilevel().modularity
    # Planted structure: both find (nearly) the same optimum.
    assert np.mean(ours["leiden"]) >= np.mean(theirs_leiden) - 1e-3
    assert np.mean(ours["louvain"]) >= theirs_louvain - 1e-3
    same = db.leiden(seed=3)
    assert same["community"].tolist() == db.leiden(seed=3)["community"].tolist()


def test_leiden_levels_and_written_property(db):
    n, src, dst, _ = planted_partition(9, groups=10, size=30, p_in=0.3, p_out=0.02)
    db.import_graph(nodes={"id": np.arange(n)}, edges={"src": src, "dst": dst}, edge_type="L")
    result = db.leiden(levels=True, write_property="community", iterations=0)
    levels = sorted(k for k in result if k.startswith("level_"))
    assert levels[0] == "level_0" and len(levels) >= 1
    assert result[levels[-1]].tolist() == result["community"].tolist()
    for lo, hi in zip(levels, levels[1:]):
        parent = {}
        for a, b in zip(result[lo].tolist(), result[hi].tolist()):
            assert parent.setdefault(a, b) == b  # each level merges the one below
    stored = dict(db.execute("MATCH (n:Node) RETURN id(n), n.community").rows())
    assert [stored[v][-1] for v in result["node"].tolist()] == result["community"].tolist()
    db.louvain(write_property="louvain")
    counts = db.execute("MATCH (n:Node) RETURN n.louvain AS c, count(*) AS k ORDER BY c").rows()
    assert sum(k for _, k in counts) == n and len(counts) >= 5
    with pytest.raises(quiverdb.InvalidInputError, match="objective"):
        db.leiden(objective="surprise")
    with pytest.raises(quiverdb.InvalidInputError, match="resolution"):
        db.leiden(resolution=float("nan"))


def graphalytics_graphs():
    root = Path(__file__).resolve().parents[3] / "tests" / "data" / "graphalytics"
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / f"{p.name}.e").exists())


@pytest.mark.parametrize("folder", graphalytics_graphs(), ids=lambda p: p.name)
def test_kcore_matches_igraph_on_graphalytics_graphs(tmp_path, folder):
    ig = pytest.importorskip("igraph")
    ids = [int(line.split()[0]) for line in (folder / f"{folder.name}.v").read_text().split("\n") if line.strip()]
    edges = [tuple(int(x) for x in line.split()[:2])
             for line in (folder / f"{folder.name}.e").read_text().split("\n") if line.strip()]
    with quiverdb.Database(tmp_path / "db") as db:
        db.import_graph(nodes={"id": ids}, edges={"src": [a for a, _ in edges], "dst": [b for _, b in edges]})
        key = dict(db.execute("MATCH (n:Node) RETURN id(n), n.id").rows())
        ours = {key[n]: c for n, c in zip(*(db.kcore()[k].tolist() for k in ("node", "coreness")))}
    pos = {v: i for i, v in enumerate(ids)}
    g = ig.Graph(n=len(ids), edges=[(pos[a], pos[b]) for a, b in edges], directed=True)
    assert [ours[v] for v in ids] == g.coreness(mode="all")
