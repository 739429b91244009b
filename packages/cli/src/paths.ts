import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { homedir, platform, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CliError } from "./errors.js";

/**
 * The default base path, as Substrate's `directories` crate picks it: `$XDG_DATA_HOME/parapipe` or
 * `~/.local/share/parapipe` on Linux, `~/Library/Application Support/parapipe` on macOS, `%APPDATA%\parapipe`
 * on Windows.
 */
export function defaultBasePath(): string {
  const env = process.env;
  if (platform() === "darwin") return join(homedir(), "Library", "Application Support", "parapipe");
  if (platform() === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "parapipe");
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "parapipe");
}

/** A base path made for `--tmp`, removed when the node stops. */
export function tmpBasePath(prefix = "parapipe-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a directory tree (a `--tmp` base path). */
export function removeTree(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/**
 * Creates `path` (and its parents) and checks the process may write in it: a clear `BASE_PATH` error
 * instead of a database failure later.
 */
export function ensureWritableDir(path: string, what = "base path"): string {
  const abs = resolve(path);
  try {
    mkdirSync(abs, { recursive: true });
  } catch (e) {
    throw new CliError(
      { code: "BASE_PATH", path: abs },
      `cannot create the ${what} ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    if (!statSync(abs).isDirectory()) throw new Error("ENOTDIR");
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new CliError(
      { code: "BASE_PATH", path: abs },
      `the ${what} ${abs} is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return abs;
}

/** Substrate's per-chain directory: `<base>/chains/<chain id>` (database, network key, keystore). */
export function chainDir(basePath: string, chainId: string): string {
  return join(basePath, "chains", chainId);
}
