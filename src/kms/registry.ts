/**
 * Process-wide registry of {@link KmsDriver}s keyed by `kmsType`, and the client factory that
 * applies `encrypt.alternate.kms.key.ids` fallback.
 *
 * @packageDocumentation
 */
import { KmsError } from '../errors';
import type { BuiltInKmsConfigs } from './options';
import { ALTERNATE_KMS_KEY_IDS, type KmsClient, type KmsConfig, type KmsDriver } from './driver';

const drivers = new Map<string, KmsDriver>();

/**
 * Registers (or replaces) the driver for `driver.kmsType`. Built-in drivers are registered on
 * import of the package; call this to add your own KMS or to decorate a built-in one.
 */
export function registerKmsDriver(driver: KmsDriver): void {
  if (!driver || typeof driver.kmsType !== 'string' || driver.kmsType.length === 0) {
    throw new KmsError('KMS_CONFIG_INVALID', 'A KMS driver needs a non-empty kmsType');
  }
  drivers.set(driver.kmsType, driver);
}

/** Removes the driver registered for `kmsType` (mainly for tests). */
export function unregisterKmsDriver(kmsType: string): boolean {
  return drivers.delete(kmsType);
}

/** The driver registered for `kmsType`; throws `KMS_UNKNOWN_TYPE` if there is none. */
export function getKmsDriver(kmsType: string): KmsDriver {
  const driver = drivers.get(kmsType);
  if (!driver) {
    throw new KmsError(
      'KMS_UNKNOWN_TYPE',
      `No KMS driver registered for this kmsType (known: ${[...drivers.keys()].sort().join(', ') || 'none'})`,
      { kmsType },
    );
  }
  return driver;
}

/** The kmsTypes that currently have a driver. */
export function registeredKmsTypes(): string[] {
  return [...drivers.keys()].sort();
}

/** Parses `encrypt.alternate.kms.key.ids` (comma separated, blanks ignored). */
export function alternateKeyIds(config: KmsConfig): string[] {
  const raw = config[ALTERNATE_KMS_KEY_IDS];
  if (typeof raw !== 'string') return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * A {@link KmsClient} over a primary key and its alternates: each operation tries the primary,
 * then each alternate in order, and throws the primary's error if all fail.
 */
class FallbackKmsClient implements KmsClient {
  readonly #clients: readonly KmsClient[];

  constructor(clients: readonly KmsClient[]) {
    this.#clients = clients;}

  get keyUrl(): string {
    return this.#clients[0]!.keyUrl;
  }

  wrap(plaintext: Buffer): Promise<Buffer> {
    return this.#tryEach((c) => c.wrap(plaintext));
  }

  unwrap(ciphertext: Buffer): Promise<Buffer> {
    return this.#tryEach((c) => c.unwrap(ciphertext));
  }

  async #tryEach(op: (c: KmsClient) => Promise<Buffer>): Promise<Buffer> {
    let first: unknown;
    for (const client of this.#clients) {
      try {
        return await op(client);
      } catch (err) {
        if (first === undefined) first = err;
      }
    }
    throw first;
  }
}

/**
 * Config keys a KEK's `kmsProps` may never set: where requests go (`endpoint`, `sts.endpoint`,
 * the Entra authority), which TLS certificates are trusted (`ssl.*`), challenge checks, and the
 * local KMS secret. `kmsProps` is registry data that anyone with KEK-update rights can edit;
 * these keys would let them redirect the client's credentials and plaintext DEKs to a host of
 * their choosing, or choose the KEK of `local-kms`. They are honoured from the client's own
 * config only.
 */
export function isClientOnlyKmsConfigKey(key: string): boolean {
  return (
    key === 'secret' ||
    key === 'endpoint' ||
    key.endsWith('.endpoint') ||
    key.startsWith('ssl.') ||
    key === 'rejectUnauthorized' ||
    key === 'proxy' ||
    key === 'azure.authority.host' ||
    key === 'azure.disable.challenge.resource.verification'
  );
}

/** The KEK's kmsProps without the keys only the client config may set. */
function registryKmsProps(kmsProps: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(kmsProps)) if (!isClientOnlyKmsConfigKey(k)) out[k] = v;
  return out;
}

/**
 * Builds the KMS client for a KEK: looks up the driver for `kmsType`, merges the KEK's
 * `kmsProps` over the driver config (kmsProps win, as in Confluent's Java and Go clients, except
 * for {@link isClientOnlyKmsConfigKey} keys, which only the client config sets) and
 * adds `encrypt.alternate.kms.key.ids` fallback.
 */
export async function newKmsClient(
  kmsType: string,
  kmsKeyId: string,
  driverConfig: KmsConfig | NonNullable<BuiltInKmsConfigs[keyof BuiltInKmsConfigs]> = {},
  kmsProps: Readonly<Record<string, string>> = {},
): Promise<KmsClient> {
  const driver = getKmsDriver(kmsType);
  const config: KmsConfig = { ...(driverConfig as KmsConfig), ...registryKmsProps(kmsProps) };
  const ids = [kmsKeyId, ...alternateKeyIds(config).filter((id) => id !== kmsKeyId)];
  const primary = await driver.newClient({ kmsKeyId, config });
  if (ids.length === 1) return primary;
  // An alternate that cannot even be configured is left out rather than failing the primary.
  const alternates = await Promise.allSettled(ids.slice(1).map((id) => driver.newClient({ kmsKeyId: id, config })));
  const usable = alternates.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  return usable.length === 0 ? primary : new FallbackKmsClient([primary, ...usable]);
}
