package io.mpsl.scheduler.tune;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The plan search's compiler directive: well-formed, accepted by this JVM, and naming methods that exist. */
class SearchCompilationTest {
    @Test
    void everyMethodItNamesExists() throws Exception {
        for (String pattern : SearchCompilation.C1_ONLY) {
            int dot = pattern.lastIndexOf('.');
            String cls = pattern.substring(0, dot).replace('/', '.');
            String method = pattern.substring(dot + 1);
            if (cls.endsWith("*")) { // a package's classes: the package must hold the search
                assertTrue(cls.equals("io.mpsl.scheduler.tune.*"), pattern);
                Class.forName("io.mpsl.scheduler.tune.PlanSearch");
                continue;
            }
            Class<?> c = Class.forName(cls);
            assertTrue(Arrays.stream(c.getDeclaredMethods()).anyMatch(m -> m.getName().equals(method)),
                    pattern + ": no method " + method + " in " + cls + " (renamed? the directive would match nothing)");
        }
    }

    @Test
    void thisJvmTakesItAndPrintsItBack() {
        String before = SearchCompilation.printed();
        assertFalse(before.contains("PipelineSimulator.participant"), before);
        assertTrue(SearchCompilation.install(), "HotSpot's Compiler.directives_add refused " + SearchCompilation.directive());
        try {
            assertTrue(SearchCompilation.install(), "a second install is a no-op");
            String after = SearchCompilation.printed();
            // C2 excluded, C1 not: the c2 block of the directive says Exclude:true, the c1 block Exclude:false
            int c2 = after.indexOf("c2 directives:");
            assertTrue(c2 > 0 && after.indexOf("Exclude:true", c2) > 0, after);
            assertTrue(after.indexOf("Exclude:false", after.indexOf("c1 directives:")) < c2, after);
            for (String m : new String[] {"PipelineSimulator.participant", "PipelineSimulator.prepare", "tune/*"}) {
                assertTrue(after.contains(m.replace('/', '.')) || after.contains(m), m + " not among " + after);
            }
        } finally {
            SearchCompilation.uninstallForTests();
        }
        assertFalse(SearchCompilation.printed().contains("PipelineSimulator.participant"));
    }
}
