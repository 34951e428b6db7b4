import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';

/**
 * The pipeline's Prometheus metrics, registered in the registry the hub passes (its
 * /metrics registry) or prom-client's default one. Asking twice for the same registry
 * returns the same metrics, so several pipelines (tests, bench) can share it.
 */
export function pipelineMetrics(registry: Registry = defaultRegistry) {
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
  return {
    stageSeconds:
      existing<Histogram<'stage'>>('khoa_pipeline_stage_seconds') ??
      new Histogram({
        name: 'khoa_pipeline_stage_seconds',
        help: 'time per frame in each pipeline stage (queue, decode, motion, detect, infer, track, snapshot, total)',
        labelNames: ['stage'] as const,
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers: [registry],
      }),
    frames:
      existing<Counter<'result'>>('khoa_pipeline_frames_total') ??
      new Counter({
        name: 'khoa_pipeline_frames_total',
        help: 'frames offered to the pipeline, by outcome (analysed, superseded by a newer frame, stale, invalid, failed, stopped)',
        labelNames: ['result'] as const,
        registers: [registry],
      }),
    alerts:
      existing<Counter>('khoa_pipeline_person_alerts_total') ??
      new Counter({ name: 'khoa_pipeline_person_alerts_total', help: 'confirmed person tracks that raised an alert', registers: [registry] }),
    cameras:
      existing<Gauge>('khoa_pipeline_cameras') ??
      new Gauge({ name: 'khoa_pipeline_cameras', help: 'cameras the pipeline holds state for', registers: [registry] }),
    workerRestarts:
      existing<Counter>('khoa_pipeline_worker_restarts_total') ??
      new Counter({ name: 'khoa_pipeline_worker_restarts_total', help: 'pipeline workers that died and were restarted', registers: [registry] }),
  };
}

export type PipelineMetrics = ReturnType<typeof pipelineMetrics>;
