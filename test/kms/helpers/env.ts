/** Reads env vars written by scripts/services/*.sh; fails loudly (never skips) when missing. */
export function requireEnv(name: string, service: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: start the service with 'bash scripts/services/${service}.sh start' and ` +
        `'set -a; . .cache/env/${service}.env; set +a' (npm test does this for you)`,
    );
  }
  return v;
}
