// The one place that decides whether this is a CI run, whether a test may skip, and which
// test variables the environment may carry. scripts/run-tests.js applies the same policy
// before it starts anything; test/harness/ci.test.ts checks that no test decides by itself.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { findPackageRoot } from '../../src/play/packageRoot.js';

const root = findPackageRoot(fileURLToPath(new URL('.', import.meta.url)));

/**
 * A CI run: `CI` set to anything but '', '0' or 'false' (any case). CI services set
 * `CI=true` (.ci/run does too); `CI=false` or `CI=0` is how a developer says "not CI".
 */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env['CI'] ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

/** CI must run every test: there nothing skips and no variable shrinks a test. */
export const inCI = isCI();

/** A missing tool or addon: locally the test skips, under CI it fails. */
function missing(t: TestContext, what: string): false {
  if (inCI) throw new Error(`${what} (CI is set, so this fails instead of skipping)`);
  t.skip(what);
  return false;
}

/** The path of an executable on PATH, or undefined. */
export function toolPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

/** True when every tool is on PATH: for setup that a test then guards with requireTools. */
export function haveTools(...names: string[]): boolean {
  return names.every((n) => toolPath(n) !== undefined);
}

/** True when all tools exist; otherwise skips the test (locally) or throws (in CI). */
export function requireTools(t: TestContext, ...names: string[]): boolean {
  const absent = names.filter((n) => toolPath(n) === undefined);
  return absent.length === 0 || missing(t, `missing tool(s): ${absent.join(', ')}`);
}

/**
 * nginx: on PATH, or where Debian's package puts it (/usr/sbin, which a normal user's PATH
 * often lacks). Undefined when absent.
 */
export function nginxPath(): string | undefined {
  return toolPath('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
}

/** nginx's path; when absent the test skips (locally) or throws (in CI, whose .ci/run installs it). */
export function requireNginx(t: TestContext): string | undefined {
  const path = nginxPath();
  if (path === undefined) missing(t, 'missing tool: nginx (apt: nginx)');
  return path;
}

export type AddonName = 'copy_file_range' | 'sendfile' | 'cenc';

/**
 * True when `npm ci` built the addon; otherwise skips (locally: a machine without a C
 * compiler installs fine and uses the portable paths) or throws (in CI, which has one).
 */
export function requireAddon(t: TestContext, name: AddonName): boolean {
  return existsSync(join(root, 'build', 'Release', `${name}.node`)) || missing(t, `native addon ${name} not built (npm ci builds it; needs a C compiler)`);
}

/**
 * The Shaka Packager binary that the `shaka-packager` devDependency ships for this
 * platform (its `index.js` wrapper exits 0 even when the packager fails, so tests run the
 * binary itself), or undefined when there is none.
 */
export function shakaPackagerPath(): string | undefined {
  const names: Record<string, string> = { 'linux-x64': 'packager-linux-x64', 'linux-arm64': 'packager-linux-arm64', 'darwin-x64': 'packager-osx-x64', 'darwin-arm64': 'packager-osx-arm64', 'win32-x64': 'packager-win-x64.exe' };
  const name = names[`${process.platform}-${process.arch}`];
  const path = name === undefined ? undefined : join(root, 'node_modules', 'shaka-packager', 'bin', name);
  return path !== undefined && existsSync(path) ? path : undefined;
}

/** The Shaka Packager binary; when absent the test skips (locally) or throws (in CI, where `npm ci` installs it). */
export function requireShakaPackager(t: TestContext): string | undefined {
  const path = shakaPackagerPath();
  if (path === undefined) missing(t, `Shaka Packager not installed for ${process.platform}-${process.arch} (npm ci installs the shaka-packager devDependency)`);
  return path;
}

/**
 * A Python 3 that has GStreamer's introspection bindings (Debian: python3-gi,
 * gir1.2-gstreamer-1.0), for the one GStreamer test gst-launch cannot do (choosing an
 * audio language); the first of `python3` on PATH and the system's. Undefined when none.
 */
export function gstPythonPath(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst"], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  return undefined;
}

/** That Python; when absent the test skips (locally) or throws (in CI, whose .ci/run installs the packages). */
export function requireGstPython(t: TestContext): string | undefined {
  const path = gstPythonPath();
  if (path === undefined) missing(t, 'no python3 with GStreamer bindings (apt: python3-gi gir1.2-gstreamer-1.0)');
  return path;
}

// ---------------------------------------------------------------------------------------
// Test variables: what the environment may change about the tests.

interface TestVariable {
  /** What it does, for messages. */
  what: string;
  /** Accepted under CI: only variables that cannot change what is tested or how much. */
  inCI: boolean;
  /** Default when unset, for the numeric ones. */
  default?: number;
  /** Why a value is refused outside CI, or undefined when it is fine. */
  check(value: string): string | undefined;
}

const integer = (v: string): number | undefined => (/^(0x[0-9a-f]+|\d+)$/i.test(v.trim()) ? Number(v.trim()) : undefined);

/** A count of cases: may only grow, since fewer cases test less. */
function atLeast(min: number) {
  return (v: string): string | undefined => {
    const n = integer(v);
    return n !== undefined && n >= min ? undefined : `must be an integer of at least ${min} (the default): fewer cases would shrink the test`;
  };
}

export const TEST_VARIABLES = {
  SMOOTHPUB_FUZZ_CASES: { what: 'mutated files the corruption fuzz indexes', inCI: false, default: 1200, check: atLeast(1200) },
  SMOOTHPUB_ORIGIN_FUZZ_CASES: { what: 'requests the origin URL fuzz sends', inCI: false, default: 12_000, check: atLeast(12_000) },
  SMOOTHPUB_FUZZ_SEED: {
    what: 'the seed of both fuzz tests',
    // It picks which cases run, never how many or what is checked, and every failure names
    // it: setting it replays a case found elsewhere, even in CI.
    inCI: true,
    check: (v) => {
      const n = integer(v);
      return n !== undefined && n <= 0xffff_ffff ? undefined : 'must be an integer from 0 to 2^32-1';
    },
  },
  SMOOTHPUB_FUZZ_DUMP: {
    what: 'a folder where the corruption fuzz saves the files it failed on',
    // Only saves the failing inputs; the verdict is the same.
    inCI: true,
    check: (v) => (existsSync(v) && statSync(v).isDirectory() ? undefined : 'must name an existing folder'),
  },
  SMOOTHPUB_SLOW_MS: {
    what: 'how long (ms) indexing one corrupt file may take before it counts as slow',
    inCI: false,
    default: 500,
    check: (v) => {
      const n = integer(v);
      return n !== undefined && n >= 1 && n <= 500 ? undefined : 'must be an integer from 1 to 500 (the default): a higher limit would let slow indexing pass';
    },
  },
  SMOOTHPUB_E2E_PACKAGER: {
    what: "whose output the real-client tests judge: 'smoothpub' (default) or 'ffmpeg' (its -f smoothstreaming, to tell a harness fault from a packager fault)",
    inCI: false,
    check: (v) => (v === 'smoothpub' || v === 'ffmpeg' ? undefined : "must be 'smoothpub' or 'ffmpeg'"),
  },
  SMOOTHPUB_NO_NATIVE: {
    what: "'1' turns the native addons off, so everything but the native-path tests runs the portable paths",
    inCI: false,
    check: () => undefined,
  },
} satisfies Record<string, TestVariable>;

export type TestVariableName = keyof typeof TEST_VARIABLES;

/**
 * Why this environment may not run the tests, one line per variable (empty when it may).
 * Under CI only the variables marked `inCI` are accepted, and no other SMOOTHPUB_*
 * either (the product's own, such as SMOOTHPUB_FFMPEG, would point the code under test at
 * other tools); outside CI each variable must pass its check.
 */
export function testEnvironmentProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const ci = isCI(env);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('SMOOTHPUB_') || value === undefined) continue;
    const rule = (TEST_VARIABLES as Record<string, TestVariable>)[name];
    if (ci && !rule?.inCI) {
      problems.push(`${name}=${value} is refused under CI (${rule ? rule.what : 'not a test variable'}): CI runs every test as committed; unset it`);
      continue;
    }
    const why = rule?.check(value);
    if (why !== undefined) problems.push(`${name}=${value}: ${why}`);
  }
  return problems;
}

/** One test variable's value after the policy (undefined when unset); throws when it is refused. */
export function testVariable(name: TestVariableName): string | undefined {
  const value = process.env[name];
  if (value === undefined) return undefined;
  const problems = testEnvironmentProblems({ CI: process.env['CI'], [name]: value });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return value;
}

/** A numeric test variable, or `fallback` (default: its own) when unset. */
export function testNumber(name: TestVariableName, fallback?: number): number {
  const value = testVariable(name);
  const def = fallback ?? (TEST_VARIABLES[name] as TestVariable).default;
  if (value !== undefined) return Number(value.trim());
  if (def === undefined) throw new Error(`${name} has no default`);
  return def;
}

/** True when running as root (to mount a file system, to drop privileges); otherwise skips the test (locally) or throws (in CI). */
export function requireRoot(t: TestContext, why: string): boolean {
  if (process.getuid?.() === 0) return true;
  const message = `not root: ${why} needs root`;
  if (inCI) throw new Error(`${message} (CI is set, so this fails instead of skipping)`);
  t.skip(message);
  return false;
}
