/**
 * One complete login as alice against a running stack (the Docker Compose one):
 * `tsx scripts/smoke-login.ts <bridge URL> <CommBox login URL>`. Exit 0 when the
 * browser lands on the CommBox sandbox, signed in, with a ticket it accepts once.
 */
import { Browser, dispatcher } from '../test/helpers/browser.js';
import { signInWithForm } from '../test/helpers/stack.js';

const [bridge = 'http://localhost:3000', commboxLogin = 'http://localhost:4001/login'] = process.argv.slice(2);
const b = new Browser();
const r = await signInWithForm(b, `${bridge}/login`, 'alice', commboxLogin);
let ok = false;
if (r.stoppedAt) {
  const landing = await b.fetch(r.stoppedAt);
  const again = await b.fetch(r.stoppedAt);
  ok = landing.status === 200 && /signed in as alice/.test(landing.body) && again.status === 401;
  console.log(
    `login: ${r.hops.length} hops, landed ${landing.status} (${ok ? 'signed in as alice' : 'unexpected page'}), ticket reused: ${again.status}`,
  );
} else {
  console.log(`login failed: ${r.last.status} at ${r.last.url}\n${r.last.body.slice(0, 500)}`);
}
await dispatcher.close();
process.exit(ok ? 0 : 1);
