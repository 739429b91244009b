import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chainDir, defaultBasePath, ensureWritableDir, removeTree, tmpBasePath } from "../../src/paths.js";
import { throwsCli } from "./helpers.js";

let root: string;
const savedXdg = process.env.XDG_DATA_HOME;

before(() => {
  root = mkdtempSync(join(tmpdir(), "parapipe-cli-paths-"));
});

after(() => {
  if (savedXdg === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = savedXdg;
  rmSync(root, { recursive: true, force: true });
});

describe("defaultBasePath", { skip: process.platform !== "linux" && "Linux paths" }, () => {
  test("is $XDG_DATA_HOME/parapipe when XDG_DATA_HOME is set", () => {
    process.env.XDG_DATA_HOME = "/srv/data";
    assert.equal(defaultBasePath(), "/srv/data/parapipe");
  });

  test("is ~/.local/share/parapipe when XDG_DATA_HOME is unset or empty", () => {
    delete process.env.XDG_DATA_HOME;
    assert.equal(defaultBasePath(), join(homedir(), ".local", "share", "parapipe"));
    process.env.XDG_DATA_HOME = "";
    assert.equal(defaultBasePath(), join(homedir(), ".local", "share", "parapipe"));
  });
});

describe("chainDir", () => {
  test("is Substrate's <base>/chains/<chain id>", () => {
    assert.equal(chainDir("/b", "parapipe_relay_async"), join("/b", "chains", "parapipe_relay_async"));
  });
});

describe("ensureWritableDir", () => {
  test("creates the directory and its parents and returns the absolute path", () => {
    const path = join(root, "a", "b", "c");
    assert.equal(ensureWritableDir(path), path);
    assert.ok(statSync(path).isDirectory());
    assert.equal(ensureWritableDir(path), path, "an existing directory is fine");
  });

  test("a path through a regular file is a CliError BASE_PATH naming what it is for", () => {
    const file = join(root, "plain-file");
    writeFileSync(file, "x");
    throwsCli(
      () => ensureWritableDir(join(file, "sub"), "relay chain base path"),
      "BASE_PATH",
      "relay chain base path",
    );
    throwsCli(() => ensureWritableDir(file), "BASE_PATH", file);
  });
});

describe("tmpBasePath and removeTree", () => {
  test("make a fresh directory under the system temp dir and remove it with its content", () => {
    const a = tmpBasePath("parapipe-cli-test-");
    const b = tmpBasePath("parapipe-cli-test-");
    try {
      assert.notEqual(a, b);
      assert.ok(a.startsWith(join(tmpdir(), "parapipe-cli-test-")), a);
      writeFileSync(join(ensureWritableDir(join(a, "chains", "x")), "f"), "data");
    } finally {
      removeTree(a);
      removeTree(b);
    }
    assert.equal(existsSync(a), false);
    assert.equal(existsSync(b), false);
    removeTree(a); // a missing tree is fine
  });
});
