/**
 * Scenario files of `etm sim economy` (JSON or YAML): the chain parameters that differ from the
 * defaults, the genesis supply, the run's length and seed, and the agents by kind and count.
 * Every value is checked and bounded here; a bad file gets a ScenarioError naming the field.
 * Amounts are ETM and fractions are decimal strings (or numbers), turned into bigint exactly.
 */
import { parse as parseYaml } from 'yaml';
import {
  CONCAVE_ON_CANDIDATE,
  CONCAVE_ON_LOCK,
  crossParamProblem,
  DEFAULT_PARAMS,
  PARAM_NAMES,
  PARAMS,
  withDerivedParams,
  type ChainParams,
  type ParamName,
} from '../../params/registry.js';
import { WAD } from '../../params/registry.js';

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

const AGENT_KINDS = [
  'holder',
  'feedback',
  'candidate',
  'whale',
  'sybil',
  'cartel',
  'hopper',
] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

/** One group of agents of a kind. Amounts in units, fractions in WAD, uptime in ppm. */
export interface AgentGroup {
  kind: AgentKind;
  /** Agents in the group (a sybil or a cartel is one agent with several accounts). */
  count: number;
  /** Balance of each agent's account at genesis. */
  balance: bigint;
  /** Share of the balance it locks when it stakes. */
  stakeShare: bigint;
  /** feedback: range of target APYs (WAD), drawn per agent; hysteresis (WAD) below the target. */
  targetApy: [bigint, bigint];
  hysteresis: bigint;
  /** feedback: epochs between two decisions. */
  everyEpochs: number;
  /** Candidates (candidate, whale, sybil in candidates mode, cartel). */
  commissionBps: bigint;
  deposit: bigint;
  /** Uptime profile: [fromEpoch, ppm] steps, the first from epoch 0. */
  uptime: [number, number][];
  /** sybil: split into this many candidates (mode candidates) or locks on one (mode locks). */
  splits: number;
  mode: 'candidates' | 'locks';
  /** sybil, mode candidates: locks each candidate's stake is split into (the deposit is one). */
  locks: number;
  /** cartel: accounts voting together and the candidates they run. */
  members: number;
  candidates: number;
}

export interface Scenario {
  name: string;
  seed: number;
  epochs: number;
  params: ChainParams;
  /** Genesis allocations in total (units); what the agents do not hold sits in one idle account. */
  supply: bigint;
  agents: AgentGroup[];
  /** Epochs between two computations of the reward Gini (0: automatic). */
  giniEvery: number;
}

const MAX_AGENTS = 1_000_000;
const MAX_EPOCHS = 10_000_000;

/** Decimal text (or a number) as an integer scaled by 10^decimals, exactly. */
export function decimal(value: unknown, what: string, decimals = 18): bigint {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string')
    throw new ScenarioError(`${what}: expected a decimal, got ${JSON.stringify(value)}`);
  const m = /^(\d{1,30})(?:\.(\d{0,36}))?$/.exec(text.trim());
  if (!m) throw new ScenarioError(`${what}: not a non-negative decimal: ${JSON.stringify(value)}`);
  const frac = (m[2] ?? '').slice(0, decimals).padEnd(decimals, '0');
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac || '0');
}

function int(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ScenarioError(
      `${what}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return value;
}

function fraction(value: unknown, what: string, max = WAD): bigint {
  const v = decimal(value, what);
  if (v > max) throw new ScenarioError(`${what}: at most ${Number(max) / 1e18}`);
  return v;
}

function obj(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ScenarioError(`${what}: expected an object`);
  return value as Record<string, unknown>;
}

/** Parameters a scenario may set, with how they are written: the chain's bounds apply. */
/** Parameters given as decimals: fractions (WAD) and amounts (ETM), by the registry's unit. */
const FRACTION_PARAMS = new Set<string>(
  PARAM_NAMES.filter((k) => PARAMS[k].what === 'WAD fraction'),
);
const AMOUNT_PARAMS = new Set<string>(PARAM_NAMES.filter((k) => PARAMS[k].what === 'units'));

/** The chain parameters of a scenario: the defaults, the block time's derived ones, the given. */
function scenarioParams(given: Record<string, unknown>): ChainParams {
  const p: Record<string, unknown> = { ...DEFAULT_PARAMS };
  const set = new Set<string>();
  for (const [k, v] of Object.entries(given)) {
    if (k === 'inflationSchedule' || k === 'inflationRate') {
      const list = k === 'inflationRate' ? [v] : v;
      if (!Array.isArray(list) || list.length < 1 || list.length > 200)
        throw new ScenarioError(`params.${k}: expected 1 to 200 yearly rates`);
      p.inflationSchedule = list.map((x, i) => fraction(x, `params.${k}[${i}]`));
      continue;
    }
    if (k === 'concaveOn') {
      if (v !== 'candidate' && v !== 'lock')
        throw new ScenarioError('params.concaveOn: "candidate" or "lock"');
      p.concaveOn = v === 'lock' ? CONCAVE_ON_LOCK : CONCAVE_ON_CANDIDATE;
      set.add(k);
      continue;
    }
    const b = PARAMS[k as ParamName] as (typeof PARAMS)[ParamName] | undefined;
    if (b === undefined || b.type !== 'uint')
      throw new ScenarioError(`params.${k}: unknown parameter`);
    const n = FRACTION_PARAMS.has(k)
      ? fraction(v, `params.${k}`)
      : AMOUNT_PARAMS.has(k)
        ? decimal(v, `params.${k}`)
        : BigInt(int(v, `params.${k}`, 0, Number.MAX_SAFE_INTEGER));
    if (n < b.min || n > b.max)
      throw new ScenarioError(`params.${k}: ${n} is outside ${b.min} … ${b.max} ${b.what}`);
    p[k] = n;
    set.add(k);
  }
  const params = withDerivedParams(p as unknown as ChainParams, set);
  const problem = crossParamProblem(params);
  if (problem !== null) throw new ScenarioError(`params: ${problem}`);
  return params;
}

function uptime(value: unknown, what: string): [number, number][] {
  if (value === undefined) return [[0, 1_000_000]];
  const ppm = (x: unknown, w: string) => Number(decimal(x, w, 6));
  if (!Array.isArray(value)) {
    const u = ppm(value, what);
    if (u > 1_000_000 || u === 0) throw new ScenarioError(`${what}: above 0, at most 1`);
    return [[0, u]];
  }
  if (value.length < 1 || value.length > 1000) throw new ScenarioError(`${what}: 1 to 1000 steps`);
  return value.map((step, i) => {
    const s = obj(step, `${what}[${i}]`);
    const u = ppm(s.uptime, `${what}[${i}].uptime`);
    if (u > 1_000_000 || u === 0)
      throw new ScenarioError(`${what}[${i}].uptime: above 0, at most 1`);
    return [int(s.fromEpoch ?? 0, `${what}[${i}].fromEpoch`, 0, MAX_EPOCHS), u];
  });
}

function agentGroup(value: unknown, i: number): AgentGroup {
  const what = `agents[${i}]`;
  const a = obj(value, what);
  const kind = a.kind as AgentKind;
  if (!AGENT_KINDS.includes(kind))
    throw new ScenarioError(`${what}.kind: one of ${AGENT_KINDS.join(', ')}`);
  const range = (a.targetApy ?? ['0.05', '0.15']) as unknown;
  const [lo, hi] = Array.isArray(range) ? range : [range, range];
  const target: [bigint, bigint] = [
    fraction(lo, `${what}.targetApy`, 100n * WAD),
    fraction(hi, `${what}.targetApy`, 100n * WAD),
  ];
  if (target[0] > target[1]) throw new ScenarioError(`${what}.targetApy: low above high`);
  const mode = (a.mode ?? 'candidates') as AgentGroup['mode'];
  if (mode !== 'candidates' && mode !== 'locks')
    throw new ScenarioError(`${what}.mode: "candidates" or "locks"`);
  const defaultShare = kind === 'holder' ? '0' : '1';
  return {
    kind,
    count: int(a.count ?? 1, `${what}.count`, 1, MAX_AGENTS),
    balance: decimal(a.balance ?? '0', `${what}.balance`),
    stakeShare: fraction(a.stakeShare ?? defaultShare, `${what}.stakeShare`),
    targetApy: target,
    hysteresis: fraction(a.hysteresis ?? '0.1', `${what}.hysteresis`),
    everyEpochs: int(a.everyEpochs ?? 1, `${what}.everyEpochs`, 1, MAX_EPOCHS),
    commissionBps: BigInt(int(a.commissionBps ?? 1000, `${what}.commissionBps`, 0, 10_000)),
    deposit: decimal(a.deposit ?? '1000', `${what}.deposit`),
    uptime: uptime(a.uptime, `${what}.uptime`),
    splits: int(a.splits ?? 1, `${what}.splits`, 1, 1000),
    locks: int(a.locks ?? 1, `${what}.locks`, 1, 64),
    mode,
    members: int(a.members ?? 1, `${what}.members`, 1, 100_000),
    candidates: int(a.candidates ?? 1, `${what}.candidates`, 1, 1000),
  };
}

/** Reads a scenario document (already parsed from JSON or YAML). */
export function parseScenario(doc: unknown): Scenario {
  const s = obj(doc, 'scenario');
  const params = scenarioParams(obj(s.params ?? {}, 'params'));
  const years = s.years === undefined ? null : decimal(s.years, 'years', 6);
  const epochsPerYear = params.blocksPerYear / params.epochBlocks;
  const epochs =
    s.epochs !== undefined
      ? int(s.epochs, 'epochs', 1, MAX_EPOCHS)
      : years !== null
        ? Number((years * epochsPerYear) / 1_000_000n)
        : 100;
  if (epochs < 1 || epochs > MAX_EPOCHS) throw new ScenarioError(`epochs: 1 to ${MAX_EPOCHS}`);
  if (!Array.isArray(s.agents) || s.agents.length === 0 || s.agents.length > 100)
    throw new ScenarioError('agents: a list of 1 to 100 groups');
  const agents = s.agents.map(agentGroup);
  let accounts = 0;
  let held = 0n;
  for (const g of agents) {
    const per = g.kind === 'cartel' ? g.members + g.candidates : g.kind === 'sybil' ? g.splits : 1;
    accounts += g.count * per;
    held += g.balance * BigInt(g.count) * BigInt(g.kind === 'cartel' ? g.members : 1);
  }
  if (accounts > MAX_AGENTS)
    throw new ScenarioError(`agents: at most ${MAX_AGENTS} accounts in all`);
  const supply = decimal(s.supply ?? '475000000', 'supply');
  if (held > supply)
    throw new ScenarioError(`supply: the agents hold more (${held / WAD} ETM) than the supply`);
  if (!agents.some((g) => ['candidate', 'whale', 'sybil', 'cartel'].includes(g.kind)))
    throw new ScenarioError('agents: at least one group must run candidates');
  return {
    name: typeof s.name === 'string' ? s.name.slice(0, 200) : 'scenario',
    seed: int(s.seed ?? 1, 'seed', 0, 2 ** 32 - 1),
    epochs,
    params,
    supply,
    agents,
    giniEvery: int(s.giniEvery ?? 0, 'giniEvery', 0, MAX_EPOCHS),
  };
}

/** A scenario file's text: JSON when it parses as such, YAML otherwise. */
export function readScenarioText(text: string): Scenario {
  if (text.length > 1_000_000) throw new ScenarioError('scenario: larger than 1 MB');
  let doc: unknown;
  try {
    doc = text.trimStart().startsWith('{')
      ? JSON.parse(text)
      : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new ScenarioError(`scenario: ${(e as Error).message}`);
  }
  return parseScenario(doc);
}

/** Sets one parameter of a scenario (for sweeps): a chain parameter by name, or `epochs`/`seed`. */
export function withParam(s: Scenario, name: string, value: string): Scenario {
  if (name === 'epochs') return { ...s, epochs: int(Number(value), 'epochs', 1, MAX_EPOCHS) };
  if (name === 'seed') return { ...s, seed: int(Number(value), 'seed', 0, 2 ** 32 - 1) };
  const alias: Record<string, string> = {
    u: 'stakeExponent',
    delta: 'validatorInflationShare',
    δ: 'validatorInflationShare',
    i: 'inflationRate',
  };
  const key = alias[name] ?? name;
  const given: Record<string, unknown> = { ...paramsAsGiven(s.params) };
  given[key] =
    /^\d+$/.test(value) && !FRACTION_PARAMS.has(key) && key !== 'inflationRate'
      ? Number(value)
      : value;
  if (key === 'inflationRate') delete given.inflationSchedule;
  return { ...s, params: scenarioParams(given) };
}

/** A scenario's parameters written back as given values (so a sweep changes only one). */
function paramsAsGiven(p: ChainParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'inflationSchedule') out[k] = (v as bigint[]).map((x) => fmtWad(x));
    else if (k === 'concaveOn') out[k] = v === CONCAVE_ON_LOCK ? 'lock' : 'candidate';
    else if (FRACTION_PARAMS.has(k) || AMOUNT_PARAMS.has(k)) out[k] = fmtWad(v as bigint);
    else out[k] = Number(v as bigint);
  }
  return out;
}

function fmtWad(v: bigint): string {
  const frac = (v % WAD).toString().padStart(18, '0').replace(/0+$/, '');
  return `${v / WAD}${frac ? `.${frac}` : ''}`;
}
