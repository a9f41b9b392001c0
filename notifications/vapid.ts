/**
 * The server's VAPID identity (RFC 8292): a P-256 key pair push services
 * know it by, and a contact (`mailto:` or `https:`) they can reach its
 * operator at.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createECDH } from "node:crypto";
import webpush from "web-push";
import type { PushStore, VapidKeys } from "../store/push_store.ts";

/** A VAPID setting that cannot work. */
export class VapidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VapidError";
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Decodes base64url, or null when `text` is not base64url. */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (!BASE64URL.test(text.replace(/=+$/, ""))) return null;
  return new Uint8Array(Buffer.from(text, "base64url"));
}

/**
 * Throws a VapidError unless `subject` is a `mailto:` address or an `https:`
 * URL a push service's operator could write to.
 *
 * @example
 * ```ts
 * validateVapidSubject("mailto:ops@example.org");
 * ```
 */
export function validateVapidSubject(subject: string): void {
  let url: URL;
  try {
    url = new URL(subject);
  } catch {
    throw new VapidError(`VAPID_SUBJECT "${subject}" is not a URL: use mailto:you@domain`);
  }
  if (url.protocol === "mailto:" && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(url.pathname)) return;
  if (url.protocol === "https:" && url.hostname.includes(".") && url.hostname !== "localhost") {
    return;
  }
  throw new VapidError(
    `VAPID_SUBJECT "${subject}" must be a mailto: address or an https: URL with a real host ` +
      `(push services reject the others)`,
  );
}

/**
 * Throws a VapidError unless `keys` is a P-256 pair: a 65-byte uncompressed
 * public point and the 32-byte private key it belongs to, both base64url.
 */
export function validateVapidKeys(keys: VapidKeys): void {
  const publicKey = decodeBase64Url(keys.publicKey);
  if (!publicKey || publicKey.length !== 65 || publicKey[0] !== 4) {
    throw new VapidError(
      `VAPID_PUBLIC_KEY "${keys.publicKey.slice(0, 20)}…" is not a base64url 65-byte ` +
        `uncompressed P-256 point`,
    );
  }
  const privateKey = decodeBase64Url(keys.privateKey);
  if (!privateKey || privateKey.length !== 32) {
    throw new VapidError("VAPID_PRIVATE_KEY is not a base64url 32-byte P-256 private key");
  }
  const ecdh = createECDH("prime256v1");
  try {
    ecdh.setPrivateKey(privateKey);
  } catch {
    throw new VapidError("VAPID_PRIVATE_KEY is not a valid P-256 private key");
  }
  if (!Buffer.from(publicKey).equals(ecdh.getPublicKey())) {
    throw new VapidError("VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY");
  }
}

/** Where VAPID keys may come from besides the store. */
export interface VapidKeySources {
  publicKey?: string;
  privateKey?: string;
}

/**
 * The key pair given (both halves, validated), else the stored one, else a
 * new pair, stored.
 *
 * @example
 * ```ts ignore
 * const keys = await loadVapidKeys(pushStore, { publicKey: Deno.env.get("VAPID_PUBLIC_KEY") });
 * ```
 */
export async function loadVapidKeys(
  store: PushStore,
  given: VapidKeySources = {},
): Promise<VapidKeys> {
  if (given.publicKey || given.privateKey) {
    if (!given.publicKey || !given.privateKey) {
      throw new VapidError("Set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither");
    }
    const keys = { publicKey: given.publicKey, privateKey: given.privateKey };
    validateVapidKeys(keys);
    return keys;
  }
  return await store.vapidKeys(() => webpush.generateVAPIDKeys());
}
