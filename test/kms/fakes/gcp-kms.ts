/**
 * A Cloud KMS gRPC server for tests, built from the real service definition shipped in
 * @google-cloud/kms (google.cloud.kms.v1.KeyManagementService). Google's fakekms cannot be
 * installed here (its Go module is refused by the module proxy), so this implements the two
 * RPCs the driver uses, Encrypt and Decrypt, with Cloud KMS's status codes:
 *   unknown key -> NOT_FOUND; key version DISABLED / DESTROY_SCHEDULED -> FAILED_PRECONDITION;
 *   denied key -> PERMISSION_DENIED; injected failures (RESOURCE_EXHAUSTED, UNAVAILABLE, ...).
 * Ciphertext: AES-256-GCM under the fake's random key, prefixed with the key name hash so a
 * ciphertext of another key fails like Cloud KMS does (INVALID_ARGUMENT).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, verify, type KeyObject } from 'node:crypto';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export type FakeKeyState = 'ENABLED' | 'DISABLED' | 'DESTROY_SCHEDULED';

export interface FakeGcpKey {
  material: Buffer;
  state: FakeKeyState;
  denied: boolean;
}

/** TLS and service-account checking (off: plaintext, no authentication). */
export interface FakeGcpTls {
  keyPem: Buffer;
  certPem: Buffer;
  /** Service accounts accepted: private key id -> { email, public key }. */
  accounts: Map<string, { email: string; publicKey: KeyObject }>;
}

export interface FakeGcpKms {
  /** `http://127.0.0.1:PORT` (plaintext gRPC), or `https://localhost:PORT` with TLS */
  endpoint: string;
  /** Identity of each authenticated call (TLS mode): service account e-mail. */
  callers: string[];
  keys: Map<string, FakeGcpKey>;
  calls: Array<{ method: string; name: string }>;
  /** Fail the next `count` calls with this gRPC status. */
  failNext: { code: grpc.status; count: number };
  addKey(name: string): FakeGcpKey;
  close(): Promise<void>;
}

function protoRoot(): string {
  return path.join(path.dirname(require.resolve('@google-cloud/kms/package.json')), 'build', 'protos');
}

function gaxProtos(): string {
  const kmsDir = path.dirname(require.resolve('@google-cloud/kms/package.json'));
  const gaxMain = require.resolve('google-gax', { paths: [kmsDir] });
  return path.join(gaxMain.slice(0, gaxMain.lastIndexOf(`${path.sep}build${path.sep}`)), 'build', 'protos');
}

export async function startFakeGcpKms(tls?: FakeGcpTls): Promise<FakeGcpKms> {
  const def = protoLoader.loadSync('google/cloud/kms/v1/service.proto', {
    includeDirs: [protoRoot(), gaxProtos()],
    keepCase: true,
    longs: String,
    defaults: false,
  });
  const loaded = grpc.loadPackageDefinition(def) as unknown as {
    google: { cloud: { kms: { v1: { KeyManagementService: grpc.ServiceClientConstructor } } } };
  };
  const service = loaded.google.cloud.kms.v1.KeyManagementService.service;
  const fake: FakeGcpKms = {
    endpoint: '',
    callers: [],
    keys: new Map(),
    calls: [],
    failNext: { code: grpc.status.OK, count: 0 },
    addKey(name) {
      const k: FakeGcpKey = { material: randomBytes(32), state: 'ENABLED', denied: false };
      fake.keys.set(name, k);
      return k;
    },
    close: () =>
      new Promise((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };

  type Call = grpc.ServerUnaryCall<{ name: string; plaintext?: Buffer; ciphertext?: Buffer }, unknown>;
  const check = (method: string, call: Call): FakeGcpKey | grpc.ServiceError => {
    const name = call.request.name;
    fake.calls.push({ method, name });
    const fail = (code: grpc.status, details: string): grpc.ServiceError =>
      Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
    if (tls) {
      const who = checkJwt(String(call.metadata.get('authorization')[0] ?? ''), tls);
      if (!who) return fail(grpc.status.UNAUTHENTICATED, 'Request had invalid authentication credentials.');
      fake.callers.push(who);
    }
    if (fake.failNext.count > 0) {
      fake.failNext.count--;
      return fail(fake.failNext.code, 'injected failure');
    }
    const key = fake.keys.get(name);
    if (!key) return fail(grpc.status.NOT_FOUND, `${name} not found.`);
    if (key.denied) return fail(grpc.status.PERMISSION_DENIED, `Permission 'cloudkms.cryptoKeyVersions.useTo${method}' denied on resource '${name}' (or it may not exist).`);
    if (key.state !== 'ENABLED') {
      return fail(grpc.status.FAILED_PRECONDITION, `The request cannot be fulfilled. Resource ${name}/cryptoKeyVersions/1 is not in state ENABLED. Current state: ${key.state}.`);
    }
    return key;
  };
  const tag = (name: string): Buffer => createHash('sha256').update(name).digest().subarray(0, 8);

  const server = new grpc.Server();
  const unimplemented = (_: unknown, cb: grpc.sendUnaryData<unknown>): void =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in this fake', metadata: new grpc.Metadata() } as grpc.ServiceError, null);
  const impl: grpc.UntypedServiceImplementation = {};
  for (const m of Object.keys(service)) impl[m] = unimplemented;
  impl['Encrypt'] = (call: Call, cb: grpc.sendUnaryData<unknown>) => {
    const key = check('Encrypt', call);
    if (key instanceof Error) return cb(key, null);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key.material, iv);
    const ct = Buffer.concat([tag(call.request.name), iv, c.update(call.request.plaintext ?? Buffer.alloc(0)), c.final(), c.getAuthTag()]);
    cb(null, { name: `${call.request.name}/cryptoKeyVersions/1`, ciphertext: ct });
  };
  impl['Decrypt'] = (call: Call, cb: grpc.sendUnaryData<unknown>) => {
    const key = check('Decrypt', call);
    if (key instanceof Error) return cb(key, null);
    const ct = call.request.ciphertext ?? Buffer.alloc(0);
    try {
      if (!ct.subarray(0, 8).equals(tag(call.request.name))) throw new Error('wrong key');
      const d = createDecipheriv('aes-256-gcm', key.material, ct.subarray(8, 20));
      d.setAuthTag(ct.subarray(ct.length - 16));
      cb(null, { plaintext: Buffer.concat([d.update(ct.subarray(20, ct.length - 16)), d.final()]) });
    } catch {
      cb({ code: grpc.status.INVALID_ARGUMENT, details: 'Decryption failed: the ciphertext is invalid.', metadata: new grpc.Metadata() } as grpc.ServiceError, null);
    }
  };
  server.addService(service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      '127.0.0.1:0',
      tls ? grpc.ServerCredentials.createSsl(null, [{ private_key: tls.keyPem, cert_chain: tls.certPem }], false) : grpc.ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  fake.endpoint = tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
  return fake;
}

/** Verifies a self-signed service-account JWT (`Bearer h.p.s`, RS256); returns the e-mail. */
function checkJwt(authorization: string, tls: FakeGcpTls): string | undefined {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization);
  if (!m) return undefined;
  try {
    const header = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
    const payload = JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8')) as { iss?: string; exp?: number };
    const account = header.kid ? tls.accounts.get(header.kid) : undefined;
    if (header.alg !== 'RS256' || !account || payload.iss !== account.email) return undefined;
    if (typeof payload.exp === 'number' && payload.exp * 1000 < Date.now()) return undefined;
    const ok = verify('RSA-SHA256', Buffer.from(`${m[1]}.${m[2]}`), account.publicKey, Buffer.from(m[3]!, 'base64url'));
    return ok ? account.email : undefined;
  } catch {
    return undefined;
  }
}
