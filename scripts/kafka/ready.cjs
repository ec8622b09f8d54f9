// One readiness probe of the test broker: exits 0 when a kafkajs admin client can connect and
// the cluster metadata lists at least one broker, 1 otherwise. Usage: node ready.cjs HOST:PORT
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
    await admin.disconnect();
    process.exit(c.brokers.length > 0 ? 0 : 1);
  })
  .catch(() => process.exit(1));
