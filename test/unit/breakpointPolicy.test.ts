// Breakpoint placement policy against a scripted gdb: hardware while booting or under KVM,
// software after boot, the hardware slot budget and what the user is told when it is spent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BreakpointService } from '../../src/adapter/breakpoints';
import { arm64DebugLimits, HardwareSlots, slotLimits } from '../../src/adapter/hardwareSlots';
import { SourceMapper } from '../../src/adapter/sourceMap';
import { MiConnection } from '../../src/mi/connection';

/** A gdb that accepts every breakpoint and records the commands it got. */
function scriptedGdb(): { connection: MiConnection; commands: string[] } {
  const commands: string[] = [];
  let number = 0;
  const connection: MiConnection = new MiConnection((line) => {
    const token = /^\d+/.exec(line)![0];
    const command = line.slice(token.length);
    commands.push(command);
    const reply = command.startsWith('-break-insert')
      ? `${token}^done,bkpt={number="${++number}",type="${command.includes(' -h ') ? 'hw breakpoint' : 'breakpoint'}` +
        `",addr="0xffffffff81000${number}00",func="f",line="10"}`
      : command.startsWith('-break-watch')
        ? `${token}^done,wpt={number="${++number}",exp="jiffies"}`
        : `${token}^done`;
    setImmediate(() => connection.handleLine(reply));
  });
  return { connection, commands };
}

const noSources = new SourceMapper({}, undefined);

test('while the kernel boots breakpoints go in hardware; after start_kernel they are re-placed in software', async () => {
  const { connection, commands } = scriptedGdb();
  const service = new BreakpointService(connection, noSources, {
    alwaysHardware: false,
    slots: new HardwareSlots(undefined),
    booting: true,
  });
  const [bp] = await service.setFunctionBreakpoints([{ name: 'do_sys_openat2' }]);
  assert.match(commands.at(-1)!, /^-break-insert -h -- "do_sys_openat2"/);
  assert.match(bp!.message ?? '', /hardware breakpoint while the kernel boots/);
  const changed = await service.leaveBootPhase();
  assert.equal(changed.length, 1);
  assert.match(commands.at(-1)!, /^-break-insert -- "do_sys_openat2"/);
  assert.equal(changed[0]!.message, undefined);
});

test('under KVM (alwaysHardware) every breakpoint stays in hardware, also after boot', async () => {
  const { connection, commands } = scriptedGdb();
  const slots = new HardwareSlots(slotLimits({ arch: 'x86_64', accel: 'kvm', userLimit: 0 }));
  const service = new BreakpointService(connection, noSources, { alwaysHardware: true, slots, booting: true });
  await service.setFunctionBreakpoints([{ name: 'a' }]);
  await service.leaveBootPhase();
  await service.setFunctionBreakpoints([{ name: 'a' }, { name: 'b' }]);
  assert.ok(commands.filter((command) => command.startsWith('-break-insert')).every((command) => command.includes(' -h ')));
});

test('x86_64 under KVM has four shared slots; the fifth breakpoint is refused with the reason', async () => {
  const { connection } = scriptedGdb();
  const slots = new HardwareSlots(slotLimits({ arch: 'x86_64', accel: 'kvm', userLimit: 0 }));
  const service = new BreakpointService(connection, noSources, { alwaysHardware: true, slots, booting: false });
  await service.setDataBreakpoints([{ dataId: 'jiffies', accessType: 'write' }]);
  const placed = await service.setFunctionBreakpoints(['a', 'b', 'c', 'd'].map((name) => ({ name })));
  assert.deepEqual(
    placed.map((bp) => bp.verified),
    [true, true, true, false],
  );
  assert.match(
    placed[3]!.message ?? '',
    /All 4 hardware breakpoint\/watchpoint slots are in use \(3 breakpoints and 1 watchpoints; x86_64 has 4 debug address registers\)/,
  );
  // Removing one frees its slot for the refused one.
  const again = await service.setFunctionBreakpoints(['b', 'c', 'd'].map((name) => ({ name })));
  assert.deepEqual(
    again.map((bp) => bp.verified),
    [true, true, true],
  );
});

test('out of slots while booting, a breakpoint waits and is placed in software after start_kernel', async () => {
  const { connection } = scriptedGdb();
  const slots = new HardwareSlots(slotLimits({ arch: 'x86_64', accel: 'tcg', userLimit: 1 }));
  const service = new BreakpointService(connection, noSources, { alwaysHardware: false, slots, booting: true });
  const placed = await service.setFunctionBreakpoints([{ name: 'a' }, { name: 'b' }]);
  assert.deepEqual(
    placed.map((bp) => bp.verified),
    [true, false],
  );
  assert.match(placed[1]!.message ?? '', /placed as a software breakpoint once the kernel has booted/);
  const changed = await service.leaveBootPhase();
  assert.ok(changed.every((bp) => bp.verified));
  assert.equal(slots.inUse('breakpoint'), 0, 'software breakpoints hold no slot');
});

test('unchanged breakpoints are not re-sent to gdb; removed ones are deleted', async () => {
  const { connection, commands } = scriptedGdb();
  const service = new BreakpointService(connection, noSources, {
    alwaysHardware: false,
    slots: new HardwareSlots(undefined),
    booting: false,
  });
  await service.setSourceBreakpoints('/src/fs/open.c', [{ line: 10 }, { line: 20, condition: 'x > 1' }]);
  commands.length = 0;
  const second = await service.setSourceBreakpoints('/src/fs/open.c', [{ line: 20, condition: 'x > 1' }, { line: 30 }]);
  assert.deepEqual(commands, ['-break-delete 1', '-break-insert -- "/src/fs/open.c:30"']);
  assert.deepEqual(
    second.map((bp) => bp.verified),
    [true, true],
  );
});

test('arm64 debug features: BRPs and WRPs from ID_AA64DFR0_EL1; TCG has no binding budget', () => {
  assert.deepEqual(arm64DebugLimits(0x10305109n), { breakpoints: 6, watchpoints: 4 });
  assert.equal(slotLimits({ arch: 'aarch64', accel: 'tcg', userLimit: 0 }), undefined);
  assert.deepEqual(slotLimits({ arch: 'aarch64', accel: 'kvm', userLimit: 0, idAa64dfr0: 0x10305109n }), {
    breakpoints: 6,
    watchpoints: 4,
    shared: false,
    origin: 'as ID_AA64DFR0_EL1 reports',
  });
});
