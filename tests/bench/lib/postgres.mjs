// A private PostgreSQL server for benchmarks (Debian's postgresql package), as the C++ tests'
// tests/peers/postgres.hpp: initdb in a temporary folder, 127.0.0.1 at a free port, trust
// authentication for the "postgres" role, fsync off. As root (initdb refuses root) the cluster
// belongs to the "postgres" account and its programs run as it (runuser).
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './servers.mjs';

export async function startPostgres() {
  const versions = readdirSync('/usr/lib/postgresql').sort();
  if (!versions.length) throw new Error('PostgreSQL is not installed (scripts/setup.sh installs it)');
  const bin = path.join('/usr/lib/postgresql', versions[versions.length - 1], 'bin');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-pg-'));
  const asUser = userInfo().uid === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asUser.length) {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const run = (argv) => {
    const full = [...asUser, ...argv];
    return execFileSync(full[0], full.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const port = await freePort();
  const data = path.join(dir, 'data');
  run([path.join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  run([path.join(bin, 'pg_ctl'), '-D', data, '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const sql = (statement, database = 'postgres') =>
    run([path.join(bin, 'psql'), '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U',
      'postgres', '-d', database, '-c', statement]);
  return {
    port,
    sql,
    stop() {
      try { run([path.join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
