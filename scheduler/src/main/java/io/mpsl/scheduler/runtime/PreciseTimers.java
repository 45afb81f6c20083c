package io.mpsl.scheduler.runtime;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Sets the calling thread's timer slack to 1 ns (Linux {@code prctl(PR_SET_TIMERSLACK)}), so that its timed
 * waits end when asked rather than up to the kernel's default 50 us later. An emulated link delivers at a
 * computed time and an emulated slow device pads its steps to a computed end; with the default slack every
 * such wake-up came late by tens of microseconds, a delay the emulated network and devices do not have. Elsewhere
 * (no such call), nothing changes.
 */
@SuppressWarnings("restricted") // one downcall into the C library, looked up once
final class PreciseTimers {
    private static final int PR_SET_TIMERSLACK = 29;
    private static final MethodHandle PRCTL = lookup();

    private PreciseTimers() {
    }

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("prctl").map(a -> linker.downcallHandle(a,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                    Linker.Option.firstVariadicArg(1))).orElse(null);
        } catch (RuntimeException | LinkageError e) { // native access not enabled, or no C library: keep the slack
            return null;
        }
    }

    /** Gives the calling thread a 1 ns timer slack; whether that took effect. */
    static boolean apply() {
        if (PRCTL == null) {
            return false;
        }
        try {
            return (int) PRCTL.invokeExact(PR_SET_TIMERSLACK, 1L) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
