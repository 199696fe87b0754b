import path from 'node:path';
import t from 'tap';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { runStorageContract } from './storage-contract.js';

runStorageContract(t, async (t) => {
  const filename = path.join(t.testdir(), 'hrl.sqlite');
  const opened: Storage[] = [await openStorage({ filename })];
  t.teardown(async () => {
    for (const storage of opened) await storage.close();
  });
  return {
    storage: opened[0]!,
    async reopen() {
      const again = await openStorage({ filename });
      opened.push(again);
      return again;
    }
  };
});
