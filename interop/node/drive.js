// Drives a running `conform serve` with Alibaba Cloud's official Node.js
// SDKs: the generated @alicloud/elasticsearch20170613 client in both of its
// signature schemes (ACS3-HMAC-SHA256, the default, and ROA 1.0 "v2"), and
// the classic @alicloud/pop-core ROAClient. One JSON line per case on
// stdout: {"client", "case", "ok", "detail"}; exit 1 when a case failed.
//
// Usage: node drive.js '<JSON config>' with endpoint (http://HOST:PORT),
// keyId, secret, control (conform serve's --control-token), and the
// instances to use: dest, source, activating, missing, other (another
// account's).
'use strict';

const Elasticsearch = require('@alicloud/elasticsearch20170613').default;
const models = require('@alicloud/elasticsearch20170613');
const OpenApi = require('@alicloud/openapi-core');
const ROAClient = require('@alicloud/pop-core').ROAClient;

const cfg = JSON.parse(process.argv[2]);
const url = new URL(cfg.endpoint);
let failed = false;

function report(client, name, ok, detail) {
  if (!ok) failed = true;
  process.stdout.write(JSON.stringify({ client, case: name, ok, detail: String(detail || '') }) + '\n');
}

function esClient(signatureAlgorithm, secret, keyId) {
  const c = new OpenApi.$OpenApiUtil.Config({
    accessKeyId: keyId || cfg.keyId,
    accessKeySecret: secret || cfg.secret,
    endpoint: url.host, // host:port, as the SDK wants it
    protocol: 'http', // every operation defaults to HTTPS
    regionId: 'cn-hangzhou',
    readTimeout: 10000,
    connectTimeout: 5000,
  });
  if (signatureAlgorithm) c.signatureAlgorithm = signatureAlgorithm;
  return new Elasticsearch(c);
}

// es is one scheme of the generated client, as a small table of operations.
function es(signatureAlgorithm) {
  const make = (secret, keyId) => {
    const c = esClient(signatureAlgorithm, secret, keyId);
    return {
      add: (dest, source) => c.addSnapshotRepo(dest, new models.AddSnapshotRepoRequest({ body: JSON.stringify({ repoPath: source }) })).then((r) => r.body),
      list: (dest) => c.listSnapshotReposByInstanceId(dest).then((r) => r.body),
      del: (dest, source) => c.deleteSnapshotRepo(dest, new models.DeleteSnapshotRepoRequest({ repoPath: source, clientToken: 'conform-' + Date.now() + Math.random() })).then((r) => r.body),
      delEmptyToken: (dest, source) => c.deleteSnapshotRepo(dest, new models.DeleteSnapshotRepoRequest({ repoPath: source, clientToken: '' })).then((r) => r.body),
      describe: (id) => c.describeInstance(id).then((r) => r.body),
      alternatives: (dest) => c.listAlternativeSnapshotRepos(dest, new models.ListAlternativeSnapshotReposRequest({ alreadySetItems: false })).then((r) => r.body),
      listInstance: (filter) => c.listInstance(new models.ListInstanceRequest(Object.assign({ page: 1, size: 100 }, filter))).then((r) => r.body),
      regions: () => c.describeRegions().then((r) => r.body),
    };
  };
  return { make, typed: true };
}

// pop is the classic ROAClient: requests by hand, answers as plain JSON.
function pop() {
  const make = (secret, keyId) => {
    const c = new ROAClient({ accessKeyId: keyId || cfg.keyId, accessKeySecret: secret || cfg.secret, endpoint: cfg.endpoint, apiVersion: '2017-06-13' });
    const opts = { timeout: 10000 };
    const path = (id, tail) => `/openapi/instances/${encodeURIComponent(id)}${tail ? '/' + tail : ''}`;
    return {
      add: (dest, source) => c.request('POST', path(dest, 'snapshot-repos'), {}, JSON.stringify({ repoPath: source }), { 'content-type': 'application/json' }, opts),
      list: (dest) => c.request('GET', path(dest, 'snapshot-repos'), {}, '', {}, opts),
      del: (dest, source) => c.request('DELETE', path(dest, 'snapshot-repos'), { repoPath: source, clientToken: 'conform-' + Date.now() }, '', {}, opts),
      delEmptyToken: (dest, source) => c.request('DELETE', path(dest, 'snapshot-repos'), { repoPath: source, clientToken: '' }, '', {}, opts),
      describe: (id) => c.request('GET', path(id), {}, '', {}, opts),
      alternatives: (dest) => c.request('GET', path(dest, 'alternative-snapshot-repos'), { alreadySetItems: 'false' }, '', {}, opts),
      listInstance: (filter) => c.request('GET', '/openapi/instances', Object.assign({ page: '1', size: '100' }, filter), '', {}, opts),
      regions: () => c.request('GET', '/openapi/regions', {}, '', {}, opts),
    };
  };
  return { make, typed: false };
}

// field reads a field the way each client names it: the generated models
// use camelCase (requestId, result), the raw JSON the wire's names.
function field(obj, camel, wire) {
  if (obj == null) return undefined;
  return obj[camel] !== undefined ? obj[camel] : obj[wire];
}

async function refused(name, client, call, status, code, message) {
  try {
    const got = await call();
    report(client, name, false, 'answered success: ' + JSON.stringify(got));
  } catch (err) {
    const requestId = err.requestId || (err.data && err.data.RequestId) || (err.result && err.result.RequestId) || '';
    const msg = String(err.message || '');
    const ok = err.statusCode === status && err.code === code && (!message || msg.includes(message)) && requestId !== '';
    report(client, name, ok, `status ${err.statusCode} code ${err.code} requestId ${requestId} message ${msg}`);
  }
}

async function run(clientName, { make, typed }) {
  const c = make();
  const step = async (name, fn) => {
    try {
      const detail = await fn();
      report(clientName, name, true, detail);
    } catch (err) {
      report(clientName, name, false, `${err.name}: ${err.message}${err.code ? ' code ' + err.code : ''}`);
    }
  };
  const must = (cond, what) => {
    if (!cond) throw new Error(what);
  };

  await step('add, list, delete', async () => {
    const added = await c.add(cfg.dest, cfg.source);
    must(field(added, 'result', 'Result') === true, 'AddSnapshotRepo Result is not true: ' + JSON.stringify(added));
    must(field(added, 'requestId', 'RequestId'), 'no RequestId');
    const listed = await c.list(cfg.dest);
    const repos = field(listed, 'result', 'Result') || [];
    must(repos.some((r) => field(r, 'repoPath', 'repoPath') === cfg.source), 'not listed after add: ' + JSON.stringify(listed));
    const deleted = await c.del(cfg.dest, cfg.source);
    must(field(deleted, 'result', 'Result') !== undefined, 'DeleteSnapshotRepo without Result: ' + JSON.stringify(deleted));
    const after = field(await c.list(cfg.dest), 'result', 'Result') || [];
    must(!after.some((r) => field(r, 'repoPath', 'repoPath') === cfg.source), 'still listed after delete');
    return `added, listed, deleted ${cfg.source} on ${cfg.dest}`;
  });

  await refused('InstanceNotFound', clientName, () => c.add(cfg.missing, cfg.source), 400, 'InstanceNotFound', 'The instanceId provided does not exist.');
  await refused('InstanceActivating', clientName, () => c.add(cfg.activating, cfg.source), 400, 'InstanceActivating', 'Instance is activating.');
  await refused('wrong secret', clientName, () => make(cfg.secret + '-wrong').list(cfg.dest), 400, 'SignatureDoesNotMatch');
  await refused('unknown AccessKey', clientName, () => make('x', 'LTAI5tConformNodeNobody').list(cfg.dest), 404, 'InvalidAccessKeyId.NotFound');

  // conform serve's control API (docs/testing.md): a destination that is
  // activating becomes active by itself, as a cluster does.
  await step('activating, then active after a transition', async () => {
    const ctl = async (method, path, body) => {
      const r = await fetch(cfg.endpoint + '/_conform/' + path, {
        method, headers: { authorization: 'Bearer ' + cfg.control, 'content-type': 'application/json' }, body: body && JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    await ctl('POST', 'transitions', { instance: cfg.activating, status: 'active', after: '300ms' });
    let first = '';
    try {
      await c.add(cfg.activating, cfg.source);
    } catch (err) {
      first = err.code;
    }
    must(first === 'InstanceActivating', 'before the transition: ' + first);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const added = await c.add(cfg.activating, cfg.source);
    must(field(added, 'result', 'Result') === true, 'not added after the transition: ' + JSON.stringify(added));
    await c.del(cfg.activating, cfg.source);
    await ctl('PUT', 'instances/' + cfg.activating, { status: 'activating' });
    return 'InstanceActivating, then added once the transition came';
  });

  await step('DescribeInstance', async () => {
    const d = await c.describe(cfg.dest);
    const r = field(d, 'result', 'Result');
    if (typed) must(d instanceof models.DescribeInstanceResponseBody, 'not parsed into DescribeInstanceResponseBody');
    must(r && field(r, 'instanceId', 'instanceId') === cfg.dest && field(r, 'esVersion', 'esVersion') === cfg.destVersion,
      'wrong instance: ' + JSON.stringify(d));
    return `${field(r, 'instanceId', 'instanceId')} ${field(r, 'esVersion', 'esVersion')} ${field(r, 'status', 'status')}`;
  });
  await step('ListAlternativeSnapshotRepos', async () => {
    const a = await c.alternatives(cfg.dest);
    if (typed) must(a instanceof models.ListAlternativeSnapshotReposResponseBody, 'not parsed into ListAlternativeSnapshotReposResponseBody');
    const offered = (field(a, 'result', 'Result') || []).map((r) => field(r, 'instanceId', 'instanceId'));
    must(offered.includes(cfg.source), `${cfg.source} not offered: ${JSON.stringify(a)}`);
    return `${offered.length} offered`;
  });
  // A description holding '=' is an ordinary filter; whether it matches
  // the destination is the implementation's business, only the answer and
  // the tenant's boundary are checked.
  for (const [name, filter, listsDest] of [
    ['ListInstance', {}, true],
    ['ListInstance with an empty description filter', { description: '' }, true],
    ['ListInstance with a description holding =', { description: 'team=search' }, false],
  ]) {
    await step(name, async () => {
      const l = await c.listInstance(filter);
      if (typed) must(l instanceof models.ListInstanceResponseBody, 'not parsed into ListInstanceResponseBody');
      const ids = (field(l, 'result', 'Result') || []).map((r) => field(r, 'instanceId', 'instanceId'));
      must((ids.includes(cfg.dest) || !listsDest) && !ids.includes(cfg.other), 'wrong instances: ' + ids.join(','));
      return `${ids.length} instances`;
    });
  }
  await step('DescribeRegions', async () => {
    const r = await c.regions();
    if (typed) must(r instanceof models.DescribeRegionsResponseBody, 'not parsed into DescribeRegionsResponseBody');
    const ids = (field(r, 'result', 'Result') || []).map((x) => field(x, 'regionId', 'regionId'));
    must(ids.includes('cn-hangzhou'), 'cn-hangzhou missing: ' + JSON.stringify(r));
    return ids.join(',');
  });
}

// capture sends one AddSnapshotRepo and one DeleteSnapshotRepo with an
// empty clientToken through each client, to a server that records them:
// the Go tests compare conform's own dialects with these requests.
async function capture() {
  for (const [name, { make }] of [['node-v3', es()], ['node-v2', es('v2')], ['pop-core', pop()]]) {
    const c = make();
    process.stdout.write(JSON.stringify({ client: name, case: 'capture', ok: true, detail: '' }) + '\n');
    await c.add(cfg.dest, cfg.source);
    await c.delEmptyToken(cfg.dest, cfg.source);
  }
}

(async () => {
  if (cfg.capture) {
    await capture();
    process.exit(0);
  }
  await run('elasticsearch20170613 ACS3-HMAC-SHA256', es());
  await run('elasticsearch20170613 ROA 1.0 (v2)', es('v2'));
  await run('pop-core ROAClient', pop());
  process.exit(failed ? 1 : 0);
})().catch((err) => {
  report('driver', 'crashed', false, err.stack);
  process.exit(1);
});
