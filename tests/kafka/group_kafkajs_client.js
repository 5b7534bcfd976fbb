// Consumer groups with kafkajs 2.2.4 (npm, pinned by third_party/npm), unmodified, against the
// cluster tests/kafka/with_cluster.sh started (topic kjsg-demo with 6 partitions):
//
// - 3 consumers of one group (kafkajs' round-robin assignor runs in its elected leader) end up
//   with 2 partitions each, disjoint, covering all 6, and consume the 60 records produced;
// - a 4th joins: the 6 partitions spread over 4 members (2, 2, 1, 1);
// - it disconnects (LeaveGroup): the 3 others hold 2 each again.
// Assignments are those of each member's latest GROUP_JOIN event.
'use strict'
const assert = require('assert')
const path = require('path')
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const { Kafka, logLevel } = require(path.join(process.env.KAFKAJS_DIR, 'index.js'))

const TOPIC = 'kjsg-demo'
const GROUP = 'kjsg-group'
const PARTITIONS = 6
const RECORDS = 60
const started = Date.now()
const log = (m) => console.log(`${((Date.now() - started) / 1000).toFixed(1)} ${m}`)

const kafka = new Kafka({
  clientId: 'keel-kafkajs-group-test',
  brokers: process.env.KAFKA_BOOTSTRAP.split(','),
  logLevel: logLevel.WARN,
  retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
})

const members = []
const consumed = new Set()

async function startMember(name) {
  const consumer = kafka.consumer({
    groupId: GROUP,
    sessionTimeout: 6000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 300,
  })
  const member = { name, consumer, assigned: [] }
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    member.assigned = (e.payload.memberAssignment[TOPIC] || []).slice().sort()
    log(`${name} joined generation as ${e.payload.isLeader ? 'leader' : 'follower'}: ${member.assigned}`)
  })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      consumed.add(`${partition}:${message.offset}:${message.value.toString()}`)
    },
  })
  members.push(member)
  return member
}

async function waitFor(what, condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (condition()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  const state = members.map((m) => `${m.name}=[${m.assigned}]`).join(' ')
  throw new Error(`timed out waiting until ${what}: ${state}`)
}

function balanced(live, sizes) {
  const all = live.flatMap((m) => m.assigned)
  const got = live.map((m) => m.assigned.length).sort()
  return new Set(all).size === PARTITIONS && all.length === PARTITIONS &&
    JSON.stringify(got) === JSON.stringify(sizes)
}

async function main() {
  const producer = kafka.producer()
  await producer.connect()
  const messages = []
  for (let i = 0; i < RECORDS; i++) messages.push({ partition: i % PARTITIONS, value: `v${i}` })
  await producer.send({ topic: TOPIC, acks: -1, messages })
  await producer.disconnect()

  const first = await Promise.all(['c1', 'c2', 'c3'].map(startMember))
  await waitFor('3 members hold 2 partitions each', () => balanced(first, [2, 2, 2]), 60000)
  log('3 members: 2 partitions each')
  await waitFor('every record is consumed', () => consumed.size >= RECORDS, 60000)
  assert.strictEqual(consumed.size, RECORDS)

  const fourth = await startMember('c4')
  const four = [...first, fourth]
  await waitFor('4 members share the 6 partitions', () => balanced(four, [1, 1, 2, 2]), 60000)
  log('4 members: 2, 2, 1, 1')

  const leftAt = Date.now()
  await fourth.consumer.disconnect()
  await waitFor('3 members hold 2 each again', () => balanced(first, [2, 2, 2]), 60000)
  log(`after the 4th left: 2 each again in ${((Date.now() - leftAt) / 1000).toFixed(1)} s`)
  await Promise.all(first.map((m) => m.consumer.disconnect()))
  console.log('kafkajs group test passed')
}

main().catch(async (e) => {
  console.error(e)
  await Promise.all(members.map((m) => m.consumer.disconnect().catch(() => {})))
  process.exit(1)
})
