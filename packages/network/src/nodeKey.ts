import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { errorMessage, NodeKeyError } from "./errors.js";

/** Length of an Ed25519 secret (seed), as Substrate's `--node-key` takes it. */
export const NODE_KEY_BYTES = 32;

/**
 * A node's libp2p identity: the 32-byte Ed25519 secret (seed) behind its PeerId, the same thing Substrate's
 * `--node-key` and `secret_ed25519` file hold. Keep it out of logs.
 */
export interface NodeKey {
  readonly secret: Uint8Array;
}

/**
 * Parses a `--node-key` value: 64 hex digits, optionally `0x`-prefixed. Throws `NodeKeyError`
 * `INVALID_NODE_KEY` otherwise (the message never echoes the key).
 */
export function nodeKeyFromHex(hex: string): NodeKey {
  const s = hex.trim();
  const digits = s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
  if (digits.length !== NODE_KEY_BYTES * 2)
    throw new NodeKeyError(
      { code: "INVALID_NODE_KEY", reason: `expected 64 hex digits, found ${digits.length} characters` },
      `invalid node key: expected a 32-byte Ed25519 secret as 64 hex digits (optional 0x), found ${digits.length} characters`,
    );
  if (!/^[0-9a-fA-F]*$/.test(digits))
    throw new NodeKeyError(
      { code: "INVALID_NODE_KEY", reason: "non-hex characters" },
      "invalid node key: expected a 32-byte Ed25519 secret as 64 hex digits (optional 0x), found non-hex characters",
    );
  return { secret: new Uint8Array(Buffer.from(digits, "hex")) };
}

/** A fresh random node key. */
export function generateNodeKey(): NodeKey {
  return { secret: crypto.getRandomValues(new Uint8Array(NODE_KEY_BYTES)) };
}

/** The node key as 64 lower-case hex digits without `0x` (Substrate's `key generate-node-key` output). */
export function nodeKeyToHex(key: NodeKey): string {
  return Buffer.from(key.secret).toString("hex");
}

/** The libp2p private key of a node key (Ed25519 from the seed, as Zombienet and Substrate derive it). */
export async function privateKeyOf(key: NodeKey): Promise<PrivateKey> {
  if (key.secret.length !== NODE_KEY_BYTES)
    throw new NodeKeyError(
      { code: "INVALID_NODE_KEY", reason: `secret is ${key.secret.length} bytes` },
      `invalid node key: expected a 32-byte Ed25519 secret, found ${key.secret.length} bytes`,
    );
  return generateKeyPairFromSeed("Ed25519", key.secret);
}

/** The PeerId (`12D3KooW...`) of a node key. */
export async function peerIdOf(key: NodeKey): Promise<string> {
  return peerIdFromPrivateKey(await privateKeyOf(key)).toString();
}

/**
 * Loads the node key at `path` (in the base path, like Substrate's `network/secret_ed25519`), or creates it
 * with a random secret and mode 0600 when the file does not exist. The file holds 32 raw bytes (what this
 * function writes and Substrate writes) or 64 hex digits. Any other content is `CORRUPT_KEY_FILE`: the file
 * is never replaced, since that would silently change the node's PeerId.
 */
export async function loadOrCreateNodeKey(path: string): Promise<NodeKey> {
  let content: Buffer | undefined;
  try {
    content = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw ioError(path, err);
  }
  if (content !== undefined) return parseKeyFile(path, content);

  const key = generateNodeKey();
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // "wx": fail if another process created the file in the meantime, rather than overwrite its key.
    const fh = await open(path, "wx", 0o600);
    try {
      await fh.writeFile(key.secret);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return parseKeyFile(path, await readFile(path));
    throw ioError(path, err);
  }
  return key;
}

function parseKeyFile(path: string, content: Buffer): NodeKey {
  if (content.length === NODE_KEY_BYTES) return { secret: new Uint8Array(content) };
  const text = content.toString("utf8").trim();
  const digits = text.startsWith("0x") ? text.slice(2) : text;
  if (digits.length === NODE_KEY_BYTES * 2 && /^[0-9a-fA-F]+$/.test(digits))
    return { secret: new Uint8Array(Buffer.from(digits, "hex")) };
  throw new NodeKeyError(
    {
      code: "CORRUPT_KEY_FILE",
      path,
      size: content.length,
      reason: "expected 32 raw bytes or 64 hex digits",
    },
    `corrupt node key file ${path}: expected 32 raw bytes or 64 hex digits, found ${content.length} bytes; ` +
      "fix or remove it (removing it gives the node a new PeerId)",
  );
}

function ioError(path: string, err: unknown): NodeKeyError {
  const reason = errorMessage(err);
  return new NodeKeyError(
    { code: "KEY_FILE_IO", path, reason },
    `cannot read or create node key file ${path}: ${reason}`,
  );
}
