// Runs a chatq entry point (a .ts file, or a tool's .mjs) on Node.js >= 22.18, which runs our
// TypeScript directly. On an older node it installs the npm registry's `node@24` package into a
// cache folder once and re-runs itself there, so `npm start` and `npm test` work on any machine
// with npm. Plain JavaScript on purpose: it must start on the old node it replaces.
//
//   node scripts/node.mjs [--dev-env] <entry> [args...]
//
// --dev-env loads ./.env and, when it does not exist and CHATQ_SECRET_KEY is not set, writes one
// with a fresh secret key and admin token, so a first `npm start` needs no setup.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MIN = [22, 18];

const supported = (version) => {
  const [major, minor] = version.split('.').map(Number);
  return major > MIN[0] || (major === MIN[0] && minor >= MIN[1]);
};

function provisionedNode() {
  const cache =
    process.env.CHATQ_NODE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'chatq', 'node-24');
  const bin = join(cache, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) {
    console.error(
      `chatq: node ${process.versions.node} is too old (need >= ${MIN.join('.')}); installing node@24 from the npm registry into ${cache}`,
    );
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = spawnSync(
      npm,
      ['install', '--prefix', cache, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node@24'],
      { stdio: 'inherit' },
    );
    if (result.status !== 0 || !existsSync(bin)) {
      console.error('chatq: could not install node@24; install Node.js 24 yourself (see README)');
      process.exit(1);
    }
  }
  return bin;
}

function ensureDevEnv() {
  const file = join(ROOT, '.env');
  if (!existsSync(file) && !process.env.CHATQ_SECRET_KEY) {
    const token = `cq_${randomBytes(32).toString('base64url')}`;
    writeFileSync(
      file,
      [
        '# Written by chatq on first start. Keep CHATQ_SECRET_KEY: it decrypts stored provider keys.',
        `CHATQ_SECRET_KEY=${randomBytes(32).toString('base64')}`,
        '# The admin API token (used only while no admin exists yet).',
        `CHATQ_BOOTSTRAP_TOKEN=${token}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // Not the token: whether it becomes the admin's depends on the database (npm start says).
    console.error(`chatq: wrote ${file} with a new secret key and admin token`);
  }
  if (existsSync(file)) process.loadEnvFile(file);
}

const args = process.argv.slice(2);
const devEnv = args[0] === '--dev-env';
if (devEnv) args.shift();
const [entry, ...rest] = args;
if (!entry) {
  console.error('usage: node scripts/node.mjs [--dev-env] <entry> [args...]');
  process.exit(2);
}

if (supported(process.versions.node)) {
  if (devEnv) ensureDevEnv();
  const target = resolve(ROOT, entry);
  process.argv = [process.argv[0], target, ...rest];
  await import(pathToFileURL(target).href);
} else {
  const child = spawn(provisionedNode(), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // Ctrl-C reaches the child through the process group already; a SIGTERM aimed at us is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
