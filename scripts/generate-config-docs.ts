/**
 * `npm run docs:config`: writes `.env.example` and `docs/configuration.md` from
 * the variable table (src/config/table.ts).
 */
import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc, renderEnvExample } from '../src/config/docs.js';

writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample());
writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigurationDoc());
process.stdout.write('wrote .env.example and docs/configuration.md\n');
