import { toHex } from "@parapipe/primitives";
import { NetworkError } from "../errors.js";
import type { GossipScope } from "../interface.js";

/** A genesis hash as bytes or (0x-prefixed or bare) hex. */
export type GenesisHashInput = Uint8Array | string;

const NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The first 8 hex digits of a 32-byte genesis hash: the namespace of topics and protocols, so that two
 * chains (or two devnets) never exchange messages, as Lodestar namespaces topics by fork digest.
 */
export function genesisPrefix(genesisHash: GenesisHashInput): string {
  const hex = typeof genesisHash === "string" ? genesisHash.toLowerCase() : toHex(genesisHash);
  const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (digits.length !== 64 || !/^[0-9a-f]+$/.test(digits))
    throw new NetworkError(
      { code: "INVALID_OPTION", option: "genesisHash", reason: `expected 32 bytes, found "${hex.slice(0, 20)}"` },
      `invalid genesis hash: expected 32 bytes (64 hex digits), found ${
        typeof genesisHash === "string" ? `${digits.length} hex characters` : `${genesisHash.length} bytes`
      }`,
    );
  return digits.slice(0, 8);
}

/**
 * The gossip topic `/parapipe/<genesis8>/<scope>/<name>`. Relay topics are namespaced by the relay genesis
 * hash; para topics by the parachain's genesis hash (`paraGenesisHash`, required for scope `"para"`), e.g.
 * `topicName(relayGenesis, "relay", "block")` → `/parapipe/1a2b3c4d/relay/block`.
 */
export function topicName(
  genesisHash: GenesisHashInput,
  scope: GossipScope,
  name: string,
  paraGenesisHash?: GenesisHashInput,
): string {
  checkName(name, "topic");
  if (scope !== "relay" && scope !== "para")
    throw new NetworkError(
      { code: "INVALID_TOPIC", topic: name, reason: `unknown scope "${String(scope)}"` },
      `invalid topic scope: expected "relay" or "para", found "${String(scope)}"`,
    );
  if (scope === "para") {
    if (paraGenesisHash === undefined)
      throw new NetworkError(
        { code: "INVALID_TOPIC", topic: name, reason: "para topic without paraGenesisHash" },
        `invalid topic: para topic "${name}" needs the parachain's genesis hash`,
      );
    return `/parapipe/${genesisPrefix(paraGenesisHash)}/para/${name}`;
  }
  return `/parapipe/${genesisPrefix(genesisHash)}/relay/${name}`;
}

/** The request/response protocol id `/parapipe/<genesis8>/<name>/<version>`. */
export function protocolId(genesisHash: GenesisHashInput, name: string, version = 1): string {
  checkName(name, "protocol");
  if (!Number.isInteger(version) || version < 1)
    throw new NetworkError(
      { code: "INVALID_OPTION", option: "version", reason: `${version}` },
      `invalid protocol version: expected a positive integer, found ${version}`,
    );
  return `/parapipe/${genesisPrefix(genesisHash)}/${name}/${version}`;
}

function checkName(name: string, what: string): void {
  if (!NAME_RE.test(name))
    throw new NetworkError(
      { code: "INVALID_TOPIC", topic: String(name), reason: "bad name" },
      `invalid ${what} name "${String(name).slice(0, 40)}": expected lower-case letters, digits, "-" or "_"`,
    );
}
