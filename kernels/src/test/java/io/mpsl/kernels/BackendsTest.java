package io.mpsl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.openblas.OpenBlasBackendProvider;
import io.mpsl.kernels.vector.VectorBackendProvider;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackendsTest {

    @Test
    void shouldFallBackToVectorWhenOpenBlasDoesNotLoadAndSayWhy() {
        List<BackendProvider> candidates = List.of(new OpenBlasBackendProvider(Path.of("/nonexistent")),
                new VectorBackendProvider());
        Backends.Choice c = Backends.choose(candidates, null);
        System.out.println(c.message());
        assertEquals("vector", c.provider().name());
        assertTrue(c.message().startsWith("Using backend vector (openblas unavailable: "), c.message());
        assertTrue(c.message().contains("/nonexistent"), c.message());
    }

    @Test
    void shouldRefuseAForcedProviderThatCannotRun() {
        List<BackendProvider> candidates = List.of(new OpenBlasBackendProvider(Path.of("/nonexistent")),
                new VectorBackendProvider());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Backends.choose(candidates, "openblas"));
        assertTrue(e.getMessage().contains("/nonexistent"), e.getMessage());
        assertEquals("vector", Backends.choose(candidates, "VECTOR").provider().name());
    }

    @Test
    void shouldListVectorAndOpenBlasProvidersBestFirst() {
        List<String> names = Backends.providers().stream().map(BackendProvider::name).toList();
        assertTrue(names.indexOf("openblas") < names.indexOf("vector") && names.indexOf("vector") >= 0, names.toString());
    }
}
