// The fake Cloudflare API's zone listing and rate limit, seen through the official TypeScript SDK
// (package "cloudflare", pinned in package.json). Run by test/sdk/run.sh:
//     node test/sdk/zones.mjs http://127.0.0.1:PORT TOKEN
// Prints one "ok"/"not ok" line per check and exits 1 if any check failed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Cloudflare from 'cloudflare';

const [fake, token] = process.argv.slice(2);
if (!fake || !token) {
  console.error('usage: node test/sdk/zones.mjs http://127.0.0.1:PORT TOKEN');
  process.exit(2);
}
const ACCOUNTS = [
  { id: '0a000000000000000000000000000001', name: 'Alpha Account' },
  { id: '0b000000000000000000000000000002', name: 'Beta Account' },
];
const COUNT = 137;

let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
  if (!ok) {
    failures += 1;
    if (detail !== undefined) console.log(`    ${JSON.stringify(detail).slice(0, 400)}`);
  }
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function control(method, path, body) {
  const resp = await fetch(fake + path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!resp.ok) throw new Error(`${method} ${path}: ${resp.status} ${await resp.text()}`);
  return resp.json();
}

function client(options = {}) {
  // Only the token: credentials from the environment must not take part.
  return new Cloudflare({
    baseURL: fake + '/client/v4', apiToken: token, apiKey: null, apiEmail: null,
    userServiceKey: null, ...options,
  });
}

async function walk(cf, params) {
  const ids = [];
  for await (const zone of cf.zones.list(params)) ids.push(zone.id);
  return ids;
}

// The fields the SDK's Zone type declares as always present (read from the installed SDK).
function requiredZoneFields() {
  const require = createRequire(import.meta.url);
  const sdk = dirname(require.resolve('cloudflare'));
  const dts = readFileSync(join(sdk, 'resources', 'zones', 'zones.d.ts'), 'utf8');
  const body = dts.slice(dts.indexOf('export interface Zone {'));
  const block = body.slice(0, body.indexOf('\n}'));
  return [...block.matchAll(/^ {4}(\w+): /gm)].map((m) => m[1]);
}

// Seed COUNT zones, alternately in the two accounts, every tenth one pending, in shuffled order.
const zones = [];
for (let i = 0; i < COUNT; i++) {
  zones.push({
    id: (0x5eed0000 + i).toString(16).padStart(32, '0'),
    name: `site-${String(i).padStart(3, '0')}.example`,
    status: i % 10 === 0 ? 'pending' : 'active',
    account: ACCOUNTS[i % 2],
  });
}
const byName = zones.map((z) => z.id);  // built in name order
const shuffled = [...zones];
for (let i = shuffled.length - 1, seed = 7; i > 0; i--) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  const j = seed % (i + 1);
  [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
}
await control('POST', '/__fake/reset');
await control('PUT', '/__fake/zones', shuffled);

const cf = client();

// 1. Auto-pagination walks to the end and yields exactly the seeded zones, in name order.
for (const perPage of [undefined, 7, 20, 50]) {
  await control('DELETE', '/__fake/requests');
  const ids = await walk(cf, perPage === undefined ? {} : { per_page: perPage });
  const pages = Math.ceil(COUNT / (perPage ?? 20));
  check(same(ids, byName), `walk with per_page=${perPage ?? 'default'} yields all ${COUNT} zones in order`,
    { got: ids.length });
  const log = await control('GET', '/__fake/requests');
  // The SDK asks for the page after every non-empty one, so it ends on one empty page.
  check(log.length === pages + 1 && log.every((e) => e.status === 200 && e.path === '/client/v4/zones'),
    `  ... in ${pages} pages plus one empty page`, log.map((e) => `${e.status} ${e.query}`));
}

// 2. Filtered walks.
const subset = (pred) => zones.filter(pred).map((z) => z.id);
const filtered = [
  [{ account: { id: ACCOUNTS[1].id }, per_page: 5 }, subset((z) => z.account === ACCOUNTS[1])],
  [{ account: { name: 'alpha account' } }, subset((z) => z.account === ACCOUNTS[0])],
  [{ name: 'site-042.example' }, subset((z) => z.name === 'site-042.example')],
  [{ name: 'contains:-04', per_page: 5 }, subset((z) => z.name.includes('-04'))],
  [{ name: 'starts_with:site-1', per_page: 50 }, subset((z) => z.name.startsWith('site-1'))],
  [{ status: 'pending', per_page: 5 }, subset((z) => z.status === 'pending')],
  [{ account: { id: ACCOUNTS[0].id }, status: 'active' },
    subset((z) => z.account === ACCOUNTS[0] && z.status === 'active')],
  [{ name: 'nothing.example' }, []],
];
for (const [params, want] of filtered) {
  const ids = await walk(cf, params);
  check(same(ids, want), `filtered walk ${JSON.stringify(params)} yields the ${want.length} expected`,
    { got: ids.length });
}

// 3. The zone objects carry every field the SDK's Zone type requires.
const required = requiredZoneFields();
const page = await cf.zones.list({ per_page: 5 });
const missing = page.result.flatMap((z) => required.filter((f) => !(f in z)));
check(required.length >= 10 && missing.length === 0,
  `zones have the SDK's ${required.length} required fields`, { required, missing });
check(page.result_info.per_page === 5 && page.result_info.total_count === COUNT
  && page.result_info.total_pages === Math.ceil(COUNT / 5), 'result_info as the SDK reads it',
page.result_info);
const one = page.result[0];
check(one.account.id === ACCOUNTS[0].id && one.account.name === ACCOUNTS[0].name
  && one.plan.legacy_id === 'free' && one.status === 'pending', 'account, plan and status',
{ account: one.account, plan: one.plan, status: one.status });

// 4. The rate limit: without retries the SDK surfaces a RateLimitError carrying code 971 ...
await control('POST', '/__fake/rate_limit', { requests: 3, seconds: 1 });
const noRetry = client({ maxRetries: 0 });
for (let i = 0; i < 3; i++) await noRetry.zones.list({ per_page: 5 });
try {
  await noRetry.zones.list({ per_page: 5 });
  check(false, 'the 4th request in a second is refused');
} catch (err) {
  check(err instanceof Cloudflare.RateLimitError && err.status === 429,
    'the 4th request in a second is refused: RateLimitError, status 429', String(err));
  check(err.errors?.[0]?.code === 971, 'the error carries code 971', err.errors);
  check(err.headers?.get('retry-after') === '1', 'Retry-After: 1', err.headers?.get('retry-after'));
}

// ... and with its default retries it waits as told and walks to the end anyway.
await control('POST', '/__fake/rate_limit', { requests: 10, seconds: 1 });
await control('DELETE', '/__fake/requests');
const started = Date.now();
const ids = await walk(cf, { per_page: 5 });
const seconds = (Date.now() - started) / 1000;
const log = await control('GET', '/__fake/requests');
const refused = log.filter((e) => e.status === 429).length;
check(same(ids, byName), `a rate-limited walk (10 requests/s) still yields all ${COUNT} zones`,
  { got: ids.length });
check(refused > 0 && log.length === Math.ceil(COUNT / 5) + 1 + refused,
  `  ... the SDK retried after ${refused} refusals; ${seconds.toFixed(1)} s in all`,
  log.map((e) => e.status));
await control('DELETE', '/__fake/rate_limit');

console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
