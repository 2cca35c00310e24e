import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configKeys } from '../src/kernel/config.js';
import { configSchema } from '../src/config.schema.js';
import { YOUNG_GENERATION_FLAG } from '../src/kernel/node-flags.js';
import { META_TARGETS, MODULES } from '../src/modules.js';

/**
 * deploy/ is code too: every manifest parses, and the invariants an operator relies on hold
 * (resources, probes, non-root, selectors that select, metrics that exist). The compose
 * files are also checked by `docker-compose config` in .ci/run.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEPLOY = path.join(ROOT, 'deploy');

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(dir, f));
}

function load(file: string): Doc[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'), { merge: true });
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Doc).filter(Boolean);
}

const K8S = path.join(DEPLOY, 'k8s/base');
const manifests = () =>
  yamlFiles(K8S).flatMap((f) => load(f).map((doc) => ({ file: path.basename(f), doc })));
const allWorkloads = () =>
  manifests().filter(({ doc }) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(doc.kind));
/** MyChat's own workloads (coturn, the TURN server for calls, is not MyChat's image). */
const workloads = () =>
  allWorkloads().filter(({ doc }) => doc.metadata.labels['app.kubernetes.io/name'] === 'mychat');
const podLabels = () =>
  workloads().map(({ doc }) => doc.spec.template.metadata.labels as Record<string, string>);
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Metric names the server registers (prom-client `name:`), plus the default process metrics. */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const src = path.join(ROOT, 'packages/server/src');
  for (const f of fs.readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
    for (const m of fs.readFileSync(path.join(src, f), 'utf8').matchAll(/name: '(mychat_[a-z0-9_]+)'/g))
      names.add(m[1]!);
  }
  return names;
}

describe('deploy/', () => {
  it('every YAML file parses', () => {
    const files = yamlFiles(DEPLOY);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(() => load(f), f).not.toThrow();
  });

  it('kustomization lists every manifest in its directory, and each exists', () => {
    const [k] = load(path.join(K8S, 'kustomization.yaml'));
    const listed = (k!.resources as string[]).sort();
    const present = fs
      .readdirSync(K8S)
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .sort();
    expect(listed).toEqual(present);
  });

  it('every workload has resources, probes, a non-root security context and a known target', () => {
    const targets = new Set([...Object.keys(MODULES), ...Object.keys(META_TARGETS)]);
    expect(workloads().length).toBeGreaterThanOrEqual(4);
    for (const { file, doc } of workloads()) {
      const pod = doc.spec.template.spec;
      expect(pod.securityContext?.runAsNonRoot, file).toBe(true);
      expect(doc.spec.selector.matchLabels, file).toEqual(
        expect.objectContaining({ 'app.kubernetes.io/component': expect.any(String) }),
      );
      expect(selects(doc.spec.selector.matchLabels, doc.spec.template.metadata.labels), file).toBe(true);
      for (const c of pod.containers as Doc[]) {
        const where = `${file}/${c.name}`;
        expect(c.resources?.requests?.cpu, where).toBeDefined();
        expect(c.resources?.requests?.memory, where).toBeDefined();
        expect(c.resources?.limits?.memory, where).toBeDefined();
        expect(c.livenessProbe?.httpGet?.path, where).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path, where).toBe('/readyz');
        expect(c.securityContext?.runAsNonRoot, where).toBe(true);
        expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        expect(c.securityContext?.runAsUser, where).not.toBe(0);
        const target = /--target=([\w,-]+)/.exec([...(c.command ?? []), ...(c.args ?? [])].join(' '))?.[1];
        for (const t of (target ?? '').split(',')) expect(targets.has(t), `${where}: target ${t}`).toBe(true);
        for (const ref of (c.envFrom ?? []) as Doc[]) {
          const name = ref.configMapRef?.name ?? ref.secretRef?.name;
          const kind = ref.configMapRef ? 'ConfigMap' : 'Secret';
          expect(
            manifests().some(({ doc: d }) => d.kind === kind && d.metadata.name === name),
            `${where}: ${kind} ${name}`,
          ).toBe(true);
        }
      }
    }
  });

  it('coturn runs with the TURN REST secret from mychat-secrets, non-root, with resources and probes', () => {
    const turn = allWorkloads().filter(
      ({ doc }) => doc.metadata.labels['app.kubernetes.io/name'] === 'coturn',
    );
    expect(turn).toHaveLength(1);
    const pod = turn[0]!.doc.spec.template.spec;
    const [c] = pod.containers as Doc[];
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c!.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c!.resources.limits.memory).toBeDefined();
    expect(c!.livenessProbe.tcpSocket.port).toBe(3478);
    expect(c!.args).toEqual(
      expect.arrayContaining(['--use-auth-secret', '--static-auth-secret=$(MYCHAT_CALLS_TURN_SECRET)']),
    );
    const secret = manifests().find(
      ({ doc }) => doc.kind === 'Secret' && doc.metadata.name === 'mychat-secrets',
    );
    expect(secret!.doc.stringData).toHaveProperty('MYCHAT_CALLS_TURN_SECRET');
    for (const f of ['all-in-one.yaml', 'split.yaml'])
      expect(fs.readFileSync(path.join(DEPLOY, 'compose', f), 'utf8'), f).toMatch(/--use-auth-secret/);
  });

  it('each StatefulSet mints nodeIds from its own base, so no two replicas of any two services share one', () => {
    const bases = workloads()
      .filter(({ doc }) => doc.kind === 'StatefulSet')
      .flatMap(({ file, doc }) => {
        const text = JSON.stringify(doc.spec.template.spec.containers);
        return [...text.matchAll(/MYCHAT_NODE_ID=\$\(\((\d+) \+/g)].map((m) => ({
          file,
          base: Number(m[1]),
        }));
      });
    expect(bases.length).toBeGreaterThanOrEqual(5);
    // Bases 100 apart (room for 100 replicas each), all below the 1 024 nodeIds there are; the
    // operator's console (one replica, a few at most) has the last 20, from 1000.
    const room = (file: string) => (file === 'admin.yaml' ? 20 : 100);
    const sorted = [...bases].sort((a, b) => a.base - b.base);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]!.base - sorted[i - 1]!.base, JSON.stringify(bases)).toBeGreaterThanOrEqual(
        room(sorted[i - 1]!.file),
      );
    expect(sorted.at(-1)!.base + room(sorted.at(-1)!.file)).toBeLessThanOrEqual(1023);
  });

  it('Services, PodDisruptionBudgets and the HPA point at workloads that exist', () => {
    const labels = podLabels();
    const all = manifests();
    for (const { file, doc } of all.filter(({ doc }) => doc.kind === 'Service'))
      expect(
        labels.some((l) => selects(doc.spec.selector, l)),
        `${file}: Service ${doc.metadata.name}`,
      ).toBe(true);
    for (const { file, doc } of all.filter(({ doc }) => doc.kind === 'PodDisruptionBudget'))
      expect(
        labels.some((l) => selects(doc.spec.selector.matchLabels, l)),
        `${file}: PDB`,
      ).toBe(true);
    const hpas = all.filter(({ doc }) => doc.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map(({ doc }) => doc.spec.scaleTargetRef.name)).toEqual(['gateway']);
    for (const { doc } of hpas) {
      const ref = doc.spec.scaleTargetRef;
      expect(all.some(({ doc: d }) => d.kind === ref.kind && d.metadata.name === ref.name)).toBe(true);
    }
    // Every service that serves internal gRPC has a Service with a grpc port, and a PDB.
    for (const name of META_TARGETS.all!.filter((n) => n !== 'gateway')) {
      const svc = all.find(({ doc }) => doc.kind === 'Service' && doc.metadata.name === name);
      expect(svc, `Service ${name}`).toBeDefined();
      if (MODULES[name].deps.includes('rpc-server'))
        expect((svc!.doc.spec.ports as Doc[]).map((p) => p.port)).toContain(8081);
    }
  });

  it('the NetworkPolicy denies by default and opens internal gRPC only to MyChat pods', () => {
    const policies = manifests()
      .filter(({ doc }) => doc.kind === 'NetworkPolicy')
      .map(({ doc }) => doc);
    const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0);
    expect(deny?.spec.policyTypes).toEqual(['Ingress']);
    expect(deny?.spec.ingress).toBeUndefined();
    for (const p of policies)
      for (const rule of (p.spec.ingress ?? []) as Doc[])
        if ((rule.ports as Doc[]).some((x) => x.port === 'grpc' || x.port === 8081))
          expect(rule.from, `${p.metadata.name} opens gRPC to everyone`).toEqual([
            { podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'mychat' } } },
          ]);
    // Only gateways are open to anyone, and only on http.
    const open = policies.filter((p) => (p.spec.ingress ?? []).some((r: Doc) => !r.from));
    expect(open.map((p) => p.spec.podSelector.matchLabels)).toEqual([
      { 'app.kubernetes.io/component': 'gateway' },
    ]);
  });

  it('ConfigMaps and compose files set only config keys that exist', () => {
    const known = new Set(configKeys(configSchema).map((k) => k.env));
    const used: string[] = [];
    for (const { doc } of manifests().filter(({ doc }) => doc.kind === 'ConfigMap' || doc.kind === 'Secret'))
      used.push(...Object.keys(doc.data ?? doc.stringData ?? {}).filter((k) => k.startsWith('MYCHAT_')));
    for (const f of yamlFiles(path.join(DEPLOY, 'compose')))
      used.push(...(fs.readFileSync(f, 'utf8').match(/\bMYCHAT_[A-Z0-9_]+(?=:)/g) ?? []));
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((k) => !known.has(k))).toEqual([]);
  });

  it('the split compose file runs two gateways and every service, and publishes no internal port', () => {
    const [compose] = load(path.join(DEPLOY, 'compose/split.yaml'));
    const services = compose!.services as Record<string, Doc>;
    const targetOf = (s: Doc) => /--target=([\w,-]+)/.exec((s.command ?? []).join(' '))?.[1];
    const mychat = Object.entries(services).filter(([, s]) => s.image === 'mychat:latest');
    expect(mychat.filter(([, s]) => targetOf(s) === 'gateway')).toHaveLength(2);
    for (const t of META_TARGETS.all!.filter((n) => n !== 'gateway'))
      expect(
        mychat.some(([, s]) => targetOf(s) === t),
        t,
      ).toBe(true);
    for (const [name, s] of mychat) expect(s.ports, `${name} publishes a port`).toBeUndefined();
    for (const infra of ['mysql', 'redis', 'minio', 'prometheus', 'grafana', 'nginx'])
      expect(services[infra], infra).toBeDefined();
    const nodeIds = mychat.map(([, s]) => s.environment.MYCHAT_NODE_ID);
    expect(new Set(nodeIds).size).toBe(nodeIds.length);
    // A resumed upload may reach either gateway: both keep unfinished uploads on one volume,
    // mounted where the default media.resumableDir puts them (the image creates it for node).
    const tusMounts = mychat
      .filter(([, s]) => targetOf(s) === 'gateway')
      .map(([, s]) => (s.volumes as string[] | undefined)?.find((v) => v.endsWith(':/data/tus')));
    expect(tusMounts[0]).toMatch(/^[\w-]+:\/data\/tus$/);
    expect(new Set(tusMounts).size).toBe(1);
    expect(compose!.volumes).toHaveProperty(tusMounts[0]!.split(':')[0]!);
    expect(fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8')).toMatch(
      /mkdir -p \/data\/tus && chown -R node:node \/data/,
    );
  });

  it('the Grafana dashboard and Prometheus config use metrics the server exports', () => {
    const exported = exportedMetrics();
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(DEPLOY, 'grafana/dashboards/mychat.json'), 'utf8'),
    );
    const exprs: string[] = dashboard.panels.flatMap((p: Doc) => p.targets.map((t: Doc) => t.expr));
    const titles = dashboard.panels.map((p: Doc) => p.title.toLowerCase()).join(' | ');
    for (const word of ['connections', 'messages', 'p99', 'errors']) expect(titles).toContain(word);
    for (const e of exprs)
      for (const [m] of e.matchAll(/mychat_[a-z0-9_]+/g)) {
        const base = m.replace(/_(bucket|count|sum)$/, '');
        const known = exported.has(base) || /^mychat_(process|nodejs)_/.test(base);
        expect(known, `${m} in the dashboard is not exported`).toBe(true);
      }
    const [prom] = load(path.join(DEPLOY, 'prometheus/prometheus.yml'));
    expect((prom!.scrape_configs as Doc[]).every((s) => s.metrics_path === '/metrics')).toBe(true);
  });

  it('message-carrying processes start with the young generation of node-flags.ts, gateways without', () => {
    const flag = YOUNG_GENERATION_FLAG;
    const docker = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(docker).toContain(`NODE_OPTIONS=${flag}`);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toContain(`node ${flag} packages/server/dist/main.js serve`);
    const [compose] = load(path.join(DEPLOY, 'compose/split.yaml'));
    for (const [name, s] of Object.entries(compose!.services as Record<string, Doc>)) {
      if (s.image !== 'mychat:latest') continue;
      const gateway = (s.command ?? []).join(' ').includes('--target=gateway');
      expect(s.environment.NODE_OPTIONS, name).toBe(gateway ? '' : undefined);
    }
    for (const { doc, file } of workloads()) {
      const [c] = doc.spec.template.spec.containers as Doc[];
      const gateway = [...(c!.args ?? []), ...(c!.command ?? [])].join(' ').includes('--target=gateway');
      const nodeOptions = (c!.env ?? []).find((e: Doc) => e.name === 'NODE_OPTIONS');
      expect(nodeOptions?.value, file).toBe(gateway ? '' : undefined);
    }
  });

  it('the Dockerfile builds on Node 22, runs as a non-root user and checks /healthz', () => {
    const docker = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(docker).toMatch(/^ARG NODE_IMAGE=node:22[\w.-]*$/m);
    expect(docker.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(docker).toMatch(/npm prune --omit=dev/);
    expect(docker).toMatch(/rebuild better-sqlite3/);
    expect(fs.existsSync(path.join(ROOT, '.dockerignore'))).toBe(true);
  });
});

describe('install', () => {
  it('every locked package runs on the Node versions the README promises, so npm ci warns of none', async () => {
    const semver = await import('semver');
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string }; os?: string[] }>;
    };
    // The README's "20.19+ or 22 LTS" (22.13 and later are the LTS releases of that line).
    const promised = ['20.19.0', '22.13.0'];
    // Binaries for other systems (sharp for win32, ...) are never installed here.
    const installable = (os?: string[]) => !os || os.includes(process.platform);
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => p.engines?.node && installable(p.os))
      .flatMap(([name, p]) =>
        promised
          .filter((v) => !semver.satisfies(v, p.engines!.node!))
          .map((v) => `${name}@${p.version} wants node ${p.engines!.node} (not ${v})`),
      );
    expect(refusing).toEqual([]);
  });
});
