package io.mpsl.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TrainCommandTest {

    @Test
    void shouldRejectBadArgumentsWithUsage() {
        UsageException e = assertThrows(UsageException.class, () -> TrainCommand.run(new String[] {"--model", "alexnet",
            "--dataset", "mnist", "--epochs", "1"}));
        assertTrue(e.getMessage().startsWith("unknown model 'alexnet'; one of [mlp, lenet5"), e.getMessage());
        e = assertThrows(UsageException.class, () -> TrainCommand.run(new String[] {"--model", "mlp", "--dataset",
            "svhn", "--epochs", "1"}));
        assertEquals("--dataset svhn is not one of [mnist, fashion-mnist, cifar10]", e.getMessage());
        e = assertThrows(UsageException.class, () -> TrainCommand.run(new String[] {"--model", "mlp", "--dataset",
            "mnist"}));
        assertTrue(e.getMessage().startsWith("--epochs is required"), e.getMessage());
        e = assertThrows(UsageException.class, () -> TrainCommand.run(new String[] {"--model", "mlp", "--dataset",
            "mnist", "--epochs", "1", "--optimizer", "rmsprop"}));
        assertEquals("--optimizer rmsprop is not one of [sgd, adam]", e.getMessage());
        e = assertThrows(UsageException.class, () -> TrainCommand.run(new String[] {"--model", "mlp", "--dataset",
            "mnist", "--epochs", "1", "--lr", "0"}));
        assertTrue(e.getMessage().contains("learning rate 0.0 must be positive"), e.getMessage());
    }

    @Test
    void shouldExitWithUsageCodeThroughMain() {
        assertEquals(2, Main.run(new String[] {"train", "--model", "mlp"}));
        assertEquals(2, Main.run(new String[] {"data", "fetch", "cifar10"}));
        assertEquals(2, Main.run(new String[] {"data", "fetch"}));
    }
}
