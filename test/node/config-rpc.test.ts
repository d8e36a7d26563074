/** The rpc section of the node configuration: Host names (vhosts) and connection limits. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseNodeConfig } from '../../src/node/config.js';

const base = { datadir: 'd', genesis: 'g.json' };

describe('node configuration: rpc', () => {
  it('defaults to the server defaults: localhost and the bound host, the default limits', () => {
    expect(parseNodeConfig(base, '/').rpc).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 8545,
      vhosts: null,
      cors: null,
      maxConnections: null,
      maxWebSocketConnections: null,
    });
  });

  it('reads vhosts and connection limits', () => {
    const c = parseNodeConfig(
      {
        ...base,
        rpc: {
          host: '0.0.0.0',
          vhosts: ['node.example', 'localhost'],
          maxConnections: 64,
          maxWebSocketConnections: 8,
        },
      },
      '/',
    );
    expect(c.rpc).toMatchObject({
      vhosts: ['node.example', 'localhost'],
      maxConnections: 64,
      maxWebSocketConnections: 8,
    });
    expect(parseNodeConfig({ ...base, rpc: { vhosts: ['*'] } }, '/').rpc.vhosts).toEqual(['*']);
  });

  it('reads CORS origins: scheme, host and port as a browser sends them, or "*"', () => {
    const cors = (list: unknown) => parseNodeConfig({ ...base, rpc: { cors: list } }, '/').rpc.cors;
    expect(cors(['https://App.example', 'http://localhost:5173'])).toEqual([
      'https://app.example',
      'http://localhost:5173',
    ]);
    expect(cors(['*'])).toEqual(['*']);
    for (const bad of ['app.example', 'https://app.example/', 'https://app.example/x', 'ftp://a.b'])
      expect(() => cors([bad])).toThrow(/^rpc\.cors\[0\]: .* is not an origin like/);
    expect(() => cors([])).toThrow(/^rpc\.cors: expected a non-empty list of origins/);
  });

  it('names the field of every mistake', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ ...base, rpc: { vhosts: 'localhost' } }, /^rpc\.vhosts: expected a non-empty list/],
      [{ ...base, rpc: { vhosts: [] } }, /^rpc\.vhosts: expected a non-empty list/],
      [
        { ...base, rpc: { vhosts: ['evil host'] } },
        /^rpc\.vhosts\[0\]: "evil host" is not a host name/,
      ],
      [{ ...base, rpc: { maxConnections: 0 } }, /^rpc\.maxConnections: expected an integer/],
      [{ ...base, rpc: { maxWebSocketConnections: 1.5 } }, /^rpc\.maxWebSocketConnections/],
    ];
    for (const [doc, re] of bad) {
      expect(() => parseNodeConfig(doc, '/')).toThrow(ConfigError);
      expect(() => parseNodeConfig(doc, '/')).toThrow(re);
    }
  });
});
