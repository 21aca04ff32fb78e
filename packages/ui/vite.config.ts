import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The api-server builds this app on start (packages/server/src/api/ui/build.ts) and serves it at `/`.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { sourcemap: false, chunkSizeWarningLimit: 2000, reportCompressedSize: false },
  worker: { format: 'es' },
});
