#!/usr/bin/env python3
"""Load on `quiver serve` from the official Neo4j Python driver, with a
ledger of acknowledged commits checked after a `kill -9` and a restart.

Usage:
  bolt_load.py WORK --quiver target/release/quiver [--sessions 64]
      [--seconds 300] [--kill-at 150]

Creates a database in WORK/db with a user, starts `quiver serve` on a free
port, and runs SESSIONS asyncio sessions for SECONDS, each looping over a
mix: point reads (40 %), auto-commit writes through `execute_write` (30 %),
explicit transactions that commit (15 %) or roll back (10 %), and dropped
connections (a driver closed with a write transaction open, 5 %). Every
commit the driver acknowledged is appended to a ledger (its unique id).
At KILL_AT seconds the server is killed with SIGKILL and restarted on the
same port; sessions see connection errors meanwhile (counted apart: the
driver's managed transactions retry them). At the end: every ledger id is
in the database exactly once, no rolled-back or dropped id is, and the
errors by class and the latency p50/p99 per operation are printed as one
JSON object.
"""
import argparse
import asyncio
import json
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time

import neo4j
from neo4j import AsyncGraphDatabase
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError, Neo4jError

USER, PASSWORD = "load", "load-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(quiver, db, port):
    p = subprocess.Popen(
        [quiver, "serve", db, "--listen", f"127.0.0.1:{port}", "--write-wait", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("bolt://"):
        raise SystemExit(f"quiver serve did not start: {line!r}")
    return p


class Stats:
    def __init__(self):
        self.latency = {}
        self.errors = {}
        self.error_log = []  # (monotonic time, operation, kind)
        self.acknowledged = []
        self.undone = []

    def time(self, op, seconds):
        self.latency.setdefault(op, []).append(seconds)

    def error(self, e, op):
        kind = type(e).__name__ + (f" {e.code}" if isinstance(e, Neo4jError) and e.code else "")
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.error_log.append((time.monotonic(), op, kind))


def _pack_str(s):
    b = s.encode()
    if len(b) < 16:
        return bytes([0x80 | len(b)]) + b
    return bytes([0xD0, len(b)]) + b


def _pack_map(d):
    out = bytes([0xA0 | len(d)])
    for k, v in d.items():
        out += _pack_str(k) + (_pack_map(v) if isinstance(v, dict) else _pack_str(v))
    return out


def _message(tag, *fields):
    body = bytes([0xB0 | len(fields), tag]) + b"".join(fields)
    return len(body).to_bytes(2, "big") + body + b"\x00\x00"


async def _response(reader):
    body = b""
    while True:
        n = int.from_bytes(await reader.readexactly(2), "big")
        if n == 0:
            if body:
                return body[1]  # the signature
            continue
        body += await reader.readexactly(n)


async def dropped(port, uid):
    """A client that writes in an explicit transaction and goes away
    without COMMIT, ROLLBACK or GOODBYE (Bolt 5.4 by hand)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(bytes([0x60, 0x60, 0xB0, 0x17, 0, 0, 4, 5]) + bytes(12))
    await reader.readexactly(4)
    writer.write(_message(0x01, _pack_map({"user_agent": "dropped/1"})))
    writer.write(_message(0x6A, _pack_map({"scheme": "basic", "principal": USER, "credentials": PASSWORD})))
    writer.write(_message(0x11, _pack_map({})))
    writer.write(_message(0x10, _pack_str("CREATE (:Ledger {uid: $u})"), _pack_map({"u": uid}), _pack_map({})))
    writer.write(_message(0x3F, _pack_map({})))
    await writer.drain()
    for _ in range(5):
        if await _response(reader) != 0x70:
            break
    writer.transport.abort()


async def session_loop(uri, port, stats, deadline, worker):
    rng = random.Random(worker)
    driver = AsyncGraphDatabase.driver(uri, auth=(USER, PASSWORD), max_connection_pool_size=4)
    n = 0
    try:
        while time.monotonic() < deadline:
            n += 1
            uid = f"w{worker}-{n}"
            x = rng.random()
            op = "?"
            t = time.perf_counter()
            try:
                if x < 0.40:
                    op = "read"
                    async with driver.session() as s:
                        await s.execute_read(
                            lambda tx: _single(tx, "MATCH (l:Ledger {uid: $u}) RETURN count(l) AS n",
                                               u=f"w{worker}-{rng.randrange(1, n + 1)}"))
                elif x < 0.70:
                    op = "write"
                    async with driver.session() as s:
                        await s.execute_write(
                            lambda tx: _single(tx, "MERGE (l:Ledger {uid: $u}) RETURN l.uid AS u", u=uid))
                    stats.acknowledged.append(uid)
                elif x < 0.85:
                    op = "tx_commit"
                    async with driver.session() as s:
                        tx = await s.begin_transaction()
                        await (await tx.run("MERGE (l:Ledger {uid: $u})", u=uid)).consume()
                        await tx.commit()
                    stats.acknowledged.append(uid)
                elif x < 0.95:
                    op = "tx_rollback"
                    async with driver.session() as s:
                        tx = await s.begin_transaction()
                        await (await tx.run("CREATE (l:Ledger {uid: $u})", u=uid)).consume()
                        await tx.rollback()
                    stats.undone.append(uid)
                else:
                    op = "dropped"
                    await dropped(port, uid)
                    stats.undone.append(uid)
                stats.time(op, time.perf_counter() - t)
            except (ServiceUnavailable, SessionExpired, ConnectionError, OSError,
                    asyncio.IncompleteReadError) as e:
                stats.error(e, op)
                await asyncio.sleep(0.2)
            except Neo4jError as e:
                stats.error(e, op)
    finally:
        await driver.close()


async def _single(tx, query, **params):
    result = await tx.run(query, **params)
    return await result.single()


async def load(args, uri, port, db):
    stats = Stats()
    deadline = time.monotonic() + args.seconds
    server = start(args.quiver, db, port)
    tasks = [asyncio.create_task(session_loop(uri, port, stats, deadline, w)) for w in range(args.sessions)]
    window = None
    if args.kill_at:
        await asyncio.sleep(args.kill_at)
        killed_at = time.monotonic()
        server.send_signal(signal.SIGKILL)
        server.wait()
        server = start(args.quiver, db, port)
        window = (killed_at, time.monotonic())
    await asyncio.gather(*tasks)
    return stats, server, window


def main():
    # The driver logs each connection the kill breaks; they are counted.
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--quiver", required=True)
    ap.add_argument("--sessions", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--kill-at", type=float, default=150)
    args = ap.parse_args()
    db = os.path.join(args.work, "db")
    subprocess.run([args.quiver, "query", db, "CREATE INDEX ledger_uid IF NOT EXISTS FOR (l:Ledger) ON (l.uid)",
                    "--create"], check=True, capture_output=True)
    subprocess.run([args.quiver, "user", db, "add", USER], input=PASSWORD + "\n", text=True,
                   check=False, capture_output=True)
    port = free_port()
    uri = f"bolt://127.0.0.1:{port}"
    stats, server, window = asyncio.run(load(args, uri, port, db))
    # The ledger against the database.
    with neo4j.GraphDatabase.driver(uri, auth=(USER, PASSWORD)) as d:
        rows, _, _ = d.execute_query("MATCH (l:Ledger) RETURN l.uid AS u")
    server.terminate()
    server.wait()
    stored = [r["u"] for r in rows]
    counts = {}
    for u in stored:
        counts[u] = counts.get(u, 0) + 1
    lost = [u for u in stats.acknowledged if u not in counts]
    doubled = [u for u, c in counts.items() if c > 1]
    undone_present = [u for u in stats.undone if u in counts]
    out = {
        "driver": neo4j.__version__,
        "sessions": args.sessions,
        "seconds": args.seconds,
        "killed_at_s": args.kill_at or None,
        "acknowledged_commits": len(stats.acknowledged),
        "lost_commits": len(lost),
        "duplicated": len(doubled),
        "rolled_back_or_dropped_present": len(undone_present),
        "stored_rows": len(stored),
        "errors": stats.errors,
        # When each error came, in seconds after the kill (the restart
        # took restart_s), and on which operation.
        "restart_s": round(window[1] - window[0], 3) if window else None,
        "errors_after_kill_s": sorted(
            [round(t - window[0], 3), op, kind] for t, op, kind in stats.error_log
        ) if window else [[None, op, kind] for _, op, kind in stats.error_log],
        "latency_ms": {
            op: {
                "n": len(v),
                "p50": round(statistics.median(v) * 1e3, 2),
                "p99": round(sorted(v)[int(0.99 * (len(v) - 1))] * 1e3, 2),
            }
            for op, v in sorted(stats.latency.items())
        },
    }
    print(json.dumps(out, indent=1))
    sys.exit(0 if not lost and not doubled and not undone_present else 1)


if __name__ == "__main__":
    main()
