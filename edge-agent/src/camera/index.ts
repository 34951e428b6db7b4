/** The camera side of the edge agent: what the agent core uses. */
export { CameraManager, type CameraManagerOptions, type CameraManagerEvents } from './camera-manager.ts';
export type { CameraSink, CameraLogger } from './sink.ts';
export type { CameraSource, CameraFrame, SourceStatus, SourceState } from './types.ts';
export { createCameraSource } from './source-factory.ts';
export { probeOnvif, readOnvifCamera, type DiscoveredCamera, type OnvifCameraDetails, type OnvifTarget } from './onvif/onvif-client.ts';
export { chooseProfile, type OnvifProfileInfo } from './onvif/profile-choice.ts';
export { liveCaptureProcesses } from './capture/ffmpeg-capture.ts';
export { MotionGate, type GateDecision } from './gate/motion-gate.ts';
