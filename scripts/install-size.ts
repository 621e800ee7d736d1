// `npm run install-size`: what `npm install -g smoothpub` costs a user. Packs the package,
// installs the tarball globally into an empty temporary prefix (native addons compiled as
// for a user), prints the installed size and the biggest packages, checks that the installed
// CLI works (`--help`; `play` serving the bundled sample, the player page, both dash.js
// scripts and hls.js; Entra ID sign-in without the optional @azure/identity failing with its typed
// error), and exits 1 when the size reaches the limit (default 100 MB) or a check fails.
//
//   node dist/scripts/install-size.js [--limit-mb 100] [--json] [--keep] [--no-build]
//
// --no-build packs the current dist/ and web/vendor/ without running `prepare` (the test
// does this: rebuilding dist/ would rewrite files other tests are running from).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface InstallSizeOptions {
  /** Fail at or above this many bytes. Default 100 MB (10^8 bytes). */
  limitBytes?: number;
  /** Pack without running `prepare` (dist/ and web/vendor/ must be built). */
  noBuild?: boolean;
  /** Keep the temporary folder (tarball and prefix) for a look. */
  keep?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface SizedPackage {
  name: string;
  /** Disk usage (allocated blocks), as `du` counts it. */
  bytes: number;
}

export interface InstallCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface InstallSizeReport {
  tarball: { file: string; bytes: number };
  prefix: string;
  /** Disk usage of the whole prefix (allocated blocks, as `du -s`), the figure held to the limit. */
  installedBytes: number;
  /** Sum of file sizes (smaller than disk usage: every small file takes a whole block). */
  apparentBytes: number;
  limitBytes: number;
  /** Every package in smoothpub's node_modules, plus `smoothpub` itself (its own files), biggest first. */
  packages: SizedPackage[];
  /** Whether `npm install` built the N-API addons (else the portable paths are used). */
  nativeAddons: boolean;
  checks: InstallCheck[];
  ok: boolean;
}

export const DEFAULT_LIMIT_BYTES = 100_000_000;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function measureInstall(opts: InstallSizeOptions = {}): Promise<InstallSizeReport> {
  const log = opts.log ?? (() => undefined);
  const limitBytes = opts.limitBytes ?? DEFAULT_LIMIT_BYTES;
  const work = await mkdtemp(join(tmpdir(), 'smoothpub-install-size-'));
  try {
    if (opts.noBuild === true) {
      for (const needed of ['dist/src/cli/main.js', 'web/vendor/dashjs/dash.all.min.js', 'web/vendor/hlsjs/hls.min.js']) {
        if (!existsSync(join(repoRoot, needed))) throw new Error(`--no-build: ${needed} is missing; run npm run build first`);
      }
    }
    log(`npm pack${opts.noBuild === true ? ' --ignore-scripts' : ''} ...`);
    await run(npm(), ['pack', '--pack-destination', work, '--loglevel=error', ...(opts.noBuild === true ? ['--ignore-scripts'] : [])], { cwd: repoRoot, env: childNpmEnv() });
    const tgz = (await readdir(work)).find((f) => f.endsWith('.tgz'));
    if (tgz === undefined) throw new Error(`npm pack wrote no .tgz into ${work}`);
    const tarball = { file: tgz, bytes: (await lstat(join(work, tgz))).size };

    const prefix = join(work, 'prefix');
    log(`npm install -g --prefix ${prefix} ${tgz} ...`);
    await run(npm(), ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', join(work, tgz)], { cwd: work, env: childNpmEnv() });

    const total = await diskUsage(prefix);
    const pkgDir = [join(prefix, 'lib', 'node_modules', 'smoothpub'), join(prefix, 'node_modules', 'smoothpub')].find((d) => existsSync(d));
    if (pkgDir === undefined) throw new Error(`smoothpub is not under ${prefix} after the install`);
    const packages = await sizePackages(join(pkgDir, 'node_modules'));
    const own = await diskUsage(pkgDir, (p) => p === join(pkgDir, 'node_modules'));
    packages.push({ name: 'smoothpub (its own files)', bytes: own.blocks });
    packages.sort((a, b) => b.bytes - a.bytes);
    const nativeAddons = existsSync(join(pkgDir, 'build', 'Release', 'sendfile.node')) && existsSync(join(pkgDir, 'build', 'Release', 'copy_file_range.node'));

    log('checking the installed CLI ...');
    const bin = process.platform === 'win32' ? join(prefix, 'smoothpub.cmd') : join(prefix, 'bin', 'smoothpub');
    const checks = [await checkHelp(bin), await checkPlay(bin), await checkEntraWithoutIdentity(bin, join(pkgDir, 'test', 'fixtures', 'clean', 'clean.ism'))];
    const ok = total.blocks < limitBytes && checks.every((c) => c.ok);
    return { tarball, prefix, installedBytes: total.blocks, apparentBytes: total.bytes, limitBytes, packages, nativeAddons, checks, ok };
  } finally {
    if (opts.keep === true) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

export function formatReport(r: InstallSizeReport, top = 12): string {
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  const lines = [
    `tarball:   ${r.tarball.file} ${mb(r.tarball.bytes)}`,
    `installed: ${mb(r.installedBytes)} on disk (${mb(r.apparentBytes)} of file contents); limit ${mb(r.limitBytes)}: ${r.installedBytes < r.limitBytes ? 'under' : 'OVER'}`,
    `native addons: ${r.nativeAddons ? 'built' : 'not built (the portable paths are used)'}`,
    `biggest packages:`,
    ...r.packages.slice(0, top).map((p) => `  ${mb(p.bytes).padStart(9)}  ${p.name}`),
    `checks:`,
    ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
  ];
  return lines.join('\n');
}

/** Disk usage (allocated blocks, like `du`) and apparent size of a tree; symlinks are not followed. */
async function diskUsage(path: string, skip: (p: string) => boolean = () => false): Promise<{ blocks: number; bytes: number }> {
  const info = await lstat(path);
  let blocks = typeof info.blocks === 'number' && info.blocks > 0 ? info.blocks * 512 : info.size;
  let bytes = info.isDirectory() ? 0 : info.size;
  if (info.isDirectory()) {
    for (const name of await readdir(path)) {
      const child = join(path, name);
      if (skip(child)) continue;
      const sub = await diskUsage(child, skip);
      blocks += sub.blocks;
      bytes += sub.bytes;
    }
  }
  return { blocks, bytes };
}

/** Each package in a node_modules folder (scoped ones as `@scope/name`), with what it nests. */
async function sizePackages(nodeModules: string): Promise<SizedPackage[]> {
  if (!existsSync(nodeModules)) return [];
  const out: SizedPackage[] = [];
  for (const name of await readdir(nodeModules)) {
    if (name.startsWith('.')) continue;
    const dir = join(nodeModules, name);
    if (name.startsWith('@')) {
      for (const sub of await readdir(dir)) out.push({ name: `${name}/${sub}`, bytes: (await diskUsage(join(dir, sub))).blocks });
    } else {
      out.push({ name, bytes: (await diskUsage(dir)).blocks });
    }
  }
  return out;
}

async function checkHelp(bin: string): Promise<InstallCheck> {
  const name = 'smoothpub --help';
  try {
    const { code, stdout, stderr } = await capture(bin, ['--help'], cliEnv(), 30_000);
    const ok = code === 0 && /Usage: smoothpub/.test(stdout) && /\bplay\b/.test(stdout);
    return { name, ok, detail: ok ? 'exit 0, usage printed' : `exit ${code}: ${firstLine(stderr || stdout)}` };
  } catch (e) {
    return { name, ok: false, detail: String(e) };
  }
}

/** `play` packages the bundled sample and serves it with the player page, dash.js and hls.js. */
async function checkPlay(bin: string): Promise<InstallCheck> {
  const name = 'smoothpub play (bundled sample)';
  const child = spawn(bin, ['play', '--host', '127.0.0.1', '--port', '0', '--json'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    const urls = await listeningEvent(child, 60_000);
    const player = String(urls.player);
    const results: string[] = [];
    const get = async (what: string, url: string, test: (body: Buffer, type: string) => boolean): Promise<boolean> => {
      const res = await fetch(url);
      const body = Buffer.from(await res.arrayBuffer());
      const good = res.status === 200 && test(body, res.headers.get('content-type') ?? '');
      results.push(`${what} ${res.status}${good ? '' : ' (unexpected)'}`);
      return good;
    };
    const page = await get('page', player, (b, t) => t.startsWith('text/html') && b.includes('/dash/dash.mss.min.js') && b.includes('/hls/hls.min.js'));
    const all = await get('dash.all.min.js', new URL('/dash/dash.all.min.js', player).href, (b, t) => t.startsWith('text/javascript') && b.length > 100_000 && b.includes('MediaPlayer'));
    const mss = await get('dash.mss.min.js', new URL('/dash/dash.mss.min.js', player).href, (b, t) => t.startsWith('text/javascript') && b.includes('MssHandler'));
    const hls = await get('hls.min.js', new URL('/hls/hls.min.js', player).href, (b, t) => t.startsWith('text/javascript') && b.length > 100_000 && b.includes('hlsManifestParsed'));
    const manifest = await get('Manifest', String(urls.manifest), (b) => b.includes('<SmoothStreamingMedia'));
    const stopped = await stop(child);
    results.push(`stopped: ${stopped}`);
    // Ends on SIGTERM by itself (0, or 130/143 for an interrupted command), no SIGKILL needed.
    return { name, ok: page && all && mss && hls && manifest && /^exit (0|130|143)$/.test(stopped), detail: results.join(', ') };
  } catch (e) {
    await stop(child);
    return { name, ok: false, detail: `${String(e)} ${firstLine(stderr)}` };
  }
}

/** Entra ID sign-in (an account and no key) needs @azure/identity, which the install leaves out. */
async function checkEntraWithoutIdentity(bin: string, sample: string): Promise<InstallCheck> {
  const name = 'Entra ID sign-in without @azure/identity';
  const env = cliEnv();
  for (const k of Object.keys(env)) if (k.startsWith('AZURE_')) Reflect.deleteProperty(env, k);
  env.AZURE_STORAGE_ACCOUNT = 'smoothpubcheck';
  // Port 9 (discard) on this machine: should anything be sent, it goes nowhere.
  const args = ['publish', sample, 'az://media/check.ism', '--endpoint', 'http://127.0.0.1:9/smoothpubcheck', '--no-progress'];
  try {
    const { code, stderr } = await capture(bin, args, env, 60_000);
    const ok = code === 1 && /^error store\.identity-missing: .*npm install -g @azure\/identity/m.test(stderr);
    return { name, ok, detail: `exit ${code}: ${firstLine(stderr).slice(0, 160)}` };
  } catch (e) {
    return { name, ok: false, detail: String(e) };
  }
}

function npm(): string {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

/** The environment for the npm children: none of an enclosing `npm run`'s package or lifecycle settings. */
function childNpmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_/i.test(k) || /^npm_config_(global|prefix|local_prefix|dry_run|json|ignore_scripts)$/i.test(k) || k === 'npm_command') Reflect.deleteProperty(env, k);
  }
  return env;
}

/** The installed CLI runs on this node (its shebang asks for `node` on the PATH). */
function cliEnv(): NodeJS.ProcessEnv {
  return { ...childNpmEnv(), PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out.slice(-4000)}`))));
  });
}

function capture(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The `listening` event `play --json` prints once it serves (its lines before that are skipped). */
function listeningEvent(child: ChildProcess, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const event = JSON.parse(line) as Record<string, unknown>;
          if (event['event'] !== 'listening') continue;
          clearTimeout(timer);
          resolve(event);
        } catch (e) {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before printing its URL`));
    });
  });
}

/** SIGTERM, then SIGKILL after 10 s; how it ended. */
function stop(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(`already ended (${child.exitCode ?? child.signalCode})`);
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code, signal) => {
      clearTimeout(kill);
      resolve(code !== null ? `exit ${code}` : `signal ${signal}`);
    });
    child.kill('SIGTERM');
  });
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

async function cli(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const limitArg = argv.indexOf('--limit-mb');
  const limitMb = limitArg >= 0 ? Number(argv[limitArg + 1]) : DEFAULT_LIMIT_BYTES / 1e6;
  if (!(limitMb > 0)) {
    process.stderr.write('install-size: --limit-mb needs a number of MB above 0\n');
    return 2;
  }
  const report = await measureInstall({
    limitBytes: limitMb * 1e6,
    noBuild: argv.includes('--no-build'),
    keep: argv.includes('--keep'),
    log: (line) => process.stderr.write(`install-size: ${line}\n`),
  });
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
  return report.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  cli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`install-size: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
