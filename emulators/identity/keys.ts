/**
 * The signing keys of the local identity provider: one RS256 and one ES256 key pair, generated
 * per process (nothing is written to disk), each with a `kid`. The JWKS publishes their public
 * halves; {@link IdentityKeys.sign} signs a JWT with one of them.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

/** The algorithms the local provider signs with (the contract accepts exactly these). */
export const IDENTITY_ALGORITHMS = ["RS256", "ES256"] as const;

/** One of {@link IDENTITY_ALGORITHMS}. */
export type IdentityAlgorithm = (typeof IDENTITY_ALGORITHMS)[number];

/** A JSON Web Key Set, as served at the JWKS URL. */
export type Jwks = { keys: JWK[] };

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** What a signature is made with. */
export type SignOptions = {
  /** @default "RS256" */
  alg?: IdentityAlgorithm;
  /** Replaces the key's `kid` in the header (to forge a token that names a key it was not signed with). @default the key's own */
  kid?: string;
};

/** The provider's key pairs. */
export type IdentityKeys = {
  /** The public keys (`kid`, `alg`, `use: "sig"`). */
  jwks(): Jwks;
  /** Signs `claims` as given: the caller sets `iss`, `aud`, `exp` & co. */
  sign(claims: JWTPayload, opts?: SignOptions): Promise<string>;
  /** Adds a fresh key pair per algorithm (the old ones stay published); returns the new kids. */
  rotate(): Promise<string[]>;
};

async function newKey(alg: IdentityAlgorithm) {
  const pair: KeyPair = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${randomBytes(6).toString("hex")}`;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: "sig" };
  return { alg, kid, pair, jwk };
}

/** Generates the key pairs. */
export async function createIdentityKeys(): Promise<IdentityKeys> {
  const keys = await Promise.all(IDENTITY_ALGORITHMS.map(newKey));
  return {
    jwks: () => ({ keys: keys.map((k) => k.jwk) }),
    async sign(claims, opts = {}) {
      const alg = opts.alg ?? "RS256";
      // The newest key of the algorithm signs, as a provider that rotated would.
      const key = keys.findLast((k) => k.alg === alg);
      if (key === undefined) {
        throw new Error(`no ${alg} key`);
      }
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: opts.kid ?? key.kid, typ: "JWT" })
        .sign(key.pair.privateKey);
    },
    async rotate() {
      const fresh = await Promise.all(IDENTITY_ALGORITHMS.map(newKey));
      keys.push(...fresh);
      return fresh.map((k) => k.kid);
    },
  };
}
