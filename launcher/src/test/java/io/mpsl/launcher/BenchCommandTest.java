package io.mpsl.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void shouldListTheJmhSuitesOfTheClassPath() throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = BenchCommand.run(new String[] {"jmh", "-l", "PlanSearchBenchmark"});
        } finally {
            System.setOut(out);
        }
        String listed = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc);
        assertTrue(listed.contains("io.mpsl.bench.tune.PlanSearchBenchmark.firstSearch"), listed);
        assertTrue(listed.contains("io.mpsl.bench.tune.PlanSearchBenchmark.search"), listed);
    }

    @Test
    void shouldNameTheSuitesWhenOneIsUnknown() {
        UsageException e = assertThrows(UsageException.class, () -> BenchCommand.run(new String[] {"nope"}));
        assertTrue(e.getMessage().contains("jmh") && e.getMessage().contains("tune-search"), e.getMessage());
    }
}
