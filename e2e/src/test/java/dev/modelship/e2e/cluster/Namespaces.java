package dev.modelship.e2e.cluster;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Namespaces the way a user prepares them for ModelDeployments. */
public final class Namespaces {

  private Namespaces() {}

  /**
   * Creates {@code namespace} with the artifact store the operator's default settings name, the
   * claim {@code modelship-artifacts}, which the operator checks for before it creates a build Job
   * (it stays Pending: the cluster has no storage).
   */
  public static void createWithArtifactClaim(KubernetesClient client, String namespace) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    client.persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder()
        .withNewMetadata().withName("modelship-artifacts").endMetadata()
        .withNewSpec().withAccessModes("ReadWriteMany")
          .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources()
        .endSpec().build()).create();
  }
}
