// kafkajs 2.2.4 (npm, pinned by third_party/npm, pure JavaScript), unmodified, against the
// cluster tests/kafka/with_cluster.sh started (topic kjs-demo with 2 partitions exists).
//
// - producer (acks=-1): records with keys, headers and timestamps to chosen partitions; the
//   answers name the expected base offsets. An idempotent producer (InitProducerId) appends
//   more.
// - reading back: kafkajs 2.2.4 consumers only run inside a consumer group (no assign()), so
//   the "manual assignment" read uses kafkajs' own cluster and broker objects: metadata for the
//   partition leaders, then Fetch requests from offset 0, decoded by kafkajs' record batch
//   decoder. Keys, values, headers, timestamps and offsets must match what was produced.
//   admin.fetchTopicOffsets agrees on the high watermarks.
// - admin: createTopics (with configEntries) returns true and a second create false,
//   fetchTopicMetadata shows its partitions, listTopics lists it, deleteTopics removes it.
//   (Not on the librdkafka mock cluster, which implements no admin API.)
'use strict'
const assert = require('assert')
const path = require('path')
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
if (!require('fs').existsSync(path.join(process.env.KAFKAJS_DIR, 'package.json'))) {
  console.error(`FAIL: no kafkajs at ${process.env.KAFKAJS_DIR}: run tools/install-npm.sh ` +
    '(tools/install-deps.sh and tools/test.sh run it)')
  process.exit(1)
}
const { Kafka, logLevel } = require(path.join(process.env.KAFKAJS_DIR, 'index.js'))

const brokers = process.env.KAFKA_BOOTSTRAP.split(',')
const target = process.env.KAFKA_TEST_TARGET || 'keel'
const TOPIC = 'kjs-demo'
const BASE_TS = 1650000000000

const kafka = new Kafka({
  clientId: 'keel-kafkajs-test',
  brokers,
  logLevel: logLevel.WARN,
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
})

function record(i) {
  return {
    partition: i % 2,
    key: `kjs-key-${i}`,
    value: `kjs-value-${i}`,
    headers: { i: String(i), client: 'kafkajs' },
    timestamp: String(BASE_TS + i),
  }
}

async function produce() {
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const first = [0, 1, 2, 3, 4, 5].map(record)
  const sent = await producer.send({ topic: TOPIC, acks: -1, messages: first })
  const base = Object.fromEntries(sent.map(r => [r.partition, r.baseOffset]))
  assert.deepStrictEqual(base, { 0: '0', 1: '0' }, `base offsets ${JSON.stringify(sent)}`)
  sent.forEach(r => assert.strictEqual(r.errorCode, 0, JSON.stringify(r)))
  await producer.disconnect()

  // kafkajs sends InitProducerId to Metadata's controller id; the librdkafka mock answers
  // controller id 0, which is none of its brokers (1..N), so there a plain producer stands in.
  const idempotent = target === 'mock'
    ? kafka.producer()
    : kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await idempotent.connect()
  const more = await idempotent.send({ topic: TOPIC, acks: -1, messages: [6, 8, 10].map(record) })
  assert.deepStrictEqual(more.map(r => [r.partition, r.errorCode, r.baseOffset]), [[0, 0, '3']],
    `idempotent send ${JSON.stringify(more)}`)
  await idempotent.disconnect()
  console.log('producers: 9 records acknowledged at the expected offsets')
}

// Partition -> records, read with kafkajs' own Fetch (the version it negotiated) from offset 0
// until the high watermark.
async function readBack(partitions) {
  const createCluster = Object.getOwnPropertySymbols(kafka)
    .find(s => s.description === 'private:Kafka:createCluster')
  const cluster = kafka[createCluster]({ allowAutoTopicCreation: false })
  await cluster.connect()
  await cluster.addTargetTopic(TOPIC)
  await cluster.refreshMetadata()
  const out = {}
  for (const partition of partitions) {
    const [leader] = Object.keys(cluster.findLeaderForPartitions(TOPIC, [partition]))
    const broker = await cluster.findBroker({ nodeId: leader })
    out[partition] = []
    let offset = 0
    for (let round = 0; round < 20; round++) {
      const response = await broker.fetch({
        maxWaitTime: 100,
        topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset: String(offset), maxBytes: 1 << 20 }] }],
      })
      const [p] = response.responses[0].partitions
      assert.strictEqual(p.errorCode, 0, `fetch partition ${partition}: ${JSON.stringify(p)}`)
      for (const m of p.messages) {
        if (Number(m.offset) < offset) continue // a batch may start before the position
        out[partition].push(m)
        offset = Number(m.offset) + 1
      }
      if (offset >= Number(p.highWatermark)) break
    }
  }
  await cluster.disconnect()
  return out
}

async function checkReadBack() {
  const got = await readBack([0, 1])
  const want = { 0: [0, 2, 4, 6, 8, 10], 1: [1, 3, 5] }
  for (const [partition, indexes] of Object.entries(want)) {
    const simple = got[partition].map(m => ({
      offset: m.offset,
      key: m.key && m.key.toString(),
      value: m.value && m.value.toString(),
      headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString()])),
      timestamp: m.timestamp,
    }))
    const expected = indexes.map((i, n) => {
      const r = record(i)
      return { offset: String(n), key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }
    })
    assert.deepStrictEqual(simple, expected, `partition ${partition} read back`)
  }
  const admin = kafka.admin()
  await admin.connect()
  const offsets = await admin.fetchTopicOffsets(TOPIC)
  const high = Object.fromEntries(offsets.map(o => [o.partition, [o.low, o.high]]))
  assert.deepStrictEqual(high, { 0: ['0', '6'], 1: ['0', '3'] }, `fetchTopicOffsets ${JSON.stringify(offsets)}`)
  await admin.disconnect()
  console.log('read back all 9 records with Fetch; fetchTopicOffsets agrees')
}

async function adminRoundTrip() {
  const admin = kafka.admin()
  await admin.connect()
  const name = 'kjs-admin'
  const created = await admin.createTopics({
    waitForLeaders: true,
    timeout: 20000,
    topics: [{ topic: name, numPartitions: 3, replicationFactor: 1,
               configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
  })
  assert.strictEqual(created, true, 'createTopics of a new topic')
  assert.strictEqual(await admin.createTopics({ topics: [{ topic: name, numPartitions: 3 }] }), false,
    'createTopics of an existing topic returns false')
  const meta = await admin.fetchTopicMetadata({ topics: [name] })
  assert.strictEqual(meta.topics.length, 1)
  assert.deepStrictEqual(meta.topics[0].partitions.map(p => p.partitionId).sort(), [0, 1, 2])
  meta.topics[0].partitions.forEach(p => assert.ok(p.leader >= 0 && p.replicas.includes(p.leader), JSON.stringify(p)))
  assert.ok((await admin.listTopics()).includes(name), 'listTopics after create')
  await admin.deleteTopics({ topics: [name], timeout: 20000 })
  let listed = true
  for (let i = 0; i < 50 && listed; i++) {
    listed = (await admin.listTopics()).includes(name)
    if (listed) await new Promise(resolve => setTimeout(resolve, 200))
  }
  assert.ok(!listed, `${name} still listed after deleteTopics`)
  await admin.disconnect()
  console.log('admin: createTopics, fetchTopicMetadata, listTopics, deleteTopics')
}

async function main() {
  await produce()
  await checkReadBack()
  if (target === 'mock') {
    console.log('mock cluster: no admin APIs there; skipping createTopics/deleteTopics')
  } else {
    await adminRoundTrip()
  }
  console.log('PASS')
}

main().catch(e => {
  console.error('FAIL:', e)
  process.exit(1)
})
