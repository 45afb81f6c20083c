package io.mpsl.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeTest {

    @Test
    void shouldComputeSizesFromDimensions() {
        Shape s = Shape.of(8, 3, 28, 28);
        assertEquals(4, s.rank());
        assertEquals(8L * 3 * 28 * 28, s.size());
        assertEquals(8L * 3 * 28 * 28 * 4, s.byteSize());
        assertEquals(3L * 28 * 28, s.innerSize());
        assertEquals(28, s.dim(-1));
        assertEquals(3, s.dim(1));
    }

    @Test
    void shouldTreatEmptyShapeAsScalarAndZeroDimensionAsEmpty() {
        assertEquals(1, Shape.of().size());
        assertEquals(0, Shape.of().rank());
        assertEquals(0, Shape.of(0, 5).size());
        assertEquals(0, Shape.of(0, 5).innerSize());
    }

    @Test
    void shouldCompareByDimensions() {
        assertEquals(Shape.of(2, 3), Shape.of(2, 3));
        assertEquals(Shape.of(2, 3).hashCode(), Shape.of(2, 3).hashCode());
        assertNotEquals(Shape.of(2, 3), Shape.of(3, 2));
        assertNotEquals(Shape.of(6), Shape.of(6, 1));
    }

    @Test
    void shouldReplaceOnlyTheBatchAxis() {
        Shape s = Shape.of(32, 10);
        assertEquals(Shape.of(8, 10), s.withBatch(8));
        assertEquals(Shape.of(32, 10), s, "withBatch must not change the original");
    }

    @Test
    void shouldRejectBatchOfScalar() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of().withBatch(2));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }

    @Test
    void shouldRejectNegativeDimensions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        assertTrue(e.getMessage().contains("negative dimension -1 at axis 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(4).withBatch(-3));
    }

    @Test
    void shouldRejectSizeOverflow() {
        assertThrows(ArithmeticException.class, () -> Shape.of(Integer.MAX_VALUE, Integer.MAX_VALUE, 4));
    }

    @Test
    void shouldNotShareDimensionArrays() {
        int[] dims = {2, 3};
        Shape s = Shape.of(dims);
        dims[0] = 7;
        assertEquals(2, s.dim(0));
        s.dims()[1] = 9;
        assertArrayEquals(new int[] {2, 3}, s.dims());
    }

    @Test
    void shouldPrintLikePython() {
        assertEquals("(2, 3)", Shape.of(2, 3).toString());
        assertEquals("(5,)", Shape.of(5).toString());
        assertEquals("()", Shape.of().toString());
    }
}
