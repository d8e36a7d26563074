/**
 * The parameters system module: genesis writes every protocol parameter into the state
 * (src/params/store.ts), from which each block reads them. Governance will change them there.
 */
import { ParamStore } from '../../params/store.js';
import type { SystemModule } from '../module.js';

export const paramsModule: SystemModule = {
  name: 'params',
  genesis: (g) => new ParamStore(g.state).setParams(g.params),
};
