/**
 * Indexes one folder in this process and prints {maxRssMB, seconds, instances} as JSON:
 * the peak resident memory of the indexer, for bench:index.
 */
import { courierHome, createServices } from '../../electron/services.ts';
import { indexPath } from '../../electron/library/indexer.ts';

const services = createServices(courierHome());
const t = performance.now();
const summary = await indexPath(services.db, services.library, process.argv[2]);
const seconds = (performance.now() - t) / 1000;
await services.close();
console.log(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024, seconds, instances: summary.instances }));
