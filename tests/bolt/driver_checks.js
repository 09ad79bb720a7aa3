// Checks the official Neo4j JavaScript driver against `quiver serve`.
//
// Run by tests/bolt.rs: `node driver_checks.js URI USER PASSWORD`, with
// NODE_PATH naming a node_modules that holds neo4j-driver, against a
// server over the graph tests/bolt.rs writes. Exits non-zero with the
// failed check's message.
'use strict'
const neo4j = require('neo4j-driver')

const [uri, user, password] = process.argv.slice(2)

function check (ok, what) {
  if (!ok) throw new Error('check failed: ' + what)
}

async function main () {
  // Wrong credentials: an authentication error.
  const bad = neo4j.driver(uri, neo4j.auth.basic(user, password + 'x'))
  try {
    await bad.verifyConnectivity()
    throw new Error('a wrong password was let in')
  } catch (e) {
    check(e.code === 'Neo.ClientError.Security.Unauthorized', 'auth error code ' + e.code)
  } finally {
    await bad.close()
  }

  const driver = neo4j.driver(uri, neo4j.auth.basic(user, password))
  try {
    await driver.verifyConnectivity()
    await driver.executeQuery('MATCH (t:Temp) DELETE t')

    // Nodes and relationships with element ids that elementId() matches.
    let { records } = await driver.executeQuery(
      'MATCH (a:Person {name: $name})-[k:KNOWS]->(b) RETURN a, k, b, elementId(a) AS eid ORDER BY b.name',
      { name: 'ada' })
    check(records.length === 2, records.length + ' rows')
    const a = records[0].get('a')
    const k = records[0].get('k')
    const b = records[0].get('b')
    check(a.labels.join() === 'Person' && a.properties.name === 'ada', 'node')
    check(a.elementId === records[0].get('eid'), 'element id ' + a.elementId)
    check(k.type === 'KNOWS' && k.properties.since.toNumber() === 2019, 'relationship')
    check(k.startNodeElementId === a.elementId && k.endNodeElementId === b.elementId, 'relationship ends')

    // Values round-trip: sent as parameters, returned.
    const values = {
      nul: null,
      t: true,
      i: neo4j.int(-1099511627776),
      f: 1.5,
      s: 'grüße ✓',
      b: new Int8Array([0, -1, 5]),
      l: [neo4j.int(1), 'two', [3.5]],
      m: { k: [neo4j.int(1)], n: { x: null } },
      d: new neo4j.types.Date(2024, 2, 29),
      lt: new neo4j.types.LocalTime(13, 45, 30, 123456789),
      ldt: new neo4j.types.LocalDateTime(1969, 7, 20, 20, 17, 40, 0),
      dt: new neo4j.types.DateTime(2024, 3, 31, 2, 30, 0, 0, 19800),
      dz: new neo4j.types.DateTime(2024, 6, 1, 12, 0, 0, 0, undefined, 'Europe/Stockholm'),
      dur: new neo4j.types.Duration(14, 3, 7, 9)
    }
    const keys = Object.keys(values)
    ;({ records } = await driver.executeQuery('RETURN ' + keys.map(k => `$${k} AS ${k}`).join(', '), values))
    const r = records[0]
    check(r.get('nul') === null && r.get('t') === true, 'null, bool')
    check(r.get('i').equals(values.i), 'int ' + r.get('i'))
    check(r.get('f') === 1.5 && r.get('s') === values.s, 'float, string')
    check(Buffer.from(r.get('b')).equals(Buffer.from(values.b)), 'bytes')
    check(JSON.stringify(r.get('l')) === JSON.stringify(values.l), 'list')
    check(r.get('m').n.x === null && r.get('m').k[0].toNumber() === 1, 'map')
    for (const t of ['d', 'lt', 'ldt', 'dt', 'dur']) {
      check(r.get(t).toString() === values[t].toString(), `${t}: sent ${values[t]}, got ${r.get(t)}`)
    }
    // A zoned value comes back with the offset the zone has then.
    const dz = r.get('dz')
    check(dz.toString() === '2024-06-01T12:00:00+02:00[Europe/Stockholm]', 'dz: got ' + dz)
    const p = (await driver.executeQuery(
      "MATCH p = (:Person {name: 'ada'})-[:KNOWS]->(:Person {name: 'bob'})<-[:KNOWS]-(c) RETURN p")).records[0].get('p')
    check(p.length === 2 && p.start.properties.name === 'ada' && p.end.properties.name === 'cy', 'path')

    // Explicit transactions and managed ones.
    const session = driver.session()
    try {
      let tx = session.beginTransaction()
      await tx.run('CREATE (:Temp {v: 1})')
      const seen = (await tx.run('MATCH (t:Temp) RETURN count(t) AS n')).records[0].get('n').toNumber()
      check(seen === 1, 'own write ' + seen)
      await tx.rollback()
      tx = session.beginTransaction()
      await tx.run('CREATE (:Temp {v: 2})')
      await tx.commit()
      const v = await session.executeWrite(async tx => {
        const res = await tx.run('CREATE (t:Temp {v: $v}) RETURN t.v AS v', { v: neo4j.int(3) })
        return res.records[0].get('v').toNumber()
      })
      check(v === 3, 'executeWrite')
      const n = await session.executeRead(async tx =>
        (await tx.run('MATCH (t:Temp) RETURN count(t) AS n')).records[0].get('n').toNumber())
      check(n === 2, 'executeRead saw ' + n)
      // A managed transaction retries a transient error: another
      // transaction holds the writer past the server's wait (1 s in the
      // tests), then commits.
      const holder = driver.session()
      const held = await holder.beginTransaction()
      await held.run('CREATE (:Temp {v: 8})')
      const started = Date.now()
      const release = new Promise(resolve => setTimeout(() => held.commit().then(resolve), 2500))
      const retried = await session.executeWrite(async tx =>
        (await tx.run('CREATE (t:Temp {v: 9}) RETURN t.v AS v')).records[0].get('v').toNumber())
      const waited = Date.now() - started
      await release
      await holder.close()
      // One attempt waits 1 s at most; the writer was held for 2.5 s: it
      // succeeded on a later attempt.
      check(retried === 9 && waited >= 2000, 'written after ' + waited + ' ms')
      // The summary counts what a statement wrote.
      const { summary } = await driver.executeQuery('CREATE (:Counted {v: 1, w: 2})')
      const u = summary.counters.updates()
      check(u.nodesCreated === 1 && u.propertiesSet === 2 && u.labelsAdded === 1 &&
        summary.counters.containsUpdates(), 'counters ' + JSON.stringify(u))
      const gone = (await driver.executeQuery('MATCH (c:Counted) DELETE c')).summary.counters.updates()
      check(gone.nodesDeleted === 1, 'counters ' + JSON.stringify(gone))
      // A large result streams (the driver pulls in batches).
      let total = 0
      const big = session.run('UNWIND range(1, 200000) AS i RETURN i')
      for await (const rec of big) total += rec.get('i').toNumber()
      check(total === 200000 * 200001 / 2, 'sum ' + total)
      // Errors classified by code; the session goes on.
      try {
        await session.run('RETURN 1 +')
        throw new Error('a syntax error passed')
      } catch (e) {
        check(e.code === 'Neo.ClientError.Statement.SyntaxError', e.code)
      }
      try {
        await session.executeRead(tx => tx.run('CREATE (:Nope)'))
        throw new Error('a write ran in a read transaction')
      } catch (e) {
        check(e.code === 'Neo.ClientError.Statement.AccessMode', e.code)
      }
      const one = (await session.run('RETURN 1 AS one')).records[0].get('one').toNumber()
      check(one === 1, 'after errors')
    } finally {
      await session.close()
    }
  } finally {
    await driver.close()
  }
  console.log('ok', neo4j.VERSION || '')
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
