package dev.modelship.optimizer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code modelship-optimizer optimize|pull ...}; exit codes are listed in {@link OptimizeCommand} and {@link PullCommand}. */
@Command(name = "modelship-optimizer", mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Fetch, convert, optimize and validate a model; write a content-addressed artifact.",
        subcommands = {OptimizeCommand.class, PullCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // A flag error still ends with a summary line, like every other outcome.
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println(ex.getMessage());
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            System.out.println(dev.modelship.optimizer.Summary.failed(
                    dev.modelship.optimizer.OptimizerException.usage(ex.getMessage())).toJson());
            return dev.modelship.optimizer.OptimizerException.Kind.USAGE.exitCode;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"modelship-optimizer " + dev.modelship.optimizer.Optimizer.VERSION};
        }
    }
}
