// The accelerator of a launch: the probe's choice, or the error that ends the launch when
// KVM was asked for by name and does not run guests here.
import { chooseAccel, type AccelChoice } from '../qemu/accel';
import { HOST_ARCH, kvmDeviceUsable, type ResolvedLaunch } from './configCheck';
import { launchErrors } from './launchErrors';

export async function launchAccel(config: ResolvedLaunch): Promise<AccelChoice> {
  const choice = await chooseAccel({
    accel: config.accel,
    arch: config.arch,
    qemuPath: config.qemuPath,
    kernel: config.kernel,
    hostArch: HOST_ARCH,
    kvmDevice: kvmDeviceUsable,
  });
  if (choice.unusable) {
    throw launchErrors.kvmNotRunning(choice.unusable);
  }
  return choice;
}
