// The Python frame unwinder behind task stacks (see taskThreads.ts), loaded into gdb once.
// While a task is switched on, the carrier vCPU's innermost frame that gdb asks it about
// (level 0 in every stop seen; an unwinder gdb asks first could take that one) unwinds to the
// task's saved context; gdb's DWARF unwinding does the rest. Off, it declines every frame.
// The task's saved pc is left in $_kernel_qemu_task_pc: the task's frames start at the first
// frame with that pc.
export const TASK_UNWINDER_PYTHON = `
import gdb
from gdb.unwinder import Unwinder, register_unwinder

class _KernelQemuFrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc

class _KernelQemuTaskUnwinder(Unwinder):
    def __init__(self):
        super().__init__("kernel-qemu-task")
        self.saved = None
        self.level = None
        # What happened since the last switch, for the adapter's error when a stack is wrong.
        self.events = []

    def __call__(self, pending):
        if self.saved is None:
            return None
        self.events.append("asked at level %d" % pending.level())
        if self.level is None:
            self.level = pending.level()
        if pending.level() != self.level:
            return None
        try:
            # The carrier frame gets the lowest stack address, so every task frame is outer to it.
            info = pending.create_unwind_info(_KernelQemuFrameId(gdb.Value(0), pending.read_register("pc")))
            for name, value in self.saved.items():
                info.add_saved_register(name, gdb.Value(value).cast(pending.read_register(name).type))
        except Exception as error:
            self.events.append("failed: %s" % error)
            raise
        self.events.append("took level %d" % pending.level())
        return info

_kernel_qemu_unwinder = _KernelQemuTaskUnwinder()
register_unwinder(None, _kernel_qemu_unwinder, replace=True)

def _kernel_qemu_switch(saved, pc=0):
    _kernel_qemu_unwinder.saved = saved
    _kernel_qemu_unwinder.level = None
    if saved is not None:
        _kernel_qemu_unwinder.events = []
    gdb.set_convenience_variable("_kernel_qemu_task_pc", pc)
    gdb.invalidate_cached_frames()

def kernel_qemu_task_on_x86_64(task):
    sp = int(gdb.parse_and_eval("((struct task_struct *)%d)->thread.sp" % task))
    frame = gdb.parse_and_eval("*(struct inactive_task_frame *)%d" % sp)
    size = int(gdb.parse_and_eval("sizeof(struct inactive_task_frame)"))
    saved = {"rip": int(frame["ret_addr"]), "rsp": sp + size, "rbp": int(frame["bp"])}
    for name in ("bx", "r12", "r13", "r14", "r15"):
        saved["rbx" if name == "bx" else name] = int(frame[name])
    _kernel_qemu_switch(saved, saved["rip"])

def kernel_qemu_task_on_aarch64(task):
    context = gdb.parse_and_eval("((struct task_struct *)%d)->thread.cpu_context" % task)
    saved = {"x%d" % n: int(context["x%d" % n]) for n in range(19, 29)}
    saved.update({"x29": int(context["fp"]), "sp": int(context["sp"]), "pc": int(context["pc"])})
    _kernel_qemu_switch(saved, saved["pc"])

def kernel_qemu_task_events():
    print("; ".join(_kernel_qemu_unwinder.events) or "never asked")

def kernel_qemu_task_off():
    _kernel_qemu_switch(None)
`;
