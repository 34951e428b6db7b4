import { readdirSync, readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics, pipelineMetrics, registerAlertGauges, registerCoverageGauges } from '@khoa/hub';

// Every Grafana panel must chart something the hub really exports, or it stays empty forever.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = resolve(root, 'dashboards/grafana/dashboards');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

async function exportedNames(): Promise<Set<string>> {
  const m = createMetrics({ connectedClients: () => 0 });
  pipelineMetrics(m.registry);
  // Gauges read from the database at scrape time; their names are what matters here.
  registerAlertGauges(m.registry, async () => []);
  registerCoverageGauges(m.registry, async () => []);
  const names = new Set<string>();
  for (const metric of await m.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
  }
  return names;
}

interface Panel {
  title: string;
  datasource: { uid: string };
  targets: Array<{ expr: string }>;
}

describe('Grafana dashboards', () => {
  it('exist and are provisioned from the folder compose mounts', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
    const provider = parse(readFileSync(resolve(root, 'dashboards/grafana/provisioning/dashboards/khoa.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    expect(provider.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
    const ds = parse(readFileSync(resolve(root, 'dashboards/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string }> };
    for (const f of files) {
      const d = JSON.parse(readFileSync(resolve(dir, f), 'utf8')) as { panels: Panel[] };
      for (const p of d.panels) expect(p.datasource.uid, `${f}: ${p.title}`).toBe(ds.datasources[0]!.uid);
    }
  });

  it.each(files)('%s: every panel query names only metrics the hub exports', async (file) => {
    const names = await exportedNames();
    const d = JSON.parse(readFileSync(resolve(dir, file), 'utf8')) as { uid: string; panels: Panel[] };
    expect(d.uid).toMatch(/^khoa-/);
    expect(d.panels.length).toBeGreaterThan(3);
    for (const p of d.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) {
        const used = t.expr.match(/\bkhoa_[a-z0-9_]+/g) ?? [];
        expect(used.length, `${p.title}: names no khoa metric`).toBeGreaterThan(0);
        for (const name of used) expect(names.has(name), `${file} "${p.title}" uses ${name}, which the hub does not export`).toBe(true);
      }
    }
  });
});
