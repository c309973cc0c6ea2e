// Builds the browser app into dist/ (ONNX Runtime's WASM file becomes a hashed asset, loaded by the annotator only)
// with a gzip copy of every text and WASM asset: the server sends those to browsers that accept gzip.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

function gzipAssets(): Plugin {
  return {
    name: 'segkit-gzip',
    apply: 'build',
    closeBundle() {
      const out = join(import.meta.dirname, 'dist');
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((f) => {
          const p = join(dir, f);
          return statSync(p).isDirectory() ? walk(p) : [p];
        });
      for (const p of walk(out))
        if (/\.(js|mjs|css|html|wasm|svg)$/.test(p))
          writeFileSync(`${p}.gz`, gzipSync(readFileSync(p), { level: 9 }));
    },
  };
}

export default defineConfig({
  plugins: [react(), gzipAssets()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  // The decoder worker imports ONNX Runtime dynamically (WebGPU or WebAssembly), so it is an ES module worker.
  worker: { format: 'es' },
  server: {
    proxy: { '/api': 'http://127.0.0.1:7860' },
    // As `segkit serve` does: cross-origin isolated, so that the decoder's WebAssembly threads have SharedArrayBuffer.
    headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
  },
});
