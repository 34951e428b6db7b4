import type { Registry } from 'prom-client';
import type { CameraProvider, CameraSink } from './cameras.ts';
import type { Logger } from './log.ts';

/**
 * The cameras of the config file (`AgentConfig.cameras`), run by the camera side's
 * `CameraManager` (camera/). Imported lazily: a household with only locks never loads sharp,
 * ffmpeg or ONVIF code. Entries the camera schema refuses are logged by the manager and left
 * out; the others run.
 */
export async function configuredCameras(entries: readonly unknown[], opts: { log: Logger; registry: Registry }): Promise<CameraProvider> {
  const { CameraManager } = await import('./camera/index.ts');
  // The manager takes its sink when built; the agent hands over its own at start.
  let target: CameraSink | null = null;
  const manager = new CameraManager({
    cameras: entries,
    logger: opts.log.child({ part: 'camera' }),
    registry: opts.registry,
    sink: {
      publishFrame: (id, header, jpeg) => {
        target?.publishFrame(id, header, jpeg);
      },
      publishCameraState: (id, msg) => target?.publishCameraState(id, msg),
    },
  });
  // ONVIF make, model and stream size are known only once the camera has been read: register again.
  manager.on('camera_info', () => target?.announce());
  return {
    cameras: () => manager.describe(),
    async start(sink) {
      target = sink;
      manager.start();
    },
    snapshot: (cameraId) => manager.snapshot(cameraId),
    async stop() {
      await manager.stop();
      target = null;
    },
  };
}
