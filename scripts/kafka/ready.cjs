// One readiness probe of the test broker: exits 0 when a kafkajs admin client can connect, the
// cluster metadata lists a broker and the group coordinator answers (its first lookup creates
// __consumer_offsets, so consumers in tests do not wait for it), 1 otherwise.
// Usage: node ready.cjs HOST:PORT
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const kafka = new Kafka({
  clientId: 'csfle-ready-probe',
  brokers: [process.argv[2]],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 2000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
admin
  .connect()
  .then(() => admin.describeCluster())
  .then(async (c) => {
    if (c.brokers.length === 0) process.exit(1);
    await admin.describeGroups(['csfle-ready-probe']);
    await admin.disconnect();
    process.exit(0);
  })
  .catch(() => process.exit(1));
