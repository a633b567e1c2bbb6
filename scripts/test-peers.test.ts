// The README's test command installs the tests' system packages itself (scripts/test-peers.sh,
// its pretest step), or, where it cannot, stops at once and says what to install and how.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.join(__dirname, 'test-peers.sh');

function run(env: Record<string, string>, asUser?: number) {
  const command = asUser === undefined ? ['bash', SCRIPT] : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', 'bash', SCRIPT];
  return spawnSync(command[0], command.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000 });
}

describe('the tests’ system packages', () => {
  it('are all there on this machine (the check passes without installing anything)', () => {
    const result = run({});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('when missing and not installable (not root), stop the run at once with one message naming each package and the command', () => {
    // As root, the check runs as `nobody`; a developer who is not root is already in that place.
    const nobody = process.getuid?.() === 0 ? 65534 : undefined;
    const result = run({ DUET_PEERS_BIN: '/nonexistent' }, nobody);
    expect(result.status).toBe(1);
    for (const name of ['python3-websockets', 'openssl', 'redis-server', 'chromium']) expect(result.stderr).toContain(name);
    expect(result.stderr).toContain('apt-get install -y python3-websockets openssl redis-server chromium');
    expect(result.stdout).toBe('');
  });
});
