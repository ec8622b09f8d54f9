/**
 * Interop harness: Confluent's own JS client (`@confluentinc/schemaregistry`, mock registries,
 * local-kms) is the oracle; kafka-csfle runs against its in-memory registries. Records written
 * on one side are read on the other after mirroring the schema (same id) and the KEK/DEK
 * records (same encryptedKeyMaterial) across.
 *
 * Confluent's code is used only as a test oracle here; nothing is copied into src/.
 */
import {
  AvroDeserializer as CAvroDeserializer,
  AvroSerializer as CAvroSerializer,
  Clock,
  EncryptionExecutor,
  FieldEncryptionExecutor,
  LocalKmsDriver,
  MockClient,
  RuleRegistry,
  SerdeType,
  type Dek,
  type DekClient,
  type AvroDeserializerConfig,
  type AvroSerializerConfig,
  type SchemaInfo as CSchemaInfo,
} from '@confluentinc/schemaregistry';
import { MockDekRegistryClient } from '@confluentinc/schemaregistry/dist/rules/encryption/dekregistry/mock-dekregistry-client';
import {
  AvroDeserializer,
  AvroSerializer,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  type DekAlgorithm,
  type Metadata,
  type DeserializerOptions,
  type RuleSet,
  type SchemaInfo,
  type SerializerOptions,
} from '../../src/index';

LocalKmsDriver.register();

export const SECRET = 'mysecret';
export const KEK_NAME = 'kek1';
export const KMS_TYPE = 'local-kms';
export const KMS_KEY_ID = 'mykey';
export const DAY_MS = 24 * 60 * 60 * 1000;
export const ALGORITHMS: readonly DekAlgorithm[] = ['AES256_GCM', 'AES128_GCM', 'AES256_SIV'];

/** The ENCRYPT rule set used throughout (Confluent JSON shape, accepted by both sides). */
export function encryptRuleSet(algorithm: DekAlgorithm, extra: Record<string, string> = {}, tags: string[] = ['PII']): RuleSet {
  return {
    domainRules: [
      {
        name: 'encrypt-pii',
        kind: 'TRANSFORM',
        mode: 'WRITEREAD',
        type: 'ENCRYPT',
        tags,
        params: {
          'encrypt.kek.name': KEK_NAME,
          'encrypt.kms.type': KMS_TYPE,
          'encrypt.kms.key.id': KMS_KEY_ID,
          'encrypt.dek.algorithm': algorithm,
          ...extra,
        },
        onFailure: 'ERROR,ERROR',
      },
    ],
  };
}

/** An ENCRYPT_PAYLOAD rule set (optionally with the field rule too). */
export function payloadRuleSet(algorithm: DekAlgorithm, withFieldRule: boolean): RuleSet {
  return {
    ...(withFieldRule ? { domainRules: encryptRuleSet(algorithm).domainRules } : {}),
    encodingRules: [
      {
        name: 'encrypt-payload',
        kind: 'TRANSFORM',
        mode: 'WRITEREAD',
        type: 'ENCRYPT_PAYLOAD',
        params: {
          'encrypt.kek.name': KEK_NAME,
          'encrypt.kms.type': KMS_TYPE,
          'encrypt.kms.key.id': KMS_KEY_ID,
          'encrypt.dek.algorithm': algorithm,
        },
        onFailure: 'ERROR,ERROR',
      },
    ],
  };
}

export function schemaInfo(schema: object, ruleSet: RuleSet, metadata?: Metadata): SchemaInfo {
  return { schemaType: 'AVRO', schema: JSON.stringify(schema), ruleSet, ...(metadata ? { metadata } : {}) };
}

/** A clock Confluent's executor reads (`now()`). */
export class FakeClock extends Clock {
  constructor(public fixedNow: number = Date.now()) {
    super();
  }
  override now(): number {
    return this.fixedNow;
  }
}

/**
 * Confluent's mock DEK registry stamps every DEK with a fixed `ts` (MOCK_TS, in 1970), so with
 * `encrypt.dek.expiry.days` every lookup would see an expired DEK and rotate again. A real
 * registry stamps the creation time: do that, from the side's clock.
 */
class ClockedMockDekRegistryClient extends MockDekRegistryClient {
  constructor(
    config: ConstructorParameters<typeof MockDekRegistryClient>[0],
    private readonly clock: FakeClock,
  ) {
    super(config);
  }
  override async registerDek(kekName: string, subject: string, algorithm: string, version = 1, encryptedKeyMaterial?: string): Promise<Dek> {
    let existing: Dek | undefined;
    try {
      existing = await this.getDek(kekName, subject, algorithm, version, false);
    } catch {
      existing = undefined;
    }
    const dek = await super.registerDek(kekName, subject, algorithm, version, encryptedKeyMaterial);
    if (!existing) dek.ts = this.clock.now();
    return dek;
  }
}

/** Confluent's side: mock schema registry, mock DEK registry, its own rule registry and executor. */
export class ConfluentSide {
  readonly config = { baseURLs: ['mock://'] };
  readonly client = new MockClient(this.config);
  readonly clock = new FakeClock();
  readonly executor = new FieldEncryptionExecutor(this.clock);
  /** ENCRYPT_PAYLOAD executor, sharing the same DEK client. */
  readonly payloadExecutor = new EncryptionExecutor(this.clock);
  readonly dekClient: DekClient = new ClockedMockDekRegistryClient(this.config, this.clock);
  readonly rules = new RuleRegistry();

  constructor() {
    // Pre-set the executor's DEK client so we can read and write its records.
    this.executor.executor.client = this.dekClient;
    this.payloadExecutor.client = this.dekClient;
    this.rules.registerExecutor(this.executor);
    this.rules.registerExecutor(this.payloadExecutor);
  }

  /** Registers `info` under `subject` and checks it got id `id` (the mock assigns ids in sequence). */
  async register(subject: string, info: SchemaInfo, id?: number): Promise<number> {
    if (id !== undefined) (this.client as unknown as { counter: { count: number } }).counter.count = id - 1;
    const got = await this.client.register(subject, info as unknown as CSchemaInfo, false);
    if (id !== undefined && got !== id) throw new Error(`Confluent mock assigned id ${got}, wanted ${id}`);
    return got;
  }

  serializer(conf: AvroSerializerConfig = {}, serdeType: SerdeType = SerdeType.VALUE): CAvroSerializer {
    return new CAvroSerializer(
      this.client,
      serdeType,
      { useLatestVersion: true, autoRegisterSchemas: false, ruleConfig: { secret: SECRET }, ...conf },
      this.rules,
    );
  }

  deserializer(conf: AvroDeserializerConfig = {}, serdeType: SerdeType = SerdeType.VALUE): CAvroDeserializer {
    return new CAvroDeserializer(this.client, serdeType, { ruleConfig: { secret: SECRET }, ...conf }, this.rules);
  }

  /** Serializes a deep copy (Confluent's serializer encrypts the caller's object in place). */
  async serialize(ser: CAvroSerializer, topic: string, value: unknown): Promise<Buffer> {
    return ser.serialize(topic, structuredClone(value));
  }
}

/** kafka-csfle's side: in-memory registries with an adjustable clock. */
export class OurSide {
  now = Date.now();
  readonly schemas = new InMemorySchemaRegistry();
  readonly deks = new InMemoryDekRegistry({ now: () => this.now });

  serializer(extra: Partial<SerializerOptions> = {}): AvroSerializer {
    return new AvroSerializer({ schemaRegistry: this.schemas, dekRegistry: this.deks, kms: { 'local-kms': { secret: SECRET } }, ...extra });
  }

  deserializer(extra: Partial<DeserializerOptions> = {}): AvroDeserializer {
    return new AvroDeserializer({ schemaRegistry: this.schemas, dekRegistry: this.deks, kms: { 'local-kms': { secret: SECRET } }, ...extra });
  }
}

/** Copies the KEK and the given DEK versions from Confluent's mock DEK registry into ours. */
export async function mirrorKeysToOurs(
  from: ConfluentSide,
  to: OurSide,
  subject: string,
  algorithm: DekAlgorithm,
  versions: number[] = [1],
): Promise<void> {
  const kek = await from.dekClient.getKek(KEK_NAME, false);
  if (!(await to.deks.getKek(KEK_NAME))) {
    await to.deks.registerKek({
      name: kek.name!,
      kmsType: kek.kmsType!,
      kmsKeyId: kek.kmsKeyId!,
      kmsProps: kek.kmsProps ?? {},
      shared: kek.shared ?? false,
    });
  }
  for (const version of versions) {
    const dek = await from.dekClient.getDek(KEK_NAME, subject, algorithm, version, false);
    if (!dek.encryptedKeyMaterial) throw new Error(`Confluent DEK v${version} has no encryptedKeyMaterial`);
    await to.deks.registerDek(KEK_NAME, { subject, version: dek.version!, algorithm, encryptedKeyMaterial: dek.encryptedKeyMaterial });
  }
}

/** Copies the KEK and every DEK version of (subject, algorithm) from our registry into Confluent's mock. */
export async function mirrorKeysToConfluent(from: OurSide, to: ConfluentSide, subject: string, algorithm: DekAlgorithm): Promise<number[]> {
  const kek = await from.deks.getKek(KEK_NAME);
  if (!kek) throw new Error('our registry has no KEK to mirror');
  await to.dekClient.registerKek(kek.name, kek.kmsType, kek.kmsKeyId, kek.shared, kek.kmsProps);
  const versions = await from.deks.listDekVersions(KEK_NAME, subject, { algorithm });
  for (const version of versions) {
    const dek = (await from.deks.getDek(KEK_NAME, subject, { algorithm, version }))!;
    await to.dekClient.registerDek(KEK_NAME, subject, algorithm, version, dek.encryptedKeyMaterial);
  }
  return versions;
}

/** Reads the 5-byte DEK version prefix of a base64 field ciphertext (rotation enabled). */
export function dekVersionOf(base64Ciphertext: string): number {
  const b = Buffer.from(base64Ciphertext, 'base64');
  if (b[0] !== 0) throw new Error('no DEK version prefix');
  return b.readInt32BE(1);
}

/** Wire framing: magic 0 + int32 BE schema id. */
export function schemaIdOf(bytes: Buffer): number {
  if (bytes[0] !== 0) throw new Error('bad magic byte');
  return bytes.readInt32BE(1);
}
