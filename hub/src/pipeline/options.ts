/** Frames per second the pipeline analyses per camera by default (the CLI samples at this rate). */
export const defaultPipelineRate = 5;
