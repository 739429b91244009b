import { ParapipeError } from "@parapipe/primitives";

/** Why a database operation failed, with the fields an operator needs to act on it. */
export type DatabaseErrorType =
  /** The LevelDB at `path` could not be opened (not writable, locked by another process, corrupt files...). */
  | { code: "DB_OPEN_FAILED"; path: string; reason: string }
  /** Stored data is inconsistent, e.g. a trie node whose blake2-256 hash does not match its key. */
  | { code: "DB_CORRUPT"; path: string; reason: string }
  /** The database belongs to another chain; nothing was written. */
  | { code: "GENESIS_MISMATCH"; path: string; chainId: string; storedGenesis: Uint8Array; genesis: Uint8Array }
  /** The database was used after `close()`. */
  | { code: "DB_CLOSED"; path: string }
  /** A write batch was written a second time. */
  | { code: "BATCH_ALREADY_WRITTEN"; path: string }
  /** LevelDB reported an I/O error on a read or a write. */
  | { code: "DB_IO_FAILED"; path: string; reason: string };

/** Every failure of the storage package. `message` is one line naming the database path. */
export class DatabaseError extends ParapipeError<DatabaseErrorType> {}
