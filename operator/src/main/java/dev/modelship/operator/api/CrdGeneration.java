package dev.modelship.operator.api;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Build step, not part of the operator (exec-maven-plugin runs it at {@code process-classes}; the
 * jar leaves it out): writes the CRD of {@link ModelDeployment} to {@code META-INF/fabric8/} with
 * fabric8's {@link CRDGenerator}, as its Maven plugin would, plus one thing the plugin cannot do.
 * The columns of {@code kubectl get md} must come in the order the {@link AdditionalPrinterColumn}
 * annotations list them (READY first, AGE last), but the generator sorts them by jsonPath and has no
 * order attribute (fabric8io/kubernetes-client#7454); its post-processing hook, which its Maven
 * plugin does not expose, reorders them before the CRD is written.
 */
public final class CrdGeneration {

  private CrdGeneration() {}

  /** Arguments are ignored (exec:java may pass the command line's -Dexec.args); paths follow from the classpath. */
  public static void main(String[] args) throws Exception {
    Path classes = Path.of(ModelDeployment.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path out = Files.createDirectories(classes.resolve("META-INF").resolve("fabric8"));
    int written = new CRDGenerator()
        .customResourceClasses(ModelDeployment.class)
        .forCRDVersions("v1")
        .withPostProcessor(new CRDPostProcessor() {
          @Override
          public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
            orderPrinterColumns((CustomResourceDefinition) crd, declaredOrder(ModelDeployment.class));
            return crd;
          }
        })
        .inOutputDir(out.toFile())
        .generate();
    if (written != 1) {
      throw new IllegalStateException("expected one CRD for ModelDeployment, the generator wrote " + written);
    }
  }

  /** Column names in the order the annotations are written on the class. */
  static List<String> declaredOrder(Class<?> resource) {
    return Arrays.stream(resource.getAnnotationsByType(AdditionalPrinterColumn.class))
        .map(AdditionalPrinterColumn::name)
        .toList();
  }

  static void orderPrinterColumns(CustomResourceDefinition crd, List<String> order) {
    crd.getSpec().getVersions().forEach(version -> {
      List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
      if (columns != null) {
        columns.sort(Comparator.comparingInt(c -> order.indexOf(c.getName())));
      }
    });
  }
}
