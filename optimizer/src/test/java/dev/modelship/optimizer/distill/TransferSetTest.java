package dev.modelship.optimizer.distill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.passes.PassRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the user's rows, holding some out, and sampling around them. */
class TransferSetTest {
    @TempDir
    Path tmp;

    private float[][] csv(String text) throws Exception {
        Path f = tmp.resolve("rows.csv");
        Files.writeString(f, text);
        return TransferSet.read(f, "s3://bucket/rows.csv");
    }

    @Test
    void csvRowsWithAHeaderAndMissingValuesAreRead() throws Exception {
        float[][] rows = csv("amount,age,score\n12.5,40,\n-3,NaN,0.25\n\n1e3,NA,7\n");
        assertThat(rows).hasDimensions(3, 3);
        assertThat(rows[0][0]).isEqualTo(12.5f);
        assertThat(rows[0][2]).isNaN();
        assertThat(rows[1][1]).isNaN();
        assertThat(rows[2]).containsExactly(1000f, Float.NaN, 7f);
    }

    @Test
    void csvProblemsNameTheLineAndWhatIsWrong() {
        assertThatThrownBy(() -> csv("1,2\n3,4,5\n")).isInstanceOf(OptimizerException.class)
                .hasMessageContaining("line 2 has 3 columns, the rows before it 2");
        assertThatThrownBy(() -> csv("1,2\n3,abc\n")).hasMessageContaining("line 2").hasMessageContaining("'abc'");
        assertThatThrownBy(() -> csv("a,b\n")).hasMessageContaining("holds 0 row(s)");
    }

    @Test
    void onlyNpyAndCsvAreTaken() throws Exception {
        Path f = tmp.resolve("rows.parquet");
        Files.writeString(f, "PAR1");
        assertThatThrownBy(() -> TransferSet.read(f, f.toString())).hasMessageContaining("give a .npy or .csv file");
    }

    @Test
    void aSeededShareIsHeldOutAndNoRowIsInBothParts() {
        float[][] rows = new float[100][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new float[] {i};
        }
        TransferSet a = TransferSet.named("rows.npy", null);
        a.split(rows, 64);
        assertThat(a.heldOut()).as("at most a fifth").hasNumberOfRows(20);
        assertThat(a.training()).hasNumberOfRows(80);
        Set<Float> seen = new HashSet<>();
        Arrays.stream(a.heldOut()).forEach(r -> seen.add(r[0]));
        Arrays.stream(a.training()).forEach(r -> assertThat(seen.add(r[0])).as("row %s once", r[0]).isTrue());
        TransferSet b = TransferSet.named("rows.npy", null);
        b.split(rows, 10);
        assertThat(b.heldOut()).hasNumberOfRows(10);
        TransferSet again = TransferSet.named("rows.npy", null);
        again.split(rows, 64);
        assertThat(again.heldOut()).as("the same rows on every run").isDeepEqualTo(a.heldOut());
        assertThatThrownBy(() -> TransferSet.named("rows.npy", null).split(Arrays.copyOf(rows, 4), 64))
                .hasMessageContaining("too few to hold any out");
    }

    @Test
    void rowsSampledAroundTheGivenOnesTakeEachValueFromTheSameColumn() {
        float[][] rows = {{1, 10, 100}, {2, 20, 200}, {3, 30, 300}};
        float[][] more = Distiller.sampleAround(rows, 1000, 1);
        assertThat(more).hasNumberOfRows(1000);
        assertThat(Arrays.copyOf(more, 3)).as("the given rows first").isDeepEqualTo(rows);
        Set<String> combinations = new HashSet<>();
        for (float[] r : more) {
            assertThat(r[0]).isIn(1f, 2f, 3f);
            assertThat(r[1]).isIn(10f, 20f, 30f);
            assertThat(r[2]).isIn(100f, 200f, 300f);
            combinations.add(Arrays.toString(r));
        }
        assertThat(combinations).as("new combinations, not copies").hasSizeGreaterThan(3);
    }

    @Test
    void theDistillPassChecksItsParametersAndNeedsATransferSet() {
        TransferSet data = TransferSet.named("rows.npy", null);
        assertThat(PassRegistry.resolve(List.of(PassSpec.parse("distill")), data).get(0).params())
                .containsEntry("family", "trees").containsEntry("trees", "50").containsEntry("depth", "6")
                .containsEntry("rows", "0");
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("distill")), null))
                .hasMessageContaining("needs a transfer set");
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("distill:trees=0")), data))
                .hasMessageContaining("trees=0 is outside [1, 10000]");
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("distill:trees=2.5")), data))
                .hasMessageContaining("not a whole number");
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("distill:family=linear,depth=3")), data))
                .hasMessageContaining("family=linear has no depth");
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("distill:family=forest")), data))
                .hasMessageContaining("family=forest is not one of trees, linear");
        assertThatThrownBy(() -> TransferSet.named("rows.npy", "abc")).hasMessageContaining("--data-sha256 must be");
        assertThatThrownBy(() -> TransferSet.named(null, "0".repeat(64))).hasMessageContaining("give --data too");
    }
}
