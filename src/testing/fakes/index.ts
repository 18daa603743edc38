// In-memory stores for unit tests of the services: each implements its port from
// domain/stores.ts over one shared MemoryDb, as the SQL stores share one database.
// contract.test.ts runs the same assertions against these and the SQLite stores.
import { FakeCertificateStore } from './certificates.js';
import { FakeDeployStore } from './deployments.js';
import { FakeDvOrderStore } from './dv-orders.js';
import { FakeHostingStore } from './hosting.js';
import { FakeJobStore } from './jobs.js';
import { MemoryDb } from './memory.js';
import { FakeOperationLogStore } from './operation-log.js';
import { FakePaidOrderStore } from './paid-orders.js';
import { FakeProjectStore } from './projects.js';

export { MemoryDb, FakeCertificateStore, FakeDeployStore, FakeDvOrderStore, FakeHostingStore, FakeJobStore, FakeOperationLogStore, FakePaidOrderStore, FakeProjectStore };

export interface FakeStores {
  /** The state itself, to seed or inspect. */
  db: MemoryDb;
  certificates: FakeCertificateStore;
  projects: FakeProjectStore;
  operationLog: FakeOperationLogStore;
  dvOrders: FakeDvOrderStore;
  paidOrders: FakePaidOrderStore;
  jobs: FakeJobStore;
  deployments: FakeDeployStore;
  hosting: FakeHostingStore;
}

export function fakeStores(db = new MemoryDb()): FakeStores {
  return {
    db,
    certificates: new FakeCertificateStore(db),
    projects: new FakeProjectStore(db),
    operationLog: new FakeOperationLogStore(db),
    dvOrders: new FakeDvOrderStore(db),
    paidOrders: new FakePaidOrderStore(db),
    jobs: new FakeJobStore(db),
    deployments: new FakeDeployStore(db),
    hosting: new FakeHostingStore(db),
  };
}
