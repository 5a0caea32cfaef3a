import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenVpnEndpoint } from '../src/adapters/openvpn/endpoint';
import { openvpnClientBase } from '../src/adapters/openvpn/client-base';
import { buildCrl } from '../src/pki/crl';
import { issueWithNewKey } from '../src/pki/certificate';
import { assembleProfile } from '../src/pki/profile';
import { generateTlsCryptV2ServerKey, wrapTlsCryptV2ClientKey } from '../src/pki/tls-crypt-v2';
import { RunningOpenVpn, TestVpn, clientArgs, prepareTestVpn, serverArgs, startOpenVpn } from '../test/helpers/openvpn';
import { HAS_TUN, OPENVPN } from '../test/helpers/tools';
import { report } from './lib';

/** Flooding clients per case, and how long each case floods: bounded in count and time. */
const CLIENTS = 12;
const FLOOD_MS = 12_000;
const VERIFY_SCRIPT = join(__dirname, '..', 'resources', 'tls-crypt-v2-verify.sh');
/** USER_HZ, the unit of /proc/<pid>/stat's times: 100 on Linux. */
const TICKS_PER_SECOND = 100;
/** Where the recommended setup has OpenVPN write each key's metadata for the script: memory, not a disk journal. */
const MEMORY_TMP_DIR = '/dev/shm';

/**
 * The server's CPU time so far: its own in nanoseconds (/proc/<pid>/schedstat), its waited-for children's (the
 * verify script) in clock ticks (/proc/<pid>/stat fields 16–17), the finest Linux keeps for exited children.
 */
function cpuMs(pid: number): number {
  const own = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return own + ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
}

interface Flood {
  dropped: number;
  cpuMs: number;
  seconds: number;
}

/**
 * CLIENTS real openvpn clients retry as fast as they are let (every second) against `server` for FLOOD_MS; each
 * drop the server logs is counted, and its CPU time measured over the same window.
 */
async function flood(server: RunningOpenVpn, profile: string, drop: RegExp): Promise<Flood> {
  const since = server.log().length;
  const before = cpuMs(server.process.pid!);
  const started = Date.now();
  const clients = Array.from({ length: CLIENTS }, () =>
    startOpenVpn([...clientArgs(profile), '--connect-retry', '1', '1', '--tls-timeout', '1', '--hand-window', '3']),
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, FLOOD_MS));
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
  }
  const cpu = cpuMs(server.process.pid!) - before;
  const seconds = (Date.now() - started) / 1000;
  const dropped = server
    .log()
    .slice(since)
    .split('\n')
    .filter((line) => drop.test(line)).length;
  return { dropped, cpuMs: cpu, seconds };
}

async function runServer(vpn: TestVpn, control: string[]): Promise<RunningOpenVpn> {
  const server = startOpenVpn(serverArgs({ port: vpn.port, ...vpn.files, control }));
  await server.waitFor(/Initialization Sequence Completed/);
  return server;
}

const line = (flood: Flood) => ({
  rate: (flood.dropped / flood.seconds).toFixed(1),
  cpu: flood.dropped ? (flood.cpuMs / flood.dropped).toFixed(2) : 'n/a',
});

/**
 * `tls-crypt-v2-drop`: handshakes a server drops per second, and its CPU time per dropped handshake, when a
 * revoked member floods it. With per-client keys (tls-crypt-v2) the verify script drops the key before TLS, as
 * docs/self-hosted.md sets it up (metadata files in memory), beside the same with OpenVPN's default temporary
 * folder and the floor any hook costs (a script that only exits 1). Keys our server key did not wrap are dropped
 * at the unwrap; the baseline is a shared tls-crypt key, where the revoked certificate is refused at the end of TLS.
 */
export async function tlsCryptV2DropBenchmark(): Promise<void> {
  if (OPENVPN === undefined || !HAS_TUN) {
    report('tls-crypt-v2-drop', { skipped: 'openvpn or /dev/net/tun missing' });
    return;
  }
  const vpn = await prepareTestVpn({ prefix: 'bench-tlscv2', initialCrl: false });
  let server: RunningOpenVpn | undefined;
  try {
    const serverKeyFile = vpn.file('tls-crypt-v2-server.key', generateTlsCryptV2ServerKey());
    const serverKey = readFileSync(serverKeyFile, 'utf8');
    const endpoint = new OpenVpnEndpoint({
      name: 'bench',
      management: '127.0.0.1:9',
      crlFile: vpn.files.crl,
      remote: vpn.remote,
      caPem: vpn.ca.certPem,
      tlsCryptV2ServerKeyFile: serverKeyFile,
    });
    const revoked = await issueWithNewKey({ ca: vpn.ca, cn: 'revoked.vpn.test' });
    await endpoint.importCrl(
      buildCrl({
        ca: vpn.ca,
        number: 1n,
        revocations: [{ serial: revoked.serial, revokedAt: new Date(), reason: 'keyCompromise' }],
      }).pem,
    );
    const base = openvpnClientBase({ remote: vpn.remote, caPem: vpn.ca.certPem });
    const profile = (name: string, keys: { tlsCryptKey?: string; tlsCryptV2Key?: string }) => {
      const path = join(vpn.dir.path, `${name}.ovpn`);
      writeFileSync(path, assembleProfile({ base, certPem: revoked.certPem, keyPem: revoked.keyPem, ...keys }));
      return path;
    };

    server = await runServer(vpn, ['--tls-crypt', vpn.files.tlsCrypt]);
    const atTls = await flood(
      server,
      profile('shared-key', { tlsCryptKey: vpn.tlsCrypt }),
      /VERIFY ERROR: depth=0, error=certificate revoked/,
    );
    await server.stop();

    const refusals = join(vpn.dir.path, 'tls-crypt-v2-refused');
    /** The least any verify hook costs: OpenVPN's fork and exec of a shell that only says no. */
    const floorScript = vpn.file('refuse-all.sh', '#!/bin/sh\nexit 1\n');
    chmodSync(floorScript, 0o755);
    const withVerify = (verify: string, tmpDir?: string) => [
      '--tls-crypt-v2',
      serverKeyFile,
      '--tls-crypt-v2-verify',
      verify,
      '--script-security',
      '2',
      ...(tmpDir ? ['--tmp-dir', tmpDir] : []),
    ];
    const ownKey = profile('own-key', { tlsCryptV2Key: wrapTlsCryptV2ClientKey(serverKey, revoked.serial) });
    // Counted by OpenVPN's own line, which the floor script's refusals write too.
    const refusedByScript = /TLS CRYPT V2 VERIFY SCRIPT ERROR/;
    const verifyCase = async (verify: string, tmpDir?: string) => {
      server = await runServer(vpn, withVerify(verify, tmpDir));
      try {
        return await flood(server, ownKey, refusedByScript);
      } finally {
        await server.stop();
      }
    };

    const atVerify = await verifyCase(`${VERIFY_SCRIPT} ${refusals}`, MEMORY_TMP_DIR);
    const atVerifyDiskTmp = await verifyCase(`${VERIFY_SCRIPT} ${refusals}`);
    const atFloor = await verifyCase(floorScript, MEMORY_TMP_DIR);
    server = await runServer(vpn, withVerify(`${VERIFY_SCRIPT} ${refusals}`, MEMORY_TMP_DIR));
    const foreign = await flood(
      server,
      profile('foreign-key', {
        tlsCryptV2Key: wrapTlsCryptV2ClientKey(generateTlsCryptV2ServerKey(), revoked.serial),
      }),
      /client key authentication error/,
    );

    const tls = line(atTls);
    const verify = line(atVerify);
    const unwrap = line(foreign);
    report('tls-crypt-v2-drop', {
      clients: CLIENTS,
      seconds: FLOOD_MS / 1000,
      'verify-drops-per-s': verify.rate,
      'verify-cpu-ms-per-drop': verify.cpu,
      'verify-disk-tmp-cpu-ms-per-drop': line(atVerifyDiskTmp).cpu,
      'exec-floor-cpu-ms-per-drop': line(atFloor).cpu,
      'unwrap-drops-per-s': unwrap.rate,
      'unwrap-cpu-ms-per-drop': unwrap.cpu,
      'baseline-tls-revoked-per-s': tls.rate,
      'baseline-tls-cpu-ms-per-drop': tls.cpu,
    });
  } finally {
    await server?.stop();
    await vpn.stop();
  }
}
