/** Random and named consensus scenarios. Everything is drawn from the scenario's seed. */
import { maxFaulty, quorumSize } from '../../consensus/quorum.js';
import { MessageType } from '../../consensus/types.js';
import { Prng } from '../prng.js';
import {
  ADVERSARIES,
  baseScenario,
  FAULTS,
  type Byzantine,
  type Fault,
  type Scenario,
} from './scenario.js';

export function parseFaults(list: string): Fault[] {
  if (list === 'all') return [...FAULTS];
  if (list === '' || list === 'none') return [];
  const out: Fault[] = [];
  for (const name of list.split(',').map((s) => s.trim())) {
    if (!(FAULTS as readonly string[]).includes(name)) {
      throw new Error(`unknown fault "${name}"; known: ${FAULTS.join(', ')}, all, none`);
    }
    out.push(name as Fault);
  }
  return out;
}

/**
 * A random scenario: each enabled fault is switched on with probability 1/2 and given random
 * parameters. Byzantine validators never exceed f; honest crashes may (the chain then halts
 * until they restart). All faults end by `healAt`, after which liveness is required (byzantine
 * validators and strangers go on misbehaving). With `requireAdversary`, a scenario that drew
 * none of the enabled message adversaries (and no stranger) gets one.
 */
export function randomScenario(
  seed: number,
  validators: number,
  faults: readonly Fault[],
  heights = 5,
  options: { requireAdversary?: boolean } = {},
): Scenario {
  const rng = new Prng(seed);
  const on = (f: Fault) => faults.includes(f) && rng.chance(500_000);
  const s = baseScenario(`random-${validators}`, seed, validators, heights);
  const base = 2 * s.blockTimeMs;
  const window = rng.between(2, 8) * base;
  s.healAt = window;
  const f = maxFaulty(validators);

  let nodes = validators;
  if (on('valset') && heights >= 3) {
    nodes = 2 * validators;
    const pool = rng.shuffle(Array.from({ length: nodes }, (_, i) => i));
    s.validatorChanges.push({
      fromHeight: rng.between(2, heights - 1),
      validators: pool.slice(0, validators),
    });
  }
  s.nodes = nodes;
  s.skewPct = new Array<number>(nodes).fill(100);
  s.clockOffsetMs = new Array<number>(nodes).fill(0);

  const order = rng.shuffle(Array.from({ length: nodes }, (_, i) => i));
  let budget = f;
  const byz: Byzantine[] = [];
  for (const b of ['equivocate', 'fork', 'silent', 'invalid', ...ADVERSARIES] as const) {
    if (budget > 0 && on(b)) {
      const k = rng.between(1, budget);
      for (let i = 0; i < k; i++) byz.push(b);
      budget -= k;
    }
  }
  if (on('stranger')) s.strangers = rng.between(1, 2);
  if (options.requireAdversary) {
    if (s.strangers === 0 && !byz.some((b) => isAdversary(b))) {
      const enabled = ADVERSARIES.filter((a) => faults.includes(a));
      if (budget > 0 && enabled.length > 0) byz.push(rng.pick(enabled));
      else if (faults.includes('stranger')) s.strangers = 1;
    }
    // Round changes with prepared certificates are where forged, trimmed, substituted and
    // hidden certificates matter: at some heights every round-0 COMMIT is lost until the heal.
    for (let h = 1; h <= heights; h++)
      if (rng.chance(500_000))
        s.drop.push({ type: MessageType.Commit, height: h, round: 0, until: s.healAt });
  }
  byz.forEach((behaviour, i) => s.byzantine.push({ node: order[i]!, behaviour }));
  const honest = order.slice(byz.length);

  if (on('crash')) {
    const k = rng.between(1, Math.max(1, Math.min(honest.length - 1, f + 1)));
    for (const node of honest.slice(0, k)) {
      const at = rng.between(0, window);
      s.crashes.push({ node, at, restartAt: at + rng.between(base / 2, 3 * base) });
    }
  }
  if (on('partition') && nodes > 1) {
    const all = rng.shuffle(Array.from({ length: nodes }, (_, i) => i));
    const cut = rng.between(1, nodes - 1);
    const at = rng.between(0, window / 2);
    s.partitions.push({
      at,
      healAt: rng.between(at + 1, window),
      groups: [all.slice(0, cut), all.slice(cut)],
    });
  }
  const net = s.faultyNetwork;
  if (on('loss')) net.lossPpm = rng.between(50_000, 300_000);
  if (on('delay')) net.delayMs = [5, rng.between(200, 3 * s.blockTimeMs)];
  if (on('reorder')) net.delayMs = [0, Math.max(net.delayMs[1], rng.between(100, 800))];
  if (on('duplicate')) net.duplicatePpm = rng.between(50_000, 300_000);
  // Clock skew as real clocks have it: an offset of up to half a block time and a rate off by up
  // to 10%. (QBFT's liveness assumes bounded drift: a node whose timers ran at a third of another's
  // speed would never share a round with it once timeouts reach their cap.)
  if (on('skew')) {
    for (let i = 0; i < nodes; i++) {
      s.skewPct[i] = rng.between(90, 110);
      s.clockOffsetMs[i] = rng.between(-s.blockTimeMs / 2, s.blockTimeMs / 2);
    }
  }
  return s;
}

function isAdversary(b: Byzantine): boolean {
  return (ADVERSARIES as readonly string[]).includes(b);
}

// ---- named scenarios ----------------------------------------------------------------------

export function agreementScenario(validators: number, heights: number, seed = 1): Scenario {
  return baseScenario(`agreement-${validators}x${heights}`, seed, validators, heights);
}

/** `crashed` validators are down from the start until `restartAt`. */
export function crashedScenario(
  validators: number,
  crashed: number,
  seed = 1,
  restartAt = 60_000,
): Scenario {
  const s = baseScenario(`crashed-${crashed}-of-${validators}`, seed, validators, 6);
  for (let i = 0; i < crashed; i++) s.crashes.push({ node: validators - 1 - i, at: 0, restartAt });
  if (crashed > maxFaulty(validators)) s.expectHaltBetween = [5_000, restartAt];
  return s;
}

export function byzantineScenario(
  validators: number,
  behaviour: Byzantine,
  count: number,
  seed = 1,
): Scenario {
  const s = baseScenario(
    `${behaviour}-x${count}-of-${validators}`,
    seed,
    validators,
    3 * validators,
  );
  for (let i = 0; i < count; i++) s.byzantine.push({ node: i, behaviour });
  return s;
}

/**
 * Height 1, round 0 gets prepared (its PREPAREs reach everyone) but every COMMIT is lost; then a
 * 2/2 partition leaves no side with a quorum. After the heal, the proposer of the round everyone
 * meets in must re-propose the very block prepared in round 0 (proposed by node 1).
 */
export function preparedThenPartitionScenario(seed = 1): Scenario {
  const s = baseScenario('prepared-then-partition', seed, 4, 3);
  s.drop.push({ type: MessageType.Commit, height: 1, round: 0, until: 30_000 });
  s.partitions.push({
    at: 1_300,
    healAt: 30_000,
    groups: [
      [0, 1],
      [2, 3],
    ],
  });
  return s;
}

export function splitPartitionScenario(seed = 1): Scenario {
  const s = baseScenario('partition-11-10', seed, 21, 6);
  const all = Array.from({ length: 21 }, (_, i) => i);
  s.partitions.push({ at: 2_500, healAt: 40_000, groups: [all.slice(0, 11), all.slice(11)] });
  s.expectHaltBetween = [6_000, 40_000];
  return s;
}

export function lossyScenario(validators: number, seed = 1): Scenario {
  const s = baseScenario(`lossy-${validators}`, seed, validators, 20);
  s.healAt = 120_000;
  s.faultyNetwork = { delayMs: [0, 600], lossPpm: 300_000, duplicatePpm: 200_000 };
  return s;
}

/**
 * At height 4 the set switches to validators+1 … 2×validators (wholly new nodes); a third of the
 * new set (its f… up to n - q members) is offline for a while.
 */
export function validatorSetChangeScenario(validators: number, seed = 1): Scenario {
  const s = baseScenario(`valset-change-${validators}`, seed, validators, 10);
  s.nodes = 2 * validators;
  s.skewPct = new Array<number>(s.nodes).fill(100);
  s.clockOffsetMs = new Array<number>(s.nodes).fill(0);
  const next = Array.from({ length: validators }, (_, i) => validators + i);
  s.validatorChanges.push({ fromHeight: 4, validators: next });
  const offline = validators - quorumSize(validators);
  for (let i = 0; i < offline; i++) s.crashes.push({ node: next[i]!, at: 0, restartAt: 30_000 });
  return s;
}

export function crashAfterSendScenario(type: MessageType, seed = 1): Scenario {
  const s = baseScenario(
    `crash-after-${type === MessageType.Prepare ? 'prepare' : 'commit'}`,
    seed,
    4,
    6,
  );
  for (let node = 0; node < 4; node++) {
    s.crashOnSend.push({ node, type, height: 2 + node, restartAfterMs: 1_500 });
  }
  // The commits of height 2 are lost so the crashed node's round must change after restart.
  s.drop.push({ type: MessageType.Commit, height: 2, round: 0, until: 3_000 });
  return s;
}

/**
 * `count` validators of `validators` (the first ones) play a message adversary. Every round-0
 * COMMIT of the even heights is lost for the first 30 s: those heights change round with
 * prepared certificates, which the adversaries forge, trim, substitute or hide.
 */
export function adversaryScenario(
  validators: number,
  behaviour: Byzantine,
  count: number,
  seed = 1,
  heights = 3 * validators,
): Scenario {
  const s = baseScenario(`${behaviour}-x${count}-of-${validators}`, seed, validators, heights);
  for (let i = 0; i < count; i++) s.byzantine.push({ node: i, behaviour });
  for (let h = 2; h <= heights; h += 2)
    s.drop.push({ type: MessageType.Commit, height: h, round: 0, until: 30_000 });
  return s;
}

/** `strangers` keys outside the validator set send every kind of message to everyone. */
export function strangerScenario(validators: number, strangers: number, seed = 1): Scenario {
  const s = baseScenario(`strangers-${strangers}-${validators}`, seed, validators, 3 * validators);
  s.strangers = strangers;
  return s;
}
