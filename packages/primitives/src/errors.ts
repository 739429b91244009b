/**
 * Base class of every typed error in parapipe: a stable `code` plus structured fields, in the style of
 * Lodestar's `LodestarError`. Messages say what was expected and what was found.
 */
export class ParapipeError<T extends { code: string }> extends Error {
  /** Stable machine-readable code, e.g. `"MISSING_TRIE_NODE"`. */
  readonly code: T["code"];
  /** The structured fields the error was created with (code included). */
  readonly type: T;

  constructor(type: T, message?: string) {
    super(message ?? type.code);
    this.code = type.code;
    this.type = type;
    this.name = new.target.name;
  }

  /** A plain object for logs and for crossing worker threads. */
  toObject(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [k, v] of Object.entries(this.type) as [string, unknown][])
      out[k] = v instanceof Uint8Array ? toHex(v) : v;
    return out;
  }
}

function toHex(u8: Uint8Array): string {
  return `0x${Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString("hex")}`;
}
