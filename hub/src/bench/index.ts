import type { Bench } from './types.ts';
import { brokerBench } from './broker.ts';
import { pipelineBench } from './pipeline.ts';
import { scaleOutBench } from './scale-out.ts';

/** Every benchmark `khoa bench` (and `npm run bench`) runs, in order. One line each. */
export const benches: Bench[] = [brokerBench, pipelineBench, scaleOutBench];
