package dev.modelship.optimizer.cli;

import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.BuildSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine;

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
            System.out.println(BuildSummary.failed(BuildReason.INVALID_ARGUMENTS, ex.getMessage(), null).toJson());
            return BuildReason.INVALID_ARGUMENTS.exitCode();
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"modelship-optimizer " + dev.modelship.optimizer.artifact.OptimizerBuild.description()};
        }
    }
}
