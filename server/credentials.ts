/**
 * The console's upstream credentials, held so they cannot leak by accident: `JSON.stringify`,
 * `console.log`/`util.inspect`, template strings and object spreads all show `[redacted]` (the
 * values live in ES private fields). Only `reveal()` hands them out, to the signer.
 */

/** The documented demo pair of the local emulator. Valid nowhere else (never a real key). */
export const DEMO_AK = 'DEMOAKEMULATOR000000';
export const DEMO_SK = 'DemoSecretKeyForTheLocalEmulator00000000';

export type CredentialValues =
  | { kind: 'aksk'; ak: string; sk: string; securityToken?: string | undefined }
  | { kind: 'token'; token: string };

/** Where the credential came from: safe to log. */
export type CredentialSource = 'demo' | 'environment' | 'test' | 'iam-sign-in';

const REDACTED = '[redacted]';

export class Credentials {
  readonly #values: CredentialValues;
  /** `aksk` or `token`: safe to log. */
  readonly kind: CredentialValues['kind'];
  readonly source: CredentialSource;

  private constructor(values: CredentialValues, source: CredentialSource) {
    this.#values = Object.freeze({ ...values });
    this.kind = values.kind;
    this.source = source;
  }

  static aksk(
    ak: string,
    sk: string,
    securityToken?: string,
    source: CredentialSource = 'environment',
  ): Credentials {
    return new Credentials(
      securityToken ? { kind: 'aksk', ak, sk, securityToken } : { kind: 'aksk', ak, sk },
      source,
    );
  }

  static token(token: string, source: CredentialSource = 'environment'): Credentials {
    return new Credentials({ kind: 'token', token }, source);
  }

  /** The documented demo pair (emulator mode only). */
  static demo(): Credentials {
    return new Credentials({ kind: 'aksk', ak: DEMO_AK, sk: DEMO_SK }, 'demo');
  }

  /** The secret values, for the signer only. Never log the result. */
  reveal(): CredentialValues {
    return this.#values;
  }

  /** What may be shown: the kind and source, never a key, secret or token. */
  describe(): string {
    return `${this.kind} credentials (${this.source})`;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Credentials ${REDACTED}`;
  }
}
