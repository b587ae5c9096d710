// Benchmark runner (lab layer): boots the guest and runs the IPVS load benchmark in a director namespace.
import { startLab } from '../src/lab/lab.js';
import { findCheckout } from '../src/lab/guest.js';

const [services = '2000', dests = '10', runs = '3'] = process.argv.slice(2);

async function run(): Promise<void> {
  const checkout = findCheckout();
  process.stdout.write(`booting the lab for the IPVS load benchmark (${services} services x ${dests} real servers, ${runs} runs each)\n`);
  const lab = await startLab({ hosts: [{ name: 'director', role: 'director', addresses: ['192.168.56.121/24'] }] }, { modules: ['ip_vs_wrr'], memMb: 2048 });
  try {
    const r = await lab.exec('director', `sh ${checkout}/bench/ipvs-load.sh ${checkout} ${Number(services)} ${Number(dests)} ${Number(runs)}`, { timeoutMs: 3_000_000 });
    process.stdout.write(r.stderr);
    process.stdout.write(r.stdout);
    if (r.code !== 0 || /BENCH-FAIL/.test(r.stdout)) process.exitCode = 1;
  } finally {
    await lab.stop();
  }
}

run().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
