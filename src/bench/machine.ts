/**
 * The machine's limits, measured in the same run as every other figure: native secp256k1
 * public-key recoveries per second on one core, and the signature limit L = that × cores, the
 * most transactions per second this machine could authenticate if it did nothing else.
 */
import { availableParallelism, cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import { performance } from 'node:perf_hooks';
import { bigintToFixed } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { recoverAddress, sign } from '../crypto/secp256k1.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  os: string;
  node: string;
  /** Load average (1 min) when the run started: other work on the machine skews every figure. */
  loadAverage1m: number;
  date: string;
}

export function machineInfo(): MachineInfo {
  const cpu = cpus()[0];
  return {
    cpuModel: cpu?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    date: new Date().toISOString(),
  };
}

export interface SignatureBaseline {
  /** Recoveries (digest + signature → address, as a transaction's sender is found) per second. */
  recoveriesPerSecondPerCore: number;
  cores: number;
  /** L = recoveries per second per core × cores. */
  signatureLimit: number;
  /** Microseconds per recovery. */
  microsPerRecovery: number;
}

/** Native sender recoveries per second on this thread, over about `ms` milliseconds. */
export function measureRecoveries(ms: number): SignatureBaseline {
  const key = keccak256(bigintToFixed(0xbe7cn, 32));
  const digests = Array.from({ length: 256 }, (_, i) => keccak256(bigintToFixed(BigInt(i), 32)));
  const sigs = digests.map((d) => sign(d, key));
  for (let i = 0; i < 500; i++) recoverAddress(digests[i & 255]!, sigs[i & 255]!); // warm-up
  // Several short rounds; the best is the machine's rate with the least interference.
  const rates: number[] = [];
  const rounds = 5;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < ms / rounds) {
      for (let i = 0; i < 100; i++, n++) recoverAddress(digests[n & 255]!, sigs[n & 255]!);
    }
    rates.push((n * 1000) / (performance.now() - t0));
  }
  const perCore = Math.round(Math.max(...rates));
  const cores = availableParallelism();
  return {
    recoveriesPerSecondPerCore: perCore,
    cores,
    signatureLimit: perCore * cores,
    microsPerRecovery: Math.round((1e6 / perCore) * 10) / 10,
  };
}
