/**
 * Where Debian's chromium is (`apt-get install chromium`, as .ci/run does; playwright's own
 * browser download does not work here). ETM_CHROMIUM overrides. Without one the browser tests
 * are skipped, except under CI, where a missing browser is a failure.
 */
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function findChromium(): string | null {
  const given = process.env.ETM_CHROMIUM;
  const found = given ?? CANDIDATES.find((p) => existsSync(p)) ?? null;
  if (found === null && process.env.CI)
    throw new Error(
      'no chromium for the browser tests: apt-get install chromium (or set ETM_CHROMIUM)',
    );
  return found;
}
