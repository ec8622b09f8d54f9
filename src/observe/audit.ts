/**
 * Audit events: a client-side trail of what happened to keys (DEK created, unwrapped, rotated,
 * rewrapped, shredded), KMS refusals and records passed through by `onFailure: NONE`.
 *
 * Events carry identifiers (KEK name, subject, DEK version, KMS type and key id, rule name, error
 * code) — never a field value, a payload or key material.
 *
 * @packageDocumentation
 */

/** The kinds of audit event. */
export type AuditEventType =
  /** A producer created (and registered) a new DEK; `rotation` when it replaced an expired one. */
  | 'dek.created'
  /** A DEK was unwrapped with the KMS (one per DEK and key ring, then cached). */
  | 'dek.unwrapped'
  /** A KEK's DEKs were re-wrapped under new KMS key material. */
  | 'kek.rewrapped'
  /** A DEK (or every DEK of a KEK/subject) was destroyed for crypto-shredding. */
  | 'dek.shredded'
  /** The KMS refused a wrap or unwrap (access denied, key disabled or not found). */
  | 'kms.refused'
  /** A rule failed and `onFailure: NONE` let the record through unencrypted / undecrypted. */
  | 'rule.passthrough';

/** One audit event. Only the fields that apply are set. */
export interface AuditEvent {
  type: AuditEventType;
  /** ISO-8601 time the event was emitted. */
  time: string;
  kekName?: string;
  subject?: string;
  dekVersion?: number;
  algorithm?: string;
  kmsType?: string;
  /** KMS key identifier (an ARN, key URL...): an identifier, never key material. */
  kmsKeyId?: string;
  /** `wrap` | `unwrap` for KMS events; `WRITE` | `READ` for pass-throughs. */
  operation?: string;
  /** Error code ({@link CsfleErrorCode}) of a refusal or a failed rule. */
  code?: string;
  ruleName?: string;
  topic?: string;
  /** `dek.created`: true when the new DEK replaced an expired version. */
  rotation?: boolean;
  /** `dek.created` with rotation: the version replaced. */
  previousVersion?: number;
  /** How many occurrences this event stands for (pass-throughs are reported once per period). */
  count?: number;
}

/** Receives audit events. Must not throw (exceptions are swallowed) and should not block. */
export type AuditListener = (event: AuditEvent) => void;

/** The event without its time; {@link emitAudit} stamps it. */
export type AuditEventInput = Omit<AuditEvent, 'time'>;

/** Sends an event to `listener` (if any), stamped with the current time; a throwing listener is ignored. */
export function emitAudit(listener: AuditListener | undefined, event: AuditEventInput): void {
  if (!listener) return;
  try {
    const { type, ...rest } = event;
    listener({ type, time: new Date().toISOString(), ...rest });
  } catch {
    // An audit sink failure must never fail a record or a key operation.
  }
}
