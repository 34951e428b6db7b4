import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs on CI machines, so the compose file is checked by reading it.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
const envExample = readFileSync(resolve(root, '.env.example'), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; target?: string };
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  profiles?: string[];
}

const services = Object.entries(compose.services);

describe('docker-compose.yml', () => {
  it('has the parts DESIGN.md names', () => {
    for (const name of ['hub', 'household', 'postgres', 'mqtt', 'prometheus', 'grafana']) expect(compose.services[name], name).toBeDefined();
    expect(compose.services.postgres?.profiles).toContain('scale-out');
  });

  it.each(services)('%s: pinned image or a build target that exists, and a healthcheck', (_name, s) => {
    if (s.build) {
      expect(dockerfile).toMatch(new RegExp(`^FROM .+ AS ${s.build.target}$`, 'm'));
    } else {
      expect(s.image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(s.image).not.toMatch(/:latest$/);
    }
    expect(s.healthcheck?.test.length).toBeGreaterThan(1);
  });

  it('depends only on services that exist, and waits for their health', () => {
    for (const [, s] of services) {
      for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], dep).toBeDefined();
        expect(cond.condition).toBe('service_healthy');
      }
    }
  });

  it('declares every named volume and every bind-mounted repository file exists', () => {
    for (const [, s] of services) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./')) {
          // deploy/ holds files made at provisioning time (credentials): never committed.
          if (!source.startsWith('./deploy/')) expect(existsSync(resolve(root, source)), source).toBe(true);
        } else {
          expect(compose.volumes, source).toHaveProperty(source);
        }
      }
    }
  });

  it('publishes no port twice on the host', () => {
    const hostPorts = services.flatMap(([, s]) => (s.ports ?? []).map((p) => p.split(':')[0]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('has no default secrets: every password comes from .env and must be set', () => {
    const raw = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');
    const secretRefs = [...raw.matchAll(/\$\{(\w*(?:PASSWORD|SECRET|TOKEN)\w*)(:?[?-])?[^}]*\}/g)];
    expect(secretRefs.length).toBeGreaterThan(0);
    for (const [, name, op] of secretRefs) {
      expect(op, `${name} must use :? so compose refuses to start without it`).toBe(':?');
      expect(envExample).toMatch(new RegExp(`^${name}=$`, 'm'));
    }
    for (const [, s] of services) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN/.test(key)) expect(String(value)).toMatch(/^\$\{\w+:\?/);
      }
    }
  });
});

describe('Dockerfile', () => {
  it('is multi-stage and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^USER khoa$/m);
    expect(dockerfile).not.toMatch(/^USER root$/m);
  });
});
