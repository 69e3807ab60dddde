import { MemoryBackend } from '../../src/backend/MemoryBackend.js';
import { switchboardBackendContract } from './switchboardBackendContract.js';

switchboardBackendContract('memory', async () => {
  const backend = new MemoryBackend();
  return { nodes: [backend], cleanup: () => backend.close() };
});
