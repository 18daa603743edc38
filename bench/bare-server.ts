// The reference server for bench/throughput.ts and bench/memory.ts: a bare Fastify app (no
// signature, no database) answering POST / with the JSON object in the file named by argv[2]
// (a real DescribeCertificates answer), serialized on every request as certport does.
//   node dist/bench/bare-server.js <body.json> <port>
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as object;
const app = Fastify({ logger: false });
app.post('/', async () => body);
app.get('/healthz', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: Number(process.argv[3]) });
const stop = () => { void app.close().then(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
