/**
 * Builds the web app into dist/web, which the node serves (src/node/web-app.ts). The audit runs
 * the chain's own election code (src/election) in the browser; its keccak is the node's
 * WebAssembly one, swapped here for @noble/hashes (same digests, no top-level await or
 * process.env).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const browserKeccak = fileURLToPath(new URL('./src/keccak.ts', import.meta.url));
const nodeKeccak = fileURLToPath(new URL('../src/crypto/keccak.ts', import.meta.url));

function nodeKeccakToBrowser(): Plugin {
  return {
    name: 'etm-browser-keccak',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!source.endsWith('/keccak.js') || importer === undefined) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved?.id === nodeKeccak ? browserKeccak : null;
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [nodeKeccakToBrowser()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  logLevel: 'warn',
});
