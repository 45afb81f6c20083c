package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.Test;

class TransportContextTest {
    private static TransportContext concluded(long maxMessageBytes) {
        TransportContext ctx = TransportTestSupport.context().maxMessageBytes(maxMessageBytes).conclude();
        ctx.close();
        return ctx;
    }

    private static TransportContext concluded(long maxMessageBytes, ThreadingMode mode) {
        TransportContext ctx = TransportTestSupport.context().maxMessageBytes(maxMessageBytes).threadingMode(mode).conclude();
        ctx.close();
        return ctx;
    }

    @Test
    void shouldSizeTermsFromTheLargestTensorWithinBoundsWithADriverThread() {
        assertEquals(4 << 20, concluded(64 << 10, ThreadingMode.SHARED).termBytes());
        assertEquals(4 << 20, concluded(1 << 20, ThreadingMode.SHARED).termBytes());
        assertEquals(16 << 20, concluded(8 << 20, ThreadingMode.DEDICATED).termBytes());
        assertEquals(16 << 20, concluded(64L << 20, ThreadingMode.SHARED_NETWORK).termBytes());
        TransportContext shared = TransportTestSupport.context().threadingMode(ThreadingMode.SHARED).conclude();
        shared.close();
        assertEquals(16 << 20, shared.ipcTermBytes());
        TransportContext ctx = concluded(64L << 20);
        assertTrue(ctx.receiverWindowBytes() <= ctx.socketBufferBytes());
        assertTrue(ctx.receiverWindowBytes() <= ctx.termBytes() / 2);
        assertEquals(65_344, ctx.chunkBytes());
        assertEquals(0, ctx.chunkBytes() % 64);
    }

    @Test
    void shouldUseShortCacheSizedLogsWithACooperativeDriver() {
        TransportContext ctx = TransportTestSupport.context().maxMessageBytes(64L << 20)
                .threadingMode(ThreadingMode.INVOKER).cooperativeDriver(true).conclude();
        ctx.close();
        assertEquals(TransportContext.DEFAULT_COOPERATIVE_TERM_BYTES, ctx.termBytes());
        assertEquals(TransportContext.DEFAULT_COOPERATIVE_TERM_BYTES / 2, ctx.receiverWindowBytes());
        assertEquals(TransportContext.DEFAULT_COOPERATIVE_IPC_TERM_BYTES, ctx.ipcTermBytes());
        assertEquals(TransportContext.DEFAULT_COOPERATIVE_IPC_MTU_BYTES, ctx.ipcMtuBytes());
        assertEquals(TransportContext.DEFAULT_MTU_BYTES, ctx.mtuBytes());
    }

    @Test
    void shouldChooseACooperativeDriverOnSmallMachinesAndAFreshFolder() {
        TransportContext a = concluded(1 << 20);
        TransportContext b = concluded(1 << 20);
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(cores <= 2 ? ThreadingMode.INVOKER : cores <= 4 ? ThreadingMode.SHARED_NETWORK : ThreadingMode.DEDICATED,
                a.threadingMode());
        assertEquals(cores <= 2, a.cooperativeDriver());
        assertEquals(cores <= 2 ? TransportContext.DEFAULT_COOPERATIVE_IPC_TERM_BYTES : TransportContext.DEFAULT_IPC_TERM_BYTES,
                a.ipcTermBytes());
        assertEquals(cores <= 2 ? TransportContext.DEFAULT_COOPERATIVE_TERM_BYTES : 4 << 20, a.termBytes());
        assertNotNull(a.aeronDirectoryName());
        assertTrue(!a.aeronDirectoryName().equals(b.aeronDirectoryName()), "two contexts share a driver folder");
    }

    @Test
    void shouldNameTheBadSettingWhenItCannotConclude() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TransportContext().runId(1).sessionToken(0).conclude());
        assertTrue(e.getMessage().contains("session token"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransportTestSupport.context().mtuBytes(1000).conclude());
        assertTrue(e.getMessage().contains("1000"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TransportTestSupport.context().maxMessageBytes(1 << 20).receiverMemoryBytes(1000).conclude());
        assertTrue(e.getMessage().contains("1000"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransportTestSupport.context().embeddedDriver(false).conclude());
        assertTrue(e.getMessage().contains("aeronDirectoryName"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransportTestSupport.context().termBytes(3 << 20).conclude());
        assertTrue(e.getMessage().contains(Integer.toString(3 << 20)), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TransportTestSupport.context().ipcTermBytes(128 << 10).conclude());
        assertTrue(e.getMessage().contains("eighth of a term"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TransportTestSupport.context().threadingMode(ThreadingMode.SHARED).cooperativeDriver(true).conclude());
        assertTrue(e.getMessage().contains("SHARED"), e.getMessage());
    }
}
