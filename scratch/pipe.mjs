import { TcpChanger, MembershipServer } from '../dist/index.js';
const server = new MembershipServer();
const address = await server.listen(0, '127.0.0.1');
(async () => { let n = 0; for await (const r of server.requests) r.done(null, ++n); })();
const changer = new TcpChanger({ address: '127.0.0.1:7002' });
await changer.join('n2', address, 5000);
for (const depth of [1, 64]) {
let done = 0; const end = performance.now() + 3000;
async function worker() { while (performance.now() < end) { await changer.join('n2', address, 5000); done++; } }
await Promise.all(Array.from({ length: depth }, worker));
console.log('depth', depth, 'req/s', done / 3);
}
changer.close(); await server.close();
